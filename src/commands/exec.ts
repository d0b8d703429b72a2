import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {connect, stackFlags, stackName} from '../cli/remote.ts';
import {UsageError} from '../lib/errors.ts';

export default class Exec extends SpinCommand {
  static override summary = 'Run a command in a running replica of a service.';

  static override description = `Like \`docker exec\`, against the platform. The exit status is the remote command's.
With -t you get a real terminal (raw mode, window resize, Ctrl-C reaches the remote process);
without it, -i pipes your standard input to the command.`;

  static override examples = [
    {description: 'A shell in the first replica of web', command: '<%= config.bin %> <%= command.id %> web -it -- sh'},
    {description: 'A one-off command in replica 2', command: '<%= config.bin %> <%= command.id %> web --index 2 -- ls /data'},
    {description: 'Pipe a file into a command', command: '<%= config.bin %> <%= command.id %> db -i -- sh -c "cat > /tmp/dump.sql" < dump.sql'},
  ];

  static override strict = false;

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
    const {args, flags, argv} = await this.parse(Exec);
    const cmd = (argv as string[]).slice(1);
    if (cmd.length === 0) throw new UsageError('no command given', {hint: `put the command after --, e.g. \`spin exec ${args.service} -- sh\``});
    if (flags.tty && !process.stdin.isTTY) this.err('warning: -t given but standard input is not a terminal; running without one');
    const tty = flags.tty && Boolean(process.stdin.isTTY);
    const {runExec} = await import('../lib/client/exec.ts');
    const {client, project} = await connect(flags);
    try {
      const code = await runExec(
        client,
        {project: project(), stack: await stackName(flags), service: args.service, index: flags.index, cmd, tty, interactive: flags.interactive || tty, user: flags.user, workdir: flags.workdir},
        {stdin: process.stdin, stdout: process.stdout, stderr: process.stderr},
      );
      process.exitCode = code;
    } finally {
      client.close();
    }
  }
}
