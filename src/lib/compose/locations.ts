// Source positions for model paths. The YAML phase records where every key and value came from;
// later phases move those records along with the values (merge, extends, include) so that a
// problem found on the final model still points at the line the user wrote.

import type {ModelPath, PathSegment, SourceLocation} from './types.ts';

const SEP = '\u0000';

function keyOf(path: ModelPath): string {
  return path.join(SEP);
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['services', 'web', 'cap_add', 1]` → `services.web.cap_add[1]`; odd keys are quoted. */
export function formatPath(path: ModelPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** The inverse of formatPath: `services.web.cap_add[1]` → `['services', 'web', 'cap_add', 1]`. */
export function parsePath(text: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?([A-Za-z_][A-Za-z0-9_-]*)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null && m[0] !== '') {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(JSON.parse(`"${m[2]}"`) as string);
    else out.push(m[3]);
  }
  return out;
}

export function formatLocation(loc: SourceLocation | undefined): string {
  return loc ? `${loc.file}:${loc.line}:${loc.column}` : '';
}

export class Locations {
  private readonly map = new Map<string, SourceLocation>();

  set(path: ModelPath, loc: SourceLocation): void {
    this.map.set(keyOf(path), loc);
  }

  /** The exact location of a path, if recorded. */
  get(path: ModelPath): SourceLocation | undefined {
    return this.map.get(keyOf(path));
  }

  /** The location of a path or of its nearest recorded ancestor (normalization adds paths). */
  find(path: ModelPath): SourceLocation | undefined {
    for (let n = path.length; n >= 0; n--) {
      const loc = this.map.get(keyOf(path.slice(0, n)));
      if (loc) return loc;
    }
    return undefined;
  }

  get size(): number {
    return this.map.size;
  }

  /** Every recorded path at or below `prefix`, as path segments relative to `prefix`. */
  *subtree(prefix: ModelPath): Generator<[PathSegment[], SourceLocation]> {
    const p = keyOf(prefix);
    for (const [k, loc] of this.map) {
      if (prefix.length === 0) yield [splitKey(k), loc];
      else if (k === p) yield [[], loc];
      else if (k.startsWith(p + SEP)) yield [splitKey(k.slice(p.length + 1)), loc];
    }
  }

  /**
   * Copies the records of `from` under `fromPrefix` to `toPrefix` here. With `overwrite` false,
   * existing records win (extends: the extending service's own lines stay).
   */
  copy(from: Locations, fromPrefix: ModelPath, toPrefix: ModelPath, overwrite = true): void {
    for (const [rel, loc] of from.subtree(fromPrefix)) {
      const k = keyOf([...toPrefix, ...rel]);
      if (overwrite || !this.map.has(k)) this.map.set(k, loc);
    }
  }

  /** Drops every record at or below `prefix`. */
  delete(prefix: ModelPath): void {
    const p = keyOf(prefix);
    for (const k of [...this.map.keys()]) {
      if (k === p || k.startsWith(p + SEP)) this.map.delete(k);
    }
  }

  clone(): Locations {
    const out = new Locations();
    for (const [k, v] of this.map) out.map.set(k, v);
    return out;
  }
}

function splitKey(k: string): PathSegment[] {
  if (k === '') return [];
  // Numbers were joined as digits; array indexes are restored as numbers only where the
  // segment is all digits, which keeps `volumes['0']` (a volume named 0) distinguishable
  // enough for location lookups, the only use of these paths.
  return k.split(SEP).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
