import {Args, Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';

export default class Init extends SpinCommand {
  static override summary = 'Start a new project from a template: a compose file, Dockerfiles and comments that explain them.';

  static override description = `Templates: static (a static site), web-api (a web page and a Python API), database (a Python app with
PostgreSQL: a volume, a secret for the password, healthchecks), worker (a task on a schedule).
Every file passes \`spin validate\` with the platform's default policy and comes with a .dockerignore.
On a terminal it asks for what the flags leave out; when input or output is not a terminal, or CI is
set, it never asks: give --template. It writes no file over another.
The written paths are printed on stdout, the next steps on stderr.`;

  static override examples = [
    {description: 'Ask which template and name, in the current folder', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'A static site in a new folder, without questions', command: '<%= config.bin %> <%= command.id %> my-site --template static'},
    {description: 'A web app with a database, under another project name', command: '<%= config.bin %> <%= command.id %> portal --template database --name genomics-portal'},
  ];

  static override args = {
    dir: Args.string({description: 'Folder to create the project in (created when missing). Default: the current folder.'}),
  };

  static override flags = {
    template: Flags.string({char: 't', description: 'Template: static, web-api, database or worker.', helpValue: 'NAME'}),
    name: Flags.string({char: 'n', description: 'Project name (the stack name). Default: the folder name.', helpValue: 'NAME'}),
    json: Flags.boolean({description: 'Print the result as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Init);
    const [{initProject, defaultProjectName}, {listTemplates}, {UsageError}] = await Promise.all([import('../lib/init/init.ts'), import('../lib/init/templates.ts'), import('../lib/errors.ts')]);
    const dir = args.dir ?? '.';
    const interactive = Boolean(process.stdin.isTTY) && this.stdoutTerminal.tty && !process.env.CI;
    let {template, name} = flags;
    if (!template || (!name && interactive)) {
      const templates = await listTemplates();
      if (!interactive) {
        throw new UsageError('no --template given, and spin init asks only on a terminal', {hint: `add --template with one of: ${templates.map((t) => t.id).join(', ')}`});
      }
      const {select, input} = await import('@inquirer/prompts');
      template ??= await select({message: 'Template', choices: templates.map((t) => ({value: t.id, name: t.title, description: t.summary}))});
      name ??= await input({message: 'Project name', default: defaultProjectName(dir)});
    }
    const result = await initProject({dir, template, name});
    if (flags.json) return this.out(JSON.stringify({dir: result.dir, name: result.name, template: result.template.id, files: result.files, next: result.next}, null, 2));
    this.out(result.files.join('\n'));
    this.err(`created project "${result.name}" from template "${result.template.id}" (${result.template.title}) in ${result.dir}`);
    this.err(`next: ${result.next.join(' && ')}`);
  }
}
