import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {connect, stackFlags, stackName} from '../cli/remote.ts';

export default class Scale extends SpinCommand {
  static override summary = 'Change the number of replicas of one or more services and wait until they are healthy.';

  static override description = `Records a new revision from the current one with only the replica counts changed, then rolls it out. Progress goes to stderr, one line per event. Counts go from 0 (stop the service, keep it in the stack) to 100.

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
    json: Flags.boolean({description: 'Print the result (revision, outcome, plan, status) as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Scale);
    const {parseReplicas} = await import('../lib/client/scale.ts');
    const replicas = parseReplicas(args.replicas);
    const {client, project} = await connect(flags);
    const stack = await stackName(flags);
    const p = project();
    const {formatEvent} = await import('../lib/ui/status.ts');
    const {color} = this.stderrTerminal;
    const result = await client.scale(p, stack, replicas, (e) => this.err(formatEvent(e, {color})));
    if (flags.json) this.out(JSON.stringify(result, null, 2));
    const counts = Object.entries(replicas).map(([s, n]) => `${s}=${n}`).join(' ');
    const {renderFailureLogsHeaded} = await import('../lib/ui/deploy.ts');
    this.err(renderFailureLogsHeaded(result));
    const {outcomeError} = await import('../lib/client/outcome.ts');
    const failure = outcomeError(result, `scaling stack "${stack}" to ${counts}`);
    if (failure) throw failure;
    this.err(`scaled stack "${stack}" of project "${p}" to ${counts}: ${result.outcome}${result.revision ? ` (revision ${result.revision})` : ''}`);
  }
}
