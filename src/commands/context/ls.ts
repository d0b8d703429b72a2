import {Flags} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';

export default class ContextLs extends SpinCommand {
  static override summary = 'List the stored contexts; the current one is marked with *.';

  static override description = `A context is an agent URL, a token and a default project, stored by \`spin login\`. Tokens are never printed. SPIN_CONTEXT, or SPIN_URL with SPIN_TOKEN, override the current context.`;

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
    const list = await listContexts();
    if (flags.json) return this.out(JSON.stringify({current: list.current ?? null, contexts: list.contexts}, null, 2));
    if (list.overriddenBy === 'SPIN_URL') this.err('note: SPIN_URL and SPIN_TOKEN are set, so commands use them instead of any context below');
    else if (list.overriddenBy === 'SPIN_CONTEXT') this.err(`note: SPIN_CONTEXT selects "${list.current}" instead of the file's current context`);
    if (list.contexts.length === 0) {
      this.err(`no contexts in ${list.configFile}; log in with \`spin login URL --token TOKEN\``);
      return;
    }
    const {renderContexts} = await import('../../lib/ui/status.ts');
    this.out(renderContexts(list.contexts, this.stdoutTerminal));
  }
}
