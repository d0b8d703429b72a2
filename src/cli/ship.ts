// The step between "the project is valid" and "send it to the agent", shared by `spin deploy`
// and `spin up`: build (and push) when asked, then pin every image to a digest when the agent is
// remote, with build and push progress on stderr.

import type {PreparedDeploy} from '../lib/client/deploy.ts';
import type {Terminal} from '../lib/ui/terminal.ts';
import {dockerClient} from './images.ts';

export interface ShipStep {
  /** Build (and, when `push`, push) the services that have `build:`. */
  build: boolean;
  /** A remote agent: push built images and pin every image to its registry digest. */
  remote: boolean;
  registry?: string;
  projectName: string;
  loadOptions: {files?: string[]; envFiles?: string[]; profiles?: string[]; workingDir: string; env: NodeJS.ProcessEnv};
  terminal: Terminal;
}

export async function ship(prepared: PreparedDeploy, step: ShipStep): Promise<PreparedDeploy> {
  const {withImages} = await import('../lib/client/deploy.ts');
  let images: Record<string, string> = {};
  if (step.build) {
    const [{buildAndShip}, {createBuildRenderer, createPushRenderer, renderBuildFailure}, {BuildFailedError}] = await Promise.all([
      import('../lib/client/ship.ts'),
      import('../lib/ui/build.ts'),
      import('../lib/build/build.ts'),
    ]);
    const building = createBuildRenderer(process.stderr, step.terminal, {plain: !step.terminal.tty});
    const pushing = createPushRenderer(process.stderr, step.terminal);
    try {
      const shipped = await buildAndShip({
        ...step.loadOptions,
        docker: await dockerClient(),
        push: step.remote,
        registry: step.registry,
        project: step.projectName,
        onBuild: (e) => building.event(e),
        onPush: (e) => pushing.event(e),
      });
      images = shipped.images;
    } catch (err) {
      if (err instanceof BuildFailedError && step.terminal.tty) process.stderr.write(renderBuildFailure(err, step.terminal.color));
      throw err;
    } finally {
      building.done();
      pushing.done();
    }
  } else if (step.remote) {
    // Images built and pushed earlier (`spin build && spin push`) carry the names build gives them.
    const {planImages} = await import('../lib/build/plan.ts');
    const plan = await planImages({...step.loadOptions, registry: step.registry, project: step.projectName});
    for (const t of plan.targets) images[t.service] = t.image;
  }
  if (step.remote) {
    const {pinImages} = await import('../lib/client/ship.ts');
    const {renderDiagnostics} = await import('../lib/ui/diagnostics.ts');
    const pinned = await pinImages(prepared.project, images);
    if (pinned.warnings.length) process.stderr.write(renderDiagnostics(pinned.warnings, {color: step.terminal.color, cwd: process.cwd()}));
    images = pinned.images;
  }
  return withImages(prepared, images);
}
