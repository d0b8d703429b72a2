import {join} from 'node:path';

import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {composeFlags} from '../cli/flags.ts';
import {loadOptionsFrom} from '../cli/options.ts';
import {timeoutFlag} from '../cli/remote.ts';
import {timeoutSeconds} from '../cli/options.ts';
import {runStackChange} from '../cli/stack-change.ts';

export default class Up extends SpinCommand {
  static override summary = 'Validate, build, ship and run the project in one go, then show where it answers.';

  static override description = `The laptop loop. With a context (spin login, or SPIN_URL/SPIN_TOKEN) it builds, pushes, pins images to
their digests and deploys to that agent. With no context it starts (or reuses) the embedded local
agent on this machine's Docker engine and skips the push; the platform's policy is then shown as
warnings ("the platform would refuse this because ...") instead of refusing the stack.
Exit status as for deploy: 0 healthy, 1 failed, 3 invalid, 4 not allowed, 5 timed out, 6 unreachable.`;

  static override examples = [
    {description: 'Run the project in this folder on your laptop', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Several files, a longer wait', command: '<%= config.bin %> <%= command.id %> -f compose.yaml -f compose.dev.yaml --timeout 10m'},
    {description: 'To the platform from CI', command: 'SPIN_URL=https://spin.example.org SPIN_TOKEN=$TOKEN <%= config.bin %> <%= command.id %> --project genomics'},
  ];

  static override flags = {
    ...composeFlags,
    project: Flags.string({char: 'p', description: "Platform project. Default: SPIN_PROJECT, else the context's project (`local` on the embedded agent).", helpValue: 'NAME'}),
    stack: Flags.string({char: 's', description: 'Stack name. Default: the compose project name.', helpValue: 'NAME'}),
    'no-build': Flags.boolean({description: 'Do not build; run the images as they are.'}),
    ...timeoutFlag,
    json: Flags.boolean({description: 'Print NDJSON events and a final result object on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Up);
    const timeout = await timeoutSeconds(flags.timeout);
    const {env} = this.factory;
    const {resolveContext, requireProject} = await import('../lib/client/config.ts');
    const ctx = await resolveContext(env);
    let target: {url: string; token: string; ca?: string; project: string; registry?: string; uid?: number; gid?: number; local: boolean};
    if (ctx) {
      target = {url: ctx.url, token: ctx.token, ca: ctx.ca, project: requireProject(ctx, flags.project), registry: ctx.registry, uid: ctx.uid, gid: ctx.gid, local: false};
    } else {
      const {ensureLocalAgent, localIdentity} = await import('../lib/local/embedded.ts');
      const local = await ensureLocalAgent({spinBin: join(this.config.root, 'bin', 'run.js'), env});
      if (local.started && !flags.json) this.err(`started the local Spin agent at ${local.url} (state: ${local.dir})`);
      target = {url: local.url, token: local.token, project: flags.project ?? env.SPIN_PROJECT ?? local.project, ...localIdentity(), local: true};
    }
    const client = await this.factory.agentClient({url: target.url, token: target.token, ca: target.ca});
    const change = {
      kind: 'deploy' as const,
      load: {...loadOptionsFrom(flags, this.factory), project: target.project, registry: target.registry, uid: target.uid, gid: target.gid, policyAsWarnings: target.local},
      ship: {build: !flags['no-build'], push: !target.local, registry: target.registry, imageProject: target.local ? flags.project : target.project},
      timeoutSeconds: timeout,
    };
    await runStackChange(this.factory, {client, project: target.project, stack: flags.stack, change}, {json: flags.json, operation: () => 'up', extra: {agent: target.url}});
  }
}
