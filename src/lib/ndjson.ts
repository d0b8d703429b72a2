// Newline-delimited JSON (`application/x-ndjson`), read and written the same way wherever Spin
// meets it: the agent's streamed answers (written by agent/routes/ndjson.ts, read by the client)
// and the Docker engine's progress and event streams (read by the engine and the ingress).

import {StringDecoder} from 'node:string_decoder';

export const NDJSON = 'application/x-ndjson';

/** One value as one line. */
export const ndjsonLine = (value: unknown): string => `${JSON.stringify(value)}\n`;

export interface LineOptions {
  /** Characters a line may grow to before `tooLong` is called. */
  maxLine: number;
  /** Throws to fail the stream; returns to drop the line (its rest up to the newline too). */
  tooLong?: () => void;
}

/**
 * The non-blank lines of a byte or text stream. Each chunk is cut in one pass (a log stream is
 * hundreds of thousands of small lines: no re-slicing of the rest per line), a UTF-8 character
 * split across chunks stays whole, and a line that never ends cannot grow without bound.
 */
export async function* textLines(source: AsyncIterable<Buffer | string>, options: LineOptions): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let dropping = false;
  for await (const chunk of source) {
    const text = pending + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const line = dropping ? '' : text.slice(start, nl);
      if (line.trim() !== '') yield line;
      dropping = false;
      start = nl + 1;
    }
    pending = text.slice(start);
    if (pending.length > options.maxLine) {
      options.tooLong?.();
      pending = '';
      dropping = true;
    }
  }
  pending += decoder.end();
  if (!dropping && pending.trim() !== '') yield pending;
}

const MAX_ENGINE_LINE = 1024 * 1024;

/**
 * The engine's JSON objects, one a line (pull progress, events). Lines that are not JSON objects
 * are skipped, and an endless line is dropped rather than buffered: progress is advisory.
 */
export async function* jsonLines(source: AsyncIterable<Buffer | string>): AsyncGenerator<Record<string, unknown>> {
  for await (const line of textLines(source, {maxLine: MAX_ENGINE_LINE})) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) yield value as Record<string, unknown>;
  }
}
