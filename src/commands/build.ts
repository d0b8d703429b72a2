import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {imageFlags, planFromFlags} from '../cli/images.ts';

export default class Build extends SpinCommand {
  static override summary = 'Build the images of the compose project through the Docker engine.';

  static override description = `Builds every service with a \`build:\` section (or only the SERVICEs given), at most two at once,
with the context sent as a tar that honours .dockerignore. An image is named
<registry>/<project>/<service>:<tag>, or exactly the service's \`image:\` when it sets one; the default
tag is a digest of what the image is built from, so the same content gets the same name in
build, push, deploy and up, and an unchanged service is neither rebuilt nor redeployed.
On a terminal each step prints one line ([web 2/5] RUN …); piped or with --progress plain the
whole build log. Built image names go to stdout, progress to stderr.
Exit status: 0 built, 1 a build failed (its step and output are shown), 2 usage error
(unknown service), 3 invalid compose file, 6 Docker engine unreachable.`;

  static override examples = [
    {description: 'Build every service of compose.yaml in this folder', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Build web only, from scratch, with a build argument', command: '<%= config.bin %> <%= command.id %> web --no-cache --build-arg VERSION=1.2'},
    {description: 'Name images for a registry with an explicit tag', command: '<%= config.bin %> <%= command.id %> --registry registry.example.org --project genomics --tag v3'},
    {description: 'The full build log, e.g. to debug a step', command: '<%= config.bin %> <%= command.id %> --progress plain'},
  ];

  static override strict = false;

  static override flags = {
    ...imageFlags,
    'no-cache': Flags.boolean({description: 'Do not use cached layers.'}),
    pull: Flags.boolean({description: 'Always try to pull newer versions of the base images.'}),
    'build-arg': Flags.string({description: 'Build argument NAME=VALUE (NAME alone takes it from the environment); repeatable, wins over the compose file.', multiple: true, helpValue: 'NAME=VALUE'}),
    progress: Flags.string({description: 'auto: one line per step on a terminal, the full log when piped; plain: always the full log.', options: ['auto', 'plain'], default: 'auto'}),
  };

  async run(): Promise<void> {
    const {flags, argv} = await this.parse(Build);
    const {buildImages, parseBuildArgs, BuildFailedError} = await import('../lib/images/build.ts');
    const {createBuildRenderer, renderBuildFailure} = await import('../lib/ui/build.ts');
    const stderr = this.stderrTerminal;
    const buildArgs = parseBuildArgs(flags['build-arg'] ?? [], this.factory.env);
    const plan = await planFromFlags(this.factory, flags, argv as string[], buildArgs);
    if (plan.targets.length === 0) {
      this.err('nothing to build: no selected service has a build section');
      if (flags.json) this.out('[]');
      return;
    }
    const renderer = createBuildRenderer(this.factory.stderr.stream, stderr, {plain: flags.progress === 'plain'});
    const condensed = stderr.tty && flags.progress !== 'plain';
    try {
      const {fileKeyCache, keyCachePath} = await import('../lib/images/key-cache.ts');
      const built = await buildImages({docker: await this.factory.docker(), targets: plan.targets, noCache: flags['no-cache'], pull: flags.pull, buildArgs, keyCache: fileKeyCache(keyCachePath(this.factory.env)), onProgress: (e) => renderer.event(e)});
      renderer.done();
      if (flags.json) this.out(JSON.stringify(built, null, 2));
      else for (const b of built) this.out(b.image);
    } catch (err) {
      renderer.done();
      if (err instanceof BuildFailedError && condensed) this.err(renderBuildFailure(err, stderr.color));
      throw err;
    }
  }
}
