// The ship half of build-ship-run, shared by `spin up` and `spin deploy --build`: build the
// services that have `build:`, push them when the agent is remote, and pin every image to a
// digest so a revision runs exactly these bytes, even after a tag moves.

import type Dockerode from 'dockerode';

import {getCredentials} from '../build/credentials.ts';
import {buildImages, type BuildEvent} from '../build/build.ts';
import {fileKeyCache, keyCachePath} from '../build/key-cache.ts';
import {parseReference, repositoryName} from '../build/naming.ts';
import {planImages, planPush} from '../build/plan.ts';
import {pushImages, type PushEvent} from '../build/push.ts';
import {resolveDigest} from '../build/registry.ts';
import {diagnostic} from '../compose/diagnostics.ts';
import type {LoadOptions} from '../compose/load.ts';
import type {Diagnostic, Project} from '../compose/types.ts';

export interface ShipOptions extends LoadOptions {
  docker: Dockerode;
  /** Push and pin (a remote agent); false keeps images on the local engine (the embedded agent). */
  push: boolean;
  registry?: string;
  project?: string;
  context?: {registry?: string; project?: string};
  tag?: string;
  onBuild?: (e: BuildEvent) => void;
  onPush?: (e: PushEvent) => void;
}

export interface Shipped {
  /** The image each service runs, by service: `repo@sha256:…` when pinned. */
  images: Record<string, string>;
  warnings: Diagnostic[];
}

/** Builds (and pushes) what the project builds; returns the image reference per built service. */
export async function buildAndShip(options: ShipOptions): Promise<Shipped> {
  const plan = await planImages({...options, services: undefined});
  const images: Record<string, string> = {};
  if (plan.targets.length === 0) return {images, warnings: plan.warnings};
  const built = await buildImages({docker: options.docker, targets: plan.targets, keyCache: fileKeyCache(keyCachePath(options.env)), onProgress: options.onBuild});
  if (!options.push) {
    for (const b of built) images[b.service] = b.image;
    return {images, warnings: plan.warnings};
  }
  const targets = await planPush(options.docker, plan);
  const pushed = await pushImages({docker: options.docker, targets, credentials: (r) => getCredentials(r), onProgress: options.onPush});
  for (const p of pushed) images[p.service] = p.pinned;
  return {images, warnings: plan.warnings};
}

export type DigestResolver = (image: string) => Promise<string>;

const defaultResolver: DigestResolver = async (image) => {
  const ref = parseReference(image);
  return resolveDigest(image, await getCredentials(ref.registry), {timeoutMs: 5000});
};

/**
 * Every service's image as `repo@sha256:…`, resolving tags through their registry. An image that
 * cannot be resolved (a registry out of reach) keeps its tag, with a warning saying so.
 */
export async function pinImages(project: Project, overrides: Record<string, string>, resolver: DigestResolver = defaultResolver): Promise<{images: Record<string, string>; warnings: Diagnostic[]}> {
  const images: Record<string, string> = {};
  const warnings: Diagnostic[] = [];
  const cache = new Map<string, Promise<string>>();
  await Promise.all(
    Object.entries(project.services).map(async ([name, service]) => {
      const image = overrides[name] ?? service.image;
      if (!image) return;
      if (image.includes('@sha256:')) {
        images[name] = image;
        return;
      }
      try {
        if (!cache.has(image)) cache.set(image, resolver(image));
        const digest = await cache.get(image)!;
        images[name] = `${repositoryName(parseReference(image))}@${digest}`;
      } catch (err) {
        images[name] = image;
        warnings.push(diagnostic(undefined, {
          severity: 'warning',
          source: 'pin',
          message: `image "${image}" of service "${name}" could not be pinned to a digest: ${(err as Error).message}`,
          path: ['services', name, 'image'],
          hint: 'the agent will run whatever the tag points at when it pulls; push the image, or check the registry is reachable',
        }));
      }
    }),
  );
  return {images, warnings};
}
