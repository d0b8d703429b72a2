// The CLI's client of the agent API (contract: schemas/agent-api.yaml, whose generated types
// both sides use). Plain node:http(s) so a private CA works, NDJSON streams are read line by
// line, and errors become the CLI's error classes with the exit code of their API error code.

import {readFileSync} from 'node:fs';
import type http from 'node:http';
import type https from 'node:https';

import {exitCodeOf} from '../api/error-codes.ts';
import {LOG_FRAMES, LogFrameReader, type LogFrame} from '../api/log-frames.ts';
import type {
  DeployEventJson,
  DeployRequestJson,
  DeployResultJson,
  DeployStreamLineJson,
  HealthJson,
  InfoJson,
  LifecycleJson,
  LogLineJson,
  LogsQuery,
  RemovedJson,
  ResponseJson,
  RevisionJson,
  RevisionListJson,
  RollbackRequestJson,
  SecretJson,
  StackDetailJson,
  StackRemovedJson,
  UpgradeRequestJson,
  WhoamiJson,
} from '../api/types.ts';
import type {Diagnostic} from '../compose/types.ts';
import {errorWithExitCode, OperationError, SpinError, UnreachableError, UsageError} from '../errors.ts';
import {NDJSON, textLines} from '../ndjson.ts';

// `spin ps` is bound by startup, so the client takes node:http as the plain module: an ESM import
// of it reads every export, and its lazy ones (WebSocket, EventSource) load all of undici
// (~20 ms on a quiet machine). node:https (with tls and crypto) loads only for an https agent.
const httpModule = (): typeof http => process.getBuiltinModule('node:http');
const httpsModule = (): typeof https => process.getBuiltinModule('node:https');

export interface AgentClientOptions {
  url: string;
  token?: string;
  /** Path of a CA bundle (PEM) for an agent with a private certificate. */
  ca?: string;
  userAgent?: string;
  /** Connection timeout; streams may run longer. */
  connectTimeoutMs?: number;
}

interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | string[] | undefined>;
  signal?: AbortSignal;
  accept?: string;
}

/** What arrives in an error answer: the API's ErrorEnvelope, read without trusting any field to be there. */
export interface ErrorEnvelope {
  error?: {code?: string; message?: string; hint?: string; diagnostics?: Diagnostic[]};
}

/** An error the agent answered with; keeps its code and any compose/policy diagnostics. */
export interface RemoteFailure {
  remoteCode?: string;
  diagnostics?: Diagnostic[];
}

const MAX_JSON_BYTES = 32 * 1024 * 1024;

/** `status` is absent for a stream's last line: the stream's own status (200) was sent before it failed. */
export function errorFromResponse(status: number | undefined, body: ErrorEnvelope, url: string): SpinError & RemoteFailure {
  const e = body.error ?? {};
  const message = e.message ?? `the agent answered ${status ?? 'with an error'}`;
  const unauthenticated = status === 401 || e.code === 'auth.unauthenticated';
  const hint = unauthenticated ? (e.hint ?? `log in again with \`spin login ${url} --token TOKEN\``) : e.hint;
  const err: SpinError & RemoteFailure = errorWithExitCode(exitCodeOf(e.code, status), message, {hint});
  err.remoteCode = e.code;
  if (e.diagnostics) err.diagnostics = e.diagnostics;
  return err;
}

/** One NDJSON line, undefined when blank; a broken one is a clear error, not a SyntaxError. */
function parseLine<T>(line: string, url: string): T | undefined {
  let item: unknown;
  try {
    item = JSON.parse(line);
  } catch {
    if (line.trim() === '') return undefined;
    throw new OperationError(`the agent at ${url} sent a line that is not JSON: ${JSON.stringify(line.slice(0, 80))}`, {hint: 'check that the URL points at a Spin agent'});
  }
  // A failure after the stream started (the status is gone) comes as a last line holding the error
  // envelope: `{"error": {...}}`, or `{"type": "error", "error": {...}}` in a deploy's events.
  const failed = item as ErrorEnvelope & {type?: string};
  if (failed && typeof failed.error === 'object' && failed.error !== null && (failed.type === undefined || failed.type === 'error')) throw errorFromResponse(undefined, failed, url);
  return item as T;
}

