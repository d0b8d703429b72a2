import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';

export default class Logout extends SpinCommand {
  static override summary = 'Forget the token of the current context (or of --context NAME).';

  static override description = `Removes the context, with its token, from your config file; the file stays readable by you only (mode 0600). If it was the current context, no context is current afterwards: log in again or pick another with \`spin context use\`. The token stays valid on the agent until an admin revokes it.`;

  static override examples = [
    {description: 'Log out of the current context', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Forget the "staging" context', command: '<%= config.bin %> <%= command.id %> --context staging'},
  ];

  static override flags = {
    context: Flags.string({description: 'The context to log out of. Default: SPIN_CONTEXT, else the current one.', helpValue: 'NAME'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Logout);
    const {logout} = await import('../lib/client/contexts.ts');
    const result = await logout(flags.context);
    this.err(`logged out of ${result.url}: context "${result.context}" removed${result.wasCurrent ? '; no context is current now' : ''}`);
  }
}
