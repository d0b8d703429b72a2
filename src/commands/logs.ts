import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {projectFlag} from '../cli/remote.ts';
import {connect, stackName} from '../cli/connect.ts';
import {composeFlags} from '../cli/flags.ts';
import {UsageError} from '../lib/errors.ts';

export default class Logs extends SpinCommand {
  static override summary = "Show the logs of a stack's services, all replicas multiplexed.";

  static override description = `Each line is prefixed with the replica it came from (\`web-1 | …\`), colored on a terminal.
--json prints one object per line (service, replica, stream, timestamp, line).`;

  static override examples = [
    {description: 'Follow every service', command: '<%= config.bin %> <%= command.id %> -f'},
    {description: 'The last 100 lines of web and api, with timestamps', command: '<%= config.bin %> <%= command.id %> web api --tail 100 --timestamps'},
    {description: 'Errors of the last hour, for a script', command: "<%= config.bin %> <%= command.id %> --since 1h --json | jq -r 'select(.stream == \"stderr\").line'"},
  ];

  static override strict = false;

  static override flags = {
    ...projectFlag,
    stack: Flags.string({char: 's', description: 'Stack name. Default: the compose project name.', helpValue: 'NAME'}),
    file: Flags.string({description: composeFlags.file.description, multiple: true, helpValue: 'FILE'}),
    follow: Flags.boolean({char: 'f', description: 'Keep streaming new lines until the containers stop or you press Ctrl-C.'}),
    since: Flags.string({description: 'Only lines newer than this: a duration (10m, 2h) or a time (2026-11-21T10:00:00Z).', helpValue: 'WHEN'}),
    tail: Flags.integer({description: 'Only the last N lines of each replica.', min: 0, helpValue: 'N'}),
    timestamps: Flags.boolean({char: 't', description: 'Show each line\'s timestamp.'}),
    json: Flags.boolean({description: 'Print one JSON object per line.'}),
  };

  async run(): Promise<void> {
    const {flags, argv} = await this.parse(Logs);
    const services = argv as string[];
    const since = flags.since === undefined ? undefined : await sinceSeconds(flags.since, this.factory.now());
    const {client, project} = await connect(this.factory, flags);
    const {createLogPrinter} = await import('../lib/ui/logs.ts');
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    const p = project();
    const stack = await stackName(this.factory, flags);
    try {
      // The stream names its replicas before the first line: prefixes keep one width and one color each.
      const printer = createLogPrinter(this.factory.stdout.stream, {color: this.stdoutTerminal.color, timestamps: flags.timestamps ?? false, json: flags.json ?? false});
      try {
        for await (const frame of client.logs(p, stack, {service: services, follow: flags.follow, since, tail: flags.tail, timestamps: true}, controller.signal)) printer.frame(frame);
      } finally {
        await printer.flush();
      }
    } finally {
      process.off('SIGINT', stop);
      client.close();
    }
  }
}

async function sinceSeconds(value: string, now: Date): Promise<string> {
  const {parseDuration} = await import('../lib/compose/units.ts');
  const ns = parseDuration(value);
  if (ns !== undefined && ns >= 0) return String(Math.floor((now.getTime() - ns / 1e6) / 1000));
  const t = Date.parse(value);
  if (!Number.isNaN(t)) return String(Math.floor(t / 1000));
  throw new UsageError(`invalid --since "${value}"`, {hint: 'use a duration such as 10m or 2h, or a time such as 2026-11-21T10:00:00Z'});
}
