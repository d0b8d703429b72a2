// The one table of the agent API's error codes: each code's HTTP status (the agent answers with
// it) and the CLI's exit code (the client exits with it). schemas/agent-api.yaml documents the
// same table under `ErrorCode` (`x-spin-errors`); test/lib/api/error-codes.test.ts keeps them equal.

import {ExitCode, type ExitCodeValue} from '../errors.ts';
import type {components} from './schema.ts';

export type ErrorCode = components['schemas']['ErrorCode'];

export interface ErrorCodeInfo {
  status: number;
  exit: ExitCodeValue;
}

export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeInfo>> = {
  'request.invalid': {status: 400, exit: ExitCode.invalid},
  'request.too_large': {status: 413, exit: ExitCode.invalid},
  'auth.unauthenticated': {status: 401, exit: ExitCode.auth},
  'auth.forbidden': {status: 403, exit: ExitCode.auth},
  'auth.rate_limited': {status: 429, exit: ExitCode.auth},
  // Something missing or in the way means the operation failed (1), not that the input was malformed.
  'project.not_found': {status: 404, exit: ExitCode.failed},
  'stack.not_found': {status: 404, exit: ExitCode.failed},
  'revision.not_found': {status: 404, exit: ExitCode.failed},
  'service.not_found': {status: 404, exit: ExitCode.failed},
  'secret.not_found': {status: 404, exit: ExitCode.failed},
  'volume.not_found': {status: 404, exit: ExitCode.failed},
  'route.not_found': {status: 404, exit: ExitCode.failed},
  'stack.locked': {status: 409, exit: ExitCode.failed},
  'revision.none': {status: 409, exit: ExitCode.failed},
  'secret.in_use': {status: 409, exit: ExitCode.failed},
  'volume.in_use': {status: 409, exit: ExitCode.failed},
  'engine.conflict': {status: 409, exit: ExitCode.failed},
  'compose.invalid': {status: 422, exit: ExitCode.invalid},
  'policy.violation': {status: 422, exit: ExitCode.invalid},
  'engine.unreachable': {status: 502, exit: ExitCode.unreachable},
  'engine.failed': {status: 500, exit: ExitCode.failed},
  'engine.unsupported': {status: 501, exit: ExitCode.failed},
  'node.not_found': {status: 404, exit: ExitCode.failed},
  internal: {status: 500, exit: ExitCode.failed},
};

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

/**
 * The exit code for a code this build does not know (a newer agent's), by the HTTP status: the
 * same classes as the table.
 */
export function exitCodeForStatus(status: number): ExitCodeValue {
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status === 400 || status === 413 || status === 422) return ExitCode.invalid;
  if (status === 502 || status === 503) return ExitCode.unreachable;
  if (status === 504) return ExitCode.timeout;
  return ExitCode.failed;
}

/**
 * The CLI's exit code for an agent's error: by its code, else by its HTTP status. A stream that
 * failed after its first line has no status of its own (it was 200): then the code alone decides.
 */
export function exitCodeOf(code: string | undefined, status?: number): ExitCodeValue {
  if (isErrorCode(code)) return ERROR_CODES[code].exit;
  return status === undefined ? ExitCode.failed : exitCodeForStatus(status);
}
