// The ship half of build-ship-run, shared by `spin up` and `spin deploy --build`: build the
// services that have `build:`, push them when the agent is remote, and pin every image to a
// digest so a revision runs exactly these bytes, even after a tag moves.

import type Dockerode from 'dockerode';

import {getCredentials} from '../build/credentials.ts';
import {buildImages, type BuildEvent} from '../build/build.ts';
import {fileKeyCache, keyCachePath} from '../build/key-cache.ts';
import {parseReference, repositoryName} from '../build/naming.ts';
import {planImages, planPush, type PlanImagesOptions} from '../build/plan.ts';
import {pushImages, type PushEvent} from '../build/push.ts';
import {ImageNotFoundError, resolveDigest} from '../build/registry.ts';
import {diagnostic} from '../compose/diagnostics.ts';
import type {Diagnostic, Project} from '../compose/types.ts';
import {engineError, isNotFound} from '../engine/errors.ts';
import {OperationError} from '../errors.ts';

export interface ShipOptions extends Omit<PlanImagesOptions, 'services'> {
  docker: Dockerode;
  /** Push and pin (a remote agent); false keeps images on the local engine (the embedded agent). */
  push: boolean;
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
  const pushed = await pushImages({docker: options.docker, targets: planPush(plan), credentials: (r) => getCredentials(r), onProgress: options.onPush});
  for (const p of pushed) images[p.service] = p.pinned;
  return {images, warnings: plan.warnings};
}

/** A deploy without a build found no image for the current content of a service. */
function notBuilt(image: string, service: string, where: string, push: boolean): OperationError {
  return new OperationError(`image "${image}" of service "${service}" ${where}: it was not built from the current content of the service`, {
    hint: push
      ? `build and push it: \`spin build ${service} && spin push ${service}\`, or deploy with \`spin deploy --build\``
      : `build it: \`spin up\` builds what changed and deploys, or \`spin build ${service}\` first`,
  });
}

/**
 * The images `spin build` made for the current content, for a deploy that does not build: the
 * same names (content tags), never a made-up one. On the local engine each must exist; for a remote
 * agent pinImages checks the registry (with `required`).
 */
export async function builtImages(options: Omit<ShipOptions, 'onBuild' | 'onPush'>): Promise<{images: Record<string, string>; warnings: Diagnostic[]}> {
  const plan = await planImages({...options, services: undefined});
  const images: Record<string, string> = {};
  await Promise.all(
    plan.targets.map(async (t) => {
      images[t.service] = t.image;
      if (options.push) return;
      try {
        await options.docker.getImage(t.image).inspect();
      } catch (err) {
        if (isNotFound(err)) throw notBuilt(t.image, t.service, 'does not exist on this Docker engine', false);
        throw engineError(err, `inspect image "${t.image}"`);
      }
    }),
  );
  return {images, warnings: plan.warnings};
}

export type DigestResolver = (image: string) => Promise<string>;

const defaultResolver: DigestResolver = async (image) => {
  const ref = parseReference(image);
  return resolveDigest(image, await getCredentials(ref.registry), {timeoutMs: 5000});
};

/**
 * Every service's image as `repo@sha256:…`, resolving tags through their registry. An image that
 * cannot be resolved (a registry out of reach) keeps its tag, with a warning saying so; one the
 * registry does not have is an error for the `required` services (those the project builds).
 */
export async function pinImages(project: Project, overrides: Record<string, string>, resolver: DigestResolver = defaultResolver, required: ReadonlySet<string> = new Set()): Promise<{images: Record<string, string>; warnings: Diagnostic[]}> {
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
        if (err instanceof ImageNotFoundError && required.has(name)) throw notBuilt(image, name, `is not in registry "${parseReference(image).registry}"`, true);
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