function networkError(err: NodeJS.ErrnoException, url: string): SpinError {
  const code = err.code ?? '';
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code) || /certificate/i.test(err.message)) {
    return new UnreachableError(`cannot verify the agent's certificate at ${url}: ${err.message}`, {hint: 'pass the CA that signed it: `spin login URL --token T --ca ca.pem` (or SPIN_CA)', cause: err});
  }
  return new UnreachableError(`cannot reach the Spin agent at ${url} (${code || err.message})`, {hint: `check that the agent is running and the URL is right: curl ${url}/v1/health`, cause: err});
}

export class AgentClient {
  readonly url: string;
  private readonly token?: string;
  private readonly agent: http.Agent;
  private readonly userAgent: string;
  private readonly connectTimeoutMs: number;

  constructor(options: AgentClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new UsageError(`invalid agent URL "${options.url}"`, {hint: 'use the form https://host:port'});
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new UsageError(`invalid agent URL "${options.url}": only http and https are supported`, {hint: 'use the form https://host:port'});
    }
    this.url = parsed.origin;
    this.token = options.token;
    this.userAgent = options.userAgent ?? 'spin-cli';
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.agent = parsed.protocol === 'https:' ? new (httpsModule().Agent)({keepAlive: true, ca: options.ca ? readFileSync(options.ca) : undefined}) : new (httpModule().Agent)({keepAlive: true});
  }

  close(): void {
    this.agent.destroy();
  }

  /** Headers for any request, WebSocket upgrades included. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {'user-agent': this.userAgent, ...(this.token ? {authorization: `Bearer ${this.token}`} : {}), ...extra};
  }

  /** The agent's URL for a path and query, e.g. for a WebSocket. */
  endpoint(path: string, query?: RequestOptions['query']): URL {
    const u = new URL(`/v1${path}`, this.url);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === false) continue;
      for (const item of Array.isArray(v) ? v : [v]) u.searchParams.append(k, String(item));
    }
    return u;
  }

  get tlsCa(): Buffer | undefined {
    return (this.agent as https.Agent).options?.ca as Buffer | undefined;
  }

  private open(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    const u = this.endpoint(path, options.query);
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers = this.headers({accept: options.accept ?? 'application/json', ...(payload ? {'content-type': 'application/json', 'content-length': String(payload.length)} : {})});
    const lib = u.protocol === 'https:' ? httpsModule() : httpModule();
    return new Promise((resolve, reject) => {
      const req = lib.request(u, {method, headers, agent: this.agent, signal: options.signal}, resolve);
      const timer = setTimeout(() => req.destroy(Object.assign(new Error('connection timed out'), {code: 'ETIMEDOUT'})), this.connectTimeoutMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) clearTimeout(timer);
        else socket.once(u.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(timer));
      });
      req.on('response', () => clearTimeout(timer));
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (err.name === 'AbortError') reject(err);
        else reject(networkError(err, this.url));
      });
      req.end(payload);
    });
  }

  private async readBody(res: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res) {
      size += chunk.length;
      if (size > MAX_JSON_BYTES) throw new OperationError('the agent sent an unexpectedly large answer');
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text === '') return {};
    try {
      return JSON.parse(text);
    } catch {
      throw new OperationError(`the agent at ${this.url} answered ${res.statusCode} with something that is not JSON`, {hint: 'check that the URL points at a Spin agent'});
    }
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.open(method, path, options);
    const body = await this.readBody(res);
    if ((res.statusCode ?? 500) >= 400) throw errorFromResponse(res.statusCode ?? 500, body as ErrorEnvelope, this.url);
    return body as T;
  }

  /** Reads an NDJSON answer one object at a time; an error status throws before the first. */
  async *stream<T>(method: string, path: string, options: RequestOptions = {}): AsyncGenerator<T> {
    const res = await this.open(method, path, {...options, accept: NDJSON});
    if ((res.statusCode ?? 500) >= 400) throw errorFromResponse(res.statusCode ?? 500, (await this.readBody(res)) as ErrorEnvelope, this.url);
    const tooLong = () => {
      throw new OperationError('the agent sent a line longer than 32 MiB', {hint: 'check that the URL points at a Spin agent'});
    };
    try {
      for await (const line of textLines(res, {maxLine: MAX_JSON_BYTES, tooLong})) {
        const item = parseLine<T>(line, this.url);
        if (item !== undefined) yield item;
      }
    } catch (err) {
      if ((err as Error).name === 'AbortError' || options.signal?.aborted) return;
      if (err instanceof SpinError) throw err;
      throw networkError(err as NodeJS.ErrnoException, this.url);
    }
  }

  // ---- typed calls (one per operation of the API; the types are the yaml's)

  health() {
    return this.request<HealthJson>('GET', '/health');
  }

  whoami() {
    return this.request<WhoamiJson>('GET', '/whoami');
  }

  info() {
    return this.request<InfoJson>('GET', '/info');
  }

  stacks(project: string) {
    return this.request<ResponseJson<'listStacks'>>('GET', `/projects/${enc(project)}/stacks`);
  }

  stack(project: string, stack: string) {
    return this.request<StackDetailJson>('GET', `/projects/${enc(project)}/stacks/${enc(stack)}`);
  }

  /** Deploys and streams progress; resolves with the final result. */
  async deploy(project: string, stack: string, body: DeployRequestJson, onEvent?: (e: DeployEventJson) => void, signal?: AbortSignal): Promise<DeployResultJson> {
    return this.resultOf(this.stream('POST', `/projects/${enc(project)}/stacks/${enc(stack)}/deploy`, {body, signal}), onEvent);
  }

  async scale(project: string, stack: string, replicas: Record<string, number>, onEvent?: (e: DeployEventJson) => void): Promise<DeployResultJson> {
    return this.resultOf(this.stream('POST', `/projects/${enc(project)}/stacks/${enc(stack)}/scale`, {body: {replicas}}), onEvent);
  }

  async upgrade(project: string, stack: string, body: UpgradeRequestJson, onEvent?: (e: DeployEventJson) => void): Promise<DeployResultJson> {
    return this.resultOf(this.stream('POST', `/projects/${enc(project)}/stacks/${enc(stack)}/upgrade`, {body}), onEvent);
  }

  async rollback(project: string, stack: string, body: RollbackRequestJson, onEvent?: (e: DeployEventJson) => void): Promise<DeployResultJson> {
    return this.resultOf(this.stream('POST', `/projects/${enc(project)}/stacks/${enc(stack)}/rollback`, {body}), onEvent);
  }

  /** The result line ends a deploy-like stream; an error line was already thrown by the reader. */
  private async resultOf(lines: AsyncIterable<DeployStreamLineJson>, onEvent?: (e: DeployEventJson) => void): Promise<DeployResultJson> {
    for await (const line of lines) {
      if (line.type === 'result') return line.result;
      if (line.type !== 'error') onEvent?.(line);
    }
    throw new OperationError('the agent closed the connection before the deploy finished', {hint: 'check the stack with `spin ps`; the agent may have restarted'});
  }

  revisions(project: string, stack: string) {
    return this.request<RevisionListJson>('GET', `/projects/${enc(project)}/stacks/${enc(stack)}/revisions`);
  }

  revision(project: string, stack: string, n: number) {
    return this.request<RevisionJson>('GET', `/projects/${enc(project)}/stacks/${enc(stack)}/revisions/${n}`);
  }

  lifecycle(project: string, stack: string, action: 'stop' | 'start' | 'restart', services?: string[]) {
    return this.request<LifecycleJson>('POST', `/projects/${enc(project)}/stacks/${enc(stack)}/${action}`, {body: services?.length ? {services} : {}});
  }

  remove(project: string, stack: string, volumes: boolean) {
    return this.request<StackRemovedJson>('DELETE', `/projects/${enc(project)}/stacks/${enc(stack)}`, {query: {volumes: volumes || undefined}});
  }

  /**
   * The stack's logs as frames of raw lines (api/log-frames.ts): no JSON per line. An agent from
   * before frames answers NDJSON; its lines are framed here, so callers see one format.
   */
  async *logs(project: string, stack: string, query: LogsQuery, signal?: AbortSignal): AsyncGenerator<LogFrame> {
    const path = `/projects/${enc(project)}/stacks/${enc(stack)}/logs`;
    const res = await this.open('GET', path, {query, signal, accept: `${LOG_FRAMES}, ${NDJSON};q=0.5`});
    if ((res.statusCode ?? 500) >= 400) throw errorFromResponse(res.statusCode ?? 500, (await this.readBody(res)) as ErrorEnvelope, this.url);
    if (!(res.headers['content-type'] ?? '').startsWith(LOG_FRAMES)) {
      res.destroy();
      yield* framedLines(this.stream<LogLineJson>('GET', path, {query, signal}));
      return;
    }
    const reader = new LogFrameReader();
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        for (const frame of reader.push(chunk)) {
          if (frame.kind === 'error') throw errorFromResponse(500, {error: frame.error}, this.url);
          yield frame;
        }
      }
    } catch (err) {
      if ((err as Error).name === 'AbortError' || signal?.aborted) return;
      if (err instanceof SpinError) throw err;
      throw networkError(err as NodeJS.ErrnoException, this.url);
    }
    if (reader.partial && !signal?.aborted) throw new OperationError(`the agent at ${this.url} ended the log stream in the middle of a frame`, {hint: 'run the command again'});
  }

  secrets(project: string) {
    return this.request<ResponseJson<'listSecrets'>>('GET', `/projects/${enc(project)}/secrets`);
  }

  createSecret(project: string, name: string, value: Buffer) {
    return this.request<SecretJson>('POST', `/projects/${enc(project)}/secrets`, {body: {name, value: value.toString('base64')}});
  }

  /** Without `force`, a secret a stack uses is kept: 409 `secret.in_use` naming the stacks. */
  removeSecret(project: string, name: string, force = false) {
    return this.request<RemovedJson>('DELETE', `/projects/${enc(project)}/secrets/${enc(name)}`, {query: {force: force || undefined}});
  }

  volumes(project: string) {
    return this.request<ResponseJson<'listVolumes'>>('GET', `/projects/${enc(project)}/volumes`);
  }

  removeVolume(project: string, name: string) {
    return this.request<RemovedJson>('DELETE', `/projects/${enc(project)}/volumes/${enc(name)}`);
  }
}

const enc = encodeURIComponent;

/** NDJSON log lines (an older agent's answer) as frames: a sources frame for each new replica. */
async function* framedLines(lines: AsyncIterable<LogLineJson>): AsyncGenerator<LogFrame> {
  const index = new Map<string, number>();
  for await (const l of lines) {
    const key = `${l.service}\u0000${l.replica}`;
    let source = index.get(key);
    if (source === undefined) {
      index.set(key, (source = index.size));
      yield {kind: 'sources', sources: [...index.keys()].map((k) => ({service: k.split('\u0000')[0], replica: Number(k.split('\u0000')[1])}))};
    }
    yield {kind: 'lines', source, stream: l.stream === 'stderr' ? 'stderr' : 'stdout', data: Buffer.from(l.timestamp ? `${l.timestamp} ${l.line}\n` : `${l.line}\n`)};
  }
}
