// The error a finished deploy-like operation (deploy, scale) maps to when it did not succeed:
// exit 1 when it failed, 5 when it timed out. Healthy, started and planned are success.

import {OperationError, TimeoutError, type SpinError} from '../errors.ts';
import type {DeployResultJson} from './api-types.ts';

export function outcomeError(result: Pick<DeployResultJson, 'outcome' | 'failure'>, operation: string): SpinError | undefined {
  if (result.outcome === 'timeout') {
    return new TimeoutError(`${operation} timed out: ${result.failure?.reason ?? 'the stack did not become healthy in time'}`, {
      hint: 'see `spin ps` and `spin logs`; the agent keeps the new replicas starting',
    });
  }
  if (result.outcome === 'failed') {
    const f = result.failure;
    const where = f ? `service "${f.service}"${f.replica ? ` replica ${f.replica}` : ''}: ` : '';
    return new OperationError(`${operation} failed: ${where}${f?.reason ?? 'the stack did not become healthy'}`, {
      hint: f?.logs.length ? 'the last log lines are above; `spin logs` shows more' : 'see `spin ps` and `spin logs`',
    });
  }
  return undefined;
}
