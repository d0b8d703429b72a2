import {Args} from '@oclif/core';

import {SpinCommand} from '../../../cli/base.ts';
import {managerEngine, managerFlags} from '../../../cli/nodes.ts';

export default class AgentNodeActivate extends SpinCommand {
  static override summary = 'Let a drained or paused node take tasks again.';

  static override description = `Sets the node's availability to active. Swarm does not move running tasks back by itself: new
tasks (deploys, scale-ups, replacements) land on the node from now on.`;

  static override examples = [
    {description: 'Back from maintenance', command: '<%= config.bin %> <%= command.id %> 10.0.0.12'},
    {description: 'By ID, printing the node as JSON', command: '<%= config.bin %> <%= command.id %> 8npiv1a37t2p5z1n6fu0ht9j5 --json'},
  ];

  static override args = {
    node: Args.string({description: 'The node: its ID, a unique prefix of it, or its address (see `spin agent node ls`).', required: true}),
  };

  static override flags = managerFlags;

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AgentNodeActivate);
    const docker = await managerEngine(flags['docker-host']);
    const {setAvailability} = await import('../../../lib/engine/swarm-nodes.ts');
    const node = await setAvailability(docker, args.node, 'active');
    if (flags.json) return this.out(JSON.stringify({node}, null, 2));
    this.out(`node ${node.address} (${node.id}) is active`);
  }
}
