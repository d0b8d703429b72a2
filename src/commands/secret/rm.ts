import {Args} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';
import {connect, projectFlag} from '../../cli/remote.ts';

export default class SecretRm extends SpinCommand {
  static override summary = 'Delete a secret from the project.';

  static override description = `Running containers keep the copy they started with; the next deploy that needs the secret fails until it is created again.`;

  static override examples = [
    {description: 'Delete the secret "db_password"', command: '<%= config.bin %> <%= command.id %> db_password'},
    {description: 'In another project', command: '<%= config.bin %> <%= command.id %> api-token --project genomics'},
  ];

  static override args = {
    name: Args.string({description: 'The secret name, as `spin secret ls` shows it.', required: true, ignoreStdin: true}),
  };

  static override flags = {...projectFlag};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SecretRm);
    const {validateSecretName} = await import('../../lib/client/secrets.ts');
    const name = validateSecretName(args.name);
    const {client, project} = await connect(flags);
    const p = project();
    await client.removeSecret(p, name);
    this.err(`secret "${name}" removed from project "${p}"`);
  }
}
