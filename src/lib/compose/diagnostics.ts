import {formatLocation, formatPath, type Locations} from './locations.ts';
import type {Diagnostic, ModelPath, Severity} from './types.ts';

export interface DiagnosticInit {
  severity?: Severity;
  source: string;
  rule?: string;
  message: string;
  path?: ModelPath;
  hint?: string;
}

/** Builds a diagnostic, locating `path` (or its nearest recorded ancestor) in the sources. */
export function diagnostic(locations: Locations | undefined, init: DiagnosticInit): Diagnostic {
  const out: Diagnostic = {severity: init.severity ?? 'error', source: init.source, message: init.message};
  if (init.rule) out.rule = init.rule;
  if (init.path) {
    out.path = formatPath(init.path);
    const loc = locations?.find(init.path);
    if (loc) out.location = loc;
  }
  if (init.hint) out.hint = init.hint;
  return out;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `compose.yaml:12:5: error: services.web.cap_add[1]: ... [capabilities]` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = formatLocation(d.location);
  const parts = [where ? `${where}:` : '', `${d.severity}:`, d.path && !d.message.includes(d.path) ? `${d.path}:` : '', d.message];
  let line = parts.filter(Boolean).join(' ');
  if (d.rule) line += ` [${d.rule}]`;
  return line;
}

/** Thrown by a phase that cannot go on (a YAML syntax error, a required variable missing). */
export class PhaseError extends Error {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.diagnostics = diagnostics;
    this.name = 'PhaseError';
  }
}
