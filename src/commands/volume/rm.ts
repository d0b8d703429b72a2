import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';
import {projectFlag} from '../../cli/remote.ts';
import {connect} from '../../cli/connect.ts';
import {canPrompt} from '../../lib/ui/terminal.ts';

export default class VolumeRm extends SpinCommand {
  static override summary = 'Delete a volume and the data in it.';

  static override description = `Asks for confirmation on a terminal; in scripts and CI pass --yes. A volume that a container still uses is refused: stop or remove that stack first.`;

  static override examples = [
    {description: 'Delete the volume "portal_db-data", after a question', command: '<%= config.bin %> <%= command.id %> portal_db-data'},
    {description: 'Without a question (CI)', command: '<%= config.bin %> <%= command.id %> scratch_cache --yes'},
  ];

  static override args = {
    name: Args.string({description: 'The volume name, as `spin volume ls` shows it.', required: true, ignoreStdin: true}),
  };

  static override flags = {
    ...projectFlag,
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation (required when not on a terminal).'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(VolumeRm);
    const {client, project} = await connect(this.factory, flags);
    const p = project();
    const {confirmDestructive} = await import('../../lib/ui/confirm.ts');
    await confirmDestructive({
      question: `Remove volume ${args.name} in project ${p} and the data in it?`,
      subject: `volume "${args.name}" in project "${p}"`,
      yes: flags.yes,
      interactive: canPrompt(),
      command: `spin volume rm ${args.name} --project ${p}`,
      input: process.stdin,
      output: process.stderr,
    });
    await client.removeVolume(p, args.name);
    this.err(`volume "${args.name}" removed from project "${p}"`);
  }
}
