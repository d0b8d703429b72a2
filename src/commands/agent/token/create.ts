import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../../../cli/base.ts';
import {dataDirFlag} from '../../../cli/flags.ts';

export default class AgentTokenCreate extends SpinCommand {
  static override summary = 'Create another token for an existing user and print it once.';

  static override description = `The token is printed alone on stdout (or in the JSON with --json) and stored only as a hash.
The user's other tokens keep working: revoke a lost one with \`spin agent token revoke\`.`;

  static override examples = [
    {description: 'A new token for alice', command: '<%= config.bin %> <%= command.id %> alice'},
    {description: 'A token for a CI job, straight into a file', command: '<%= config.bin %> <%= command.id %> ci-portal > ci.token'},
    {description: 'As JSON, from another data directory', command: '<%= config.bin %> <%= command.id %> alice --data-dir /srv/spin --json'},
  ];

  static override args = {
    user: Args.string({description: 'The user the token authenticates.', required: true}),
  };

  static override flags = {
    ...dataDirFlag,
    json: Flags.boolean({description: 'Print the user, the token and its prefix as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AgentTokenCreate);
    const {withStore, localActor} = await import('../../../lib/agent/store.ts');
    const {tokenDisplayPrefix} = await import('../../../lib/agent/crypto.ts');
    const token = withStore(flags['data-dir'], (store) => {
      const created = store.createToken(args.user);
      store.audit({user: localActor(), action: 'token.create', target: args.user, outcome: 'ok', detail: `prefix ${tokenDisplayPrefix(created)}`});
      return created;
    });
    this.out(flags.json ? JSON.stringify({user: args.user, token, prefix: tokenDisplayPrefix(token)}, null, 2) : token);
    this.err(`created a token for "${args.user}" (${tokenDisplayPrefix(token)}…)`);
    this.err(`hint: the token is shown only this once; give it to ${args.user} for \`spin login URL --token TOKEN\``);
  }
}
