import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {composeFlags, loadOptionsFrom} from '../cli/flags.ts';
import {connect, projectFlag, timeoutFlag, timeoutSeconds} from '../cli/remote.ts';

export default class Deploy extends SpinCommand {
  static override summary = 'Deploy the compose project as a stack on the platform and wait until it is healthy.';

  static override description = `Validates locally first (same loader and policy as the agent), then sends the resolved model to
the agent, which checks it again, records a revision and rolls it out. Progress goes to stderr;
the result to stdout. Exit status: 0 healthy, 1 failed, 3 invalid or refused by the policy,
4 not logged in or not allowed, 5 timed out, 6 agent unreachable.`;

  static override examples = [
    {description: 'Deploy compose.yaml in this folder to the current context', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Show what would change, and change nothing', command: '<%= config.bin %> <%= command.id %> --dry-run'},
    {description: 'Build, push and deploy in one go (images pinned to their digests)', command: '<%= config.bin %> <%= command.id %> --build'},
    {description: 'From CI: no login, machine-readable events', command: 'SPIN_URL=https://spin.example.org SPIN_TOKEN=$TOKEN <%= config.bin %> <%= command.id %> --project genomics --json'},
    {description: 'Production overrides, a named stack, a longer wait', command: '<%= config.bin %> <%= command.id %> -f compose.yaml -f compose.prod.yaml --stack portal --timeout 10m'},
  ];

  static override flags = {
    ...composeFlags,
    ...projectFlag,
    stack: Flags.string({char: 's', description: 'Stack name. Default: the compose project name.', helpValue: 'NAME'}),
    'no-wait': Flags.boolean({description: 'Return once containers are started; do not wait for health.'}),
    ...timeoutFlag,
    build: Flags.boolean({description: 'Build and push the services that have `build:` first, then deploy exactly those images.'}),
    'dry-run': Flags.boolean({description: 'Print the plan (create/recreate/keep/scale/remove per service) and change nothing.'}),
    json: Flags.boolean({description: 'Print NDJSON events and a final result object on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Deploy);
    const timeout = await timeoutSeconds(flags.timeout);
    const {prepareDeploy, deploy, StackRejectedError} = await import('../lib/client/deploy.ts');
    const {outcomeError} = await import('../lib/client/outcome.ts');
    const {renderDiagnostics} = await import('../lib/ui/diagnostics.ts');
    const {createProgress} = await import('../lib/ui/progress.ts');
    const {renderPlan, renderResult, renderUrls, renderFailureLogs} = await import('../lib/ui/deploy.ts');
    const {client, project, ctx} = await connect(flags);
    const projectName = project();
    const stderr = this.stderrTerminal;
    try {
      const {ship} = await import('../cli/ship.ts');
      const {localContext} = await import('../lib/local/embedded.ts');
      // The embedded agent runs on this machine's engine: images stay local, named as `spin build` names them.
      const local = ctx.url === localContext()?.url;
      const loadOptions = loadOptionsFrom(flags);
      const checked = await prepareDeploy({...loadOptions, stack: flags.stack, project: projectName, registry: ctx.registry, uid: ctx.uid, gid: ctx.gid});
      const prepared = await ship(checked, {build: flags.build, remote: !local, registry: ctx.registry, imageProject: local ? flags.project : projectName, loadOptions, terminal: stderr});
      if (prepared.warnings.length && !flags.json) this.err(renderDiagnostics(prepared.warnings, {color: stderr.color, cwd: process.cwd()}));
      const progress = flags.json ? undefined : createProgress(process.stderr, stderr);
      const result = await deploy({
        client,
        projectName,
        prepared,
        dryRun: flags['dry-run'],
        wait: !flags['no-wait'],
        timeoutSeconds: timeout,
        onEvent: (e) => (flags.json ? this.out(JSON.stringify(e)) : progress!.event(e)),
      });
      progress?.done();
      if (flags.json) this.out(JSON.stringify({type: 'result', project: projectName, stack: prepared.stack, ...result}));
      else if (flags['dry-run']) this.out(renderPlan(result.plan, {color: this.stdoutTerminal.color}));
      else {
        this.err(renderFailureLogs(result));
        this.out(renderResult(projectName, prepared.stack, result, {color: this.stdoutTerminal.color}));
        const urls = renderUrls(result);
        if (urls) this.out(urls);
      }
      const failure = outcomeError(result, 'deploy');
      if (failure) throw failure;
    } catch (err) {
      if (err instanceof StackRejectedError && !flags.json) this.out(renderDiagnostics(err.diagnostics, {color: this.stdoutTerminal.color, cwd: process.cwd()}));
      if (err instanceof StackRejectedError && flags.json) this.out(JSON.stringify({type: 'error', error: {message: err.message, diagnostics: err.diagnostics}}));
      throw err;
    } finally {
      client.close();
    }
  }
}
