import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {stackFlags} from '../cli/remote.ts';
import {connect, stackName} from '../cli/connect.ts';
import {runStackChange} from '../cli/stack-change.ts';

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
    json: Flags.boolean({description: 'Print NDJSON events and a final result object (revision, outcome, plan, status) on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Rollback);
    const {client, project} = await connect(this.factory, flags);
    const stack = await stackName(this.factory, flags);
    await runStackChange(this.factory, {client, project: project(), stack, change: {kind: 'rollback', to: flags.to}}, {json: flags.json, operation: (s) => `rolling back stack "${s}"`});
  }
}
