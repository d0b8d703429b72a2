// The byte stream `spin logs` reads (`Accept: application/vnd.spin.log-frames`): log lines go
// from the engine to the CLI as the bytes the container wrote, in frames, with no JSON per line
// on either side. NDJSON (one object per line) stays the default answer for other clients.
//
// A frame is an 8-byte header and a payload, like Docker's own multiplexed stream:
//   byte 0     kind: 0 sources, 1 lines, 2 error
//   byte 1     stream of lines: 1 stdout, 2 stderr (0 otherwise)
//   bytes 2-3  source index (big-endian) of lines: which entry of the sources frame wrote them
//   bytes 4-7  payload length (big-endian)
// The stream starts with one sources frame (JSON: `[{"service":"web","replica":1},…]`); lines
// frames carry whole lines, each ending in `\n` and starting with the engine's RFC 3339 timestamp
// and a space; an error frame (JSON: the API's error envelope `{"error":{…}}`) ends a stream that
// failed after it started.

import {FRAME_HEADER, FrameSplitter} from '../frames.ts';

export const LOG_FRAMES = 'application/vnd.spin.log-frames';

export const FRAME_KIND = {sources: 0, lines: 1, error: 2} as const;
const STREAMS = {stdout: 1, stderr: 2} as const;

/** No frame is larger: a source's lines come in chunks far below this. */
export const MAX_FRAME = 8 * 1024 * 1024;

export interface LogSource {
  service: string;
  replica: number;
}

export type LogFrame =
  | {kind: 'sources'; sources: LogSource[]}
  | {kind: 'lines'; source: number; stream: 'stdout' | 'stderr'; data: Buffer}
  | {kind: 'error'; error: {code?: string; message?: string; hint?: string}};

function header(kind: number, stream: number, source: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(FRAME_HEADER);
  h[0] = kind;
  h[1] = stream;
  h.writeUInt16BE(source, 2);
  h.writeUInt32BE(length, 4);
  return h;
}

export function sourcesFrame(sources: LogSource[]): Buffer {
  const body = Buffer.from(JSON.stringify(sources));
  return Buffer.concat([header(FRAME_KIND.sources, 0, 0, body.length), body]);
}

/** A lines frame, as its header and the payload (left as is: it may be large). */
export function linesFrame(source: number, stream: 'stdout' | 'stderr', data: Buffer): [Buffer, Buffer] {
  return [header(FRAME_KIND.lines, STREAMS[stream], source, data.length), data];
}

export function errorFrame(envelope: {error: unknown}): Buffer {
  const body = Buffer.from(JSON.stringify(envelope));
  return Buffer.concat([header(FRAME_KIND.error, 0, 0, body.length), body]);
}

/** Reads frames from chunks as they arrive; a frame may span chunks. */
export class LogFrameReader {
  private readonly frames = new FrameSplitter((length) => {
    if (length > MAX_FRAME) throw new Error(`log frame of ${length} bytes is larger than ${MAX_FRAME}`);
    return length;
  });

  push(chunk: Buffer): LogFrame[] {
    const out: LogFrame[] = [];
    for (const {header, payload: data} of this.frames.push(chunk)) {
      const kind = header[0];
      if (kind === FRAME_KIND.lines) out.push({kind: 'lines', source: header.readUInt16BE(2), stream: header[1] === STREAMS.stderr ? 'stderr' : 'stdout', data});
      else if (kind === FRAME_KIND.sources) out.push({kind: 'sources', sources: JSON.parse(data.toString('utf8')) as LogSource[]});
      else if (kind === FRAME_KIND.error) out.push({kind: 'error', error: (JSON.parse(data.toString('utf8')) as {error?: Extract<LogFrame, {kind: 'error'}>['error']}).error ?? {}});
      // Unknown kinds are skipped: a newer agent may send more.
    }
    return out;
  }

  /** True when a frame was cut off by the end of the stream. */
  get partial(): boolean {
    return this.frames.partial;
  }
}
