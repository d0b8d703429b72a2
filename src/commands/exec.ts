import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {stackFlags} from '../cli/remote.ts';
import {connect, stackName} from '../cli/connect.ts';
import {UsageError} from '../lib/errors.ts';

export default class Exec extends SpinCommand {
  static override summary = 'Run a command in a running replica of a service.';

  static override description = `Like \`docker compose exec\`, against the platform. The exit status is the remote command's.

Everything after SERVICE is the command, its flags included (\`spin exec db ls -l\`). Put spin's own options before SERVICE, or between SERVICE and a \`--\` that starts the command. A command that takes --help needs the \`--\`: \`spin exec web -- ls --help\`.

With -t you get a real terminal (raw mode, window resize, Ctrl-C reaches the remote process); without it, -i pipes your standard input to the command.`;

  static override usage = '<%= command.id %> [OPTIONS] SERVICE COMMAND [ARG...]';

  static override examples = [
    {description: 'A shell in the first replica of web', command: '<%= config.bin %> <%= command.id %> -it web sh'},
    {description: 'A command with its own flags, as with docker compose exec', command: '<%= config.bin %> <%= command.id %> db ls -l /var/lib'},
    {description: 'A one-off command in replica 2', command: '<%= config.bin %> <%= command.id %> web --index 2 -- ls /data'},
    {description: 'Pipe a file into a command', command: '<%= config.bin %> <%= command.id %> db -i -- sh -c "cat > /tmp/dump.sql" < dump.sql'},
  ];

  static override args = {
    service: Args.string({description: 'The service to run the command in.', required: true, ignoreStdin: true}),
  };

  static override flags = {
    ...stackFlags,
    index: Flags.integer({description: 'Replica number (1-based).', default: 1, min: 1}),
    interactive: Flags.boolean({char: 'i', description: 'Send standard input to the command.'}),
    tty: Flags.boolean({char: 't', description: 'Allocate a terminal.'}),
    user: Flags.string({char: 'u', description: 'Run as this user (name or UID[:GID]).', helpValue: 'USER'}),
    workdir: Flags.string({char: 'w', description: 'Working directory inside the container.', helpValue: 'DIR'}),
  };

  async run(): Promise<void> {
    const {splitExecArgv} = await import('../lib/client/exec-args.ts');
    const known = Object.entries({...SpinCommand.baseFlags, ...Exec.flags});
    const arity = {
      long: new Map(known.map(([name, f]) => [name, f.type === 'option'])),
      short: new Map(known.filter(([, f]) => f.char).map(([, f]) => [f.char as string, f.type === 'option'])),
    };
    const line = splitExecArgv(this.argv, arity);
    const {args, flags} = await this.parse(Exec, line.service === undefined ? line.options : [...line.options, line.service]);
    const cmd = line.command;
    if (cmd.length === 0) throw new UsageError('no command given', {hint: `put the command after the service name, e.g. \`spin exec ${args.service} sh\``});
    if (flags.tty && !process.stdin.isTTY) this.err('warning: -t given but standard input is not a terminal; running without one');
    const tty = flags.tty && Boolean(process.stdin.isTTY);
    const {runExec} = await import('../lib/client/exec.ts');
    const {client, project} = await connect(this.factory, flags);
    try {
      const code = await runExec(
        client,
        {project: project(), stack: await stackName(this.factory, flags), service: args.service, index: flags.index, cmd, tty, interactive: flags.interactive || tty, user: flags.user, workdir: flags.workdir},
        {stdin: process.stdin, stdout: process.stdout, stderr: process.stderr},
      );
      this.factory.setExitCode(code);
    } finally {
      client.close();
    }
  }
}
