// The ship half of build-ship-run, the step of the stack pipeline (client/pipeline.ts) between
// "the project is valid" and "send it to the agent": build the services that have `build:` (or
// find the images `spin build` made for their current content), push them when the agent is
// remote, and pin every image to a digest so a revision runs exactly these bytes, even after a
// tag moves. Image names follow the same rules as `spin build` (registry, project, content tag).

import type Dockerode from 'dockerode';

import {getCredentials} from './credentials.ts';
import {buildImages, type BuildEvent} from './build.ts';
import {fileKeyCache, keyCachePath} from './key-cache.ts';
import {parseReference, repositoryName} from './naming.ts';
import {planImages, planPush, type PlanImagesOptions} from './plan.ts';
import {pushImages, type PushEvent} from './push.ts';
import {ImageNotFoundError, resolveDigest} from './registry.ts';
import {diagnostic} from '../compose/diagnostics.ts';
import type {Diagnostic, ComposeModel} from '../compose/types.ts';
import {engineError, isNotFound} from '../engine/errors.ts';
import {OperationError} from '../errors.ts';

export interface ShipOptions extends Omit<PlanImagesOptions, 'services'> {
  docker: Dockerode;
  /** Push and pin (a remote agent); false keeps images on the local engine (the embedded agent). */
  push: boolean;
  onBuild?: (e: BuildEvent) => void;
  onPush?: (e: PushEvent) => void;
}

export interface ShipStep {
  /** Build (and, when `push`, push) the services that have `build:`; else use the images built earlier. */
  build: boolean;
  /** A remote agent: push built images and pin every image to its registry digest. */
  push: boolean;
  registry?: string;
  /**
   * The project part of image names, as `spin build --project` takes it. Undefined: SPIN_PROJECT,
   * else the compose project's name (the embedded agent's platform project is always `local`,
   * which would put every folder's images under one name).
   */
  imageProject?: string;
  /** Where the project was loaded from: build contexts and `.env` are read relative to it. */
  loadOptions: Omit<PlanImagesOptions, 'services' | 'loaded' | 'registry' | 'project'>;
  /** The Docker Engine client, asked for only when an image is built or looked for. */
  docker: () => Promise<Dockerode>;
  onBuild?: (e: BuildEvent) => void;
  onPush?: (e: PushEvent) => void;
}

/**
 * The image every service of the loaded project runs after the ship step: built, pushed and
 * pinned as the step says, by service. Services that neither build nor need pinning are absent.
 */
export async function shipImages(project: ComposeModel, step: ShipStep): Promise<Shipped> {
  const naming = {...step.loadOptions, loaded: project, push: step.push, registry: step.registry, project: step.imageProject};
  const built = new Set(Object.entries(project.services).filter(([, s]) => s.build).map(([name]) => name));
  let images: Record<string, string> = {};
  if (step.build) {
    images = (await buildAndShip({...naming, docker: await step.docker(), onBuild: step.onBuild, onPush: step.onPush})).images;
  } else if (built.size > 0) {
    // Images built earlier (`spin build`, then `spin push` for a remote agent) carry the names build gives them.
    images = (await builtImages({...naming, docker: await step.docker()})).images;
  }
  if (!step.push) return {images, warnings: []};
  // What was just pushed is in the registry; what was built earlier must be, or it was never pushed.
  return pinImages(project, images, undefined, step.build ? new Set() : built);
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
export async function pinImages(project: ComposeModel, overrides: Record<string, string>, resolver: DigestResolver = defaultResolver, required: ReadonlySet<string> = new Set()): Promise<{images: Record<string, string>; warnings: Diagnostic[]}> {
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
