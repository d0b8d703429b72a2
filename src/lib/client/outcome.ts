// The error a finished deploy-like operation (deploy, scale) maps to when it did not succeed:
// exit 1 when it failed, 5 when it timed out. Healthy, started and planned are success.

import {OperationError, TimeoutError, type SpinError} from '../errors.ts';
import type {DeployResultJson} from '../api/types.ts';

/**
 * Where to look next. After the agent rolled the stack back, the failed replica is gone, and
 * `spin logs` shows the revision that runs again: the log lines in the result are all that is left.
 */
function nextStep(result: Pick<DeployResultJson, 'failure' | 'rollback'>, whenRunning: string): string {
  const f = result.failure;
  if (result.rollback) {
    const logs = f?.logs.length ? 'its last log lines are above; ' : '';
    return `the rollback removed the failed replica, so \`spin logs\` shows revision ${result.rollback.revision} only: ${logs}\`spin history\` keeps why it failed`;
  }
  return f?.logs.length ? `the last log lines are above; ${whenRunning}` : 'see `spin ps` and `spin logs`';
}

export function outcomeError(result: Pick<DeployResultJson, 'outcome' | 'failure' | 'rollback'>, operation: string): SpinError | undefined {
  const f = result.failure;
  const hint = (whenRunning: string) => [f?.hint, nextStep(result, whenRunning)].filter(Boolean).join('; ');
  if (result.outcome === 'timeout') {
    return new TimeoutError(`${operation} timed out: ${f?.reason ?? 'the stack did not become healthy in time'}`, {
      hint: result.rollback ? hint('') : 'see `spin ps` and `spin logs`; the agent keeps the new replicas starting',
    });
  }
  if (result.outcome === 'failed') {
    const where = f ? `service "${f.service}"${f.replica ? ` replica ${f.replica}` : ''}: ` : '';
    return new OperationError(`${operation} failed: ${where}${f?.reason ?? 'the stack did not become healthy'}`, {hint: hint('`spin logs` shows more')});
  }
  return undefined;
}
