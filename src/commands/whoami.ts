import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {connect} from '../cli/connect.ts';
import {palette} from '../lib/ui/terminal.ts';

export default class Whoami extends SpinCommand {
  static override summary = 'Show who the agent says you are, your projects and the context in use.';

  static override description = `Asks the agent who the token belongs to. The token itself is never printed. Uses the current context, or SPIN_CONTEXT, or SPIN_URL and SPIN_TOKEN when they are set.`;

  static override examples = [
    {description: 'Your user, numeric ids, projects and context', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Your projects, one per line', command: '<%= config.bin %> <%= command.id %> --json | jq -r ".projects[]"'},
    {description: 'Check another stored context', command: 'SPIN_CONTEXT=prod <%= config.bin %> <%= command.id %>'},
  ];

  static override flags = {
    json: Flags.boolean({description: 'Print the result as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Whoami);
    const {ctx, client} = await connect(this.factory, {});
    const {whoami} = await import('../lib/client/contexts.ts');
    const me = await whoami(ctx, client);
    if (flags.json) return this.out(JSON.stringify(me, null, 2));
    const lines: [string, string][] = [
      ['user', `${me.user}${me.admin ? ' (admin)' : ''}`],
      ['uid:gid', `${me.uid}:${me.gid}`],
      ['projects', me.projects.join(', ') || '(none)'],
      ['project', me.project ?? '(none)'],
      ['context', me.context],
      ['url', me.url],
    ];
    const c = palette(this.stdoutTerminal.color);
    this.out(lines.map(([k, v]) => `${c.bold(`${k}:`.padEnd(10))}${v}`).join('\n'));
  }
}
