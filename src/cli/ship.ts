// The step between "the project is valid" and "send it to the agent", shared by `spin deploy`
// and `spin up`: build (and push) when asked, else find the images built for the current content;
// then pin every image to a digest when the agent is remote, with build and push progress on
// stderr. Image names follow the same rules as `spin build` (same registry, project, content tag).

import type {PreparedDeploy} from '../lib/client/deploy.ts';
import type {Terminal} from '../lib/ui/terminal.ts';
import {dockerClient} from './images.ts';

export interface ShipStep {
  /** Build (and, when `remote`, push) the services that have `build:`. */
  build: boolean;
  /** A remote agent: push built images and pin every image to its registry digest. */
  remote: boolean;
  registry?: string;
  /**
   * The project part of image names, as `spin build --project` takes it. Undefined: SPIN_PROJECT,
   * else the compose project's name (the embedded agent's platform project is always `local`,
   * which would put every folder's images under one name).
   */
  imageProject?: string;
  loadOptions: {files?: string[]; envFiles?: string[]; profiles?: string[]; workingDir: string; env: NodeJS.ProcessEnv};
  terminal: Terminal;
}

export async function ship(prepared: PreparedDeploy, step: ShipStep): Promise<PreparedDeploy> {
  const {withImages} = await import('../lib/client/deploy.ts');
  const naming = {...step.loadOptions, loaded: prepared.project, push: step.remote, registry: step.registry, project: step.imageProject};
  let images: Record<string, string> = {};
  const built = new Set(Object.entries(prepared.project.services).filter(([, s]) => s.build).map(([name]) => name));
  if (step.build) {
    const [{buildAndShip}, {createBuildRenderer, createPushRenderer, renderBuildFailure}, {BuildFailedError}] = await Promise.all([
      import('../lib/client/ship.ts'),
      import('../lib/ui/build.ts'),
      import('../lib/build/build.ts'),
    ]);
    const building = createBuildRenderer(process.stderr, step.terminal, {plain: !step.terminal.tty});
    const pushing = createPushRenderer(process.stderr, step.terminal);
    try {
      const shipped = await buildAndShip({...naming, docker: await dockerClient(), onBuild: (e) => building.event(e), onPush: (e) => pushing.event(e)});
      images = shipped.images;
    } catch (err) {
      if (err instanceof BuildFailedError && step.terminal.tty) process.stderr.write(renderBuildFailure(err, step.terminal.color));
      throw err;
    } finally {
      building.done();
      pushing.done();
    }
  } else if (built.size > 0) {
    // Images built earlier (`spin build`, then `spin push` for a remote agent) carry the names build gives them.
    const {builtImages} = await import('../lib/client/ship.ts');
    images = (await builtImages({...naming, docker: await dockerClient()})).images;
  }
  if (step.remote) {
    const {pinImages} = await import('../lib/client/ship.ts');
    const {renderDiagnostics} = await import('../lib/ui/diagnostics.ts');
    const pinned = await pinImages(prepared.project, images, undefined, step.build ? new Set() : built);
    if (pinned.warnings.length) process.stderr.write(renderDiagnostics(pinned.warnings, {color: step.terminal.color, cwd: process.cwd()}));
    images = pinned.images;
  }
  return withImages(prepared, images);
}
