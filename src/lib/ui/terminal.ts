// What kind of terminal we print to. Output follows it: colors and decoration on a TTY,
// stable plain text when piped, no color when NO_COLOR is set (https://no-color.org).

export interface OutputStream {
  isTTY?: boolean;
  write(chunk: string): boolean;
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
  bold(s: string): string;
  dim(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\u001B[${open}m${s}\u001B[${close}m`;
const plain = (s: string) => s;

export function palette(color: boolean): Palette {
  if (!color) return {red: plain, yellow: plain, green: plain, cyan: plain, bold: plain, dim: plain};
  return {red: sgr(31, 39), yellow: sgr(33, 39), green: sgr(32, 39), cyan: sgr(36, 39), bold: sgr(1, 22), dim: sgr(2, 22)};
}

/** True when the CLI may ask questions: a TTY on both ends and not in CI. */
export function canPrompt(env: NodeJS.ProcessEnv = process.env, stdin: {isTTY?: boolean} = process.stdin, stdout: {isTTY?: boolean} = process.stdout): boolean {
  return Boolean(stdin.isTTY && stdout.isTTY) && !env.CI;
}
