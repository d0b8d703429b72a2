// `spin exec` over a WebSocket. Authentication, the project check and the query are settled on
// the HTTP upgrade request, so a refused client gets a plain HTTP error; after the upgrade the
// framing of schemas/agent-api.yaml applies: binary frames carry stdin, and stdout/stderr behind
// a one-byte stream id; text frames carry control messages, the exit code and late errors.

import type {FastifyInstance, FastifyRequest} from 'fastify';
import type {RawData, WebSocket} from 'ws';

import type {ExecSession, StackRef} from '../../engine/types.ts';
import {globalFsMount} from '../../policy/global-fs.ts';
import {ApiError, invalidRequest, toEnvelope} from '../errors.ts';
import {resolvePolicyPaths} from '../host-paths.ts';
import {addRoute, stackRef, writeAudit, type AgentContext} from './context.ts';
import {operationSchemas} from './spec.ts';
import type {QueryOf} from '../../api/types.ts';

/** The exec route's query, as the yaml declares it (fastify has coerced the types). */
type ExecQuery = QueryOf<'stackExec'>;

export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;
/** How long to wait for the last output once the process has exited. */
const DRAIN_MS = 2000;

const EXEC_PATH = '/v1/projects/{project}/stacks/{stack}/exec';

/** Most arguments a command may have (the query holds at most 16 KiB of them anyway). */
export const MAX_COMMAND_ARGS = 1024;

/** The `cmd` query parameter: a JSON array of strings. */
export function parseCommand(text: string): string[] {
  let cmd: unknown;
  try {
    cmd = JSON.parse(text);
  } catch {
    cmd = undefined;
  }
  if (!Array.isArray(cmd) || cmd.length === 0 || !cmd.every((c) => typeof c === 'string')) {
    throw invalidRequest('cmd must be a JSON array of strings, e.g. ["sh", "-c", "ls"]', 'pass the command after `--`: spin exec web -- ls -l');
  }
  if (cmd.length > MAX_COMMAND_ARGS) {
    throw invalidRequest(`cmd has ${cmd.length} arguments, more than the ${MAX_COMMAND_ARGS} allowed`, 'pass long argument lists through a file or stdin');
  }
  if (cmd.some((c) => c.includes('\0'))) throw invalidRequest('cmd arguments cannot contain NUL characters', 'remove the NUL bytes from the command');
  return cmd;
}

/** A user name or numeric id, optionally with a group: `1000`, `1000:1000`, `www-data:www-data`. */
const EXEC_USER = /^[a-z0-9_][a-z0-9_.-]{0,31}(:[a-z0-9_][a-z0-9_.-]{0,31})?$/i;
/** An absolute path without control characters. */
const EXEC_WORKDIR = /^\/\P{Cc}*$/u;

/** Checks the query beyond its schema: no parameter the API does not describe, and sane values. */
function checkQuery(ctx: AgentContext, query: ExecQuery & Record<string, unknown>): void {
  const known = Object.keys((operationSchemas(ctx.spec, 'get', EXEC_PATH).querystring?.properties as object | undefined) ?? {});
  const unknown = Object.keys(query).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 3).map((k) => `"${k.slice(0, 40)}"`).join(', ');
    throw invalidRequest(`exec does not take ${shown}`, `a command runs with its service's own privileges and environment; the parameters are ${known.join(', ')}`);
  }
  parseCommand(query.cmd);
  if (query.user !== undefined && !EXEC_USER.test(query.user)) {
    throw invalidRequest(`user ${JSON.stringify(query.user.slice(0, 80))} is not a user name or id`, 'give a name or a numeric id, optionally with a group: 1000, 1000:1000, www-data');
  }
  if (query.workdir !== undefined && !EXEC_WORKDIR.test(query.workdir)) {
    throw invalidRequest(`workdir ${JSON.stringify(query.workdir.slice(0, 80))} is not an absolute path`, 'give a folder inside the container starting with "/", e.g. /app');
  }
}

/**
 * The user a command runs as. A service on a global file system runs as its owner's UID:GID
 * (the global-fs rule), and exec may not pick another user there: it would read and write other
 * people's files as they, or as root. The models are the stack's current and latest revisions,
 * the ones its containers can be running. Without such a mount, the caller's choice stands.
 */
export async function execUser(ctx: AgentContext, ref: StackRef, service: string, asked: string | undefined): Promise<string | undefined> {
  if (ctx.policy.disabled_rules.includes('global-fs')) return asked;
  const record = ctx.store.stack(ref);
  const numbers = [...new Set([record?.currentRevision, record?.latestRevision].filter((n): n is number => n !== undefined))];
  const models = numbers.map((n) => ctx.store.revision(ref, n)?.model).filter((m) => m !== undefined);
  if (models.length === 0) return asked;
  const policy = await resolvePolicyPaths(ctx.policy);
  const onGlobal = models.map((model) => ({model, mount: globalFsMount(model, service, policy)})).filter((m) => m.mount !== undefined);
  if (onGlobal.length === 0) return asked;
  const own = onGlobal.map((m) => (typeof m.model.services[service].user === 'string' ? m.model.services[service].user.trim() : undefined));
  if (asked === undefined) return own[0];
  if (ctx.policyMode === 'warn' || own.every((u) => u === asked.trim())) return asked;
  const shown = own[0] === undefined ? "the image's default user" : `user "${own[0]}"`;
  throw new ApiError('policy.violation', `service "${service}" mounts "${onGlobal[0].mount}" from a global file system, so exec runs as its own ${shown}, not as user "${asked}"`, {
    hint: 'leave out --user: on a global file system a command runs as the service\'s user',
  });
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

const sendJson = (socket: WebSocket, value: unknown) => {
  if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(value));
};

