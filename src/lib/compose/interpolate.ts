// The interpolation phase: replaces `$VAR` and `${VAR...}` in the string values of a raw model
// with values from the environment, as Compose does. Mapping keys are never interpolated.
//
// The scanner is hand-written and single-pass: each character is looked at once, nested
// defaults included, so a hostile value cannot make it backtrack. Defaults and error messages
// are only evaluated when used, like in a shell, so `${A:-$B}` with A set does not warn about B.

import {diagnostic} from './diagnostics.ts';
import type {Locations} from './locations.ts';
import {formatPath} from './locations.ts';
import {Override, Reset} from './tags.ts';
import type {Diagnostic, ModelPath, PathSegment} from './types.ts';
import {InvalidInputError} from '../errors.ts';

export type Lookup = (name: string) => string | undefined;

export interface InterpolateResult {
  value: unknown;
  diagnostics: Diagnostic[];
}

export interface InterpolateOptions {
  locations?: Locations;
  /** Where `value` sits in the model, so diagnostics point at the right line. */
  path?: ModelPath;
}

const LITERAL_DOLLAR_HINT = 'use $$ for a literal dollar sign';
const UNCLOSED = '"${" is not closed by "}"';
/** Real files nest two or three levels; the cap keeps hostile input from exhausting the stack. */
const MAX_NESTING = 64;

/** A `${VAR:?msg}` whose variable is missing, or a malformed `${...}`. */
export class InterpolationError extends InvalidInputError {
  readonly kind: 'required' | 'format';
  /** The text being interpolated. */
  readonly template: string;
  /** For `required`: the variable that has no value. */
  readonly variable?: string;
  /** For `required`: the user's explanation after `:?`/`?` (may be empty). */
  readonly reason?: string;
  /** For `format`: what exactly is malformed. */
  readonly detail?: string;

  constructor(init: {kind: 'required' | 'format'; template: string; variable?: string; reason?: string; detail?: string}) {
    super(
      init.kind === 'required'
        ? requiredMessage(init.variable ?? '', init.reason ?? '')
        : `invalid interpolation format: ${quoteValue(init.template)} (${init.detail})`,
      {hint: init.kind === 'required' ? setVariableHint(init.variable ?? '') : LITERAL_DOLLAR_HINT},
    );
    this.kind = init.kind;
    this.template = init.template;
    this.variable = init.variable;
    this.reason = init.reason;
    this.detail = init.detail;
  }
}

function requiredMessage(variable: string, reason: string): string {
  return reason === ''
    ? `required variable ${variable} is missing a value`
    : `required variable ${variable} is missing a value: ${reason}`;
}

function setVariableHint(variable: string): string {
  return `set ${variable} in the environment or in the .env file`;
}

const MAX_QUOTED = 200;

