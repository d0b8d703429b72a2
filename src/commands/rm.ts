import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {stackFlags} from '../cli/remote.ts';
import {connect, stackName} from '../cli/connect.ts';
import {canPrompt} from '../lib/ui/terminal.ts';

export default class Rm extends SpinCommand {
  static override summary = "Remove a stack: its containers and networks, and with --volumes its volumes' data.";

  static override description = `Asks for confirmation on a terminal. In scripts and CI nobody can answer, so pass --yes. The stack's revision history stays on the agent. Secrets belong to the project and are kept.
\`spin down\` is the same command, for docker compose habits (\`spin down -v --yes\` also removes the volumes).`;

  static override aliases = ['down'];

  static override examples = [
    {description: 'Remove the stack named after the current folder, after a question', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Remove stack "scratch" and its volumes without a question (CI)', command: '<%= config.bin %> <%= command.id %> --stack scratch --volumes --yes'},
  ];

  static override flags = {
    ...stackFlags,
    volumes: Flags.boolean({char: 'v', description: "Also remove the stack's volumes and the data in them."}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask for confirmation (required when not on a terminal).'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Rm);
    const {client, project} = await connect(this.factory, flags);
    const stack = await stackName(this.factory, flags);
    const p = project();
    const {confirmDestructive} = await import('../lib/ui/confirm.ts');
    await confirmDestructive({
      question: `Remove stack ${stack} in project ${p}${flags.volumes ? ' and its volumes' : ''}?`,
      subject: `stack "${stack}" in project "${p}"`,
      yes: flags.yes,
      interactive: canPrompt(),
      command: `spin rm --stack ${stack} --project ${p}${flags.volumes ? ' --volumes' : ''}`,
      input: process.stdin,
      output: process.stderr,
    });
    const removed = await client.remove(p, stack, flags.volumes);
    const {renderRemoved} = await import('../lib/ui/status.ts');
    this.err(renderRemoved(p, stack, flags.volumes ? (removed.volumes ?? {removed: [], kept: []}) : undefined));
  }
}
