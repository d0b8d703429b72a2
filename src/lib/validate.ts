// `spin validate` as a library call: load the compose project, then check it against the
// platform policy. The agent runs the same function on every submission.

import {hasErrors} from './compose/diagnostics.ts';
import {loadProject, type LoadOptions, type LoadResult} from './compose/load.ts';
import type {Diagnostic} from './compose/types.ts';

export interface ValidateOptions extends LoadOptions {
  /** A policy file; `false` checks compose validity only. */
  policy?: string | false;
  /** The platform project (team) the stack would run in; defaults to the compose project name. */
  project?: string;
  /**
   * The stack name it would run under; defaults to the compose project name, as deploy does.
   * Given, it is also the compose project name (as `docker compose -p`), so default volume names follow it.
   */
  stack?: string;
  uid?: number;
  gid?: number;
  registry?: string;
  /** Policy violations as warnings (a laptop's embedded agent), not errors. */
  policyAsWarnings?: boolean;
}

export interface ValidateResult extends LoadResult {
  valid: boolean;
  errors: number;
  warnings: number;
}

/** File, then line, then column; diagnostics without a place keep their order, last. */
function byLocation(a: Diagnostic, b: Diagnostic): number {
  if (!a.location || !b.location) return (a.location ? 0 : 1) - (b.location ? 0 : 1);
  return a.location.file.localeCompare(b.location.file) || a.location.line - b.location.line || a.location.column - b.location.column;
}

export async function validateStack(options: ValidateOptions): Promise<ValidateResult> {
  const loaded = await loadProject(options.stack !== undefined && options.projectName === undefined ? {...options, projectName: options.stack} : options);
  const diagnostics: Diagnostic[] = [...loaded.diagnostics];
  if (loaded.project && !hasErrors(diagnostics) && options.policy !== false) {
    const {loadPolicy, checkPolicy} = await import('./policy/index.ts');
    const policy = await loadPolicy(options.policy);
    const context = {project: options.project ?? loaded.project.name, stack: options.stack ?? loaded.project.name, uid: options.uid, gid: options.gid, registry: options.registry};
    // Rules run one after another; a person reads the file top to bottom.
    const found = checkPolicy(loaded.project, policy, context, loaded.locations).sort(byLocation);
    const asWarning = (d: Diagnostic): Diagnostic => ({...d, severity: 'warning', message: `the platform would refuse this because ${d.message}`});
    diagnostics.push(...(options.policyAsWarnings ? found.map(asWarning) : found));
  }
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return {...loaded, diagnostics, valid: errors === 0, errors, warnings: diagnostics.length - errors};
}
