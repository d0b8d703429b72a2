import {SpinCommand} from '../../../cli/base.ts';
import {managerEngine, managerFlags} from '../../../cli/nodes.ts';

export default class AgentNodeLs extends SpinCommand {
  static override summary = "List the Swarm cluster's nodes: ID, address, role, availability, state, labels.";

  static override description = `Asks the cluster's manager engine (the one the agent drives with --orchestrator swarm) on this host.
Nodes are named by ID or address, never by hostname (nodes made from one image share it); the
other node commands take either. ROLE is leader, manager or worker; AVAILABILITY is active, pause
(keeps its tasks, takes no new ones) or drain.`;

  static override examples = [
    {description: 'The nodes of the cluster whose manager runs here', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Node addresses, with jq', command: `<%= config.bin %> <%= command.id %> --json | jq -r '.nodes[].address'`},
    {description: 'Another manager engine', command: '<%= config.bin %> <%= command.id %> --docker-host unix:///run/swarm/docker.sock'},
  ];

  static override flags = managerFlags;

  async run(): Promise<void> {
    const {flags} = await this.parse(AgentNodeLs);
    const docker = await managerEngine(flags['docker-host']);
    const {listNodes} = await import('../../../lib/engine/swarm-nodes.ts');
    const nodes = await listNodes(docker);
    if (flags.json) return this.out(JSON.stringify({nodes}, null, 2));
    const {renderNodes} = await import('../../../lib/ui/nodes.ts');
    this.out(renderNodes(nodes, this.stdoutTerminal));
  }
}
