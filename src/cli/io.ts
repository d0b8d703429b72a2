// How a command speaks, with or without oclif: a line on stdout or stderr, and a failure turned
// into a one-line message, a hint and the exit code from DESIGN.md. SpinCommand (base.ts) and the
// fast path (fast.ts) both speak through these, so `spin ps` reads the same either way.

import {ExitCode, isSpinError} from '../lib/errors.ts';
import {palette} from '../lib/ui/terminal.ts';
import type {Factory, Output} from './factory.ts';

/** Writes a line (the newline added unless there). */
export function writeLine(output: Output, text: string): void {
  output.stream.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
}

/** What an error may carry beyond its message: the agent's code, the problems found. */
export type CommandError = Error & {exitCode?: number; oclif?: {exit?: number}; code?: unknown; remoteCode?: string; hint?: string; diagnostics?: unknown};

export interface FailureOptions {
  factory: Factory;
  /** --json was given: the error also ends stdout as one `{"type":"error"}` line. */
  json: boolean;
  debug: boolean;
  /** The command's name when the error is a usage error from parsing its arguments. */
  usageOf?: string;
}

/** Says what failed on stderr (and stdout with --json) and sets the exit code. */
export async function reportFailure(err: CommandError, options: FailureOptions): Promise<void> {
  const {factory, debug} = options;
  const c = palette(factory.stderr.terminal.color);
  const diagnostics = Array.isArray(err.diagnostics) ? err.diagnostics : [];
  let code: string;
  let message: string;
  let hint: string | undefined;
  let exitCode: number;
  if (isSpinError(err)) {
    [code, message, hint, exitCode] = [err.code, err.message, err.hint, err.exitCode];
  } else if (options.usageOf !== undefined) {
    // oclif's own parse errors (unknown flag, missing argument) are usage errors: exit 2.
    [code, message, hint, exitCode] = ['spin.usage', err.message.replace(/\nSee more help with --help$/, ''), `see \`spin ${options.usageOf} --help\``, err.oclif?.exit ?? ExitCode.usage];
  } else {
    [code, message, hint, exitCode] = ['spin.failed', `unexpected failure: ${err.message}`, debug ? undefined : 'run again with --debug for details, and report it if it persists', ExitCode.failed];
  }
  const {renderDiagnostics, diagnosticToJson} = diagnostics.length ? await import('../lib/ui/diagnostics.ts') : {renderDiagnostics: undefined, diagnosticToJson: undefined};
  if (options.json) {
    const error = {code: err.remoteCode ?? code, message, ...(hint ? {hint} : {}), diagnostics: diagnostics.map((d) => diagnosticToJson!(d))};
    writeLine(factory.stdout, JSON.stringify({type: 'error', error}));
  } else if (diagnostics.length) {
    writeLine(factory.stderr, renderDiagnostics!(diagnostics, {color: factory.stderr.terminal.color, cwd: factory.cwd}));
  }
  writeLine(factory.stderr, `${c.red('error:')} ${message}`);
  if (hint) writeLine(factory.stderr, `${c.dim('hint:')} ${hint}`);
  if (debug && err.stack) writeLine(factory.stderr, err.stack);
  factory.setExitCode(exitCode);
}
