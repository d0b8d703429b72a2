// A block of lines redrawn in place at the bottom of a terminal (deploy progress, push layers).
// A redraw moves the cursor up as many lines as the last draw wrote, which only lands on the
// block's first line when each of its lines takes exactly one row: lines are clipped to the
// terminal's width, and the block to its height (the cursor cannot move above the screen).
// Lines written above the block stay where they are and scroll away like any output; they may
// wrap, since no redraw ever moves over them.

import {clipToWidth, type SizedStream} from './terminal.ts';

/** Width when the stream does not say (a pseudo-terminal without a size). */
const DEFAULT_COLUMNS = 80;

export interface LiveArea {
  /** Replaces the block with `lines`; `above` lines are written once, between the text before and the block. */
  draw(lines: string[], above?: string[]): void;
}

export function createLiveArea(stream: SizedStream, more: (hidden: number) => string = (n) => `… ${n} more`): LiveArea {
  let drawn = 0;
  return {
    draw(lines, above = []) {
      // One column stays free: some terminals wrap a line that fills the last one.
      const width = Math.max(1, (stream.columns || DEFAULT_COLUMNS) - 1);
      const rows = stream.rows && stream.rows > 2 ? stream.rows - 1 : Infinity;
      const shown = lines.length > rows ? [...lines.slice(0, rows - 1), more(lines.length - rows + 1)] : lines;
      let out = drawn > 0 ? `\u001B[${drawn}F\u001B[0J` : '';
      for (const line of above) out += `${line}\n`;
      for (const line of shown) out += `${clipToWidth(line, width)}\n`;
      drawn = shown.length;
      if (out) stream.write(out);
    },
  };
}

export interface LiveLoop {
  /** Draws the block now; `above` lines are written once over it, where they stay. */
  draw(above?: string[]): void;
  /** The block changed: the next tick draws it (for changes too frequent to draw each). */
  invalidate(): void;
  /** Stops the ticks and draws the last frame (`render(final: true)`) if it moves or changed. */
  stop(): void;
}

/**
 * A live area with its redraw loop, the one deploy progress and push progress share: every
 * `intervalMs` it draws `render` again when the block changed, or always when it is `animated`
 * (a spinner: `tick` counts the frames). The timer never keeps the process alive.
 */
export function createLiveLoop(stream: SizedStream, render: (tick: number, final: boolean) => string[], options: {intervalMs: number; animated?: boolean; more?: (hidden: number) => string}): LiveLoop {
  const live = createLiveArea(stream, options.more);
  let tick = 0;
  let dirty = false;
  const draw = (above?: string[], final = false) => {
    dirty = false;
    live.draw(render(tick, final), above);
  };
  const timer = setInterval(() => {
    tick++;
    if (dirty || (options.animated && render(tick, false).length > 0)) draw();
  }, options.intervalMs);
  timer.unref();
  return {
    draw,
    invalidate() {
      dirty = true;
    },
    stop() {
      clearInterval(timer);
      if (dirty || options.animated) draw(undefined, true);
    },
  };
}
