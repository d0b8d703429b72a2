// What every route module gets: the agent's dependencies, the limits, and the helpers routes
// share (registering an operation from the API document, the audit trail, stack lookups).

import type {FailedAuthLimiter} from '../auth-limit.ts';
import type {Operations} from '../operations.ts';
import type {FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler} from 'fastify';
import type {WebSocket} from 'ws';

import type {paths} from '../../api/schema.ts';
import type {SuccessJson} from '../../api/types.ts';
import type {Orchestrator, StackRef, StackStatus} from '../../engine/types.ts';
import type {Policy} from '../../policy/index.ts';
import {ApiError, stackNotFound} from '../errors.ts';
import type {AuditEntry, StackRecord, Store, User} from '../types.ts';
import {fastifyPath, operationSchemas, type HttpMethod, type OpenApiDocument} from './spec.ts';

export interface Limits {
  /** Bytes of a deploy request body. */
  deployBody: number;
  /** Bytes of a secret request body (the value is base64). */
  secretBody: number;
  /** Bytes of a secret value once decoded. */
  secretValue: number;
  /** Bytes of any other request body. */
  body: number;
}

export const DEFAULT_LIMITS: Limits = {
  deployBody: 4 * 1024 * 1024,
  secretBody: 768 * 1024,
  secretValue: 512 * 1024,
  body: 64 * 1024,
};

export interface AgentContext {
  store: Store;
  orchestrator: Orchestrator;
  policy: Policy;
  registry?: string;
  policyMode?: 'enforce' | 'warn';
  version: string;
  limits: Limits;
  clock: () => Date;
  secretsDir?: string;
  /** The engine's version for /v1/info; the Orchestrator interface does not report it. */
  engineVersion?: () => Promise<string | undefined>;
  /** The dashboard's URL as a client that reached the API at `apiHost` sees it; absent when none runs. */
  dashboardUrl?: (apiHost: string) => string | undefined;
  /** Every change of a stack in flight, with its events, for the dashboard to follow live. */
  operations: Operations;
  authLimiter: FailedAuthLimiter;
  spec: OpenApiDocument;
}

export type ApiPath = keyof paths;

/** What the operation answers on success, from schemas/agent-api.yaml; a stream returns the reply. */
type Answer<P extends ApiPath, M extends HttpMethod> = paths[P][M] extends {responses: infer R} ? SuccessJson<R> : never;

type Handler<P extends ApiPath, M extends HttpMethod> = (request: FastifyRequest, reply: FastifyReply) => Promise<Answer<P, M> | FastifyReply>;

export interface RouteExtras {
  bodyLimit?: number;
  /** Runs after validation, before the handler (and before a WebSocket upgrade). */
  preHandler?: preHandlerAsyncHookHandler;
  /** Makes the route a WebSocket endpoint; `handler` then answers plain HTTP requests. */
  wsHandler?: (socket: WebSocket, request: FastifyRequest) => Promise<void>;
}

/**
 * Registers one operation of schemas/agent-api.yaml: the body and query schemas come from the
 * document. An optional body the client left out reads as `{}`.
 */
export function addRoute<P extends ApiPath, M extends HttpMethod>(app: FastifyInstance, ctx: AgentContext, method: M, path: P, handler: Handler<P, M>, extras: RouteExtras = {}): void {
  const schemas = operationSchemas(ctx.spec, method, path);
  const schema = {...(schemas.body ? {body: schemas.body} : {}), ...(schemas.querystring ? {querystring: schemas.querystring} : {})};
  app.route({
    ...extras,
    method: method.toUpperCase() as 'GET' | 'POST' | 'DELETE',
    url: fastifyPath(path),
    schema,
    preValidation: schemas.bodyOptional
      ? async (request) => {
          request.body ??= {};
        }
      : undefined,
    handler,
  });
}

export function caller(request: FastifyRequest): User {
  if (!request.user) throw new ApiError('auth.unauthenticated', 'authentication required');
  return request.user;
}

export function stackRef(request: FastifyRequest): StackRef {
  const {project, stack} = request.params as {project: string; stack: string};
  return {project, stack};
}

function deniedOrFailed(err: unknown): AuditEntry['outcome'] {
  const code = err instanceof ApiError ? err.code : '';
  return code.startsWith('auth.') || code === 'project.not_found' || code === 'policy.violation' ? 'denied' : 'failed';
}

/** Writes an audit entry; the log never breaks the answer, so a failure to write is only logged. */
export function writeAudit(ctx: AgentContext, request: FastifyRequest, entry: Omit<AuditEntry, 'id' | 'time' | 'user'> & {user?: string}): void {
  try {
    ctx.store.audit({...entry, user: entry.user ?? request.user?.name ?? '-'});
  } catch (err) {
    request.log.error({err}, 'cannot write the audit log');
  }
}

/**
 * Runs a mutating operation and records it in the audit log with its outcome. `describe` can
 * turn a result into its outcome and a detail (a deploy that ran but failed is `failed`).
 */
export async function audited<T>(
  ctx: AgentContext,
  request: FastifyRequest,
  action: string,
  target: string,
  fn: () => Promise<T>,
  describe?: (result: T) => {outcome?: AuditEntry['outcome']; detail?: string},
): Promise<T> {
  const project = (request.params as {project?: string}).project;
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    const detail = err instanceof Error ? `${err instanceof ApiError ? `${err.code}: ` : ''}${err.message}` : String(err);
    writeAudit(ctx, request, {project, action, target, outcome: deniedOrFailed(err), detail});
    throw err;
  }
  const d = describe?.(result) ?? {};
  writeAudit(ctx, request, {project, action, target, outcome: d.outcome ?? 'ok', ...(d.detail ? {detail: d.detail} : {})});
  return result;
}

export interface StackState {
  record?: StackRecord;
  status: StackStatus;
}

const statusReads = new WeakMap<Orchestrator, Map<string, Promise<StackStatus>>>();

/**
 * The stack's status for a read. Requests that arrive while one read of the same stack is in
 * flight share its answer: 200 dashboards polling one stack cost one round of engine calls,
 * not 200. Changes (deploy, stop, ...) always read afresh from the orchestrator.
 */
export function readStatus(ctx: AgentContext, ref: StackRef): Promise<StackStatus> {
  let reads = statusReads.get(ctx.orchestrator);
  if (!reads) statusReads.set(ctx.orchestrator, (reads = new Map()));
  const key = `${ref.project}/${ref.stack}`;
  let pending = reads.get(key);
  if (!pending) {
    pending = ctx.orchestrator.status(ref).finally(() => reads.delete(key));
    reads.set(key, pending);
  }
  return pending;
}

/** A stack exists when it has revisions or containers; a bare lock row does not count. */
export async function findStack(ctx: AgentContext, ref: StackRef): Promise<StackState> {
  const record = ctx.store.stack(ref);
  const status = await readStatus(ctx, ref);
  const hasContainers = status.services.some((s) => s.replicas.length > 0);
  if (record?.latestRevision === undefined && !hasContainers) throw stackNotFound(ref.project, ref.stack);
  return {record, status};
}

/** Service names a request may name: those with containers and those in the current model. */
export function knownServices(ctx: AgentContext, ref: StackRef, state: StackState): Set<string> {
  const names = new Set(state.status.services.map((s) => s.service));
  const number = state.record?.currentRevision ?? state.record?.latestRevision;
  const model = number === undefined ? undefined : ctx.store.revision(ref, number)?.model;
  for (const name of Object.keys(model?.services ?? {})) names.add(name);
  return names;
}
