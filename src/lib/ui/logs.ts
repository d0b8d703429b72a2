// Log lines for people (`web-1 | …`, a color per replica) or scripts (NDJSON). Output is
// batched: a service printing 200k lines must not cost a write() per line.

import type {LogLine, StackStatus} from '../engine/types.ts';
import {palette, type Palette} from './terminal.ts';

const FLUSH_BYTES = 64 * 1024;

export interface LogPrinter {
  line(l: LogLine): void;
  flush(): Promise<void>;
}

export interface LogPrinterOptions {
  color: boolean;
  timestamps: boolean;
  json: boolean;
  /**
   * The replicas whose lines will come (`web-1`, `web-2`, `db-1`), known from the stack's status
   * before the first line: prefixes are padded to the widest from the start, and colors go by
   * position in this list, so they stay the same from one run to the next.
   */
  replicas?: string[];
}

/** The prefix colors, in the order replicas take them; they repeat after the last. */
export function prefixColors(c: Palette): ((s: string) => string)[] {
  const base = [c.cyan, c.yellow, c.green, c.magenta, c.blue];
  return [...base, ...base.map((color) => (s: string) => c.bold(color(s)))];
}

export function replicaName(l: Pick<LogLine, 'service' | 'replica'>): string {
  return `${l.service}-${l.replica}`;
}

/** `web-1`, `web-2`, `worker-1`: the replicas of the services asked for (all when none), in name order. */
export function replicaNames(status: StackStatus, services: string[] = []): string[] {
  return [...status.services]
    .filter((s) => services.length === 0 || services.includes(s.service))
    .sort((a, b) => a.service.localeCompare(b.service))
    .flatMap((s) => [...s.replicas].sort((a, b) => a.replica - b.replica).map((r) => replicaName({service: s.service, replica: r.replica})));
}

/** Where log lines go: a stream that may ask the printer to wait (`drain`), as a pipe does. */
export interface LogOutput {
  write(chunk: string): boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

export function createLogPrinter(out: LogOutput, options: LogPrinterOptions): LogPrinter {
  const c = palette(options.color);
  const colors = prefixColors(c);
  const known = [...new Set(options.replicas ?? [])];
  const index = new Map(known.map((name, i) => [name, i]));
  // A replica that starts while following (a scale-up) can only widen the prefixes from then on.
  let width = Math.max(0, ...known.map((name) => name.length));
  const prefixes = new Map<string, string>();
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

  const prefix = (l: LogLine) => {
    const name = replicaName(l);
    let p = prefixes.get(name);
    if (p !== undefined) return p;
    if (name.length > width) {
      width = name.length;
      prefixes.clear();
    }
    if (!index.has(name)) index.set(name, index.size);
    p = `${colors[(index.get(name) as number) % colors.length](name.padEnd(width))} | `;
    prefixes.set(name, p);
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
