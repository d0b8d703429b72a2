import {Flags} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';
import {projectFlag} from '../../cli/remote.ts';
import {connect} from '../../cli/connect.ts';

export default class VolumeLs extends SpinCommand {
  static override summary = "List the project's volumes and the stacks that use them.";

  static override description = `Volumes hold data that outlives containers. They are created by deploys and removed with \`spin volume rm\` or \`spin rm --volumes\`.

On a Swarm cluster each node keeps its own volumes: the list shows the node of each, read from every node the agent has an engine for, and names the nodes it could not read.`;

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
    const {volumes, unlisted} = await client.volumes(p);
    if (flags.json) return this.out(JSON.stringify({project: p, volumes, ...(unlisted ? {unlisted} : {})}, null, 2));
    // On a cluster, nodes the agent cannot read: said first, so an empty or short list is not taken for all.
    for (const u of unlisted ?? []) this.err(`warning: volumes of node ${u.node} are not listed: ${u.reason}`);
    if (volumes.length === 0) {
      this.err(`no volumes in project "${p}"${unlisted?.length ? ' on the nodes the agent reaches' : ''}`);
      return;
    }
    const {renderVolumes} = await import('../../lib/ui/status.ts');
    this.out(renderVolumes(volumes, this.stdoutTerminal));
  }
}
