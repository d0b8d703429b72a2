import {Flags} from '@oclif/core';

import {SpinCommand} from '../../../cli/base.ts';
import {dataDirFlag} from '../../../cli/flags.ts';
import {InvalidInputError} from '../../../lib/errors.ts';

export default class AgentTokenLs extends SpinCommand {
  static override summary = "List tokens by ID and prefix (never the tokens themselves), with their user and use.";

  static override description = 'Only hashes of tokens are stored: a lost token cannot be shown again, create a new one.';

  static override examples = [
    {description: 'Every token of the agent on this host', command: '<%= config.bin %> <%= command.id %>'},
    {description: "One user's tokens", command: '<%= config.bin %> <%= command.id %> --user alice'},
    {description: 'Tokens never used, with jq', command: `<%= config.bin %> <%= command.id %> --json | jq '.tokens[] | select(.lastUsedAt|not)'`},
  ];

  static override flags = {
    user: Flags.string({char: 'u', description: "Only this user's tokens.", helpValue: 'NAME'}),
    ...dataDirFlag,
    json: Flags.boolean({description: 'Print the tokens as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(AgentTokenLs);
    const {withStore} = await import('../../../lib/agent/store.ts');
    const tokens = withStore(flags['data-dir'], (store) => {
      if (flags.user !== undefined && !store.user(flags.user)) {
        throw new InvalidInputError(`user "${flags.user}" does not exist`, {hint: 'list users with `spin agent user ls`'});
      }
      return store.tokens(flags.user);
    });
    if (flags.json) return this.out(JSON.stringify({tokens}, null, 2));
    if (tokens.length === 0) return this.err('no tokens\nhint: create one with `spin agent token create USER`');
    const {renderTable, formatTime} = await import('../../../lib/ui/table.ts');
    const tty = this.stdoutTerminal.tty;
    const rows = tokens.map((t) => [String(t.id), t.user, t.prefix, formatTime(t.createdAt, tty), formatTime(t.lastUsedAt, tty), formatTime(t.revokedAt, tty)]);
    this.out(renderTable(['ID', 'USER', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'], rows, {color: this.stdoutTerminal.color}));
  }
}
