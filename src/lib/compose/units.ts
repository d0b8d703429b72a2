// Byte sizes and durations as compose writes them (`512m`, `2gb`, `1m30s`). Compose reads sizes
// with Docker's RAM units (binary multiples, case-insensitive, optional `i` and `b`) and durations
// with Go's syntax plus days and weeks.

const SIZE = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;
const MULTIPLIER: Record<string, number> = {'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5};

/** Long enough for any real size or duration; longer strings are refused before any regex runs. */
const MAX_TEXT = 64;

/**
 * Bytes for a size: an integer (`-1` means unlimited for swap), a numeric string, or a number with
 * a unit (`50M`, `2gb`, `1.5g`). Undefined when the value is not a size.
 */
export function parseBytes(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string' || value.length > MAX_TEXT) return undefined;
  if (/^-?\d+$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  const m = SIZE.exec(value);
  if (!m) return undefined;
  const bytes = Math.trunc(Number(m[1]) * MULTIPLIER[(m[2] ?? '').toLowerCase()]);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const NANOS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9,
  w: 604800e9,
};
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/y;

/**
 * Nanoseconds for a duration such as `10s`, `1m30s`, `1.5h`, `2d` or `0`. Undefined when the text
 * is not a duration (a bare number other than 0 has no unit and is refused, as compose does).
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TEXT) return undefined;
  let text = value;
  let sign = 1;
  if (text[0] === '-' || text[0] === '+') {
    sign = text[0] === '-' ? -1 : 1;
    text = text.slice(1);
  }
  if (text === '0') return 0;
  if (text === '') return undefined;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const m = DURATION_PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * NANOS[m[2]];
  }
  return Number.isFinite(total) ? sign * Math.round(total) : undefined;
}

const UNDER_A_SECOND: readonly [string, number][] = [
  ['ms', 1e6],
  ['us', 1e3],
  ['ns', 1],
];

/** `n / unit` in decimal, exactly: `decimal(1500, 1000)` is `1.5`. */
function decimal(n: number, unit: number): string {
  const whole = Math.floor(n / unit);
  const rest = n % unit;
  if (rest === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}

/**
 * A duration in nanoseconds as compose text that `parseDuration` (and Go's time.ParseDuration,
 * which docker compose uses) reads back to the same number: `1h30m`, `1m30s`, `1.5s`, `500ms`,
 * `0s`. Units that are zero are left out, so what people usually write comes back unchanged.
 */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 0) return `-${formatDuration(-ns)}`;
  if (ns < 1e9) {
    const [unit, size] = UNDER_A_SECOND.find(([, size]) => ns >= size) ?? ['ns', 1];
    return `${decimal(ns, size)}${unit}`;
  }
  const hours = Math.floor(ns / 3600e9);
  const minutes = Math.floor((ns % 3600e9) / 60e9);
  const seconds = ns % 60e9;
  return `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${seconds ? `${decimal(seconds, 1e9)}s` : ''}`;
}
