// Newline-delimited JSON answers (`application/x-ndjson`) through fastify: one object per line,
// each written as soon as it exists so the client shows progress live. The format itself is
// lib/ndjson.ts's, which the client reads with.

import {PassThrough, Readable} from 'node:stream';

import type {FastifyReply, FastifyRequest} from 'fastify';

import {NDJSON, ndjsonLine} from '../../ndjson.ts';
import {toEnvelope} from '../errors.ts';

export function wantsNdjson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').toLowerCase().includes(NDJSON);
}

function startStream(reply: FastifyReply, body: Readable): void {
  void reply.code(200).header('content-type', `${NDJSON}; charset=utf-8`).header('cache-control', 'no-store').send(body);
}

/**
 * A stream whose status line and headers are sent with the first object, not before: until then a
 * failure can still be answered with the error envelope and its own status.
 */
export class LazyNdjson<T> {
  private readonly reply: FastifyReply;
  private stream?: PassThrough;

  constructor(reply: FastifyReply) {
    this.reply = reply;
  }

  get started(): boolean {
    return this.stream !== undefined;
  }

  write(value: T): void {
    if (!this.stream) {
      this.stream = new PassThrough();
      // A client that went away leaves a destroyed stream; later writes are dropped, not thrown.
      this.stream.on('error', () => {});
      startStream(this.reply, this.stream);
    }
    if (!this.stream.destroyed) this.stream.write(ndjsonLine(value));
  }

  end(): void {
    this.stream?.end();
  }
}

const BATCH_BYTES = 64 * 1024;

/**
 * Encoded items in chunks of up to 64 KiB: items already at hand go out together (a 200k-line log
 * is a few hundred writes, not 200k), and an item that comes after a pause (following a log) is
 * sent at once, since the batch is flushed whenever the source has nothing ready.
 */
export async function* batched<T>(items: AsyncIterable<T>, encode: (item: T) => Buffer | Buffer[]): AsyncGenerator<Buffer> {
  const it = items[Symbol.asyncIterator]();
  const idle = () => new Promise<'idle'>((resolve) => setImmediate(() => resolve('idle')));
  let next = it.next();
  let parts: Buffer[] = [];
  let size = 0;
  const take = () => {
    const out = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
    parts = [];
    size = 0;
    return out;
  };
  try {
    for (;;) {
      const r = size > 0 ? await Promise.race([next, idle()]) : await next;
      if (r === 'idle') {
        yield take();
        continue;
      }
      if (r.done) break;
      for (const part of [encode(r.value)].flat()) {
        parts.push(part);
        size += part.length;
      }
      next = it.next();
      if (size >= BATCH_BYTES) yield take();
    }
    if (size > 0) yield take();
  } finally {
    // Not awaited: a source blocked on its next item returns once its owner destroys it.
    next.catch(() => undefined);
    it.return?.()?.catch(() => undefined);
  }
}

/**
 * Streams an async iterable as NDJSON with backpressure. A failure after the first line ends the
 * stream with `{"error": {...}}`, since the status is gone by then.
 */
export function sendNdjson(reply: FastifyReply, items: AsyncIterable<unknown>, onError: (err: unknown) => void): FastifyReply {
  async function* lines() {
    try {
      yield* batched(items, (item) => Buffer.from(ndjsonLine(item)));
    } catch (err) {
      onError(err);
      yield Buffer.from(ndjsonLine({error: toEnvelope(err).body.error}));
    }
  }
  startStream(reply, Readable.from(lines(), {objectMode: false}));
  return reply;
}
