import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {stackFlags, timeoutFlag} from '../cli/remote.ts';
import {connect, stackName} from '../cli/connect.ts';
import {timeoutSeconds} from '../cli/options.ts';
import {runStackChange} from '../cli/stack-change.ts';

export default class Upgrade extends SpinCommand {
  static override summary = 'Roll services onto new images, replica by replica, with no compose edit.';

  static override description = `Records a new revision from the current one with the images changed (--image SERVICE=IMAGE), or with the same tags pulled again for the services named without --image (all services when none is named). No compose file is needed.

Each changed service rolls out under its deploy.update_config: a new replica starts and must turn healthy before the one it replaces leaves the ingress and stops (start-first), one replica at a time by default; a service that publishes a fixed host port goes stop-first, and the plan line says which and why. Progress goes to stderr, the result table to stdout.

If a replica fails, the agent puts the whole stack back on its last good revision by itself; this command then prints why (the replica's health output and last log lines) and exits 1. See the revisions with \`spin history\`; \`spin rollback\` undoes a successful upgrade.

Exit status: 0 healthy, 1 failed (and rolled back), 5 timed out, 2 usage error, 3 refused by the policy.`;

  static override examples = [
    {description: 'Run web on version 2.1', command: '<%= config.bin %> <%= command.id %> --image web=registry.example.org/team/web:2.1'},
    {description: 'Pull the current tags of api and worker again and roll them', command: '<%= config.bin %> <%= command.id %> api worker'},
    {description: 'Two services of stack "portal", the result as JSON', command: '<%= config.bin %> <%= command.id %> --stack portal --image web=team/web:3 --image api=team/api:3 --json'},
  ];

  static override args = {
    services: Args.string({description: 'Services to upgrade (default: those given with --image, else all).', multiple: true, required: false, ignoreStdin: true}),
  };

  static override flags = {
    ...stackFlags,
    image: Flags.string({description: 'New image for a service, SERVICE=IMAGE; may be repeated.', multiple: true, helpValue: 'SERVICE=IMAGE'}),
    ...timeoutFlag,
    json: Flags.boolean({description: 'Print NDJSON events and a final result object (revision, outcome, plan, status, rollback) on stdout.'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Upgrade);
    const {parseImages} = await import('../lib/client/upgrade.ts');
    const images = parseImages(flags.image ?? []);
    const timeout = await timeoutSeconds(flags.timeout);
    const {client, project} = await connect(this.factory, flags);
    const stack = await stackName(this.factory, flags);
    const change = {kind: 'upgrade' as const, services: args.services ?? [], images, timeoutSeconds: timeout};
    await runStackChange(this.factory, {client, project: project(), stack, change}, {json: flags.json, operation: (s) => `upgrading stack "${s}"`});
  }
}
