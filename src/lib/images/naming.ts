// Image names. A service with `image:` is built and tagged as exactly that (compose semantics);
// any other built service is named `<registry>/<project>/<service>:<tag>`, or
// `<project>/<service>:<tag>` for local use when no registry is known, the tag being the content
// digest (content.ts) unless --tag says otherwise. The grammar below is the
// one Docker's distribution/reference package enforces, so a name we accept the engine accepts.

import {InvalidInputError, UsageError} from '../errors.ts';

export const DOCKER_HUB = 'docker.io';

const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]{1,5})?`;
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const COMPONENT_RE = new RegExp(`^${COMPONENT}$`);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const MAX_NAME = 255;

export interface ImageReference {
  /** The registry host (with port), `docker.io` when the name has none. */
  registry: string;
  /** The path inside the registry; Docker Hub's single-component names get `library/`. */
  repository: string;
  tag?: string;
  digest?: string;
}

function invalidReference(ref: string, why: string): InvalidInputError {
  return new InvalidInputError(`invalid image name "${ref}": ${why}`, {
    hint: 'use lower-case path components separated by "/", an optional registry host first and an optional ":tag", e.g. registry.example.org/team/web:1.0',
  });
}

/** Parses an image reference as Docker does (the first component is a registry when it has a dot or a port, or is `localhost`). */
export function parseReference(ref: string): ImageReference {
  if (ref.length === 0 || ref.length > MAX_NAME + 200) throw invalidReference(ref.slice(0, 300), 'empty or too long');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) throw invalidReference(ref, `"${digest}" is not a digest`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalidReference(ref, `"${tag}" is not a valid tag`);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasDomain = slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  let registry = hasDomain ? first : DOCKER_HUB;
  let repository = hasDomain ? rest.slice(slash + 1) : rest;
  if (hasDomain && !DOMAIN_RE.test(first)) throw invalidReference(ref, `"${first}" is not a registry host`);
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB;
  if (repository.length === 0 || repository.length > MAX_NAME || !repository.split('/').every((c) => COMPONENT_RE.test(c))) {
    throw invalidReference(ref, 'each path component must be lower-case letters and digits, separated by ".", "_", "__" or "-"');
  }
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  return {registry, repository, tag, digest};
}

/** The name without tag or digest, as Docker prints it (`<registry>/<repository>`, Hub names short). */
export function repositoryName(ref: ImageReference): string {
  if (ref.registry !== DOCKER_HUB) return `${ref.registry}/${ref.repository}`;
  return ref.repository.startsWith('library/') ? ref.repository.slice('library/'.length) : ref.repository;
}

/**
 * A registry given by a user (`--registry`, SPIN_REGISTRY, a login argument): a host with an
 * optional port and optional path prefix (`ghcr.io/team`); a URL scheme and trailing slash are
 * dropped, as `docker login` does.
 */
export function normalizeRegistry(value: string): string {
  const trimmed = value.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  const [host, ...path] = trimmed.split('/');
  if (!host || !DOMAIN_RE.test(host) || !path.every((c) => COMPONENT_RE.test(c)) || trimmed.length > 200) {
    throw new UsageError(`invalid registry "${value}"`, {hint: 'give a host with an optional port and path, e.g. registry.example.org or 127.0.0.1:5000/team'});
  }
  return [host.toLowerCase(), ...path].join('/');
}

/** The registry host alone (credentials and the HTTP API are per host, not per path prefix). */
export function registryHost(registry: string): string {
  return registry.split('/')[0];
}

/** A project or service name as an image path component (compose allows upper case; images do not). */
export function imageComponent(kind: 'project' | 'service', name: string): string {
  const lower = name.toLowerCase();
  if (!COMPONENT_RE.test(lower)) {
    throw new InvalidInputError(`${kind} name "${name}" cannot be part of an image name`, {
      hint:
        kind === 'project'
          ? 'pass --project with lower-case letters, digits and dashes, e.g. --project genomics'
          : `rename the service, or set \`image:\` on service "${name}" to name its image yourself`,
    });
  }
  return lower;
}

export function checkTag(tag: string): string {
  if (!TAG_RE.test(tag)) {
    throw new UsageError(`invalid tag "${tag}"`, {hint: 'a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"'});
  }
  return tag;
}

export interface ImageNaming {
  /** Registry (host and optional path prefix); absent for local-only names. */
  registry?: string;
  project: string;
  tag: string;
}

/** The image a service builds to: its own `image:` verbatim, else the Spin name. */
export function serviceImage(service: string, image: string | undefined, naming: ImageNaming): string {
  if (image !== undefined) {
    parseReference(image);
    return image;
  }
  const repo = `${imageComponent('project', naming.project)}/${imageComponent('service', service)}`;
  return `${naming.registry ? `${naming.registry}/` : ''}${repo}:${checkTag(naming.tag)}`;
}

export interface NamingSources {
  flags: {registry?: string; project?: string};
  env: Record<string, string | undefined>;
  /** The current context's registry (advertised by the agent at login) and project. */
  context?: {registry?: string; project?: string};
  /** The compose project's name, the last resort for the project. */
  composeProject: string;
}

/** Registry: --registry, SPIN_REGISTRY, the context's. Project: --project, SPIN_PROJECT, the context's, the compose project. */
export function resolveNaming(sources: NamingSources): {registry?: string; project: string} {
  const {flags, env, context} = sources;
  const registry = flags.registry || env.SPIN_REGISTRY || context?.registry;
  const project = flags.project || env.SPIN_PROJECT || context?.project || sources.composeProject;
  return {registry: registry ? normalizeRegistry(registry) : undefined, project: imageComponent('project', project)};
}
