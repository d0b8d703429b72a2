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
