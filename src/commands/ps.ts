import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {connect, stackFlags, stackName} from '../cli/remote.ts';

export default class Ps extends SpinCommand {
  static override summary = "List a stack's containers: one row per replica with state, health, ports and image.";

  static override description = `NAME is <service>-<replica>, the name \`spin logs\` prefixes lines with. NODE (on a Swarm cluster only) is the address of the node the replica runs on. HEALTH is "-" for a service without a healthcheck. PORTS starts with the service's ingress URL when it is behind the agent's ingress (\`x-spin.ingress\`), then its published ports. IMAGE ends with the first 12 hex digits of the digest that runs. The stack defaults to the compose project in the current folder, like \`docker compose ps\`.`;

  static override examples = [
    {description: 'The containers of the stack named after the current folder', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Stack "portal" of project "genomics"', command: '<%= config.bin %> <%= command.id %> --stack portal --project genomics'},
    {description: 'Where the services answer through the ingress', command: '<%= config.bin %> <%= command.id %> --json | jq -r \'.services[] | select(.ingress) | .ingress.url\''},
    {description: 'The unhealthy replicas, as JSON', command: '<%= config.bin %> <%= command.id %> --json | jq \'.. | select(.health? == "unhealthy")\''},
  ];

  static override flags = {
    ...stackFlags,
    json: Flags.boolean({description: 'Print the stack status as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Ps);
    const {client, project} = await connect(this.factory, flags);
    const stack = await stackName(this.factory, flags);
    const p = project();
    const {status} = await client.stack(p, stack);
    if (flags.json) return this.out(JSON.stringify(status, null, 2));
    const {countContainers, renderPs} = await import('../lib/ui/status.ts');
    if (countContainers(status) === 0) {
      this.err(`stack "${stack}" in project "${p}" has no containers`);
      this.err('hint: deploy it with `spin deploy`, or scale a service up with `spin scale SERVICE=N`');
      return;
    }
    this.out(renderPs(status, this.stdoutTerminal));
  }
}
