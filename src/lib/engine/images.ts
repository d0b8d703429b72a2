// Images for a deploy: the local image when the engine has it, else a pull from its registry with
// the agent's credentials for that registry. The digest recorded in a revision is the registry's
// (`repo@sha256:…`) when known, so a rollback restores exactly what ran.

import type Dockerode from 'dockerode';

import {InvalidInputError, OperationError, UnreachableError} from '../errors.ts';
import {canonicalRegistry, parseImageReference} from '../image-ref.ts';
import {engineCall, engineError, isNotFound} from './errors.ts';
import {jsonLines} from '../ndjson.ts';

/** Pull credentials: fixed per registry host, or looked up when a pull needs them (the agent's Docker config). */
export type RegistryAuth =
  | Record<string, {username: string; password: string}>
  | ((registry: string) => Promise<{username: string; password: string} | undefined>);

/** A reference with neither tag nor digest means `:latest` (the engine would otherwise pull every tag). */
export function pullReference(image: string): string {
  const parsed = parseImageReference(image);
  if (!parsed) throw new InvalidInputError(`image reference "${image}" is not valid`, {hint: 'write [registry/]name[:tag][@digest], e.g. registry.example.org/team/app:1.2'});
  return parsed.tag === undefined && parsed.digest === undefined ? `${image}:latest` : image;
}

/** The repository part of a reference as the engine prints it in RepoDigests (`name` without tag). */
function repositoryOf(image: string): string {
  const at = image.indexOf('@');
  const noDigest = at === -1 ? image : image.slice(0, at);
  const colon = noDigest.lastIndexOf(':');
  return colon > noDigest.lastIndexOf('/') ? noDigest.slice(0, colon) : noDigest;
}

export function digestOf(info: Pick<Dockerode.ImageInspectInfo, 'Id' | 'RepoDigests'>, image: string): string {
  const digests = info.RepoDigests ?? [];
  const repo = repositoryOf(image);
  const parsed = parseImageReference(image);
  const hubShort = parsed?.registry === 'docker.io' ? parsed.repository.replace(/^library\//, '') : undefined;
  const match = digests.find((d) => {
    const name = d.slice(0, d.indexOf('@'));
    return name === repo || (hubShort !== undefined && (name === hubShort || name === `docker.io/${parsed?.repository}`));
  });
  return match ?? digests[0] ?? info.Id;
}

/** `registry/repository:tag` (tag `latest` when none) or `registry/repository@digest`, or undefined. */
function canonicalName(reference: string, withTag: boolean): string | undefined {
  const parsed = parseImageReference(reference);
  if (!parsed) return undefined;
  const name = `${parsed.registry}/${parsed.repository}`;
  if (parsed.digest !== undefined) return `${name}@${parsed.digest.toLowerCase()}`;
  return withTag ? `${name}:${parsed.tag ?? 'latest'}` : undefined;
}

/**
 * True when the engine's image is the one the reference names: a tag of it (`name` meaning
 * `name:latest`, `busybox` meaning `docker.io/library/busybox`) or, for `name@sha256:…`, one of
 * its repo digests. The engine also finds an image by its ID or any prefix of it (`abcd1234`,
 * `sha256:abcd…`); the policy read such a reference as a Docker Hub name, so an image picked that
 * way would run something no registry rule ever saw.
 */
export function namesImage(info: {RepoTags?: string[] | null; RepoDigests?: string[] | null}, reference: string): boolean {
  const wanted = canonicalName(reference, true);
  if (wanted === undefined) return false;
  const byDigest = wanted.includes('@');
  const names = (byDigest ? info.RepoDigests : info.RepoTags) ?? [];
  return names.some((n) => canonicalName(n, !byDigest) === wanted);
}

/** The image the reference names (see namesImage), or undefined when the engine has none. */
export async function inspectNamedImage(docker: Dockerode, image: string): Promise<Dockerode.ImageInspectInfo | undefined> {
  const info = await inspectImage(docker, image);
  return info && namesImage(info, image) ? info : undefined;
}

/** Any image the engine resolves the text to, an ID included: for reading only, never to run. */
export async function inspectImage(docker: Dockerode, image: string): Promise<Dockerode.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(image).inspect();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw engineError(err, `inspect image "${image}"`);
  }
}

async function authFor(image: string, auth: RegistryAuth | undefined): Promise<Record<string, string> | undefined> {
  const registry = parseImageReference(image)?.registry;
  if (!registry || !auth) return undefined;
  const entry = typeof auth === 'function' ? await auth(registry) : Object.entries(auth).find(([host]) => canonicalRegistry(host) === registry)?.[1];
  return entry ? {username: entry.username, password: entry.password, serveraddress: registry} : undefined;
}

const PULL_HINT = 'check the image name and tag, that it was pushed (`spin push`), and that the agent has credentials for its registry';

/** Pulls an image; throws with the registry's own message when it refuses. */
export async function pullImage(docker: Dockerode, image: string, auth: RegistryAuth | undefined, onProgress?: (status: string) => void): Promise<void> {
  const ref = pullReference(image);
  const credentials = await authFor(ref, auth);
  const stream = await engineCall(`pull image "${image}"`, () => (credentials ? docker.createImage(credentials, {fromImage: ref}) : docker.createImage({fromImage: ref})) as Promise<NodeJS.ReadableStream>, PULL_HINT);
  let lastStatus = '';
  for await (const event of jsonLines(stream as AsyncIterable<Buffer>)) {
    const error = typeof event.error === 'string' ? event.error : (event.errorDetail as {message?: string} | undefined)?.message;
    if (error) {
      const cls = /connection refused|no such host|i\/o timeout|network is unreachable|TLS handshake timeout/i.test(error) ? UnreachableError : OperationError;
      throw new cls(`cannot pull image "${image}": ${error}`, {hint: cls === UnreachableError ? 'check that the registry runs and that the engine can reach it' : PULL_HINT});
    }
    // Per-layer progress is too chatty for deploy events; the overall status lines are enough.
    if (typeof event.status === 'string' && event.id === undefined && event.status !== lastStatus) {
      lastStatus = event.status;
      onProgress?.(event.status);
    }
  }
}