/** Long values are cut so that a diagnostic stays one readable line. */
function quoteValue(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}…` : text);
}

const DOLLAR = 0x24;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const QUESTION = 0x3f;

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

function isOperator(c: number): boolean {
  return c === MINUS || c === PLUS || c === QUESTION;
}

/** One pass over one string; `pos` is the shared cursor of the recursive descent. */
class Expander {
  pos = 0;
  private depth = 0;
  readonly text: string;
  readonly lookup: Lookup;
  readonly unset: string[] = [];

  constructor(text: string, lookup: Lookup) {
    this.text = text;
    this.lookup = lookup;
  }

  /**
   * Literal text and substitutions up to the end of the text or, inside a `${VAR op ...}`
   * argument, up to the `}` that closes it (plain braces in between must pair up, as in a shell).
   * With `evaluate` false the text is only checked for syntax: nothing is looked up.
   */
  sequence(inArgument: boolean, evaluate: boolean): string {
    const t = this.text;
    let out = '';
    let start = this.pos;
    let braces = 0;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === DOLLAR) {
        out += t.slice(start, this.pos);
        out += this.substitution(evaluate);
        start = this.pos;
        continue;
      }
      if (inArgument) {
        if (c === OPEN) braces++;
        else if (c === CLOSE) {
          if (braces === 0) return out + t.slice(start, this.pos);
          braces--;
        }
      }
      this.pos++;
    }
    if (inArgument) throw this.formatError(UNCLOSED);
    return out + t.slice(start);
  }

  /** At a `$`: one substitution, or the `$` itself when no variable follows (`$1`, `$ `, `a$`). */
  private substitution(evaluate: boolean): string {
    const t = this.text;
    const next = t.charCodeAt(this.pos + 1);
    if (next === DOLLAR) {
      this.pos += 2;
      return '$';
    }
    if (next === OPEN) return this.braced(evaluate);
    if (isNameStart(next)) {
      const name = this.name(this.pos + 1);
      return evaluate ? this.resolve(name) : '';
    }
    this.pos++;
    return '$';
  }

  private braced(evaluate: boolean): string {
    const t = this.text;
    this.pos += 2;
    if (!isNameStart(t.charCodeAt(this.pos))) {
      throw this.formatError(this.pos >= t.length ? UNCLOSED : '"${" must be followed by a variable name');
    }
    const name = this.name(this.pos);
    let c = t.charCodeAt(this.pos);
    if (c === CLOSE) {
      this.pos++;
      return evaluate ? this.resolve(name) : '';
    }
    let colon = false;
    if (c === COLON) {
      colon = true;
      c = t.charCodeAt(this.pos + 1);
      if (!isOperator(c)) throw this.pos + 1 >= t.length ? this.formatError(UNCLOSED) : this.unexpectedAfterName(name, this.pos, 2);
      this.pos += 2;
    } else if (isOperator(c)) {
      this.pos++;
    } else {
      throw this.pos >= t.length ? this.formatError(UNCLOSED) : this.unexpectedAfterName(name, this.pos, 1);
    }

    const value = evaluate ? this.lookup(name) : undefined;
    // `:` makes an empty value count as missing.
    const present = value !== undefined && (!colon || value !== '');
    const useArgument = evaluate && (c === PLUS ? present : !present);
    if (++this.depth > MAX_NESTING) throw this.formatError(`"\${" nested more than ${MAX_NESTING} levels deep`);
    const argument = this.sequence(true, useArgument);
    this.depth--;
    this.pos++; // the closing brace
    if (!evaluate) return '';
    if (c === QUESTION) {
      if (useArgument) throw new InterpolationError({kind: 'required', template: t, variable: name, reason: argument});
      return value as string;
    }
    if (useArgument) return argument;
    // `${VAR+x}` with VAR unset is empty without a warning: absence is what the form tests.
    return value ?? '';
  }

  /** Reads a variable name starting at `from` and leaves the cursor after it. */
  private name(from: number): string {
    const t = this.text;
    let end = from + 1;
    while (end < t.length && isNameChar(t.charCodeAt(end))) end++;
    this.pos = end;
    return t.slice(from, end);
  }

  private resolve(name: string): string {
    const value = this.lookup(name);
    if (value !== undefined) return value;
    if (!this.unset.includes(name)) this.unset.push(name);
    return '';
  }

  /** `chars` code points from `at` are quoted, enough to show `:x` or `.` in the message. */
  private unexpectedAfterName(name: string, at: number, chars: number): InterpolationError {
    const found = [...this.text.slice(at, at + 2 * chars)].slice(0, chars).join('');
    return this.formatError(`unexpected ${JSON.stringify(found)} after variable name "${name}"; expected "}", ":-", "-", ":?", "?", ":+" or "+"`);
  }

  private formatError(detail: string): InterpolationError {
    return new InterpolationError({kind: 'format', template: this.text, detail});
  }
}

/**
 * Interpolates one string. `unset` lists, once each, the variables that had no value and no
 * default and so became empty strings.
 * @throws InterpolationError for a missing required variable or malformed syntax.
 */
export function interpolateString(text: string, lookup: Lookup): {value: string; unset: string[]} {
  if (!text.includes('$')) return {value: text, unset: []};
  const expander = new Expander(text, lookup);
  const value = expander.sequence(false, true);
  return {value, unset: expander.unset};
}

/**
 * Interpolates every string value in a raw model and returns a new model; the input is not
 * modified. Values that fail keep their original text and yield an error diagnostic; unset
 * variables yield one warning per name, at their first occurrence.
 */
export function interpolate(value: unknown, lookup: Lookup, options: InterpolateOptions = {}): InterpolateResult {
  const walker = new ModelWalker(lookup, options.locations);
  const path: PathSegment[] = [...(options.path ?? [])];
  const out = walker.walk(value, path);
  return {value: out, diagnostics: walker.diagnostics};
}

class ModelWalker {
  readonly diagnostics: Diagnostic[] = [];
  private readonly warned = new Set<string>();
  private readonly lookup: Lookup;
  private readonly locations: Locations | undefined;

  constructor(lookup: Lookup, locations: Locations | undefined) {
    this.lookup = lookup;
    this.locations = locations;
  }

  /** `path` is a shared stack, pushed and popped on the way down; diagnostics copy it. */
  walk(value: unknown, path: PathSegment[]): unknown {
    if (typeof value === 'string') return this.string(value, path);
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      const out = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        out[i] = this.walk(value[i], path);
        path.pop();
      }
      return out;
    }
    if (value instanceof Reset) return value;
    if (value instanceof Override) return new Override(this.walk(value.value, path));
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      path.push(key);
      setOwn(out, key, this.walk((value as Record<string, unknown>)[key], path));
      path.pop();
    }
    return out;
  }

  private string(text: string, path: PathSegment[]): string {
    if (!text.includes('$')) return text;
    try {
      const {value, unset} = interpolateString(text, this.lookup);
      for (const name of unset) this.warnUnset(name, path);
      return value;
    } catch (err) {
      if (!(err instanceof InterpolationError)) throw err;
      this.diagnostics.push(
        diagnostic(this.locations, {
          source: 'interpolation',
          message: err.kind === 'format' ? `invalid interpolation format for ${formatPath(path)}: ${quoteValue(text)} (${err.detail})` : err.message,
          path: [...path],
          hint: err.hint,
        }),
      );
      return text;
    }
  }

  private warnUnset(name: string, path: PathSegment[]): void {
    if (this.warned.has(name)) return;
    this.warned.add(name);
    this.diagnostics.push(
      diagnostic(this.locations, {
        source: 'interpolation',
        severity: 'warning',
        message: `variable "${name}" is not set; substituting an empty string`,
        path: [...path],
        hint: `set ${name} in the environment or in the .env file, or give a default with \${${name}:-default}`,
      }),
    );
  }
}

/** Assignment that treats `__proto__` as an ordinary key, as YAML does. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, {value, enumerable: true, writable: true, configurable: true});
  else target[key] = value;
}
