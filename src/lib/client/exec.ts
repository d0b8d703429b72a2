// `spin exec` over the agent's WebSocket (framing in schemas/agent-api.yaml): binary frames are
// stdin one way and `[stream byte] + bytes` the other; text frames carry resize/eof/exit.

import WebSocket from 'ws';

import {OperationError, UnreachableError, type SpinError} from '../errors.ts';
import {errorFromResponse, type AgentClient, type ErrorEnvelope} from './agent.ts';

/** A refusal is a short JSON envelope; more is not read. */
const MAX_REFUSAL_CHARS = 64 * 1024;

export interface ExecRequest {
  project: string;
  stack: string;
  service: string;
  index?: number;
  cmd: string[];
  tty: boolean;
  interactive: boolean;
  user?: string;
  workdir?: string;
}

export interface ExecIO {
  stdin: NodeJS.ReadableStream & {isTTY?: boolean; setRawMode?: (raw: boolean) => void};
  stdout: NodeJS.WritableStream & {columns?: number; rows?: number; on?: (ev: 'resize', fn: () => void) => unknown; off?: (ev: 'resize', fn: () => void) => unknown};
  stderr: NodeJS.WritableStream;
}

/** Runs the command remotely, wiring the local streams; resolves with the remote exit code. */
export function runExec(client: AgentClient, request: ExecRequest, io: ExecIO): Promise<number> {
  const url = client.endpoint(`/projects/${encodeURIComponent(request.project)}/stacks/${encodeURIComponent(request.stack)}/exec`, {
    service: request.service,
    index: request.index,
    cmd: JSON.stringify(request.cmd),
    tty: request.tty,
    stdin: request.interactive,
    user: request.user,
    workdir: request.workdir,
  });
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url, {headers: client.headers(), ca: client.tlsCa, maxPayload: 64 * 1024 * 1024});
  return new Promise((resolve, reject) => {
    let exitCode: number | undefined;
    let failure: SpinError | undefined;
    const raw = request.tty && io.stdin.isTTY && typeof io.stdin.setRawMode === 'function';
    const onResize = () => {
      if (ws.readyState === WebSocket.OPEN && io.stdout.columns) ws.send(JSON.stringify({type: 'resize', cols: io.stdout.columns, rows: io.stdout.rows ?? 24}));
    };
    const onData = (chunk: Buffer | string) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    };
    const onEnd = () => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({type: 'eof'}));
    };
    const cleanup = () => {
      if (raw) io.stdin.setRawMode!(false);
      io.stdin.off('data', onData);
      io.stdin.off('end', onEnd);
      io.stdout.off?.('resize', onResize);
      io.stdin.pause();
    };
    // Refusals and failures carry the agent's error code, so the exit code is the table's (an
    // unreachable engine exits 5, a refused token 4), as for every other command.
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < MAX_REFUSAL_CHARS) body += d;
      });
      res.on('end', () => {
        let envelope: ErrorEnvelope = {};
        try {
          envelope = JSON.parse(body);
        } catch {
          // not the envelope: the status decides
        }
        cleanup();
        reject(errorFromResponse(res.statusCode, {error: {message: `the agent refused the exec (${res.statusCode})`, ...envelope.error}}, client.url));
      });
    });
    ws.on('open', () => {
      if (raw) io.stdin.setRawMode!(true);
      if (request.tty) {
        onResize();
        io.stdout.on?.('resize', onResize);
      }
      if (request.interactive) {
        io.stdin.on('data', onData);
        io.stdin.on('end', onEnd);
        io.stdin.resume();
      }
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        const target = data[0] === 2 ? io.stderr : io.stdout;
        target.write(data.subarray(1));
        return;
      }
      const msg = JSON.parse(data.toString('utf8'));
      if (msg.type === 'exit') exitCode = msg.code;
      else if (msg.type === 'error') failure = errorFromResponse(undefined, {error: {message: 'exec failed', ...msg.error}}, client.url);
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      cleanup();
      reject(new UnreachableError(`cannot reach the Spin agent at ${client.url} (${err.code ?? err.message})`, {hint: `check that the agent is running: curl ${client.url}/v1/health`}));
    });
    ws.on('close', () => {
      cleanup();
      if (failure) reject(failure);
      else if (exitCode === undefined) reject(new OperationError('the connection closed before the command finished', {hint: 'the agent may have restarted; try again'}));
      else resolve(exitCode);
    });
  });
}
