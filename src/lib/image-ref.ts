// Docker image references, split the way the Docker CLI splits them (the grammar of Docker's
// distribution/reference package), so that the policy's registry rule sees the registry the
// engine will pull from (`busybox` is Docker Hub, `localhost:5000/x` is not), and a name that
// build and push accept is one the engine accepts.

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
/** Docker's limit on the repository path. */
const MAX_NAME = 255;
const DOMAIN = /^(?:\[[0-9A-Fa-f:]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*)(?::\d{1,5})?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;

/**
 * Parses `[registry/]path[:tag][@digest]`. The first component is a registry only if it has a
 * dot or a colon, is `localhost`, or has upper case letters (Docker's own rule); otherwise the
 * image is on Docker Hub. A string is the reason `ref` is not a valid reference.
 */
export function readImageReference(ref: string): ImageReference | string {
  if (ref.length === 0 || ref.length > MAX_REFERENCE) return 'empty or too long';
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return `"${digest}" is not a digest`;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return `"${tag}" is not a valid tag`;
  }
  const components = rest.split('/');
  let registry = DOCKER_HUB;
  const first = components[0];
  if (components.length > 1 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())) {
    if (!DOMAIN.test(first)) return `"${first}" is not a registry host`;
    registry = first.toLowerCase();
    components.shift();
  }
  if (components.length === 0 || components.join('/').length > MAX_NAME || !components.every((c) => PATH_COMPONENT.test(c))) {
    return 'each path component must be lower-case letters and digits, separated by ".", "_", "__" or "-"';
  }
  if (HUB_ALIASES.has(registry)) {
    registry = DOCKER_HUB;
    if (components.length === 1) components.unshift('library');
  }
  const out: ImageReference = {registry, repository: components.join('/')};
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** `host[:port]` as a reference's registry part may be. */
export function isRegistryHost(host: string): boolean {
  return DOMAIN.test(host);
}

/** One `/`-separated component of a repository path. */
export function isPathComponent(component: string): boolean {
  return PATH_COMPONENT.test(component);
}

/** A tag, as after the `:` of a reference. */
export function isTag(tag: string): boolean {
  return TAG.test(tag);
}

/** The reference, or undefined for something that is not a valid one. */
export function parseImageReference(ref: string): ImageReference | undefined {
  const read = readImageReference(ref);
  return typeof read === 'string' ? undefined : read;
}

/** `Docker.IO` and `index.docker.io` → `docker.io`; other hosts lower-cased. */
export function canonicalRegistry(host: string): string {
  const h = host.toLowerCase();
  return HUB_ALIASES.has(h) ? DOCKER_HUB : h;
}
