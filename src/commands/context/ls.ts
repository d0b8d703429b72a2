import {Flags} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';

export default class ContextLs extends SpinCommand {
  static override summary = 'List the stored contexts; the current one is marked with *.';

  static override description = `A context is an agent URL, a token and a default project, stored by \`spin login\`. Tokens are never printed. SPIN_CONTEXT, or SPIN_URL with SPIN_TOKEN, override the current context.
"local" is always listed: the agent \`spin up\` runs on this machine (its URL shows while it runs). It is current when no other context is chosen. A context left by \`spin logout\` has "loggedOut": true in --json.`;

  static override examples = [
    {description: 'The stored contexts', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The name of the current context', command: '<%= config.bin %> <%= command.id %> --json | jq -r .current'},
  ];

  static override flags = {
    json: Flags.boolean({description: 'Print the contexts as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(ContextLs);
    const {listContexts} = await import('../../lib/client/contexts.ts');
    const list = await listContexts(this.factory.env);
    if (flags.json) return this.out(JSON.stringify({current: list.current ?? null, contexts: list.contexts}, null, 2));
    if (list.overriddenBy === 'SPIN_URL') this.err('note: SPIN_URL and SPIN_TOKEN are set, so commands use them instead of any context below');
    else if (list.overriddenBy === 'SPIN_CONTEXT') this.err(`note: SPIN_CONTEXT selects "${list.current}" instead of the file's current context`);
    const {renderContexts} = await import('../../lib/ui/status.ts');
    // The local agent has no URL until it runs; piped columns keep one token per cell.
    this.out(renderContexts(list.contexts.map((c) => (c.url ? c : {...c, url: '-'})), this.stdoutTerminal));
    for (const c of list.contexts.filter((x) => x.loggedOut)) {
      this.err(`note: context "${c.name}" is logged out; \`spin login ${c.url} --context ${c.name} --token-stdin\` logs in again`);
    }
  }
}
