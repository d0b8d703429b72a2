// The agent's HTTP API as a fastify instance that is not listening: server.ts listens, tests use
// inject(). Every request goes authn (bearer token) → path names → project membership → body
// limit and schema (from schemas/agent-api.yaml) → route; every failure leaves as the error
// envelope of errors.ts.

import {Operations} from './operations.ts';
import websocket from '@fastify/websocket';
import Fastify, {type FastifyInstance, type FastifyRequest, type FastifyServerOptions} from 'fastify';
import type {IncomingMessage} from 'node:http';

import type {Orchestrator} from '../engine/types.ts';
import type {Policy} from '../policy/index.ts';
import {FailedAuthLimiter} from './auth-limit.ts';
import {registerAuth} from './auth.ts';
import {ApiError, toEnvelope} from './errors.ts';
import {DEFAULT_LIMITS, writeAudit, type AgentContext, type Limits} from './routes/context.ts';
import {execRoutes} from './routes/exec.ts';
import {logRoutes} from './routes/logs.ts';
import {secretRoutes} from './routes/secrets.ts';
import {loadApiSpec, pathParamChecks} from './routes/spec.ts';
import {stackRoutes} from './routes/stacks.ts';
import {systemRoutes} from './routes/system.ts';
import {volumeRoutes} from './routes/volumes.ts';
import type {Store} from './types.ts';

export {DEFAULT_LIMITS, type Limits} from './routes/context.ts';

export interface AppOptions {
  store: Store;
  /** The changes in flight; the API and the dashboard of one agent share one. */
  operations?: Operations;
  /** Failed sign-ins per address; the API and the dashboard of one agent share one. */
  authLimiter?: FailedAuthLimiter;
  orchestrator: Orchestrator;
  policy: Policy;
  /** The platform registry (`host[:port]`): reported by /v1/info and allowed by the registry rule. */
  registry?: string;
  /** `warn` for a laptop's embedded agent: violations become warnings (see deploy.ts). */
  policyMode?: 'enforce' | 'warn';
  version: string;
  /** fastify's logger options (pino); off when absent. Headers and bodies are never logged. */
  logger?: boolean | {level?: string; stream?: NodeJS.WritableStream};
  limits?: Partial<Limits>;
  clock?: () => Date;
  /** Where the orchestrator writes secret files (lets scale re-read a `file` secret). */
  secretsDir?: string;
  /** The engine's version for /v1/info. */
  engineVersion?: () => Promise<string | undefined>;
  /** Serve HTTPS with this certificate and key (PEM). */
  https?: {cert: Buffer | string; key: Buffer | string};
  /** Where the dashboard serves, told to clients by /v1/info; `apiHost` is the host name the client reached the API by. */
  dashboardUrl?: (apiHost: string) => string | undefined;
}

/** Largest WebSocket frame a client may send to exec (stdin chunks are far smaller). */
const MAX_WS_PAYLOAD = 1024 * 1024;

/** A refused body up to this size is still read (and dropped) before the answer; see drainBody. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const MAX_DRAIN_MS = 10_000;

/**
 * Reads and drops the rest of a request body the agent refused. The answer closes the
 * connection, and closing it with unread data resets it: a client still sending its too-large
 * body would then see EPIPE or ECONNRESET instead of the 413 envelope. Bounded in size and time,
 * and only callers that passed authentication get this far.
 */
function drainBody(raw: IncomingMessage): Promise<void> {
  if (raw.complete || raw.destroyed) return Promise.resolve();
  const declared = Number(raw.headers['content-length']);
  if (declared > MAX_DRAIN_BYTES) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      raw.off('data', onData).off('end', done).off('error', done).off('close', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > MAX_DRAIN_BYTES) done();
    };
    const timer = setTimeout(done, MAX_DRAIN_MS);
    raw.on('data', onData).once('end', done).once('error', done).once('close', done);
    raw.resume();
  });
}

/** What a log line says about a request: no headers (tokens), no query (exec commands), no body. */
function requestSerializer(request: FastifyRequest) {
  return {method: request.method, url: request.url.split('?')[0], remoteAddress: request.ip};
}

function loggerOptions(logger: AppOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  const base = logger === true ? {} : logger;
  return {level: base.level ?? 'info', ...(base.stream ? {stream: base.stream} : {}), serializers: {req: requestSerializer as never}};
}

/** What routes get; the dashboard (src/lib/dashboard) builds its own from the same options. */
export function agentContext(options: AppOptions): AgentContext {
  return {
    store: options.store,
    orchestrator: options.orchestrator,
    policy: options.policy,
    registry: options.registry,
    policyMode: options.policyMode,
    version: options.version,
    limits: {...DEFAULT_LIMITS, ...options.limits},
    clock: options.clock ?? (() => new Date()),
    secretsDir: options.secretsDir,
    engineVersion: options.engineVersion,
    dashboardUrl: options.dashboardUrl,
    operations: options.operations ?? new Operations(options.clock),
    authLimiter: options.authLimiter ?? new FailedAuthLimiter(),
    spec: loadApiSpec(),
  };
}

export function buildApp(options: AppOptions): FastifyInstance {
  const ctx = agentContext(options);
  const {limits, spec} = ctx;
  const app = Fastify({
    logger: loggerOptions(options.logger),
    bodyLimit: limits.body,
    // Volume names on the engine reach 255 characters; fastify's default of 100 would 404 them.
    routerOptions: {maxParamLength: 300},
    ajv: {customOptions: {removeAdditional: false, useDefaults: true, coerceTypes: 'array', allErrors: false}},
    return503OnClosing: true,
    ...(options.https ? {https: options.https} : {}),
  }) as unknown as FastifyInstance;

  app.setErrorHandler(async (err, request, reply) => {
    const {status, body} = toEnvelope(err);
    if (status >= 500) request.log.error({err}, 'request failed');
    else request.log.info({code: body.error.code}, body.error.message);
    if (status === 413) await drainBody(request.raw);
    return reply.code(status).type('application/json').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0].slice(0, 200);
    const {status, body} = toEnvelope(new ApiError('route.not_found', `no route for ${request.method} ${path}`, {hint: 'check the agent URL; the API is described in schemas/agent-api.yaml'}));
    return reply.code(status).send(body);
  });

  registerAuth(app, {
    store: options.store,
    limiter: ctx.authLimiter,
    paramChecks: pathParamChecks(spec),
    onDenied: (request, user, project) =>
      writeAudit(ctx, request, {user: user.name, project, action: 'project.access', target: request.url.split('?')[0].slice(0, 200), outcome: 'denied'}),
  });

  void app.register(websocket, {options: {maxPayload: MAX_WS_PAYLOAD}});
  // Routes go in a child context so they are declared once the WebSocket plugin is loaded.
  void app.register(async (routes) => {
    systemRoutes(routes, ctx);
    stackRoutes(routes, ctx);
    logRoutes(routes, ctx);
    execRoutes(routes, ctx);
    secretRoutes(routes, ctx);
    volumeRoutes(routes, ctx);
  });
  return app;
}
