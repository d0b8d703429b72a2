// The error family every part of Spin throws. Each class carries the exit code the CLI uses
// (see DESIGN.md "Exit codes") and an optional hint telling the user how to fix the problem.
// Commands never pick exit codes themselves: they throw one of these.

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  invalid: 3,
  auth: 4,
  timeout: 5,
  unreachable: 6,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class SpinError extends Error {
  readonly exitCode: ExitCodeValue = ExitCode.failed;
  readonly hint?: string;
  /** A stable, namespaced code for scripts and the agent's error envelope, e.g. `compose.invalid`. */
  readonly code: string = 'spin.failed';

  constructor(message: string, options: {hint?: string; cause?: unknown} = {}) {
    super(message, {cause: options.cause});
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** The operation failed (deploy unhealthy, engine error, ...). */
export class OperationError extends SpinError {}

/** Bad flags or arguments. */
export class UsageError extends SpinError {
  override readonly exitCode = ExitCode.usage;
  override readonly code = 'spin.usage';
}

/** The compose file, a policy file or other user input is invalid. */
export class InvalidInputError extends SpinError {
  override readonly exitCode = ExitCode.invalid;
  override readonly code = 'spin.invalid';
}

/** Not authenticated, or not allowed to do this. */
export class AuthError extends SpinError {
  override readonly exitCode = ExitCode.auth;
  override readonly code = 'spin.auth';
}

export class TimeoutError extends SpinError {
  override readonly exitCode = ExitCode.timeout;
  override readonly code = 'spin.timeout';
}

/** The agent, the Docker engine or the registry could not be reached. */
export class UnreachableError extends SpinError {
  override readonly exitCode = ExitCode.unreachable;
  override readonly code = 'spin.unreachable';
}

export function isSpinError(err: unknown): err is SpinError {
  return err instanceof SpinError;
}

/**
 * The agent API's stable error codes and their HTTP statuses (schemas/agent-api.yaml). The agent
 * answers with them; the client reads them back when a stream fails after its status was sent.
 */
export const API_CODE_STATUS: Readonly<Record<string, number>> = {
  'request.invalid': 400,
  'request.too_large': 413,
  'auth.unauthenticated': 401,
  'auth.forbidden': 403,
  'project.not_found': 404,
  'stack.not_found': 404,
  'revision.not_found': 404,
  'secret.not_found': 404,
  'volume.not_found': 404,
  'route.not_found': 404,
  'stack.locked': 409,
  'secret.in_use': 409,
  'volume.in_use': 409,
  'engine.conflict': 409,
  'compose.invalid': 422,
  'policy.violation': 422,
  'engine.unreachable': 502,
  'engine.failed': 500,
};

/** The HTTP status of an API error code; any `<thing>.not_found` is a 404 and any `auth.*` a 401. */
export function statusOfCode(code: string): number | undefined {
  const known = API_CODE_STATUS[code];
  if (known !== undefined) return known;
  if (/^[a-z_]+\.not_found$/.test(code)) return 404;
  if (code.startsWith('auth.')) return 401;
  return undefined;
}

/**
 * The one table from an agent answer's HTTP status to the CLI's exit code, used by the agent
 * (ApiError) and the client alike. Something that does not exist (404) or is in the way (409)
 * means the operation failed (1), not that the input was malformed (3).
 */
export function exitCodeForStatus(status: number): ExitCodeValue {
  if (status === 401 || status === 403) return ExitCode.auth;
  if (status === 400 || status === 413 || status === 422) return ExitCode.invalid;
  if (status === 502 || status === 503) return ExitCode.unreachable;
  if (status === 504) return ExitCode.timeout;
  return ExitCode.failed;
}

/** An error of the class that carries this exit code. */
export function errorWithExitCode(exitCode: ExitCodeValue, message: string, options: {hint?: string; cause?: unknown} = {}): SpinError {
  switch (exitCode) {
    case ExitCode.auth:
      return new AuthError(message, options);
    case ExitCode.invalid:
      return new InvalidInputError(message, options);
    case ExitCode.unreachable:
      return new UnreachableError(message, options);
    case ExitCode.timeout:
      return new TimeoutError(message, options);
    case ExitCode.usage:
      return new UsageError(message, options);
    default:
      return new OperationError(message, options);
  }
}

/** Node's errno codes for missing/unreadable files, turned into one-line user errors. */
export function fileError(path: string, err: unknown): SpinError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new InvalidInputError(`file "${path}" does not exist`, {
        hint: 'check the path, or run the command from the folder that holds your compose file',
        cause: err,
      });
    case 'EACCES':
    case 'EPERM':
      return new InvalidInputError(`file "${path}" cannot be read: permission denied`, {
        hint: `check the file's permissions (ls -l "${path}")`,
        cause: err,
      });
    case 'EISDIR':
      return new InvalidInputError(`"${path}" is a directory, not a file`, {
        hint: 'pass the compose file itself, e.g. -f compose.yaml',
        cause: err,
      });
    default:
      return new InvalidInputError(`file "${path}" cannot be read: ${(err as Error)?.message ?? err}`, {cause: err});
  }
}
