import {join} from 'node:path';

import {Args} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';
import {projectFlag} from '../../cli/remote.ts';
import {connect} from '../../cli/connect.ts';

export default class SecretCreate extends SpinCommand {
  static override summary = 'Store a secret in the project, from a file or standard input; replaces one of the same name.';

  static override description = `The value is sent to the agent as is (bytes, not trimmed) and never printed. At most 512 KiB. A stack uses it as an external secret: \`secrets: {db_password: {external: true}}\` in the compose file.`;

  static override examples = [
    {description: 'From a file', command: '<%= config.bin %> <%= command.id %> tls-key ./server.key'},
    {description: 'From standard input, keeping it out of the shell history', command: 'printf %s "$DB_PASSWORD" | <%= config.bin %> <%= command.id %> db_password'},
    {description: 'Into another project', command: '<%= config.bin %> <%= command.id %> api-token - --project genomics < token.txt'},
  ];

  static override args = {
    name: Args.string({description: 'The secret name: letters, digits, ".", "_", "-".', required: true, ignoreStdin: true}),
    file: Args.string({description: 'Read the value from this file; `-` or nothing reads standard input.', ignoreStdin: true}),
  };

  static override flags = {...projectFlag};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SecretCreate);
    const {readSecretValue, validateSecretName} = await import('../../lib/client/secrets.ts');
    const name = validateSecretName(args.name);
    const value = await readSecretValue({file: args.file, stdin: process.stdin});
    const {client, project} = await connect(this.factory, flags, {startLocal: join(this.config.root, 'bin', 'run.js')});
    const p = project();
    const stored = await client.createSecret(p, name, value);
    this.err(`secret "${stored.name}" stored in project "${p}" (${value.length} bytes)`);
  }
}
