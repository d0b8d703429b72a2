import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {UsageError} from '../lib/errors.ts';

export default class Login extends SpinCommand {
  static override summary = 'Log in to a Spin agent and make it the current context.';

  static override description = `Checks the token with the agent, then stores the agent URL, the token, your default project and your
numeric uid:gid in your config file (mode 0600). Logging in again to a context (after \`spin logout\`)
keeps its project unless you pass --project. Prefer --token-stdin so the token stays out of your shell history.
In CI, skip login: set SPIN_URL and SPIN_TOKEN (and SPIN_PROJECT) instead.`;

  static override examples = [
    {description: 'Log in with a token from a file', command: '<%= config.bin %> <%= command.id %> https://spin.example.org --token-stdin < token.txt'},
    {description: 'A named context with a default project', command: '<%= config.bin %> <%= command.id %> https://spin.example.org --token "$TOKEN" --project genomics --context prod'},
    {description: 'An agent with a private certificate', command: '<%= config.bin %> <%= command.id %> https://spin.internal:7878 --token-stdin --ca ca.pem < token.txt'},
  ];

  static override args = {
    url: Args.string({description: 'The agent URL, e.g. https://spin.example.org', required: true, ignoreStdin: true}),
  };

  static override flags = {
    token: Flags.string({description: 'The access token (from `spin agent user add`).', exclusive: ['token-stdin'], helpValue: 'TOKEN'}),
    'token-stdin': Flags.boolean({description: 'Read the token from standard input.'}),
    project: Flags.string({char: 'p', description: 'Default project for this context. Default: your first project.', helpValue: 'NAME'}),
    context: Flags.string({description: 'Name of the context to store. Default: the agent host. "local" is reserved for the agent `spin up` runs on this machine.', helpValue: 'NAME'}),
    ca: Flags.string({description: 'CA bundle (PEM) that signed the agent certificate.', helpValue: 'FILE'}),
    json: Flags.boolean({description: 'Print the result as JSON.'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Login);
    let token = flags.token ?? this.factory.env.SPIN_TOKEN;
    if (flags['token-stdin']) {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      token = Buffer.concat(chunks).toString('utf8').trim();
    }
    if (!token) throw new UsageError('no token given', {hint: 'pass --token TOKEN or --token-stdin (the token comes from `spin agent user add`)'});
    const {login} = await import('../lib/client/login.ts');
    const result = await login({url: args.url, token, project: flags.project, context: flags.context, ca: flags.ca});
    if (flags.json) return this.out(JSON.stringify(result, null, 2));
    this.err(`logged in to ${result.url} as ${result.user}; context "${result.context}" is now current${result.project ? `, project "${result.project}"` : ''}`);
  }
}
