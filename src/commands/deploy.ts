import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {composeFlags} from '../cli/flags.ts';
import {loadOptionsFrom} from '../cli/options.ts';
import {projectFlag, timeoutFlag} from '../cli/remote.ts';
import {connect} from '../cli/connect.ts';
import {timeoutSeconds} from '../cli/options.ts';
import {runStackChange} from '../cli/stack-change.ts';

export default class Deploy extends SpinCommand {
  static override summary = 'Deploy the compose project as a stack on the platform and wait until it is healthy.';

  static override description = `Validates locally first (same loader and policy as the agent), then sends the resolved model to
the agent, which checks it again, records a revision and rolls it out. Progress, warnings and the
problems of a refused stack go to stderr; the result to stdout. Exit status: 0 healthy, 1 failed, 3 invalid or refused by the policy,
4 not logged in or not allowed, 5 timed out, 6 agent unreachable.`;

  static override examples = [
    {description: 'Deploy compose.yaml in this folder to the current context', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Show what would change, and change nothing', command: '<%= config.bin %> <%= command.id %> --dry-run'},
    {description: 'Build, push and deploy in one go (images pinned to their digests)', command: '<%= config.bin %> <%= command.id %> --build'},
    {description: 'From CI: no login, machine-readable events', command: 'SPIN_URL=https://spin.example.org SPIN_TOKEN=$TOKEN <%= config.bin %> <%= command.id %> --project genomics --json'},
    {description: 'Production overrides, a named stack, a longer wait', command: '<%= config.bin %> <%= command.id %> -f compose.yaml -f compose.prod.yaml --stack portal --timeout 10m'},
  ];

  static override flags = {
    ...composeFlags,
    ...projectFlag,
    stack: Flags.string({char: 's', description: 'Stack name. Default: the compose project name.', helpValue: 'NAME'}),
    'no-wait': Flags.boolean({description: 'Return once containers are started; do not wait for health.'}),
    ...timeoutFlag,
    build: Flags.boolean({description: 'Build and push the services that have `build:` first, then deploy exactly those images.'}),
    'dry-run': Flags.boolean({description: 'Print the plan (create/recreate/keep/scale/remove per service) and change nothing.'}),
    json: Flags.boolean({description: 'Print NDJSON events and a final result object on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Deploy);
    const timeout = await timeoutSeconds(flags.timeout);
    const {ctx, client, project} = await connect(this.factory, flags);
    const projectName = project();
    const {localContext} = await import('../lib/local/embedded.ts');
    // The embedded agent runs on this machine's engine: images stay local, named as `spin build` names them.
    const local = ctx.url === localContext(this.factory.env)?.url;
    const load = {...loadOptionsFrom(flags, this.factory), project: projectName, registry: ctx.registry, uid: ctx.uid, gid: ctx.gid};
    const change = {
      kind: 'deploy' as const,
      load,
      ship: {build: flags.build, push: !local, registry: ctx.registry, imageProject: local ? flags.project : projectName},
      dryRun: flags['dry-run'],
      wait: !flags['no-wait'],
      timeoutSeconds: timeout,
    };
    await runStackChange(this.factory, {client, project: projectName, stack: flags.stack, change}, {json: flags.json, dryRun: flags['dry-run'], operation: () => 'deploy'});
  }
}
