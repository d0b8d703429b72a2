import {Flags} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';
import {projectFlag} from '../../cli/remote.ts';
import {connect} from '../../cli/connect.ts';

export default class VolumeLs extends SpinCommand {
  static override summary = "List the project's volumes and the stacks that use them.";

  static override description = `Volumes hold data that outlives containers. They are created by deploys and removed with \`spin volume rm\` or \`spin rm --volumes\`.`;

  static override examples = [
    {description: 'The volumes of your default project', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Volumes no stack uses any more', command: '<%= config.bin %> <%= command.id %> --json | jq -r ".volumes[] | select(.stacks == []) | .name"'},
  ];

  static override flags = {
    ...projectFlag,
    json: Flags.boolean({description: 'Print the volumes as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(VolumeLs);
    const {client, project} = await connect(this.factory, flags);
    const p = project();
    const {volumes} = await client.volumes(p);
    if (flags.json) return this.out(JSON.stringify({project: p, volumes}, null, 2));
    if (volumes.length === 0) {
      this.err(`no volumes in project "${p}"`);
      return;
    }
    const {renderVolumes} = await import('../../lib/ui/status.ts');
    this.out(renderVolumes(volumes, this.stdoutTerminal));
  }
}
