// Log lines for people (`web-1 | …`, a color per service) or scripts (NDJSON). Output is
// batched: a service printing 200k lines must not cost a write() per line.

import type {LogLine} from '../engine/types.ts';
import {palette} from './terminal.ts';

const FLUSH_BYTES = 64 * 1024;

export interface LogPrinter {
  line(l: LogLine): void;
  flush(): Promise<void>;
}

export function createLogPrinter(out: NodeJS.WritableStream, options: {color: boolean; timestamps: boolean; json: boolean}): LogPrinter {
  const c = palette(options.color);
  const colors = [c.cyan, c.yellow, c.green, (s: string) => c.bold(c.cyan(s)), (s: string) => c.bold(c.yellow(s)), (s: string) => c.bold(c.green(s))];
  const prefixes = new Map<string, string>();
  let width = 0;
  let buffer = '';
  let scheduled = false;
  let pending: Promise<void> = Promise.resolve();

  const write = () => {
    scheduled = false;
    if (!buffer) return;
    const chunk = buffer;
    buffer = '';
    if (!out.write(chunk)) pending = new Promise((resolve) => out.once('drain', () => resolve()));
  };

  const prefix = (l: LogLine) => {
    const name = `${l.service}-${l.replica}`;
    let p = prefixes.get(name);
    if (p === undefined || name.length > width) {
      width = Math.max(width, name.length);
      prefixes.clear();
    }
    p = prefixes.get(name);
    if (p === undefined) {
      const color = colors[[...l.service].reduce((h, ch) => h + ch.charCodeAt(0), 0) % colors.length];
      p = `${color(name.padEnd(width))} | `;
      prefixes.set(name, p);
    }
    return p;
  };

  return {
    line(l) {
      buffer += options.json ? `${JSON.stringify(l)}\n` : `${prefix(l)}${options.timestamps ? `${c.dim(l.timestamp)} ` : ''}${l.line}\n`;
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
