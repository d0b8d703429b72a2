import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {stackFlags} from '../cli/remote.ts';
import {connect, stackName} from '../cli/connect.ts';
import {runStackChange} from '../cli/stack-change.ts';

export default class Scale extends SpinCommand {
  static override summary = 'Change the number of replicas of one or more services and wait until they are healthy.';

  static override description = `Records a new revision from the current one with only the replica counts changed, then rolls it out. Progress goes to stderr, the result table to stdout. Counts go from 0 (stop the service, keep it in the stack) to 100.

Exit status: 0 healthy, 1 failed (the reason and the container's last log lines are printed), 5 timed out, 2 usage error.`;

  static override examples = [
    {description: 'Run three web replicas', command: '<%= config.bin %> <%= command.id %> web=3'},
    {description: 'Two services of stack "portal" at once', command: '<%= config.bin %> <%= command.id %> web=2 worker=4 --stack portal'},
    {description: 'Park the worker and keep the result for a script', command: '<%= config.bin %> <%= command.id %> worker=0 --json > result.json'},
  ];

  static override args = {
    replicas: Args.string({description: 'SERVICE=N; several may be given.', required: true, multiple: true, ignoreStdin: true}),
  };

  static override flags = {
    ...stackFlags,
    json: Flags.boolean({description: 'Print NDJSON events and a final result object (revision, outcome, plan, status) on stdout.'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Scale);
    const {parseReplicas} = await import('../lib/client/scale.ts');
    const replicas = parseReplicas(args.replicas);
    const {client, project} = await connect(this.factory, flags);
    const stack = await stackName(this.factory, flags);
    const counts = Object.entries(replicas).map(([s, n]) => `${s}=${n}`).join(' ');
    await runStackChange(this.factory, {client, project: project(), stack, change: {kind: 'scale', replicas}}, {json: flags.json, operation: (s) => `scaling stack "${s}" to ${counts}`});
  }
}
