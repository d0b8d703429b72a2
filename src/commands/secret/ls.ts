import {Flags} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';
import {projectFlag} from '../../cli/remote.ts';
import {connect} from '../../cli/connect.ts';

export default class SecretLs extends SpinCommand {
  static override summary = "List the project's secrets: names, sizes and dates, never values.";

  static override description = `Values cannot be read back through the API: a running service sees them as files under /run/secrets. SIZE is in bytes when piped.`;

  static override examples = [
    {description: 'The secrets of your default project', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Names only, for a script', command: '<%= config.bin %> <%= command.id %> --project genomics --json | jq -r ".secrets[].name"'},
  ];

  static override flags = {
    ...projectFlag,
    json: Flags.boolean({description: 'Print the secrets as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(SecretLs);
    const {client, project} = await connect(this.factory, flags);
    const p = project();
    const {secrets} = await client.secrets(p);
    if (flags.json) return this.out(JSON.stringify({project: p, secrets}, null, 2));
    if (secrets.length === 0) {
      this.err(`no secrets in project "${p}"; add one with \`spin secret create NAME FILE\``);
      return;
    }
    const {renderSecrets} = await import('../../lib/ui/status.ts');
    this.out(renderSecrets(secrets, this.stdoutTerminal));
  }
}
