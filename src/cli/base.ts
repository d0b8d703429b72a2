// The base of every spin command: global flags, the factory a command reads the world through
// (factory.ts), and one place that turns errors into a one-line message, a hint and the exit
// code from DESIGN.md. Commands stay thin.
//
// What goes on which stream, the same in every command:
// - stdout carries the command's result, what a script reads: a result table, image names,
//   `spin config`'s YAML, `spin validate`'s findings (they are its result). With --json it
//   carries JSON only: for the commands that follow a stack change (deploy, up, upgrade,
//   rollback, scale) one event per line, then exactly one `{"type":"result",…}` line; a failure
//   of any command with --json ends stdout with one `{"type":"error","error":{…}}` line.
// - stderr carries what is said to the person watching: progress, warnings, hints, notes, the
//   error line, and the diagnostics of a refused deploy or up (the reason there is no result).

import {Command, Flags, Errors, type Config} from '@oclif/core';

import {processFactory, type Factory} from './factory.ts';
import {reportFailure, writeLine, type CommandError} from './io.ts';

export abstract class SpinCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({description: 'Show stack traces and internal details on errors.', helpGroup: 'GLOBAL', env: 'SPIN_DEBUG'}),
  };

  /** The command's streams, environment and clients: the process's, unless a test hands in its own. */
  factory: Factory;

  constructor(argv: string[], config: Config) {
    super(argv, config);
    this.factory = processFactory();
  }

  /** Runs the command as oclif does (init, run, catch, finally) with this factory: a test's in-process run. */
  runWith(factory: Factory): Promise<unknown> {
    this.factory = factory;
    return this._run();
  }

  protected get stdoutTerminal() {
    return this.factory.stdout.terminal;
  }

  protected get stderrTerminal() {
    return this.factory.stderr.terminal;
  }

  protected out(text: string): void {
    writeLine(this.factory.stdout, text);
  }

  protected err(text: string): void {
    writeLine(this.factory.stderr, text);
  }

  /** --json given to a command that has the flag: errors then end stdout with one JSON line. */
  private get jsonRequested(): boolean {
    return Boolean(this.ctor.flags && 'json' in this.ctor.flags) && this.argv.includes('--json');
  }

  protected override async catch(err: CommandError): Promise<void> {
    if (err instanceof Errors.ExitError) throw err;
    await reportFailure(err, {
      factory: this.factory,
      json: this.jsonRequested,
      debug: this.argv.includes('--debug') || ['1', 'true'].includes(this.factory.env.SPIN_DEBUG ?? ''),
      ...(err instanceof Errors.CLIError ? {usageOf: this.id?.replaceAll(':', ' ') ?? ''} : {}),
    });
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    // However the command ended, no agent connection keeps the process alive.
    this.factory.close();
    return super.finally(err);
  }
}
