import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';
import {projectFlag} from '../../cli/remote.ts';
import {connect} from '../../cli/connect.ts';
import {canPrompt} from '../../lib/ui/terminal.ts';

export default class SecretRm extends SpinCommand {
  static override summary = 'Delete a secret from the project.';

  static override description = `A secret that a stack of the project uses is kept: the agent names the stacks (exit 1). On a terminal
you are asked whether to remove it anyway; in scripts pass --force. Running containers keep the copy
they started with; the next deploy that needs the secret fails until it is created again.`;

  static override examples = [
    {description: 'Delete the secret "db_password"', command: '<%= config.bin %> <%= command.id %> db_password'},
    {description: 'In another project', command: '<%= config.bin %> <%= command.id %> api-token --project genomics'},
    {description: 'Even though a stack uses it, without a question (CI)', command: '<%= config.bin %> <%= command.id %> db_password --force'},
  ];

  static override args = {
    name: Args.string({description: 'The secret name, as `spin secret ls` shows it.', required: true, ignoreStdin: true}),
  };

  static override flags = {
    ...projectFlag,
    force: Flags.boolean({description: 'Remove it even when a stack uses it.'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SecretRm);
    const {validateSecretName} = await import('../../lib/client/secrets.ts');
    const name = validateSecretName(args.name);
    const {client, project} = await connect(this.factory, flags);
    const p = project();
    try {
      await client.removeSecret(p, name, flags.force);
    } catch (err) {
      if ((err as {remoteCode?: string}).remoteCode !== 'secret.in_use' || !canPrompt()) throw err;
      const {confirmDestructive} = await import('../../lib/ui/confirm.ts');
      await confirmDestructive({
        question: `${(err as Error).message}. Remove it anyway?`,
        subject: `secret "${name}"`,
        yes: false,
        interactive: true,
        command: `spin secret rm ${name} --project ${p} --force`,
        input: process.stdin,
        output: process.stderr,
      });
      await client.removeSecret(p, name, true);
    }
    this.err(`secret "${name}" removed from project "${p}"`);
  }
}
