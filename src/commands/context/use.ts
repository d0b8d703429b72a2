import {Args} from '@oclif/core';

import {SpinCommand} from '../../cli/base.ts';

export default class ContextUse extends SpinCommand {
  static override summary = 'Make a stored context the current one.';

  static override description = `Later commands talk to this context's agent with its token and default project. For one command only, set SPIN_CONTEXT=NAME instead: parallel jobs then never change the file.
The context "local" is always there: the agent \`spin up\` starts on this machine's Docker engine.`;

  static override examples = [
    {description: 'Switch to the "prod" context', command: '<%= config.bin %> <%= command.id %> prod'},
    {description: 'Back to the local agent on this machine', command: '<%= config.bin %> <%= command.id %> local'},
    {description: 'One command against another context, without switching', command: 'SPIN_CONTEXT=dev <%= config.bin %> ps'},
  ];

  static override args = {
    name: Args.string({description: 'The context name, as `spin context ls` shows it.', required: true, ignoreStdin: true}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(ContextUse);
    const {useContext} = await import('../../lib/client/contexts.ts');
    const result = await useContext(args.name, this.factory.env);
    const where = result.local ? `the local agent${result.url ? ` at ${result.url}` : ', which `spin up` starts'}` : result.url;
    this.err(`context "${result.context}" (${where}) is now current`);
    const {env} = this.factory;
    if (env.SPIN_URL || env.SPIN_TOKEN) this.err('note: SPIN_URL and SPIN_TOKEN are set and still win over it');
    else if (env.SPIN_CONTEXT && env.SPIN_CONTEXT !== result.context) this.err(`note: SPIN_CONTEXT=${env.SPIN_CONTEXT} is set and still wins over it`);
  }
}
