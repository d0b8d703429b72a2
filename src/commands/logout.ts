import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';

export default class Logout extends SpinCommand {
  static override summary = 'Forget the token of the current context (or of --context NAME); keep the context.';

  static override description = `Removes only the token from your config file (mode 0600). The context stays, with its agent URL,
default project and registry, and stays current: commands then say you are logged out, and
\`spin login URL --context NAME\` with a new token fills it in again. Nothing else is lost: to delete
the context itself, use \`spin context rm NAME\`.
A token is shown only once, when it is made: after logout it cannot be read back from this machine.
It stays valid on the agent until revoked (\`spin agent token revoke\` on the platform host);
get a new one from \`spin agent token create\`.`;

  static override examples = [
    {description: 'Log out of the current context', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Forget the token of the "staging" context', command: '<%= config.bin %> <%= command.id %> --context staging'},
    {description: 'Log in to it again later', command: '<%= config.bin %> login https://spin.example.org --context staging --token-stdin < token.txt'},
  ];

  static override flags = {
    context: Flags.string({description: 'The context to log out of. Default: SPIN_CONTEXT, else the current one.', helpValue: 'NAME'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Logout);
    const {logout} = await import('../lib/client/contexts.ts');
    const result = await logout(flags.context);
    if (!result.hadToken) {
      this.err(`context "${result.context}" (${result.url}) was already logged out`);
      return;
    }
    this.err(`logged out of ${result.url}: the token of context "${result.context}" is forgotten; the context is kept`);
    this.err(`hint: log in again with \`spin login ${result.url} --context ${result.context} --token-stdin < token.txt\`; \`spin context rm ${result.context}\` deletes the context`);
  }
}
