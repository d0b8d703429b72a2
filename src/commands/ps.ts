import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {stackFlags} from '../cli/remote.ts';
import {ps} from '../cli/ps.ts';

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
    await ps(this.factory, flags);
  }
}
