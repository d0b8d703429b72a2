// The engine's build and push answers: a stream of JSON objects, one per line, with chunk
// boundaries anywhere. A line that is not JSON is passed on as text rather than failing the build.

import type {Readable} from 'node:stream';

const MAX_LINE = 1024 * 1024;

export interface EngineMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: {current?: number; total?: number};
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: {message?: string; code?: number};
}

/** Calls `onMessage` for every object in the stream; resolves at its end. */
export async function readMessages(stream: NodeJS.ReadableStream | Readable, onMessage: (m: EngineMessage) => void): Promise<void> {
  let buf = '';
  const handle = (line: string) => {
    const text = line.trim();
    if (!text) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      onMessage({stream: `${text}\n`});
      return;
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) onMessage(parsed as EngineMessage);
  };
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      handle(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    // A runaway line without a newline is not an engine message; keep memory bounded.
    if (buf.length > MAX_LINE) {
      handle(buf);
      buf = '';
    }
  }
  handle(buf);
}
