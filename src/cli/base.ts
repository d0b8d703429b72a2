// The base of every spin command: global flags, and one place that turns errors into a
// one-line message, a hint and the exit code from DESIGN.md. Commands stay thin.

import {Command, Flags, Errors} from '@oclif/core';

import {ExitCode, isSpinError} from '../lib/errors.ts';
import {detectTerminal, palette} from '../lib/ui/terminal.ts';

export abstract class SpinCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({description: 'Show stack traces and internal details on errors.', helpGroup: 'GLOBAL', env: 'SPIN_DEBUG'}),
  };

  protected get stdoutTerminal() {
    return detectTerminal(process.stdout);
  }

  protected get stderrTerminal() {
    return detectTerminal(process.stderr);
  }

  protected out(text: string): void {
    process.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  }

  protected err(text: string): void {
    process.stderr.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    const debug = process.argv.includes('--debug') || ['1', 'true'].includes(process.env.SPIN_DEBUG ?? '');
    const c = palette(this.stderrTerminal.color);
    if (isSpinError(err)) {
      this.err(`${c.red('error:')} ${err.message}`);
      if (err.hint) this.err(`${c.dim('hint:')} ${err.hint}`);
      if (debug && err.stack) this.err(err.stack);
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof Errors.ExitError) throw err;
    // oclif's own parse errors (unknown flag, missing argument) are usage errors: exit 2.
    if (err instanceof Errors.CLIError) {
      this.err(`${c.red('error:')} ${err.message.replace(/\nSee more help with --help$/, '')}`);
      this.err(`${c.dim('hint:')} see \`spin ${this.id?.replaceAll(':', ' ') ?? ''} --help\``);
      if (debug && err.stack) this.err(err.stack);
      process.exitCode = err.oclif?.exit ?? ExitCode.usage;
      return;
    }
    this.err(`${c.red('error:')} unexpected failure: ${err.message}`);
    this.err(debug ? String(err.stack) : `${c.dim('hint:')} run again with --debug for details, and report it if it persists`);
    process.exitCode = ExitCode.failed;
  }
}
