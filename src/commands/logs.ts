import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {projectFlag} from '../cli/remote.ts';
import {composeFlags} from '../cli/flags.ts';
import {logs} from '../cli/logs.ts';

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
    await logs(this.factory, flags, argv as string[]);
  }
}
