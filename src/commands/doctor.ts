import {Flags} from '@oclif/core';

import {SpinCommand} from '../cli/base.ts';
import {palette} from '../lib/ui/terminal.ts';

export default class Doctor extends SpinCommand {
  static override summary = 'Check that this machine and your context are ready: engine, Node, agent, token, registry, clock, ports.';

  static override description = `Checks the Docker engine (it answers, its version), Node, the current context's agent and token, the
login to the context's registry (the stored login is tried on the registry, so a changed password
shows), this machine's clock against the agent's, and that the ports the \`spin init\` templates
publish are free. Each problem is printed with its fix.
Exit status: 0 when no check failed (warnings allowed), 1 when one did.`;

  static override examples = [
    {description: 'Check everything', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The failed checks, for a script', command: `<%= config.bin %> <%= command.id %> --json | jq '.checks[] | select(.status == "fail")'`},
    {description: 'Check another stored context', command: 'SPIN_CONTEXT=prod <%= config.bin %> <%= command.id %>'},
  ];

  static override flags = {
    json: Flags.boolean({description: 'Print the result as JSON on stdout.'}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Doctor);
    const [{runDoctor}, {doctorDeps}] = await Promise.all([import('../lib/doctor/checks.ts'), import('../lib/doctor/deps.ts')]);
    const report = await runDoctor(await doctorDeps());
    if (!report.ok) process.exitCode = 1;
    if (flags.json) return this.out(JSON.stringify(report, null, 2));
    const c = palette(this.stdoutTerminal.color);
    const mark = {ok: c.green('ok  '), warn: c.yellow('warn'), fail: c.red('FAIL')};
    const lines = report.checks.flatMap((check) => [`${mark[check.status]}  ${check.id.padEnd(9)}${check.message}`, ...(check.fix ? [`      ${' '.repeat(9)}${c.dim('fix:')} ${check.fix}`] : [])]);
    this.out(lines.join('\n'));
    const failed = report.checks.filter((check) => check.status === 'fail').length;
    this.err(failed === 0 ? 'ready' : `${failed} check${failed === 1 ? '' : 's'} failed: fix ${failed === 1 ? 'it' : 'them'} and run spin doctor again`);
  }
}
