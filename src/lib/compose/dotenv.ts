// The `.env` and `env_file` parser, following the syntax Docker Compose accepts (compose-go's
// dotenv package): comments, `export`, `KEY=value` and `KEY: value`, single quotes taken
// literally, double quotes with shell escapes spanning lines, unquoted values ending at ` #`,
// variable expansion in unquoted and double-quoted values, and bare `KEY` lines that take their
// value from the environment.

import {InvalidInputError} from '../errors.ts';
import {InterpolationError, interpolateString, setOwn} from './interpolate.ts';

export interface DotenvOptions {
  /** Named in error messages. */
  filename?: string;
  /** The environment: expansion consults it before the file's own earlier keys. */
  lookup?: (name: string) => string | undefined;
  /** Compose's `env_file` `format: raw`: each line is `KEY=value` taken verbatim. */
  raw?: boolean;
}

export const MAX_DOTENV_BYTES = 1024 * 1024;

const NEWLINE = '\n';

/** Whitespace that separates tokens on one line (Go's unicode.IsSpace without the newline). */
function isBlank(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\v' || ch === '\f' || ch === '\u0085' || ch === '\u00a0';
}

const KEY_CHAR = /^[\p{L}\p{N}_.\-[\]]$/u;

/**
 * Parses a dotenv file into its variables, in file order (a repeated key keeps its last value).
 * @throws InvalidInputError naming the file and line of the first syntax error.
 */
export function parseDotenv(text: string, options: DotenvOptions = {}): Record<string, string> {
  if (text.length > MAX_DOTENV_BYTES || Buffer.byteLength(text, 'utf8') > MAX_DOTENV_BYTES) {
    throw new InvalidInputError(`${options.filename ? `env file "${options.filename}"` : 'env file'} is larger than 1 MiB`, {
      hint: 'keep env files to variables; put large content in a config or secret file instead',
    });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return options.raw ? parseRaw(text, options) : new DotenvParser(text, options).parse();
}

function where(options: DotenvOptions, line: number): string {
  return options.filename ? `${options.filename}:${line}` : `line ${line}`;
}

/** `docker run --env-file` semantics: no quotes, no escapes, no expansion, no inline comments. */
function parseRaw(text: string, options: DotenvOptions): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(NEWLINE);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const eq = trimmed.indexOf('=');
    const key = eq === -1 ? trimmed.trimEnd() : trimmed.slice(0, eq);
    if (key === '') {
      throw new InvalidInputError(`${where(options, i + 1)}: missing variable name before "="`, {hint: 'write each line as KEY=value'});
    }
    if (/\s/.test(key)) {
      throw new InvalidInputError(`${where(options, i + 1)}: variable name ${JSON.stringify(key)} contains whitespace`, {
        hint: 'write each line as KEY=value with no spaces around "=" (the raw format keeps values verbatim)',
      });
    }
    if (eq !== -1) setOwn(out, key, trimmed.slice(eq + 1));
    else {
      const inherited = options.lookup?.(key);
      if (inherited !== undefined) setOwn(out, key, inherited);
    }
  }
  return out;
}

class DotenvParser {
  private pos = 0;
  private line = 1;
  private readonly text: string;
  private readonly options: DotenvOptions;
  private readonly out: Record<string, string> = {};
  private readonly defined = new Map<string, string>();
  private readonly expandLookup: (name: string) => string | undefined;

  constructor(text: string, options: DotenvOptions) {
    this.text = text;
    this.options = options;
    // The environment wins over the file's own earlier keys, as in Compose, where a variable
    // set in the shell also overrides the same variable in .env.
    this.expandLookup = (name) => options.lookup?.(name) ?? this.defined.get(name);
  }

  parse(): Record<string, string> {
    while (this.skipToStatement()) this.statement();
    return this.out;
  }

  /** Skips blank lines and comment lines; false at the end of the text. */
  private skipToStatement(): boolean {
    const t = this.text;
    while (this.pos < t.length) {
      const ch = t[this.pos];
      if (ch === NEWLINE) {
        this.line++;
        this.pos++;
      } else if (isBlank(ch)) {
        this.pos++;
      } else if (ch === '#') {
        this.skipRestOfLine();
      } else {
        return true;
      }
    }
    return false;
  }

  private skipRestOfLine(): void {
    const nl = this.text.indexOf(NEWLINE, this.pos);
    this.pos = nl === -1 ? this.text.length : nl;
  }

  private statement(): void {
    const t = this.text;
    const line = this.line;
    if (t.startsWith('export', this.pos) && isBlank(t[this.pos + 6] ?? '')) {
      // `export KEY=...` as in a shell script; a line reading just `export` is the key `export`.
      let p = this.pos + 6;
      while (p < t.length && isBlank(t[p])) p++;
      if (p < t.length && !'=:\n'.includes(t[p])) this.pos = p;
    }

    const keyStart = this.pos;
    while (this.pos < t.length && t[this.pos] !== '=' && t[this.pos] !== ':' && t[this.pos] !== NEWLINE) this.pos++;
    const key = trimEndBlanks(t.slice(keyStart, this.pos));
    this.checkKey(key, line);

    if (this.pos >= t.length || t[this.pos] === NEWLINE) {
      // A bare `KEY` passes the variable through from the environment, if it is set there.
      const inherited = this.options.lookup?.(key);
      if (inherited !== undefined) this.define(key, inherited);
      return;
    }
    this.pos++; // `=` or `:`
    this.skipBlanks();
    const quote = t[this.pos];
    this.define(key, quote === '"' || quote === "'" ? this.quoted(quote, key, line) : this.unquoted(line));
  }

