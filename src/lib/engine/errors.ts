// Engine failures as Spin errors: a connection problem is "unreachable" (exit 6), anything the
// engine refuses is an operation error that quotes the engine's own message and says what to try.

import {OperationError, SpinError, UnreachableError} from '../errors.ts';

/** An engine error the agent maps to a specific API code (`volume.in_use` → 409, …). */
export class EngineError extends OperationError {
  override readonly code: string;

  constructor(code: string, message: string, options: {hint?: string; cause?: unknown} = {}) {
    super(message, options);
    this.code = code;
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE']);

export const ENGINE_HINT = 'check that the Docker engine runs (`docker info`), or set DOCKER_HOST to where it listens';

/** The HTTP status of a dockerode error, if the engine answered. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as {statusCode?: unknown} | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The engine's own message: dockerode puts the JSON body in `json`, or a Buffer/string reason. */
export function engineMessage(err: unknown): string {
  const e = err as {json?: unknown; reason?: unknown; message?: unknown} | null;
  const json = e?.json as {message?: unknown} | Buffer | string | null | undefined;
  if (json && typeof json === 'object' && !Buffer.isBuffer(json) && typeof json.message === 'string') return json.message;
  if (Buffer.isBuffer(json) || typeof json === 'string') {
    const text = json.toString().trim();
    try {
      const parsed = JSON.parse(text) as {message?: unknown};
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      // not JSON: the text itself is the message
    }
    if (text) return text.slice(0, 500);
  }
  return typeof e?.message === 'string' ? e.message.replace(/^\(HTTP code \d+\) [^-]*- /, '') : String(err);
}

export function isConnectionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code) && statusOf(err) === undefined;
}

/** `doing` completes "cannot …", e.g. `start container "demo.web.api.1"`. */
export function engineError(err: unknown, doing: string, hint?: string): SpinError {
  if (err instanceof SpinError) return err;
  if (isConnectionError(err)) {
    return new UnreachableError(`cannot ${doing}: the Docker engine does not answer (${(err as Error).message})`, {hint: ENGINE_HINT, cause: err});
  }
  return new OperationError(`cannot ${doing}: ${engineMessage(err)}`, {hint, cause: err});
}

/** Runs an engine call, turning its failure into a Spin error. */
export async function engineCall<T>(doing: string, fn: () => Promise<T>, hint?: string): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw engineError(err, doing, hint);
  }
}

export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/**
 * The host address a start failed to bind, when the engine's message says the port is taken, in
 * any of the words engine versions use (`Bind for 0.0.0.0:8080 failed: port is already allocated`,
 * `listen tcp4 127.0.0.1:8080: bind: address already in use`, `failed to bind host port for
 * 0.0.0.0:8080:172.17.0.2:80/tcp: address already in use`).
 */
export function hostPortInUse(message: string): {address: string; port: string} | undefined {
  if (!/port is already allocated|address already in use/i.test(message)) return undefined;
  const m = /(?:Bind for|listen (?:tcp|udp)[46]?|bind host port(?: for)?)\s+(\[[0-9a-f:.]*\]|[0-9.]*):(\d+)/i.exec(message);
  return m ? {address: m[1], port: m[2]} : undefined;
}

/** A host port clash in words a user acts on, with what to do about it. */
export function hostPortMessage(clash: {address: string; port: string}): {message: string; hint: string} {
  const where = clash.address && clash.address !== '0.0.0.0' && clash.address !== '[::]' ? ` (${clash.address}:${clash.port})` : '';
  return {
    message: `host port ${clash.port} is already in use on the host${where}`,
    hint: `publish another port the platform allows (\`ports:\`), or stop what uses port ${clash.port} on the host (another stack: \`spin stacks\`, \`spin ps\`)`,
  };
}
