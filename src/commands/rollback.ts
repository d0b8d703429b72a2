import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {connect, stackFlags, stackName} from '../cli/remote.ts';

export default class Rollback extends SpinCommand {
  static override summary = 'Put the whole stack back on an earlier revision: its config, replicas and exact image digests.';

  static override description = `Records a new revision that runs a recorded one again. Images are the digests that revision ran,
so a tag moved since then changes nothing. Without --to, goes back to the last healthy revision
before the current one. See the revisions with \`spin history\`.
Exit status: 0 healthy, 1 failed, 5 timed out, 2 usage error.`;

  static override examples = [
    {description: 'Undo the last deploy', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Back to revision 3 of stack portal', command: '<%= config.bin %> <%= command.id %> --to 3 --stack portal'},
  ];

  static override flags = {
    ...stackFlags,
    to: Flags.integer({description: 'The revision to return to (see `spin history`).', min: 1, helpValue: 'N'}),
    json: Flags.boolean({description: 'Print the result (revision, outcome, plan, status) as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Rollback);
    const {client, project} = await connect(flags);
    const stack = await stackName(flags);
    const p = project();
    const {formatEvent} = await import('../lib/ui/status.ts');
    const {color} = this.stderrTerminal;
    try {
      const result = await client.rollback(p, stack, {to: flags.to}, (e) => this.err(formatEvent(e, {color})));
      if (flags.json) this.out(JSON.stringify(result, null, 2));
      const {renderFailureLogs} = await import('../lib/ui/deploy.ts');
      this.err(renderFailureLogs(result));
      const {outcomeError} = await import('../lib/client/outcome.ts');
      const failure = outcomeError(result, `rolling back stack "${stack}"`);
      if (failure) throw failure;
      this.err(`stack "${stack}" of project "${p}" rolled back: revision ${result.revision} ${result.outcome}`);
    } finally {
      client.close();
    }
  }
}
