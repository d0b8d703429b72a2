// A fake terminal for the live renderers: a stream of fixed size that records what is written,
// and a small screen model that plays it back the way xterm or tmux would (lines wrap at the
// width, the cursor cannot go above the screen, the top line scrolls into the scrollback). Only
// the codes the renderers use are understood: CPL (ESC[nF), ED (ESC[0J / ESC[J), EL (ESC[2K)
// and SGR (colors, ignored).

export class FakeTty {
  readonly isTTY = true;
  readonly columns: number;
  readonly rows: number;
  readonly writes: string[] = [];

  constructor(columns: number, rows: number) {
    this.columns = columns;
    this.rows = rows;
  }

  write(chunk: string): boolean {
    this.writes.push(chunk);
    return true;
  }

  get output(): string {
    return this.writes.join('');
  }

  /** Every line the terminal shows, scrollback first, trailing spaces and empty last lines removed. */
  screen(): string[] {
    return playBack(this.output, this.columns, this.rows);
  }
}

export function playBack(output: string, columns: number, rows: number): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  let pendingWrap = false;
  const top = () => Math.max(0, lines.length - rows);
  const down = () => {
    row++;
    if (row === lines.length) lines.push([]);
  };
  for (let i = 0; i < output.length; ) {
    if (output[i] === '\u001B') {
      const m = /^\u001B\[([0-9;]*)([A-Za-z])/.exec(output.slice(i));
      if (!m) throw new Error(`unknown escape sequence at ${i}: ${JSON.stringify(output.slice(i, i + 10))}`);
      i += m[0].length;
      const n = m[1] === '' ? undefined : Number(m[1]);
      pendingWrap = false;
      switch (m[2]) {
        case 'F':
          row = Math.max(top(), row - (n ?? 1));
          col = 0;
          break;
        case 'J':
          if ((n ?? 0) !== 0) throw new Error(`ED ${n} is not modelled`);
          // The rows below stay on the screen, blank: writing into them does not scroll.
          lines[row].length = Math.min(lines[row].length, col);
          for (let r = row + 1; r < lines.length; r++) lines[r] = [];
          break;
        case 'K':
          if (n === 2) lines[row] = [];
          else lines[row].length = Math.min(lines[row].length, col);
          break;
        case 'm':
          break;
        default:
          throw new Error(`escape sequence ESC[${m[1]}${m[2]} is not modelled`);
      }
      continue;
    }
    const ch = String.fromCodePoint(output.codePointAt(i) as number);
    i += ch.length;
    if (ch === '\n') {
      pendingWrap = false;
      col = 0;
      down();
      continue;
    }
    if (ch === '\r') {
      pendingWrap = false;
      col = 0;
      continue;
    }
    if (pendingWrap) {
      pendingWrap = false;
      col = 0;
      down();
    }
    while (lines[row].length < col) lines[row].push(' ');
    lines[row][col] = ch;
    if (col === columns - 1) pendingWrap = true;
    else col++;
  }
  const out = lines.map((l) => l.join('').trimEnd());
  while (out.length > 0 && out.at(-1) === '') out.pop();
  return out;
}
