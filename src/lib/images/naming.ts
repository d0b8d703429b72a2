// Image names. A service with `image:` is built and tagged as exactly that (compose semantics);
// any other built service is named `<registry>/<project>/<service>:<tag>`, or
// `<project>/<service>:<tag>` for local use when no registry is known, the tag being the content
// digest (content.ts) unless --tag says otherwise. References are read by ../image-ref.ts.

import {InvalidInputError, UsageError} from '../errors.ts';
import {DOCKER_HUB, isPathComponent, isRegistryHost, isTag, readImageReference, type ImageReference} from '../image-ref.ts';

export {DOCKER_HUB, type ImageReference};

function invalidReference(ref: string, why: string): InvalidInputError {
  return new InvalidInputError(`invalid image name "${ref}": ${why}`, {
    hint: 'use lower-case path components separated by "/", an optional registry host first and an optional ":tag", e.g. registry.example.org/team/web:1.0',
  });
}

/** Parses an image reference as Docker does; an invalid one is refused with the reason. */
export function parseReference(ref: string): ImageReference {
  const read = readImageReference(ref);
  if (typeof read === 'string') throw invalidReference(ref.slice(0, 300), read);
  return read;
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
  if (!host || !isRegistryHost(host) || !path.every(isPathComponent) || trimmed.length > 200) {
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
  if (!isPathComponent(lower)) {
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
  if (!isTag(tag)) {
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
