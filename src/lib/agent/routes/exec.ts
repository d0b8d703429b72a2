// `spin exec` over a WebSocket. Authentication, the project check and the query are settled on
// the HTTP upgrade request, so a refused client gets a plain HTTP error; after the upgrade the
// framing of schemas/agent-api.yaml applies: binary frames carry stdin, and stdout/stderr behind
// a one-byte stream id; text frames carry control messages, the exit code and late errors.

import type {FastifyInstance, FastifyRequest} from 'fastify';
import type {RawData, WebSocket} from 'ws';

import type {ExecSession} from '../../engine/types.ts';
import {invalidRequest, toEnvelope} from '../errors.ts';
import {addRoute, stackRef, writeAudit, type AgentContext} from './context.ts';

interface ExecQuery {
  service: string;
  index?: number;
  cmd: string;
  tty?: boolean;
  stdin?: boolean;
  user?: string;
  workdir?: string;
}

export const STREAM_STDOUT = 1;
export const STREAM_STDERR = 2;
/** How long to wait for the last output once the process has exited. */
const DRAIN_MS = 2000;

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
  return cmd;
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
    session = await ctx.orchestrator.exec(ref, {service: q.service, index, cmd, tty: q.tty === true, stdin, user: q.user, workdir: q.workdir});
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
      // The command is checked before the upgrade, so a bad one is a plain 400.
      preHandler: async (request) => {
        parseCommand((request.query as ExecQuery).cmd);
      },
      wsHandler: (socket, request) => runExec(ctx, socket, request),
    },
  );
}
