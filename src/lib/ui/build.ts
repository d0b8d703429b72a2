// Build and push progress. Build on a TTY: one line per step (`[web 2/5] RUN …`); piped or with
// --progress plain: the whole log, each line prefixed with its service. Push on a TTY: a live
// progress bar per layer; piped: one line per layer status change.

import type {BuildEvent, BuildFailedError} from '../images/build.ts';
import type {PushEvent} from '../images/push.ts';
import {createLiveLoop} from './live.ts';
import {clipToWidth, palette, type SizedStream, type Terminal} from './terminal.ts';

export interface Renderer<E> {
  event(e: E): void;
  done(): void;
}

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function stepLine(service: string, step: number, total: number, instruction: string): string {
  return `[${service} ${step}/${total}] ${instruction}`;
}

export function createBuildRenderer(stream: SizedStream, terminal: Terminal, options: {plain: boolean}): Renderer<BuildEvent> {
  const c = palette(terminal.color);
  const condensed = terminal.tty && !options.plain;
  const write = (line: string) => void stream.write(`${line}\n`);
  return {
    event(e) {
      switch (e.type) {
        case 'start':
          write(c.bold(`[${e.service}] building ${e.image} (context: ${e.files} file${e.files === 1 ? '' : 's'}, ${formatBytes(e.bytes)})`));
          break;
        case 'step': {
          const line = stepLine(e.service, e.step, e.total, e.instruction);
          write(condensed ? c.cyan(clipToWidth(line, Math.max(40, (stream.columns || 100) - 1))) : line);
          break;
        }
        case 'output':
          if (!condensed && !/^Step \d+\/\d+ : /.test(e.line)) write(`[${e.service}] ${e.line}`);
          break;
        case 'warning':
          write(`${c.yellow('warning:')} [${e.service}] ${e.message}`);
          break;
        case 'done':
          write(`${c.green('✔')} [${e.service}] built ${e.image}`);
          break;
      }
    },
    done() {},
  };
}

/** The failing step and what it printed, for the end of a condensed build. */
export function renderBuildFailure(err: BuildFailedError, color: boolean): string {
  const c = palette(color);
  const lines = [c.red(err.step ? stepLine(err.service, err.step.step, err.step.total, err.step.instruction) : `[${err.service}] failed`)];
  for (const l of err.output) lines.push(`  ${c.dim('│')} ${l}`);
  return `${lines.join('\n')}\n`;
}

interface LayerState {
  service: string;
  layer: string;
  status: string;
  current?: number;
  total?: number;
}

function bar(current: number, total: number, width: number): string {
  const filled = Math.min(width, Math.round((current / total) * width));
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]`;
}

export function createPushRenderer(stream: SizedStream, terminal: Terminal): Renderer<PushEvent> {
  const c = palette(terminal.color);
  if (!terminal.tty) {
    const last = new Map<string, string>();
    return {
      event(e) {
        if (e.type === 'start') stream.write(`[${e.service}] pushing ${e.image}\n`);
        else if (e.type === 'done') stream.write(`[${e.service}] pushed ${e.image} ${e.digest}\n`);
        else {
          const key = `${e.service}/${e.layer}`;
          if (last.get(key) === e.status) return;
          last.set(key, e.status);
          stream.write(`[${e.service}] ${e.layer}: ${e.status}\n`);
        }
      },
      done() {},
    };
  }
  const layers = new Map<string, LayerState>();
  const lines = () =>
    [...layers.values()].map((l) => {
      const mark = /Pushed|already exists|Mounted/.test(l.status) ? c.green('✔') : c.cyan('•');
      const progress = l.total && l.current !== undefined && l.status === 'Pushing' ? `  ${bar(l.current, l.total, 24)} ${formatBytes(l.current)}/${formatBytes(l.total)}` : '';
      return `${mark} ${c.bold(l.service)} ${l.layer}  ${l.status}${progress}`;
    });
  const live = createLiveLoop(stream, lines, {intervalMs: 100});
  return {
    event(e) {
      if (e.type === 'layer') {
        const key = `${e.service}/${e.layer}`;
        const before = layers.get(key)?.status;
        layers.set(key, {service: e.service, layer: e.layer, status: e.status, current: e.current, total: e.total});
        if (before !== e.status) live.draw();
        else live.invalidate();
        return;
      }
      // Finished images leave the live area: their layers collapse into one line that stays.
      if (e.type === 'done') {
        for (const key of [...layers.keys()]) if (key.startsWith(`${e.service}/`)) layers.delete(key);
        live.draw([`${c.green('✔')} ${c.bold(e.service)} pushed ${e.image}`]);
      }
    },
    done() {
      live.stop();
    },
  };
}
