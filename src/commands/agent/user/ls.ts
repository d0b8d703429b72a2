import {Flags} from '@oclif/core';

import {SpinCommand} from '../../../cli/base.ts';
import {dataDirFlag} from '../../../cli/flags.ts';

export default class AgentUserLs extends SpinCommand {
  static override summary = 'List the platform users, their ids and projects.';

  static override description = "Reads the agent's state directory on this host; works while `spin agent start` runs.";

  static override examples = [
    {description: 'The users of the agent on this host', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Names of the admins, with jq', command: `<%= config.bin %> <%= command.id %> --json | jq -r '.users[] | select(.admin).name'`},
    {description: 'Users of an agent with another data directory', command: '<%= config.bin %> <%= command.id %> --data-dir /srv/spin'},
  ];

  static override flags = {
    ...dataDirFlag,
    json: Flags.boolean({description: 'Print the users as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(AgentUserLs);
    const {withStore} = await import('../../../lib/agent/store.ts');
    const users = withStore(flags['data-dir'], (store) => store.users());
    if (flags.json) return this.out(JSON.stringify({users}, null, 2));
    if (users.length === 0) return this.err('no users yet\nhint: create one with `spin agent user add NAME --uid U --gid G --project P`');
    const {renderTable, formatTime} = await import('../../../lib/ui/table.ts');
    const tty = this.stdoutTerminal.tty;
    const rows = users.map((u) => [u.name, String(u.uid), String(u.gid), u.admin ? 'yes' : 'no', u.projects.join(',') || '-', formatTime(u.createdAt, tty)]);
    this.out(renderTable(['NAME', 'UID', 'GID', 'ADMIN', 'PROJECTS', 'CREATED'], rows, {color: this.stdoutTerminal.color}));
  }
}
