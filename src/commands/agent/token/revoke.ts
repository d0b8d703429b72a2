import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../../../cli/base.ts';
import {dataDirFlag} from '../../../cli/flags.ts';
import {InvalidInputError} from '../../../lib/errors.ts';

export default class AgentTokenRevoke extends SpinCommand {
  static override summary = 'Revoke a token, named by its ID or PREFIX from `spin agent token ls`.';

  static override description = `A revoked token is refused from the next request on, also by a running agent.
The whole token works too. Exit status: 0 revoked, 3 no active token matches, 2 usage error.`;

  static override examples = [
    {description: 'Revoke by the ID column of `spin agent token ls`', command: '<%= config.bin %> <%= command.id %> 7'},
    {description: 'Revoke by the PREFIX column', command: '<%= config.bin %> <%= command.id %> spin_Xq3vB0aZ'},
    {description: 'Revoke in another data directory, as JSON', command: '<%= config.bin %> <%= command.id %> 7 --data-dir /srv/spin --json'},
  ];

  static override args = {
    token: Args.string({description: 'The token ID, its prefix (as listed), or the whole token.', required: true}),
  };

  static override flags = {
    ...dataDirFlag,
    json: Flags.boolean({description: 'Print {"revoked": N} on stdout.'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AgentTokenRevoke);
    const {withStore, localActor} = await import('../../../lib/agent/store.ts');
    // Never write a whole token into the audit log.
    const target = args.token.length > 20 ? `${args.token.slice(0, 13)}…` : args.token;
    const revoked = withStore(flags['data-dir'], (store) => {
      const n = store.revokeToken(args.token);
      if (n > 0) store.audit({user: localActor(), action: 'token.revoke', target, outcome: 'ok', detail: `${n} revoked`});
      return n;
    });
    if (revoked === 0) {
      throw new InvalidInputError(`no active token matches "${target}"`, {hint: 'list tokens with `spin agent token ls` and pass the ID or the whole PREFIX'});
    }
    if (flags.json) this.out(JSON.stringify({revoked}));
    this.err(`revoked ${revoked} token${revoked === 1 ? '' : 's'}`);
  }
}
