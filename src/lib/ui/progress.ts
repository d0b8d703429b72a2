// Deploy progress. On a TTY: one live line per service, redrawn in place (live.ts), and the
// stack's own messages (the plan, "rolling back to revision 6") as lines that stay, above it. A
// new plan or a message after a failure freezes the service lines drawn so far, so a rollback
// shows below the failure instead of painting over it. Piped: one plain line per event, so CI
// logs read top to bottom.

import type {DeployEvent} from '../engine/types.ts';
import {createLiveLoop} from './live.ts';
import {palette, type SizedStream, type Terminal} from './terminal.ts';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 120;

export interface ProgressRenderer {
  event(e: DeployEvent): void;
  /** Draws the last frame: every spinner replaced by the state its service ended in. */
  done(): void;
}

export function plainLine(e: DeployEvent): string {
  const who = e.service ? `${e.service}${e.replica ? `-${e.replica}` : ''} ` : '';
  return `${e.time} ${who}${e.type}: ${e.message}`;
}

/**
 * The plan event's message, one line per service: the agent joins them with "; ", which also
 * appears inside a service's parentheses.
 */
export function planLines(message: string): string[] {
  const lines: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < message.length; i++) {
    if (message[i] === '(') depth++;
    else if (message[i] === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && message.startsWith('; ', i)) {
      lines.push(message.slice(start, i));
      start = i + 2;
    }
  }
  lines.push(message.slice(start));
  return lines.filter((l) => l !== '');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function createProgress(stream: SizedStream, terminal: Terminal): ProgressRenderer {
  if (!terminal.tty) {
    return {event: (e) => void stream.write(`${plainLine(e)}\n`), done: () => {}};
  }
  const c = palette(terminal.color);
  let services = new Map<string, {type: string; message: string}>();
  const mark = (type: string, final: boolean, frame: number) => {
    if (type === 'healthy' || type === 'running' || type === 'done') return c.green('✔');
    if (type === 'failed') return c.red('✖');
    if (type === 'remove' || type === 'stop') return c.dim('-');
    return final ? c.dim('•') : c.cyan(SPINNER[frame % SPINNER.length]);
  };
  const lines = (frame: number, final: boolean) => {
    const width = Math.max(0, ...[...services.keys()].map((name) => name.length));
    return [...services].map(([name, s]) => `${mark(s.type, final, frame)} ${c.bold(name.padEnd(width))}  ${s.message}`);
  };
  const live = createLiveLoop(stream, lines, {intervalMs: FRAME_MS, animated: true, more: (n) => c.dim(`… and ${n} more`)});
  return {
    event(e) {
      if (e.service) {
        // "web-2 is healthy" and "web replica 2 …" name their replica; "created demo.portal.web.2" does not say it so.
        const named = e.replica === undefined || new RegExp(`(^|\\s)${escapeRegExp(`${e.service}-${e.replica}`)}\\b|\\breplica ${e.replica}\\b`).test(e.message);
        services.set(e.service, {type: e.type, message: named ? e.message : `${e.message} (replica ${e.replica})`});
        live.draw();
        return;
      }
      const message = (e.type === 'plan' ? planLines(e.message) : [e.message]).map((m) => c.dim(m));
      // A new plan (the rollback's) or a message after a failure starts a new block: the lines so
      // far stay as they ended, so the failure is not painted over. Other messages go above the block.
      if (e.type === 'plan' || [...services.values()].some((s) => s.type === 'failed')) {
        const frozen = lines(0, true);
        services = new Map();
        live.draw([...frozen, ...message]);
      } else {
        live.draw(message);
      }
    },
    done() {
      live.stop();
    },
  };
}
