// Container logs as lines. Docker multiplexes stdout and stderr of a container without a TTY into
// frames (an 8-byte header: stream, 3 zero bytes, big-endian length); with a TTY the bytes come raw.
// Spin always asks for timestamps and splits them off, so every line can be ordered and shown.

export type StreamName = 'stdout' | 'stderr';

/** A line longer than this is cut, so one chatty container cannot exhaust the agent's memory. */
export const MAX_LINE = 64 * 1024;
const MAX_FRAME = 16 * 1024 * 1024;

/** Splits Docker's multiplexed stream into frames; feed it chunks as they arrive. */
export class FrameDemuxer {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): {stream: StreamName; data: Buffer}[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const out: {stream: StreamName; data: Buffer}[] = [];
    while (this.buffer.length >= 8) {
      const size = Math.min(this.buffer.readUInt32BE(4), MAX_FRAME);
      if (this.buffer.length < 8 + size) break;
      // 0 (stdin echo) and 1 are output; 2 is stderr.
      out.push({stream: this.buffer[0] === 2 ? 'stderr' : 'stdout', data: this.buffer.subarray(8, 8 + size)});
      this.buffer = this.buffer.subarray(8 + size);
    }
    return out;
  }
}

/** Cuts text into lines, keeping the unfinished tail for the next chunk. */
export class LineSplitter {
  private pending = '';
  private readonly decoder = new TextDecoder();

  push(data: Buffer): string[] {
    this.pending += this.decoder.decode(data, {stream: true});
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    if (this.pending.length > MAX_LINE) {
      lines.push(this.pending.slice(0, MAX_LINE));
      this.pending = '';
    }
    return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l).slice(0, MAX_LINE));
  }

  flush(): string[] {
    const rest = this.pending + this.decoder.decode();
    this.pending = '';
    return rest === '' ? [] : [rest.slice(0, MAX_LINE)];
  }
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

/** Lines of one container's log stream (or the whole log as a Buffer when not following). */
export async function* containerLines(source: AsyncIterable<Buffer | string> | Buffer, tty: boolean): AsyncGenerator<RawLine> {
  const demux = new FrameDemuxer();
  const splitters: Record<StreamName, LineSplitter> = {stdout: new LineSplitter(), stderr: new LineSplitter()};
  const chunks: AsyncIterable<Buffer | string> | Buffer[] = Buffer.isBuffer(source) ? [source] : source;
  for await (const chunk of chunks) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const frames = tty ? [{stream: 'stdout' as const, data: buf}] : demux.push(buf);
    for (const f of frames) for (const l of splitters[f.stream].push(f.data)) yield {stream: f.stream, ...splitTimestamp(l)};
  }
  for (const stream of ['stdout', 'stderr'] as const) for (const l of splitters[stream].flush()) yield {stream, ...splitTimestamp(l)};
}

/**
 * Merges sources that are each in time order into one in time order, streaming: a container's
 * log comes from the engine in the order it was written, so only the heads need comparing.
 */
export async function* mergeByTime<T extends {timestamp: string}>(sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  if (sources.length === 1) {
    yield* sources[0];
    return;
  }
  const iterators = sources.map((s) => s[Symbol.asyncIterator]());
  const heads = await Promise.all(iterators.map((it) => it.next()));
  const keys = heads.map((h) => (h.done ? '' : timestampKey(h.value.timestamp)));
  for (;;) {
    let pick = -1;
    for (let i = 0; i < heads.length; i++) {
      if (heads[i].done) continue;
      if (pick < 0 || keys[i] < keys[pick]) pick = i;
    }
    if (pick < 0) return;
    yield (heads[pick] as IteratorYieldResult<T>).value;
    heads[pick] = await iterators[pick].next();
    keys[pick] = heads[pick].done ? '' : timestampKey((heads[pick] as IteratorYieldResult<T>).value.timestamp);
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
