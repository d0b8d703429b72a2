import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {composeFlags} from '../cli/flags.ts';
import {loadOptionsFrom} from '../cli/options.ts';
import {InvalidInputError} from '../lib/errors.ts';

export default class Config extends SpinCommand {
  static override summary = 'Print the fully resolved compose model, like `docker compose config`.';

  static override description = `Interpolates variables, merges files, resolves extends and include, applies profiles and
expands every short syntax to its long form. The policy is not checked: use \`spin validate\` for that.`;

  static override examples = [
    {description: 'The resolved model as YAML', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON, for jq', command: '<%= config.bin %> <%= command.id %> --format json | jq .services'},
    {description: 'Service names only, one per line', command: '<%= config.bin %> <%= command.id %> --services'},
    {description: 'With the debug profile and another env file', command: '<%= config.bin %> <%= command.id %> --profile debug --env-file .env.test'},
  ];

  static override flags = {
    ...composeFlags,
    format: Flags.string({description: 'Output format.', options: ['yaml', 'json'], default: 'yaml'}),
    services: Flags.boolean({description: 'Print the service names, one per line.', exclusive: ['images']}),
    images: Flags.boolean({description: 'Print the image of each service, one per line.', exclusive: ['services']}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Config);
    const {loadProject} = await import('../lib/compose/load.ts');
    const {renderDiagnostics, summarize} = await import('../lib/ui/diagnostics.ts');
    const result = await loadProject(loadOptionsFrom(flags, this.factory));
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    this.err(renderDiagnostics(result.diagnostics, {color: this.stderrTerminal.color, cwd: this.factory.cwd}));
    if (errors > 0 || !result.project) {
      throw new InvalidInputError(`the compose project is invalid: ${summarize(errors, result.diagnostics.length - errors)}`, {hint: 'fix the problems above; `spin validate` lists them with the policy checks too'});
    }
    const project = result.project;
    const names = Object.keys(project.services).sort();
    if (flags.services) return this.out(names.join('\n'));
    if (flags.images) {
      return this.out(names.map((name) => project.services[name].image ?? `${project.name}-${name}`).join('\n'));
    }
    const {renderModel} = await import('../lib/compose/render.ts');
    this.out(renderModel(project, flags.format as 'yaml' | 'json'));
  }
}
