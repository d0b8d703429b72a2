// Log lines for people (`web-1 | …`, a color per replica) or scripts (NDJSON). Output is
// batched: a service printing 200k lines must not cost a write() per line.

import type {LogFrame, LogSource} from '../api/log-frames.ts';
import {palette, type Palette} from './terminal.ts';

const FLUSH_BYTES = 64 * 1024;

export interface LogPrinter {
  frame(f: LogFrame): void;
  flush(): Promise<void>;
}

export interface LogPrinterOptions {
  color: boolean;
  timestamps: boolean;
  json: boolean;
}

/** The prefix colors, in the order replicas take them; they repeat after the last. */
export function prefixColors(c: Palette): ((s: string) => string)[] {
  const base = [c.cyan, c.yellow, c.green, c.magenta, c.blue];
  return [...base, ...base.map((color) => (s: string) => c.bold(color(s)))];
}

/** Where log lines go: a stream that may ask the printer to wait (`drain`), as a pipe does. */
export interface LogOutput {
  write(chunk: string): boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

/** True when the text at `i` starts with an RFC 3339 date and time (`2026-12-03T`). */
function timestampAt(text: string, i: number): boolean {
  return text.charCodeAt(i + 4) === 45 && text.charCodeAt(i + 7) === 45 && text.charCodeAt(i + 10) === 84;
}

/**
 * Prints log frames (api/log-frames.ts): the sources frame names the replicas before the first
 * line, so prefixes are padded to the widest from the start and colors go by position among them
 * (the stack's replicas in name order), the same from one run to the next. Lines arrive as whole
 * lines of bytes, are cut apart once per frame, and leave in writes of about 64 KiB.
 */
export function createLogPrinter(out: LogOutput, options: LogPrinterOptions): LogPrinter {
  const c = palette(options.color);
  const colors = prefixColors(c);
  let sources: LogSource[] = [];
  let prefixes: string[] = [];
  // Only ever widens: a replica that appears later (an older agent's stream) cannot shrink them.
  let width = 0;
  let buffer = '';
  let scheduled = false;
  let pending: Promise<void> = Promise.resolve();

  const write = () => {
    scheduled = false;
    if (!buffer) return;
    const chunk = buffer;
    buffer = '';
    if (!out.write(chunk) && out.once) pending = new Promise((resolve) => out.once!('drain', () => resolve()));
  };

  const lines = (source: number, stream: 'stdout' | 'stderr', text: string) => {
    const prefix = prefixes[source] ?? '';
    const {service, replica} = sources[source] ?? {service: '?', replica: 0};
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const next = end + 1;
      if (text.charCodeAt(end - 1) === 13) end--;
      let body = start;
      let timestamp = '';
      if (timestampAt(text, start)) {
        const space = text.indexOf(' ', start);
        if (space > 0 && space < end) {
          timestamp = text.slice(start, space);
          body = space + 1;
        }
      }
      if (options.json) buffer += `${JSON.stringify({service, replica, stream, timestamp, line: text.slice(body, end)})}\n`;
      else buffer += `${prefix}${options.timestamps ? `${c.dim(timestamp)} ` : ''}${text.slice(body, end)}\n`;
      start = next;
    }
  };

  return {
    frame(f) {
      if (f.kind === 'sources') {
        sources = f.sources;
        const names = sources.map(replicaName);
        width = Math.max(width, ...names.map((n) => n.length));
        prefixes = names.map((name, i) => `${colors[i % colors.length](name.padEnd(width))} | `);
        return;
      }
      if (f.kind !== 'lines') return;
      lines(f.source, f.stream, f.data.toString('utf8'));
      if (buffer.length >= FLUSH_BYTES) write();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(write);
      }
    },
    async flush() {
      write();
      await pending;
    },
  };
}

/** `web-1`: a replica as prefixes and `spin ps` name it. */
function replicaName(s: LogSource): string {
  return `${s.service}-${s.replica}`;
}
