// Deploy progress. On a TTY: one live line per service, redrawn in place. Piped: one plain
// line per event, so CI logs read top to bottom.

import type {DeployEvent} from '../engine/types.ts';
import {palette, type OutputStream, type Terminal} from './terminal.ts';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface ProgressRenderer {
  event(e: DeployEvent): void;
  done(): void;
}

export function plainLine(e: DeployEvent): string {
  const who = e.service ? `${e.service}${e.replica ? `-${e.replica}` : ''} ` : '';
  return `${e.time} ${who}${e.type}: ${e.message}`;
}

export function createProgress(stream: OutputStream, terminal: Terminal): ProgressRenderer {
  if (!terminal.tty) {
    return {event: (e) => void stream.write(`${plainLine(e)}\n`), done: () => {}};
  }
  const c = palette(terminal.color);
  const services = new Map<string, {type: string; message: string}>();
  const general: string[] = [];
  let drawn = 0;
  let frame = 0;
  const mark = (type: string) => {
    if (type === 'healthy' || type === 'done') return c.green('✔');
    if (type === 'failed') return c.red('✖');
    if (type === 'remove' || type === 'stop') return c.dim('-');
    return c.cyan(SPINNER[frame % SPINNER.length]);
  };
  const draw = () => {
    let out = drawn > 0 ? `\u001B[${drawn}F` : '';
    const lines = [...general.map((g) => c.dim(g)), ...[...services].map(([name, s]) => `${mark(s.type)} ${c.bold(name)}  ${s.message}`)];
    for (const l of lines) out += `\u001B[2K${l}\n`;
    stream.write(out);
    drawn = lines.length;
  };
  const timer = setInterval(() => {
    frame++;
    draw();
  }, 120);
  timer.unref();
  return {
    event(e) {
      if (e.type === 'log') {
        general.push(e.message);
      } else if (e.service) {
        services.set(e.service, {type: e.type, message: e.replica ? `${e.message} (replica ${e.replica})` : e.message});
      } else if (e.type === 'plan') {
        general.push(e.message);
      } else {
        general.push(e.message);
      }
      if (general.length > 5) general.splice(0, general.length - 5);
      draw();
    },
    done() {
      clearInterval(timer);
      draw();
    },
  };
}
