// The agent's error envelope: every 4xx/5xx answer is `{"error": {code, message, hint?,
// diagnostics?}}` with a stable, namespaced code (see schemas/agent-api.yaml). Routes throw
// ApiError (or any SpinError); toEnvelope turns whatever was thrown into the status and body, so
// fastify's own errors, engine failures and bugs all leave the agent in the same shape and a
// stack trace never does.

import {ERROR_CODES, isErrorCode} from '../api/error-codes.ts';
import type {DiagnosticJson, ErrorBody, ErrorCode, ErrorEnvelope} from '../api/types.ts';
import type {Diagnostic} from '../compose/types.ts';
import {AuthError, InvalidInputError, SpinError, UnreachableError, UsageError, type ExitCodeValue} from '../errors.ts';

export interface Envelope {
  status: number;
  body: ErrorEnvelope;
}

/** An error with its envelope code, thrown by routes and the deploy flow; the code decides the status. */
export class ApiError extends SpinError {
  override readonly code: ErrorCode;
  override readonly exitCode: ExitCodeValue;
  readonly status: number;
  readonly diagnostics?: Diagnostic[];

  constructor(code: ErrorCode, message: string, options: {hint?: string; diagnostics?: Diagnostic[]; cause?: unknown} = {}) {
    super(message, options);
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.exitCode = ERROR_CODES[code].exit;
    this.diagnostics = options.diagnostics;
  }
}

/** The API form of a diagnostic: where it is in the model (`path`), never a client file name. */
export function diagnosticJson(d: Diagnostic): DiagnosticJson {
  const out: DiagnosticJson = {severity: d.severity, source: d.source, message: d.message};
  if (d.rule) out.rule = d.rule;
  if (d.path) out.path = d.path;
  if (d.hint) out.hint = d.hint;
  return out;
}

export const invalidRequest = (message: string, hint?: string) => new ApiError('request.invalid', message, {hint});

export const projectNotFound = (project: string) =>
  new ApiError('project.not_found', `project "${project}" not found`, {hint: 'check the project name; `spin whoami` lists your projects'});

export const stackNotFound = (project: string, stack: string) =>
  new ApiError('stack.not_found', `stack "${stack}" not found in project "${project}"`, {hint: 'list stacks with `spin stacks`'});

/** Refuses service names a stack does not have, naming the ones it has. */
export function checkServiceNames(stack: string, names: readonly string[], known: Iterable<string>): void {
  const have = [...known];
  const unknown = names.filter((s) => !have.includes(s));
  if (unknown.length === 0) return;
  throw new ApiError('request.invalid', `stack "${stack}" has no service ${unknown.map((s) => `"${s}"`).join(', ')}`, {
    hint: have.length > 0 ? `its services are ${have.map((s) => `"${s}"`).join(', ')}` : 'the stack has no services; see `spin ps`',
  });
}

/** The part of a fastify error we read; its errors are plain Errors with these fields. */
interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  validation?: unknown[];
  validationContext?: string;
  message: string;
}

function fastifyEnvelope(err: FastifyLikeError): Envelope | undefined {
  const e = (code: ErrorCode, message: string, hint?: string): Envelope => ({status: ERROR_CODES[code].status, body: {error: hint ? {code, message, hint} : {code, message}}});
  if (err.validation) {
    return e('request.invalid', `invalid request: ${err.message}`, 'see schemas/agent-api.yaml for the request format');
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return e('request.too_large', 'the request body is too large', 'deploy bodies may be up to 4 MiB and others 64 KiB; secret values up to 512 KiB');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return e('request.invalid', `the request body is not valid JSON: ${err.message}`, 'send a JSON object with content-type application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return e('request.invalid', 'the request body is empty but content-type is application/json', 'send a JSON object, or no content-type header');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return e('request.invalid', 'unsupported content-type', 'send JSON with content-type application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return e('request.invalid', 'the content-length header does not match the body', undefined);
  }
  // Body parse errors from JSON.parse carry a 400 status but no code of their own.
  if (err.statusCode === 400) return e('request.invalid', `the request body cannot be parsed: ${err.message}`, 'send a JSON object with content-type application/json');
  if (err.statusCode === 413) return e('request.too_large', 'the request body is too large', undefined);
  return undefined;
}

/** The API code of any Spin error: its own when the API has it (an engine's `volume.in_use`), else by its class. */
function apiCode(err: SpinError): ErrorCode {
  if (isErrorCode(err.code)) return err.code;
  if (err instanceof AuthError) return 'auth.unauthenticated';
  if (err instanceof UnreachableError) return 'engine.unreachable';
  if (err instanceof InvalidInputError || err instanceof UsageError) return 'request.invalid';
  return 'engine.failed';
}

/**
 * The status and envelope for anything a route threw. `internal` errors keep their message to
 * the log: the client only learns that something broke.
 */
export function toEnvelope(err: unknown): Envelope {
  if (err instanceof ApiError) {
    const error: ErrorBody = {code: err.code, message: err.message};
    if (err.hint) error.hint = err.hint;
    if (err.diagnostics) error.diagnostics = err.diagnostics.map(diagnosticJson);
    return {status: err.status, body: {error}};
  }
  if (err instanceof SpinError) {
    const code = apiCode(err);
    const error: ErrorBody = {code, message: err.message};
    if (err.hint) error.hint = err.hint;
    return {status: ERROR_CODES[code].status, body: {error}};
  }
  if (err instanceof Error) {
    const mapped = fastifyEnvelope(err as FastifyLikeError);
    if (mapped) return mapped;
  }
  return {status: ERROR_CODES.internal.status, body: {error: {code: 'internal', message: 'internal error in the agent', hint: 'the agent log has the details; report it if it persists'}}};
}
