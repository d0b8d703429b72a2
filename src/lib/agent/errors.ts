// The agent's error envelope: every 4xx/5xx answer is `{"error": {code, message, hint?,
// diagnostics?}}` with a stable, namespaced code (see schemas/agent-api.yaml). Routes throw
// ApiError (or any SpinError); toEnvelope turns whatever was thrown into the status and body, so
// fastify's own errors, engine failures and bugs all leave the agent in the same shape and a
// stack trace never does.

import type {Diagnostic} from '../compose/types.ts';
import {AuthError, exitCodeForStatus, InvalidInputError, SpinError, statusOfCode, UnreachableError, UsageError, type ExitCodeValue} from '../errors.ts';

export interface DiagnosticJson {
  severity: string;
  source: string;
  rule?: string;
  message: string;
  path?: string;
  hint?: string;
}

export interface ErrorBody {
  code: string;
  message: string;
  hint?: string;
  diagnostics?: DiagnosticJson[];
}

export interface Envelope {
  status: number;
  body: {error: ErrorBody};
}

/** An error with its HTTP status and envelope code, thrown by routes and the deploy flow. */
export class ApiError extends SpinError {
  override readonly code: string;
  override readonly exitCode: ExitCodeValue;
  readonly status: number;
  readonly diagnostics?: Diagnostic[];

  constructor(status: number, code: string, message: string, options: {hint?: string; diagnostics?: Diagnostic[]; cause?: unknown} = {}) {
    super(message, options);
    this.status = status;
    this.code = code;
    this.exitCode = exitCodeForStatus(status);
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

export const invalidRequest = (message: string, hint?: string) => new ApiError(400, 'request.invalid', message, {hint});

export const projectNotFound = (project: string) =>
  new ApiError(404, 'project.not_found', `project "${project}" not found`, {hint: 'check the project name; `spin whoami` lists your projects'});

export const stackNotFound = (project: string, stack: string) =>
  new ApiError(404, 'stack.not_found', `stack "${stack}" not found in project "${project}"`, {hint: 'list stacks with `spin stacks`'});

/** Refuses service names a stack does not have, naming the ones it has. */
export function checkServiceNames(stack: string, names: readonly string[], known: Iterable<string>): void {
  const have = [...known];
  const unknown = names.filter((s) => !have.includes(s));
  if (unknown.length === 0) return;
  throw new ApiError(400, 'request.invalid', `stack "${stack}" has no service ${unknown.map((s) => `"${s}"`).join(', ')}`, {
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
  const e = (status: number, code: string, message: string, hint?: string): Envelope => ({status, body: {error: hint ? {code, message, hint} : {code, message}}});
  if (err.validation) {
    return e(400, 'request.invalid', `invalid request: ${err.message}`, 'see schemas/agent-api.yaml for the request format');
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return e(413, 'request.too_large', 'the request body is too large', 'deploy bodies may be up to 4 MiB and others 64 KiB; secret values up to 512 KiB');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return e(400, 'request.invalid', `the request body is not valid JSON: ${err.message}`, 'send a JSON object with content-type application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return e(400, 'request.invalid', 'the request body is empty but content-type is application/json', 'send a JSON object, or no content-type header');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return e(400, 'request.invalid', 'unsupported content-type', 'send JSON with content-type application/json');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return e(400, 'request.invalid', 'the content-length header does not match the body', undefined);
  }
  // Body parse errors from JSON.parse carry a 400 status but no code of their own.
  if (err.statusCode === 400) return e(400, 'request.invalid', `the request body cannot be parsed: ${err.message}`, 'send a JSON object with content-type application/json');
  if (err.statusCode === 413) return e(413, 'request.too_large', 'the request body is too large', undefined);
  return undefined;
}

function spinStatus(err: SpinError): {status: number; code: string} {
  // The API's stable codes, and a backend's own `<thing>.not_found` (a service or replica to exec in).
  const known = statusOfCode(err.code);
  if (known !== undefined) return {status: known, code: err.code};
  if (err instanceof AuthError) return {status: 401, code: 'auth.unauthenticated'};
  if (err instanceof UnreachableError) return {status: 502, code: 'engine.unreachable'};
  if (err instanceof InvalidInputError || err instanceof UsageError) return {status: 400, code: 'request.invalid'};
  return {status: 500, code: 'engine.failed'};
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
    const {status, code} = spinStatus(err);
    const error: ErrorBody = {code, message: err.message};
    if (err.hint) error.hint = err.hint;
    return {status, body: {error}};
  }
  if (err instanceof Error) {
    const mapped = fastifyEnvelope(err as FastifyLikeError);
    if (mapped) return mapped;
  }
  return {status: 500, body: {error: {code: 'internal', message: 'internal error in the agent', hint: 'the agent log has the details; report it if it persists'}}};
}
