import {SpinCommand} from '../../cli/base.ts';

export default class AgentStop extends SpinCommand {
  static override summary = 'Stop the embedded local agent that `spin up` started on this machine.';

  static override description = `The stacks it runs keep running (they are containers on your Docker engine); the next
\`spin up\` starts the agent again and finds them. Remove a stack first with \`spin rm\` if you want it gone.`;

  static override examples = [
    {description: 'Stop the local agent', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Remove the example stack, then stop the agent', command: 'SPIN_PROJECT=local <%= config.bin %> rm --yes && <%= config.bin %> <%= command.id %>'},
  ];

  async run(): Promise<void> {
    await this.parse(AgentStop);
    const {stopLocalAgent} = await import('../../lib/local/embedded.ts');
    // Not running is not a failure: the wanted state is reached either way (exit 0).
    this.err((await stopLocalAgent()) ? 'stopped the local Spin agent' : 'the local Spin agent is not running');
  }
}
