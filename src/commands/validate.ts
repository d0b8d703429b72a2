import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {composeFlags} from '../cli/flags.ts';
import {loadOptionsFrom} from '../cli/options.ts';
import {ExitCode} from '../lib/errors.ts';

export default class Validate extends SpinCommand {
  static override summary = 'Check a compose project: YAML, compose-spec, references and the platform policy.';

  static override description = `Reports every problem at once, each with file:line:col, what is wrong and a hint to fix it.
Problems are printed on stdout (the result of this command); the summary goes to stderr.
The policy is checked for where \`spin deploy\` would run the stack: the same project (--project, else
SPIN_PROJECT, else the current context's; \`local\` on the embedded agent), stack name (--stack, else
the compose project name), your numeric uid:gid when the context knows them (\`spin login\` stores them)
and the context's registry. It reads the context only: no token or network is needed.
Exit status: 0 valid, 3 invalid (compose or policy), 2 usage error.`;

  static override examples = [
    {description: 'Check compose.yaml in the current folder against the default policy', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Merge two files, as deploy would', command: '<%= config.bin %> <%= command.id %> -f compose.yaml -f compose.prod.yaml'},
    {description: 'Compose validity only, for a machine-readable report', command: '<%= config.bin %> <%= command.id %> --no-policy --json'},
    {description: "Check against a site's own policy", command: '<%= config.bin %> <%= command.id %> --policy /etc/spin/policy.yaml'},
    {description: 'Check for the project and stack a deploy would use', command: '<%= config.bin %> <%= command.id %> --project genomics --stack portal'},
  ];

  static override flags = {
    ...composeFlags,
    policy: Flags.string({description: 'Policy file to check against instead of the default policy.', helpValue: 'FILE', exclusive: ['no-policy']}),
    'no-policy': Flags.boolean({description: 'Check compose validity only, not the platform policy.'}),
    project: Flags.string({char: 'p', description: "Platform project the stack would run in (for per-project rules). Default: SPIN_PROJECT, else the context's project, as for deploy.", env: 'SPIN_PROJECT', helpValue: 'NAME'}),
    stack: Flags.string({char: 's', description: 'Stack name it would run under. Default: the compose project name, as for deploy.', helpValue: 'NAME'}),
    json: Flags.boolean({description: 'Print the result as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Validate);
    const {validateStack} = await import('../lib/validate.ts');
    const {renderDiagnostics, diagnosticToJson, summarize} = await import('../lib/ui/diagnostics.ts');
    const {deployTarget} = await import('../lib/client/config.ts');
    const target = flags['no-policy'] ? undefined : await deployTarget(flags, this.factory.env);
    const result = await validateStack({
      ...loadOptionsFrom(flags, this.factory),
      policy: flags['no-policy'] ? false : flags.policy,
      project: target?.project,
      stack: flags.stack,
      uid: target?.uid,
      gid: target?.gid,
      registry: target?.registry,
    });
    if (flags.json) {
      const json = {
        valid: result.valid,
        project: result.project?.name ?? null,
        ...(target && result.project ? {policyTarget: {context: target.context, project: target.project ?? result.project.name, stack: flags.stack ?? result.project.name}} : {}),
        files: result.files,
        errors: result.errors,
        warnings: result.warnings,
        diagnostics: result.diagnostics.map(diagnosticToJson),
      };
      this.out(JSON.stringify(json, null, 2));
    } else {
      this.out(renderDiagnostics(result.diagnostics, {color: this.stdoutTerminal.color, cwd: this.factory.cwd}));
      const services = result.project ? Object.keys(result.project.services).length : 0;
      const counts = summarize(result.errors, result.warnings);
      if (result.valid) this.err(`${result.project?.name ?? 'project'} is valid: ${services} service${services === 1 ? '' : 's'}${counts ? ` (${counts})` : ''}`);
      else this.err(`${result.project?.name ?? 'the project'} is invalid: ${counts}`);
    }
    if (!result.valid) this.factory.setExitCode(ExitCode.invalid);
  }
}
