import {Args} from '@oclif/core';

import {SpinCommand} from '../../../cli/base.ts';
import {managerEngine, managerFlags} from '../../../cli/nodes.ts';
import {timeoutSeconds} from '../../../cli/options.ts';
import {timeoutFlag} from '../../../cli/remote.ts';

export default class AgentNodeDrain extends SpinCommand {
  static override summary = 'Move every task off a node without a gap, then keep it empty (maintenance).';

  static override description = `Swarm's own drain stops a node's tasks at once and only then starts them elsewhere. This one
pauses the node (no new tasks), starts as many extra replicas of each Spin service on the other
nodes as the node runs, waits until they run (healthy, where a service has a healthcheck), then
drains the node and scales each service back to its own count. Global services and services that
are not Spin's get Swarm's drain. If the replacements do not run within --timeout, the node and the
services are put back as they were and the command exits 5. \`spin agent node activate\` undoes it.`;

  static override examples = [
    {description: 'Drain the node at 10.0.0.12 for maintenance', command: '<%= config.bin %> <%= command.id %> 10.0.0.12'},
    {description: 'By ID prefix, waiting up to 10 minutes for replacements', command: '<%= config.bin %> <%= command.id %> 8npiv1a3 --timeout 10m'},
    {description: 'Which services moved, with jq', command: `<%= config.bin %> <%= command.id %> 10.0.0.12 --json | jq -r '.moved[].service'`},
  ];

  static override args = {
    node: Args.string({description: 'The node: its ID, a unique prefix of it, or its address (see `spin agent node ls`).', required: true}),
  };

  static override flags = {...managerFlags, ...timeoutFlag};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AgentNodeDrain);
    const timeout = await timeoutSeconds(flags.timeout);
    const docker = await managerEngine(flags['docker-host']);
    const {drainNode} = await import('../../../lib/engine/swarm-nodes.ts');
    const report = await drainNode(docker, args.node, {timeoutMs: timeout * 1000, onProgress: (m) => this.err(m)});
    if (flags.json) return this.out(JSON.stringify(report, null, 2));
    const moved = report.moved.map((m) => `${m.service} (${m.replicas})`).join(', ');
    this.out(`node ${report.node.address} (${report.node.id}) drained${moved ? `; replaced first: ${moved}` : ''}`);
  }
}
