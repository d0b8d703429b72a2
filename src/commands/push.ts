import {SpinCommand} from '../cli/base.ts';
import {imageFlags, planFromFlags} from '../cli/images.ts';

export default class Push extends SpinCommand {
  static override summary = 'Push the built images of the compose project to the registry and print their digests.';

  static override description = `Pushes the images \`spin build\` made (same names: same --registry, --project and --tag), through
the Docker engine, which uploads only the layers the registry does not have yet. Prints
<name>@sha256:… per image on stdout; layer progress goes to stderr.
Credentials come from Docker's config.json ($DOCKER_CONFIG honoured, credential helpers too):
log in with \`spin registry login\` or \`docker login\`.
Exit status: 0 pushed, 1 failed, 2 usage error, 3 invalid compose file, 4 registry refused the
credentials, 6 registry or Docker engine unreachable.`;

  static override examples = [
    {description: 'Push every built service to the context\'s registry', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Push web to a given registry, for a script', command: '<%= config.bin %> <%= command.id %> web --registry registry.example.org --project genomics --json'},
    {description: 'Build and push a release tag', command: '<%= config.bin %> build --tag v3 && <%= config.bin %> <%= command.id %> --tag v3'},
  ];

  static override strict = false;

  static override flags = {...imageFlags};

  async run(): Promise<void> {
    const {flags, argv} = await this.parse(Push);
    const {pushImages} = await import('../lib/images/push.ts');
    const {planPush} = await import('../lib/images/plan.ts');
    const {getCredentials} = await import('../lib/images/credentials.ts');
    const {createPushRenderer} = await import('../lib/ui/build.ts');
    const stderr = this.stderrTerminal;
    const plan = await planFromFlags(this.factory, flags, argv as string[]);
    const docker = await this.factory.docker();
    const targets = planPush(plan);
    if (targets.length === 0) {
      this.err('nothing to push: no selected service has a build section');
      if (flags.json) this.out('[]');
      return;
    }
    const renderer = createPushRenderer(this.factory.stderr.stream, stderr);
    try {
      const pushed = await pushImages({docker, targets, credentials: (registry) => getCredentials(registry), onProgress: (e) => renderer.event(e)});
      renderer.done();
      if (flags.json) this.out(JSON.stringify(pushed.map((p) => ({service: p.service, image: p.image, digest: p.digest})), null, 2));
      else for (const p of pushed) this.out(p.pinned);
    } catch (err) {
      renderer.done();
      throw err;
    }
  }
}
