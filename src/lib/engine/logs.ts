// Container logs as lines. Docker multiplexes stdout and stderr of a container without a TTY into
// frames (an 8-byte header: stream, 3 zero bytes, big-endian length); with a TTY the bytes come raw.
// Spin always asks for timestamps and splits them off, so every line can be ordered and shown.

import {FrameSplitter} from '../frames.ts';
import type {LogLine, LogStream} from './types.ts';

export type StreamName = 'stdout' | 'stderr';

/** A line longer than this is cut, so one chatty container cannot exhaust the agent's memory. */
export const MAX_LINE = 64 * 1024;
const MAX_FRAME = 16 * 1024 * 1024;

/** Splits Docker's multiplexed stream into frames; feed it chunks as they arrive. */
export class FrameDemuxer {
  private readonly frames = new FrameSplitter((length) => Math.min(length, MAX_FRAME));

  push(chunk: Buffer): {stream: StreamName; data: Buffer}[] {
    // 0 (stdin echo) and 1 are output; 2 is stderr.
    return this.frames.push(chunk).map((f) => ({stream: f.header[0] === 2 ? 'stderr' : 'stdout', data: f.payload}));
  }
}

/**
 * Cuts bytes into whole lines, keeping the unfinished tail for the next chunk: what it returns
 * is one Buffer of complete lines, each ending in `\n`, so that lines can travel as bytes (to the
 * CLI, in frames) and are split into strings only where they are shown. A tail longer than
 * MAX_LINE is cut into a line of its own.
 */
export class LineAssembler {
  private pending?: Buffer;

  push(data: Buffer): Buffer | undefined {
    const all = this.pending ? Buffer.concat([this.pending, data]) : data;
    const end = all.lastIndexOf(10) + 1;
    this.pending = end < all.length ? all.subarray(end) : undefined;
    if (this.pending && this.pending.length > MAX_LINE) {
      const cut = Buffer.concat([all.subarray(0, end), this.pending.subarray(0, MAX_LINE), NEWLINE]);
      this.pending = undefined;
      return cut;
    }
    return end > 0 ? all.subarray(0, end) : undefined;
  }

  flush(): Buffer | undefined {
    const rest = this.pending;
    this.pending = undefined;
    return rest ? Buffer.concat([rest, NEWLINE]) : undefined;
  }
}

const NEWLINE = Buffer.from('\n');

/**
 * The lines of a chunk of whole lines (as LineAssembler gives them): text without its `\r\n` or
 * `\n`, no longer than MAX_LINE.
 */
export function splitLines(data: Buffer): string[] {
  const lines = data.toString('utf8').split('\n');
  lines.pop();
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i];
    if (l.endsWith('\r')) l = l.slice(0, -1);
    lines[i] = l.length > MAX_LINE ? l.slice(0, MAX_LINE) : l;
  }
  return lines;
}

/** `2024-05-01T12:00:00.123456789Z hello` → timestamp and text (Docker puts one space between). */
export function splitTimestamp(line: string): {timestamp: string; line: string} {
  const space = line.indexOf(' ');
  if (space > 0 && /^\d{4}-\d\d-\d\dT/.test(line)) return {timestamp: line.slice(0, space), line: line.slice(space + 1)};
  return {timestamp: '', line};
}

/** A key that sorts RFC 3339 timestamps with 0 to 9 fraction digits in time order. */
export function timestampKey(timestamp: string): string {
  // The engine's own form (UTC, `Z`): pad the fraction, no parsing. Others go the slow way.
  if (timestamp.length >= 20 && timestamp.endsWith('Z') && timestamp[19] !== '+' && timestamp[10] === 'T') {
    const fraction = timestamp[19] === '.' ? timestamp.slice(20, -1) : '';
    if (fraction.length <= 9) return `${timestamp.slice(0, 19)}.${fraction.padEnd(9, '0')}`;
  }
  const m = /^(.*?\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!m) return timestamp;
  const base = new Date(`${m[1]}${m[3]}`);
  return Number.isNaN(base.getTime()) ? timestamp : `${base.toISOString().slice(0, 19)}.${(m[2] ?? '').padEnd(9, '0')}`;
}

export interface RawLine {
  stream: StreamName;
  timestamp: string;
  line: string;
}

/** Whole lines of one source and stream, as bytes: the unit logs travel in. */
export interface LogChunk {
  /** Which of the request's sources (replicas) wrote them. */
  source: number;
  stream: StreamName;
  data: Buffer;
}

/**
 * One container's log stream (or the whole log as a Buffer) as chunks of whole lines: Docker's
 * frames taken apart (with a TTY the bytes come raw, all stdout), nothing decoded.
 */
