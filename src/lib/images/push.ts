// Pushes built images through the engine, which uploads only the layers the registry lacks
// ("Layer already exists" for the rest). The engine's refusals are turned into Spin errors that
// name the registry: bad or missing credentials exit 4, an unreachable registry exits 6.

import type Dockerode from 'dockerode';

import {engineError, isNotFound} from '../engine/errors.ts';
import {AuthError, OperationError, UnreachableError} from '../errors.ts';
import {engineAuth, type RegistryCredentials} from './credentials.ts';
import {parseReference, repositoryName, type ImageReference} from './naming.ts';
import {runJobs} from './schedule.ts';
import {resolveDigest} from './registry.ts';
import {readMessages} from './stream.ts';

export interface PushTarget {
  service: string;
  /** The local image to push, with its tag. */
  image: string;
}

export type PushEvent =
  | {type: 'start'; service: string; image: string}
  | {type: 'layer'; service: string; layer: string; status: string; current?: number; total?: number}
  | {type: 'done'; service: string; image: string; digest: string};

export interface PushedImage {
  service: string;
  image: string;
  /** `sha256:…`, the manifest digest the registry stored. */
  digest: string;
  /** `<repository>@<digest>`, what a deploy pins. */
  pinned: string;
}

export interface PushImagesOptions {
  docker: Dockerode;
  targets: readonly PushTarget[];
  /** Credentials for a registry host (`docker.io` for Docker Hub); undefined when there are none. */
  credentials: (registry: string) => Promise<RegistryCredentials | undefined>;
  /** Pushes at once. Default 2. */
  concurrency?: number;
  onProgress?: (event: PushEvent) => void;
}

const AUTH_FAILURE = /unauthorized|authentication required|no basic auth credentials|incorrect username or password|denied/i;
const NETWORK_FAILURE = /dial tcp|connection refused|no such host|i\/o timeout|network is unreachable|TLS handshake timeout|server gave HTTP response to HTTPS client|connection reset/i;

function loginHint(registry: string): string {
  return `log in with \`spin registry login ${registry} -u USER --password-stdin\` (or \`docker login ${registry}\`), then push again`;
}

/** Maps the engine's push error text to the error class the exit code depends on. */
export function pushError(ref: ImageReference, image: string, message: string, hadCredentials: boolean): OperationError | AuthError | UnreachableError {
  const registry = ref.registry;
  if (AUTH_FAILURE.test(message)) {
    const what = hadCredentials ? 'rejected the credentials for' : 'requires a login to push';
    return new AuthError(`registry "${registry}" ${what} "${image}": ${message}`, {hint: loginHint(registry)});
  }
  if (NETWORK_FAILURE.test(message)) {
    return new UnreachableError(`cannot reach registry "${registry}" to push "${image}": ${message}`, {
      hint: 'check the registry name and that it runs; a plain-HTTP registry other than 127.0.0.1 must be in the engine\'s insecure-registries',
    });
  }
  return new OperationError(`pushing "${image}" to registry "${registry}" failed: ${message}`);
}

async function pushOne(target: PushTarget, options: PushImagesOptions): Promise<PushedImage> {
  const {service, image} = target;
  const emit = options.onProgress ?? (() => {});
  const ref = parseReference(image);
  const tag = ref.tag ?? 'latest';
  const repository = repositoryName(ref);
  let local: Dockerode.ImageInspectInfo;
  try {
    local = await options.docker.getImage(image).inspect();
  } catch (err) {
    if (isNotFound(err)) {
      throw new OperationError(`image "${image}" of service "${service}" does not exist locally`, {hint: `build it first: \`spin build ${service}\` (with the same --tag, --registry and --project)`});
    }
    throw engineError(err, `inspect image "${image}"`);
  }
  const credentials = await options.credentials(ref.registry);
  emit({type: 'start', service, image});
  // Pushed before and the tag still names it in the registry: nothing to upload, no engine round.
  const pushedAs = (local.RepoDigests ?? []).find((d) => d.startsWith(`${repository}@`))?.slice(repository.length + 1);
  if (pushedAs) {
    const there = await resolveDigest(image, credentials, {timeoutMs: 5000}).catch(() => undefined);
    if (there === pushedAs) {
      emit({type: 'layer', service, layer: there.slice(7, 19), status: 'Already in the registry under this tag'});
      emit({type: 'done', service, image, digest: there});
      return {service, image, digest: there, pinned: `${repository}@${there}`};
    }
  }
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await options.docker.getImage(repository).push({tag, authconfig: engineAuth(ref.registry, credentials)} as Dockerode.ImagePushOptions)) as NodeJS.ReadableStream;
  } catch (err) {
    throw engineError(err, `push image "${image}"`);
  }
  let digest: string | undefined;
  let failure: string | undefined;
  try {
    await readMessages(stream, (m) => {
      if (m.error !== undefined || m.errorDetail !== undefined) failure = (m.errorDetail?.message ?? m.error ?? 'unknown error').trim();
      if (m.aux && typeof m.aux.Digest === 'string') digest = m.aux.Digest;
      if (typeof m.status === 'string') {
        const said = /digest: (sha256:[0-9a-f]{64})/.exec(m.status);
        if (said) digest ??= said[1];
        else if (m.id && m.id !== tag) {
          const {current, total} = m.progressDetail ?? {};
          emit({type: 'layer', service, layer: m.id, status: m.status, ...(typeof current === 'number' ? {current} : {}), ...(typeof total === 'number' ? {total} : {})});
        }
      }
    });
  } catch (err) {
    throw engineError(err, `push image "${image}"`);
  }
  if (failure !== undefined) throw pushError(ref, image, failure, credentials !== undefined);
  if (!digest) throw new OperationError(`the engine pushed "${image}" but reported no digest`, {hint: 'check the registry with `spin push` again; it only uploads what is missing'});
  emit({type: 'done', service, image, digest});
  return {service, image, digest, pinned: `${repository}@${digest}`};
}

/** Pushes every target; resolves with their digests in the targets' order. */
export async function pushImages(options: PushImagesOptions): Promise<PushedImage[]> {
  const jobs = options.targets.map((t) => ({id: t.service, after: [], run: () => pushOne(t, options)}));
  const results = await runJobs(jobs, options.concurrency ?? 2);
  return options.targets.map((t) => results.get(t.service)!);
}
