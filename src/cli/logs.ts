// `spin logs`: the stack's log stream from the agent, as prefixed lines or JSON. Run by the oclif
// command (commands/logs.ts) and, without oclif, by the fast path (fast.ts): reading a big log is
// bound by how fast bytes go from the engine to the terminal, and every part of the way counts.

import {UsageError} from '../lib/errors.ts';
import {connect, stackName} from './connect.ts';
import type {Factory} from './factory.ts';

export interface LogsFlags {
  project?: string;
  stack?: string;
  file?: string[];
  follow?: boolean;
  since?: string;
  tail?: number;
  timestamps?: boolean;
  json?: boolean;
}

export async function logs(factory: Factory, flags: LogsFlags, services: string[]): Promise<void> {
  const since = flags.since === undefined ? undefined : await sinceSeconds(flags.since, factory.now());
  const {client, project} = await connect(factory, flags);
  const {createLogPrinter} = await import('../lib/ui/logs.ts');
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  const p = project();
  const stack = await stackName(factory, flags);
  try {
    // The stream names its replicas before the first line: prefixes keep one width and one color each.
    const printer = createLogPrinter(factory.stdout.stream, {color: factory.stdout.terminal.color, timestamps: flags.timestamps ?? false, json: flags.json ?? false});
    try {
      for await (const frame of client.logs(p, stack, {service: services, follow: flags.follow, since, tail: flags.tail, timestamps: true}, controller.signal)) printer.frame(frame);
    } finally {
      await printer.flush();
    }
  } finally {
    process.off('SIGINT', stop);
    client.close();
  }
}

async function sinceSeconds(value: string, now: Date): Promise<string> {
  const {parseDuration} = await import('../lib/compose/units.ts');
  const ns = parseDuration(value);
  if (ns !== undefined && ns >= 0) return String(Math.floor((now.getTime() - ns / 1e6) / 1000));
  const t = Date.parse(value);
  if (!Number.isNaN(t)) return String(Math.floor(t / 1000));
  throw new UsageError(`invalid --since "${value}"`, {hint: 'use a duration such as 10m or 2h, or a time such as 2026-11-21T10:00:00Z'});
}