export async function* containerChunks(source: AsyncIterable<Buffer | string> | Buffer, tty: boolean, index = 0): AsyncGenerator<LogChunk> {
  const demux = new FrameDemuxer();
  const lines: Record<StreamName, LineAssembler> = {stdout: new LineAssembler(), stderr: new LineAssembler()};
  const chunks: AsyncIterable<Buffer | string> | Buffer[] = Buffer.isBuffer(source) ? [source] : source;
  for await (const chunk of chunks) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const frames = tty ? [{stream: 'stdout' as const, data: buf}] : demux.push(buf);
    // Consecutive frames of one stream go out as one chunk: Docker frames every write.
    let run: {stream: StreamName; parts: Buffer[]} | undefined;
    for (const f of frames) {
      const whole = lines[f.stream].push(f.data);
      if (!whole) continue;
      if (run && run.stream !== f.stream) {
        yield {source: index, stream: run.stream, data: Buffer.concat(run.parts)};
        run = undefined;
      }
      (run ??= {stream: f.stream, parts: []}).parts.push(whole);
    }
    if (run) yield {source: index, stream: run.stream, data: run.parts.length === 1 ? run.parts[0] : Buffer.concat(run.parts)};
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const rest = lines[stream].flush();
    if (rest) yield {source: index, stream, data: rest};
  }
}

/** A stack's log stream as lines, for readers that want objects (the NDJSON answer). */
export async function* logLines(stream: LogStream): AsyncGenerator<LogLine> {
  for await (const chunk of stream.chunks) {
    const {service, replica} = stream.sources[chunk.source];
    for (const l of splitLines(chunk.data)) yield {service, replica, stream: chunk.stream, ...splitTimestamp(l)};
  }
}

/** Lines of one container's log stream, each with its timestamp split off. */
export async function* containerLines(source: AsyncIterable<Buffer | string> | Buffer, tty: boolean): AsyncGenerator<RawLine> {
  for await (const chunk of containerChunks(source, tty)) for (const l of splitLines(chunk.data)) yield {stream: chunk.stream, ...splitTimestamp(l)};
}

/** The time key of the line starting at `start` (Docker puts the timestamp first). */
function lineKey(data: Buffer, start: number): string {
  const space = data.indexOf(32, start);
  const end = space < 0 || space - start > 64 ? Math.min(start + 40, data.length) : space;
  return timestampKey(data.toString('latin1', start, end));
}

/**
 * Merges chunked sources that are each in time order into chunks in time order, streaming: only
 * the head lines of the sources are compared, and a run of lines from one source that comes
 * before every other head goes out as one chunk.
 */
export async function* mergeChunksByTime(sources: AsyncIterable<LogChunk>[]): AsyncGenerator<LogChunk> {
  if (sources.length === 1) {
    yield* sources[0];
    return;
  }
  interface Head {
    it: AsyncIterator<LogChunk>;
    chunk?: LogChunk;
    offset: number;
    key: string;
  }
  const advance = async (h: Head): Promise<void> => {
    while (!h.chunk || h.offset >= h.chunk.data.length) {
      const r = await h.it.next();
      if (r.done) {
        h.chunk = undefined;
        return;
      }
      h.chunk = r.value;
      h.offset = 0;
    }
    h.key = lineKey(h.chunk.data, h.offset);
  };
  const heads: Head[] = sources.map((s) => ({it: s[Symbol.asyncIterator](), offset: 0, key: ''}));
  await Promise.all(heads.map(advance));
  for (;;) {
    const live = heads.filter((h) => h.chunk);
    if (live.length === 0) return;
    const pick = live.reduce((a, b) => (b.key < a.key ? b : a));
    const others = live.filter((h) => h !== pick);
    const limit = others.reduce((k, h) => (h.key < k ? h.key : k), others[0]?.key ?? '\uffff');
    const chunk = pick.chunk as LogChunk;
    const start = pick.offset;
    // Take lines while they still come first (ties go to the source already picked).
    do {
      pick.offset = chunk.data.indexOf(10, pick.offset) + 1;
    } while (pick.offset > 0 && pick.offset < chunk.data.length && lineKey(chunk.data, pick.offset) <= limit);
    if (pick.offset === 0) pick.offset = chunk.data.length;
    yield {source: chunk.source, stream: chunk.stream, data: chunk.data.subarray(start, pick.offset)};
    await advance(pick);
  }
}

/**
 * Interleaves several async sources in arrival order. Ends when all end; a source's error ends the
 * whole merge with that error.
 */
export async function* mergeSources<T>(sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const next = (i: number) => iterators[i].next().then((result) => ({i, result}));
  const inFlight = new Map<number, Promise<{i: number; result: IteratorResult<T>}>>();
  iterators.forEach((_, i) => inFlight.set(i, next(i)));
  try {
    while (inFlight.size > 0) {
      const {i, result} = await Promise.race(inFlight.values());
      if (result.done) {
        inFlight.delete(i);
        continue;
      }
      inFlight.set(i, next(i));
      yield result.value;
    }
  } finally {
    // Not awaited: a source blocked on its next chunk only returns once its stream is destroyed,
    // which the owner of the streams does after this.
    for (const p of inFlight.values()) p.catch(() => undefined);
    for (const it of iterators) it.return?.().catch(() => undefined);
  }
}
