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
