import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {projectFlag} from '../cli/remote.ts';
import {connect} from '../cli/connect.ts';

export default class Stacks extends SpinCommand {
  static override summary = 'List the stacks of a project: running/desired containers, revision, last update.';

  static override description = `SERVICES counts containers: running / desired over every service of the stack. REVISION is the revision that runs now. On a terminal times are relative; piped, they are ISO 8601.`;

  static override examples = [
    {description: 'The stacks of your default project', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Another project', command: '<%= config.bin %> <%= command.id %> --project genomics'},
    {description: 'Stacks with fewer containers running than desired', command: '<%= config.bin %> <%= command.id %> --json | jq -r ".stacks[] | select(.running < .desired) | .name"'},
  ];

  static override flags = {
    ...projectFlag,
    json: Flags.boolean({description: 'Print the stacks as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Stacks);
    const {client, project} = await connect(this.factory, flags);
    const p = project();
    const {stacks} = await client.stacks(p);
    if (flags.json) return this.out(JSON.stringify({project: p, stacks}, null, 2));
    if (stacks.length === 0) {
      this.err(`no stacks in project "${p}"; deploy one with \`spin deploy\``);
      return;
    }
    const {renderStacks} = await import('../lib/ui/status.ts');
    this.out(renderStacks(stacks, this.stdoutTerminal));
  }
}