function ended(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

/** Applies one client frame to the session. */
function onClientFrame(session: ExecSession, data: RawData, isBinary: boolean, stdin: boolean): void {
  if (isBinary) {
    if (stdin) session.stdin.write(toBuffer(data));
    return;
  }
  let control: {type?: unknown; cols?: unknown; rows?: unknown};
  try {
    control = JSON.parse(toBuffer(data).toString('utf8')) as typeof control;
  } catch {
    return;
  }
  if (control?.type === 'eof') session.stdin.end();
  else if (control?.type === 'resize') {
    const size = (v: unknown) => (Number.isInteger(v) && (v as number) > 0 && (v as number) <= 10000 ? (v as number) : undefined);
    const cols = size(control.cols);
    const rows = size(control.rows);
    if (cols !== undefined && rows !== undefined) session.resize(cols, rows).catch(() => {});
  }
}

/** The user each accepted request runs as, settled before the upgrade. */
const usersByRequest = new WeakMap<FastifyRequest, string | undefined>();

async function runExec(ctx: AgentContext, socket: WebSocket, request: FastifyRequest): Promise<void> {
  const ref = stackRef(request);
  const q = request.query as ExecQuery;
  const cmd = parseCommand(q.cmd);
  const index = q.index ?? 1;
  const stdin = q.stdin === true;
  const early: {data: RawData; isBinary: boolean}[] = [];
  let session: ExecSession | undefined;
  let clientGone = false;
  // Frames may arrive while the engine is still starting the process: keep them in order.
  socket.on('message', (data, isBinary) => (session ? onClientFrame(session, data, isBinary, stdin) : early.push({data, isBinary})));
  socket.on('close', () => {
    clientGone = true;
    session?.kill();
  });
  const audit = {project: ref.project, action: 'stack.exec', target: ref.stack};
  try {
    const user = usersByRequest.has(request) ? usersByRequest.get(request) : await execUser(ctx, ref, q.service, q.user);
    session = await ctx.orchestrator.exec(ref, {service: q.service, index, cmd, tty: q.tty === true, stdin, user, workdir: q.workdir});
  } catch (err) {
    const envelope = toEnvelope(err);
    if (envelope.status >= 500) request.log.error({err}, 'exec failed');
    writeAudit(ctx, request, {...audit, outcome: 'failed', detail: `service "${q.service}" replica ${index}: ${envelope.body.error.message}`});
    sendJson(socket, {type: 'error', error: envelope.body.error});
    socket.close(1000);
    return;
  }
  writeAudit(ctx, request, {...audit, outcome: 'ok', detail: `service "${q.service}" replica ${index}`});
  if (clientGone) {
    session.kill();
    return;
  }
  const forward = (stream: NodeJS.ReadableStream, id: number) =>
    stream.on('data', (chunk: Buffer | string) => {
      if (socket.readyState === socket.OPEN) socket.send(Buffer.concat([Buffer.of(id), Buffer.from(chunk)]), {binary: true});
    });
  const outputs = [session.stdout, ...(session.stderr === session.stdout ? [] : [session.stderr])];
  const done = Promise.all(outputs.map(ended));
  forward(session.stdout, STREAM_STDOUT);
  if (session.stderr !== session.stdout) forward(session.stderr, STREAM_STDERR);
  for (const frame of early.splice(0)) onClientFrame(session, frame.data, frame.isBinary, stdin);
  let code: number;
  try {
    code = await session.wait();
  } catch (err) {
    sendJson(socket, {type: 'error', error: toEnvelope(err).body.error});
    socket.close(1000);
    return;
  }
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, DRAIN_MS).unref())]);
  sendJson(socket, {type: 'exit', code});
  socket.close(1000);
}

export function execRoutes(app: FastifyInstance, ctx: AgentContext): void {
  addRoute(
    app,
    ctx,
    'get',
    '/v1/projects/{project}/stacks/{stack}/exec',
    async () => {
      throw invalidRequest('exec needs a WebSocket upgrade', 'connect with `Connection: Upgrade` and `Upgrade: websocket`; `spin exec` does');
    },
    {
      // The query and the user are checked before the upgrade, so a refusal is a plain HTTP answer.
      preHandler: async (request) => {
        const q = request.query as ExecQuery & Record<string, unknown>;
        checkQuery(ctx, q);
        try {
          usersByRequest.set(request, await execUser(ctx, stackRef(request), q.service, q.user));
        } catch (err) {
          const ref = stackRef(request);
          writeAudit(ctx, request, {project: ref.project, action: 'stack.exec', target: ref.stack, outcome: 'denied', detail: err instanceof Error ? err.message : String(err)});
          throw err;
        }
      },
      wsHandler: (socket, request) => runExec(ctx, socket, request),
    },
  );
}
