import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {stackFlags} from '../cli/remote.ts';
import {connect, stackName} from '../cli/connect.ts';

export default class Inspect extends SpinCommand {
  static override summary = 'Show everything about a stack or one service: live status and the deployed model.';

  static override description = `For each service: its status (replicas, containers, health, ports, image digest) and its definition in the current revision (compose long form, with the policy's defaults applied). Printed as YAML; --json for scripts.`;

  static override examples = [
    {description: 'The whole stack named after the current folder', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Only the web service of stack "portal"', command: '<%= config.bin %> <%= command.id %> web --stack portal'},
    {description: 'The memory limit the web service runs with', command: '<%= config.bin %> <%= command.id %> web --json | jq .services.web.model.deploy.resources.limits.memory'},
  ];

  static override args = {
    service: Args.string({description: 'Show only this service.', ignoreStdin: true}),
  };

  static override flags = {
    ...stackFlags,
    json: Flags.boolean({description: 'Print the detail as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Inspect);
    const {client, project} = await connect(this.factory, flags);
    const stack = await stackName(this.factory, flags);
    const {describeStack} = await import('../lib/client/inspect.ts');
    const description = await describeStack(client, project(), stack, args.service);
    if (flags.json) return this.out(JSON.stringify(description, null, 2));
    const {stringify} = await import('yaml');
    this.out(stringify(description, {lineWidth: 0}));
  }
}
