// Docker image references, split the way the Docker CLI splits them, so that the registry rule
// sees the same registry the engine will pull from (`busybox` is Docker Hub, `localhost:5000/x`
// is not).

export const DOCKER_HUB = 'docker.io';

/** Hostnames that all mean Docker Hub. */
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export interface ImageReference {
  /** Lower-cased `host[:port]`; Docker Hub is always `docker.io`. */
  registry: string;
  /** Path inside the registry; Docker Hub's official images get their implicit `library/`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const MAX_REFERENCE = 4096;
const DOMAIN = /^(?:\[[0-9A-Fa-f:]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::\d{1,5})?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/**
 * Parses `[registry/]path[:tag][@digest]`. The first component is a registry only if it has a
 * dot or a colon, is `localhost`, or has upper case letters (Docker's own rule); otherwise the
 * image is on Docker Hub. Returns undefined for something that is not a valid reference.
 */
export function parseImageReference(ref: string): ImageReference | undefined {
  if (ref.length === 0 || ref.length > MAX_REFERENCE) return undefined;
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const components = rest.split('/');
  let registry = DOCKER_HUB;
  const first = components[0];
  if (components.length > 1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())) {
    if (!DOMAIN.test(first)) return undefined;
    registry = first.toLowerCase();
    components.shift();
  }
  if (components.length === 0 || !components.every((c) => PATH_COMPONENT.test(c))) return undefined;
  if (HUB_ALIASES.has(registry)) {
    registry = DOCKER_HUB;
    if (components.length === 1) components.unshift('library');
  }
  const out: ImageReference = {registry, repository: components.join('/')};
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** `Docker.IO` and `index.docker.io` → `docker.io`; other hosts lower-cased. */
export function canonicalRegistry(host: string): string {
  const h = host.toLowerCase();
  return HUB_ALIASES.has(h) ? DOCKER_HUB : h;
}
