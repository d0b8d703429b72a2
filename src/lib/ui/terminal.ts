// What kind of terminal we print to. Output follows it: colors and decoration on a TTY,
// stable plain text when piped, no color when NO_COLOR is set (https://no-color.org).

export interface OutputStream {
  isTTY?: boolean;
  write(chunk: string): boolean;
}

/** A stream that may know the terminal's size (a TTY does; a pipe does not). */
export interface SizedStream extends OutputStream {
  columns?: number;
  rows?: number;
}

export interface Terminal {
  tty: boolean;
  color: boolean;
}

export function detectTerminal(stream: OutputStream, env: NodeJS.ProcessEnv = process.env): Terminal {
  const tty = Boolean(stream.isTTY) && env.TERM !== 'dumb';
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const force = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0';
  return {tty, color: !noColor && (tty || force)};
}

export interface Palette {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
  blue(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\u001B[${open}m${s}\u001B[${close}m`;
const plain = (s: string) => s;

export function palette(color: boolean): Palette {
  if (!color) return {red: plain, yellow: plain, green: plain, cyan: plain, magenta: plain, blue: plain, bold: plain, dim: plain};
  return {red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), cyan: sgr(36, 39), magenta: sgr(35, 39), blue: sgr(34, 39), bold: sgr(1, 22), dim: sgr(2, 22)};
}

// eslint-disable-next-line no-control-regex
const SGR = /\u001B\[[0-9;]*m/y;

/** Columns the text takes on a terminal: escape codes take none, every other character one. */
export function visibleWidth(text: string): number {
  let width = 0;
  for (let i = 0; i < text.length; ) {
    SGR.lastIndex = i;
    if (SGR.test(text)) {
      i = SGR.lastIndex;
      continue;
    }
    const code = text.codePointAt(i) as number;
    i += code > 0xffff ? 2 : 1;
    width++;
  }
  return width;
}

/**
 * The text cut to `width` columns, its last one an ellipsis, when it is wider; escape codes are
 * kept, and a cut line resets the style so the color does not run into what follows.
 */
export function clipToWidth(text: string, width: number): string {
  if (visibleWidth(text) <= width) return text;
  let out = '';
  let styled = false;
  let used = 0;
  for (let i = 0; i < text.length; ) {
    SGR.lastIndex = i;
    if (SGR.test(text)) {
      out += text.slice(i, SGR.lastIndex);
      styled = true;
      i = SGR.lastIndex;
      continue;
    }
    if (used === Math.max(0, width - 1)) break;
    const code = text.codePointAt(i) as number;
    const length = code > 0xffff ? 2 : 1;
    out += text.slice(i, i + length);
    i += length;
    used++;
  }
  return `${out}${width > 0 ? '…' : ''}${styled ? '\u001B[0m' : ''}`;
}

/** True when the CLI may ask questions: a TTY on both ends and not in CI. */
export function canPrompt(env: NodeJS.ProcessEnv = process.env, stdin: {isTTY?: boolean} = process.stdin, stdout: {isTTY?: boolean} = process.stdout): boolean {
  return Boolean(stdin.isTTY && stdout.isTTY) && !env.CI;
}
