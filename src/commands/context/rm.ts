import {Args} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';

export default class ContextRm extends SpinCommand {
  static override summary = 'Remove a stored context and its token.';

  static override description = `Deletes the context, with its token, from your config file. If it was current, no context is current afterwards (commands then use the local agent). The token cannot be shown again: keep a copy if you will need it, or use \`spin logout\`, which forgets only the token and keeps the context. The built-in "local" context cannot be removed.`;

  static override examples = [
    {description: 'Forget the "old-agent" context', command: '<%= config.bin %> <%= command.id %> old-agent'},
    {description: 'See what is stored first', command: '<%= config.bin %> context ls'},
  ];

  static override args = {
    name: Args.string({description: 'The context name, as `spin context ls` shows it.', required: true, ignoreStdin: true}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(ContextRm);
    const {removeContext} = await import('../../lib/client/contexts.ts');
    const result = await removeContext(args.name, this.factory.env);
    this.err(`context "${result.context}" (${result.url}) removed${result.wasCurrent ? '; no context is current now' : ''}`);
  }
}
