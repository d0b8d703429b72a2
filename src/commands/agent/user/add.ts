import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../../../cli/base.ts';
import {dataDirFlag} from '../../../cli/flags.ts';

export default class AgentUserAdd extends SpinCommand {
  static override summary = 'Create a platform user and print their first token.';

  static override description = `Writes to the agent's state directory on this host; works while \`spin agent start\` runs.
The token is printed once, alone on stdout (or in the JSON with --json), and stored only as a
hash: hand it to the user for \`spin login URL --token TOKEN\`. The uid and gid are the user's
numeric identity on the HPC system: services that mount a global file system run as them.
Exit status: 0 created, 3 invalid input or the user exists, 2 usage error.`;

  static override examples = [
    {description: 'A user in one project', command: '<%= config.bin %> <%= command.id %> alice --uid 41234 --gid 41234 --project genomics'},
    {description: 'A member of two projects, token saved to a file', command: '<%= config.bin %> <%= command.id %> bob --uid 50001 --gid 7000 -p genomics -p portal > bob.token'},
    {description: 'An administrator, against another data directory, as JSON', command: '<%= config.bin %> <%= command.id %> ops --uid 900 --gid 900 --admin --data-dir /srv/spin --json'},
  ];

  static override args = {
    name: Args.string({description: 'User name: lowercase letters, digits, ".", "_", "-" (the login name is a good choice).', required: true}),
  };

  static override flags = {
    uid: Flags.integer({description: "The user's numeric uid on the HPC system (not 0).", required: true, min: 0, helpValue: 'UID'}),
    gid: Flags.integer({description: "The user's numeric primary gid on the HPC system.", required: true, min: 0, helpValue: 'GID'}),
    project: Flags.string({char: 'p', description: 'A project the user may deploy to (a DNS label); repeatable.', multiple: true, helpValue: 'NAME'}),
    admin: Flags.boolean({description: 'May act on every project and on admin-only routes.'}),
    ...dataDirFlag,
    json: Flags.boolean({description: 'Print the user and the token as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AgentUserAdd);
    const {withStore, localActor} = await import('../../../lib/agent/store.ts');
    const {user, token} = withStore(flags['data-dir'], (store) => {
      const created = store.addUser({name: args.name, uid: flags.uid, gid: flags.gid, projects: flags.project ?? [], admin: flags.admin});
      store.audit({user: localActor(), action: 'user.add', target: args.name, outcome: 'ok', detail: `projects: ${created.user.projects.join(', ') || '-'}${created.user.admin ? '; admin' : ''}`});
      return created;
    });
    this.out(flags.json ? JSON.stringify({...user, token}, null, 2) : token);
    const projects = user.projects.length > 0 ? `project${user.projects.length === 1 ? '' : 's'} ${user.projects.join(', ')}` : 'no projects';
    this.err(`created user "${user.name}" (uid ${user.uid}, gid ${user.gid}, ${projects}${user.admin ? ', admin' : ''})`);
    this.err(`hint: the token is shown only this once; give it to ${user.name} for \`spin login URL --token TOKEN\``);
  }
}
