// Renders diagnostics for people (TTY: color, grouped hints) and for scripts (--json).

import {relative} from 'node:path';

import type {DiagnosticJson as WireDiagnostic} from '../api/types.ts';
import type {Diagnostic} from '../compose/types.ts';
import {palette} from './terminal.ts';

function where(d: Diagnostic, cwd: string): string {
  if (!d.location) return '';
  const rel = relative(cwd, d.location.file);
  const file = rel && !rel.startsWith('..') ? rel : d.location.file;
  return `${file}:${d.location.line}:${d.location.column}`;
}

/** One problem per line (`file:line:col: error: path: message [rule]`), its hint on the next. */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], options: {color: boolean; cwd: string}): string {
  const c = palette(options.color);
  const lines: string[] = [];
  for (const d of diagnostics) {
    const loc = where(d, options.cwd);
    const severity = d.severity === 'error' ? c.red('error') : c.yellow('warning');
    const path = d.path && !d.message.includes(d.path) ? `${c.bold(d.path)}: ` : '';
    const rule = d.rule ? c.dim(` [${d.rule}]`) : '';
    lines.push(`${loc ? `${c.cyan(loc)}: ` : ''}${severity}: ${path}${d.message}${rule}`);
    if (d.hint) lines.push(`  ${c.dim('hint:')} ${d.hint}`);
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** A diagnostic in `--json` output: the API's form, plus where it is in the user's files. */
export type DiagnosticJson = WireDiagnostic & {file?: string; line?: number; column?: number};

export function diagnosticToJson(d: Diagnostic): DiagnosticJson {
  const {location, ...rest} = d;
  return location ? {...rest, file: location.file, line: location.line, column: location.column} : rest;
}

export function summarize(errors: number, warnings: number): string {
  const part = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [errors ? part(errors, 'error') : '', warnings ? part(warnings, 'warning') : ''].filter(Boolean).join(', ');
}