  private checkKey(key: string, line: number): void {
    for (const ch of key) {
      if (KEY_CHAR.test(ch)) continue;
      if (isBlank(ch)) {
        throw new InvalidInputError(`${where(this.options, line)}: key ${JSON.stringify(key)} cannot contain a space`, {
          hint: 'write each line as KEY=value; quote values that contain spaces: KEY="some value"',
        });
      }
      throw new InvalidInputError(`${where(this.options, line)}: unexpected character ${JSON.stringify(ch)} in variable name ${JSON.stringify(key)}`, {
        hint: 'variable names may use letters, digits, "_", ".", "-", "[" and "]"; write each line as KEY=value',
      });
    }
  }

  private unquoted(line: number): string {
    const t = this.text;
    const nl = t.indexOf(NEWLINE, this.pos);
    const end = nl === -1 ? t.length : nl;
    let value = t.slice(this.pos, end);
    this.pos = end;
    const comment = inlineComment(value);
    if (comment !== -1) value = value.slice(0, comment);
    return this.expand(trimEndBlanks(value), line);
  }

  /**
   * A quoted value, which may span lines. A backslash before the quote character keeps the
   * quote; other backslash pairs are left for escape processing (double quotes only).
   */
  private quoted(quote: string, key: string, line: number): string {
    const t = this.text;
    let raw = '';
    let start = this.pos + 1;
    let i = start;
    for (; i < t.length; i++) {
      const ch = t[i];
      if (ch === NEWLINE) this.line++;
      else if (ch === '\\') {
        if (t[i + 1] === quote) {
          raw += t.slice(start, i) + quote;
          start = i + 2;
        }
        if (t[i + 1] === NEWLINE) this.line++;
        i++;
      } else if (ch === quote) break;
    }
    if (i >= t.length) {
      throw new InvalidInputError(`${where(this.options, line)}: unterminated quoted value for ${JSON.stringify(key)}`, {
        hint: `add the closing ${quote}, or escape a quote inside the value with a backslash`,
      });
    }
    raw += t.slice(start, i);
    this.pos = i + 1;
    this.afterQuoted(line);
    return quote === '"' ? this.expand(unescapeDoubleQuoted(raw), line) : raw;
  }

  /** After a closing quote only blanks and a comment may follow on that line. */
  private afterQuoted(line: number): void {
    const t = this.text;
    this.skipBlanks();
    if (this.pos >= t.length || t[this.pos] === NEWLINE) return;
    if (t[this.pos] === '#') {
      this.skipRestOfLine();
      return;
    }
    throw new InvalidInputError(`${where(this.options, this.line)}: unexpected text after the closing quote of the value on line ${line}`, {
      hint: 'put the whole value inside the quotes, or start a comment with " #"',
    });
  }

  private expand(value: string, line: number): string {
    try {
      return interpolateString(value, this.expandLookup).value;
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      throw new InvalidInputError(`${where(this.options, line)}: ${err.message}`, {hint: err.hint, cause: err});
    }
  }

  private skipBlanks(): void {
    while (this.pos < this.text.length && isBlank(this.text[this.pos])) this.pos++;
  }

  private define(key: string, value: string): void {
    setOwn(this.out, key, value);
    this.defined.set(key, value);
  }
}

function trimEndBlanks(s: string): string {
  let end = s.length;
  while (end > 0 && isBlank(s[end - 1])) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Index of an inline comment: a `#` preceded by a blank (`a#b` is a value, `a #b` is not). */
function inlineComment(value: string): number {
  for (let i = value.indexOf('#'); i !== -1; i = value.indexOf('#', i + 1)) {
    if (i > 0 && isBlank(value[i - 1])) return i - 1;
  }
  return -1;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '"': '"',
  '\\': '\\',
  // `\$` stays a literal dollar through the expansion that follows.
  $: '$$',
};

/**
 * Shell escapes of double-quoted values: the single-letter ones above and octal `\0nnn`.
 * Anything else (`\x41`, `\u00e9`, `\ `) is kept as written.
 */
function unescapeDoubleQuoted(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  let start = 0;
  for (let i = raw.indexOf('\\'); i !== -1 && i < raw.length - 1; i = raw.indexOf('\\', start)) {
    const next = raw[i + 1];
    const simple = Object.hasOwn(SIMPLE_ESCAPES, next) ? SIMPLE_ESCAPES[next] : undefined;
    if (simple !== undefined) {
      out += raw.slice(start, i) + simple;
      start = i + 2;
      continue;
    }
    const octal = next === '0' ? /^[0-7]{3}/.exec(raw.slice(i + 2, i + 5)) : null;
    if (octal && parseInt(octal[0], 8) <= 0xff) {
      out += raw.slice(start, i) + String.fromCharCode(parseInt(octal[0], 8));
      start = i + 5;
      continue;
    }
    out += raw.slice(start, i + 2);
    start = i + 2;
  }
  return out + raw.slice(start);
}
