// Merge phase: one compose model over another, by compose's merge rules. Used for several `-f`
// files, several YAML documents in one file, `extends`, and `include` overrides.
//
// Rules (compose-spec "merge" section): mappings merge key by key; scalars are replaced;
// sequences are appended, except where a field is keyed (environment, labels, ... merge as
// mappings; ports, volumes, secrets merge by their identity) or replaced whole (command,
// entrypoint, healthcheck.test, profiles). `!reset` drops the inherited value, `!override`
// replaces it. Source positions travel with the values.

import {Locations} from './locations.ts';
import {Override, Reset} from './tags.ts';
import type {PathSegment, RawMap} from './types.ts';

export interface Sourced {
  value: unknown;
  locations: Locations;
  /** Where `value` sits in `locations` (a service merged by extends lives under its own name). */
  path?: PathSegment[];
}

type Rule = 'replace' | 'toMap' | 'toNullMap' | 'unique' | {keyBy: (item: unknown) => string | undefined};

const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/** Short volume syntax `src:dst[:mode]` or `dst`; long syntax `{target}`. Windows drives are rare enough here. */
function volumeTarget(item: unknown): string | undefined {
  if (typeof item === 'string') {
    const parts = item.split(':');
    return parts.length === 1 ? parts[0] : parts[1];
  }
  if (isMap(item)) return str(item.target);
  return undefined;
}

function portKey(item: unknown): string | undefined {
  if (isMap(item)) return `${str(item.host_ip)}:${str(item.published)}:${str(item.target)}/${str(item.protocol) || 'tcp'}`;
  return str(item);
}

function fileRefKey(item: unknown): string | undefined {
  if (isMap(item)) return str(item.target) || str(item.source);
  return str(item);
}

// Patterns are model paths with `*` for any one segment.
const RULES: [string[], Rule][] = [
  ['services.*.command', 'replace'],
  ['services.*.entrypoint', 'replace'],
  ['services.*.healthcheck.test', 'replace'],
  ['services.*.profiles', 'replace'],
  ['services.*.environment', 'toMap'],
  ['services.*.labels', 'toMap'],
  ['services.*.annotations', 'toMap'],
  ['services.*.sysctls', 'toMap'],
  ['services.*.extra_hosts', 'unique'],
  ['services.*.build.args', 'toMap'],
  ['services.*.build.labels', 'toMap'],
  ['services.*.build.additional_contexts', 'toMap'],
  ['services.*.build.extra_hosts', 'unique'],
  ['services.*.deploy.labels', 'toMap'],
  ['services.*.depends_on', 'toNullMap'],
  ['services.*.networks', 'toNullMap'],
  ['services.*.ports', {keyBy: portKey}],
  ['services.*.volumes', {keyBy: volumeTarget}],
  ['services.*.secrets', {keyBy: fileRefKey}],
  ['services.*.configs', {keyBy: fileRefKey}],
  ['services.*.expose', 'unique'],
  ['services.*.dns', 'unique'],
  ['services.*.dns_search', 'unique'],
  ['services.*.dns_opt', 'unique'],
  ['services.*.cap_add', 'unique'],
  ['services.*.cap_drop', 'unique'],
  ['services.*.security_opt', 'unique'],
  ['services.*.env_file', 'unique'],
  ['services.*.tmpfs', 'unique'],
  ['services.*.devices', 'unique'],
  ['networks.*.labels', 'toMap'],
  ['volumes.*.labels', 'toMap'],
  ['secrets.*.labels', 'toMap'],
  ['configs.*.labels', 'toMap'],
].map(([p, r]) => [(p as string).split('.'), r as Rule]);

function ruleFor(path: PathSegment[]): Rule | undefined {
  outer: for (const [pattern, rule] of RULES) {
    if (pattern.length !== path.length) continue;
    for (let i = 0; i < pattern.length; i++) {
      if (pattern[i] !== '*' && pattern[i] !== path[i]) continue outer;
    }
    return rule;
  }
  return undefined;
}

export function isMap(v: unknown): v is RawMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Reset) && !(v instanceof Override);
}

const REMOVED = Symbol('removed');

function hasTags(v: unknown): boolean {
  if (v instanceof Reset || v instanceof Override) return true;
  if (Array.isArray(v)) return v.some(hasTags);
  if (v !== null && typeof v === 'object') {
    for (const k in v) if (hasTags((v as RawMap)[k])) return true;
  }
  return false;
}

class Merger {
  readonly out = new Locations();
  /** Leave `!reset`/`!override` on values that had nothing to act on, for a later merge. */
  private readonly keepTags: boolean;

  constructor(keepTags: boolean) {
    this.keepTags = keepTags;
  }

  /** Copies a value into the result, dropping `!reset` keys and unwrapping `!override`. */
  place(src: Sourced, srcPath: PathSegment[], outPath: PathSegment[]): unknown {
    const v = src.value;
    if (v instanceof Reset) return this.keepTags ? v : REMOVED;
    if (v instanceof Override) {
      const inner = this.place({...src, value: v.value}, srcPath, outPath);
      return this.keepTags ? new Override(inner) : inner;
    }
    const loc = src.locations.get(srcPath);
    if (loc) this.out.set(outPath, loc);
    if (Array.isArray(v)) {
      const arr: unknown[] = [];
      v.forEach((item, i) => {
        const r = this.place({...src, value: item}, [...srcPath, i], [...outPath, arr.length]);
        if (r !== REMOVED) arr.push(r);
      });
      return arr;
    }
    if (isMap(v)) {
      const obj: RawMap = {};
      for (const [k, item] of Object.entries(v)) {
        const r = this.place({...src, value: item}, [...srcPath, k], [...outPath, k]);
        if (r !== REMOVED) obj[k] = r;
      }
      return obj;
    }
    return v;
  }

  merge(base: Sourced | undefined, over: Sourced, basePath: PathSegment[], overPath: PathSegment[], outPath: PathSegment[], rulePath: PathSegment[]): unknown {
    const o = over.value;
    if (o instanceof Reset) return REMOVED;
    if (base === undefined || base.value === undefined || o instanceof Override) return this.place(over, overPath, outPath);
    const rule = ruleFor(rulePath);
    if (rule === 'replace') return this.place(over, overPath, outPath);
    if (rule === 'toMap' || rule === 'toNullMap') {
      const b = asMap(base, basePath, rule);
      const ov = asMap(over, overPath, rule);
      return this.mergeMaps(b, ov, basePath, overPath, outPath, rulePath);
    }
    const bv = base.value;
    if (Array.isArray(bv) && Array.isArray(o)) return this.mergeSequences(base, over, basePath, overPath, outPath, rule);
    if (isMap(bv) && isMap(o)) return this.mergeMaps(base, over, basePath, overPath, outPath, rulePath);
    return this.place(over, overPath, outPath);
  }

  private mergeMaps(base: Sourced, over: Sourced, basePath: PathSegment[], overPath: PathSegment[], outPath: PathSegment[], rulePath: PathSegment[]): RawMap {
    const b = base.value as RawMap;
    const o = over.value as RawMap;
    const loc = over.locations.get(overPath) ?? base.locations.get(basePath);
    if (loc) this.out.set(outPath, loc);
    const result: RawMap = {};
    for (const [k, v] of Object.entries(b)) {
      if (Object.hasOwn(o, k)) continue;
      const r = this.place({...base, value: v}, [...basePath, k], [...outPath, k]);
      if (r !== REMOVED) result[k] = r;
    }
    for (const [k, v] of Object.entries(o)) {
      const child = Object.hasOwn(b, k) ? {...base, value: b[k]} : undefined;
      const r = this.merge(child, {...over, value: v}, [...basePath, k], [...overPath, k], [...outPath, k], [...rulePath, k]);
      if (r !== REMOVED) result[k] = r;
    }
    return result;
  }

  private mergeSequences(base: Sourced, over: Sourced, basePath: PathSegment[], overPath: PathSegment[], outPath: PathSegment[], rule: Rule | undefined): unknown[] {
    type Item = {src: Sourced; path: PathSegment[]; value: unknown};
    const items: Item[] = [
      ...(base.value as unknown[]).map((value, i) => ({src: base, path: [...basePath, i], value})),
      ...(over.value as unknown[]).map((value, i) => ({src: over, path: [...overPath, i], value})),
    ];
    let kept = items;
    const keyBy = rule === 'unique' ? (v: unknown) => (isMap(v) || Array.isArray(v) ? JSON.stringify(v) : str(v)) : typeof rule === 'object' ? rule.keyBy : undefined;
    if (keyBy) {
      // A later entry with the same identity replaces the earlier one in its place.
      const index = new Map<string, number>();
      kept = [];
      for (const item of items) {
        const key = keyBy(item.value);
        const at = key === undefined ? undefined : index.get(key);
        if (at === undefined) {
          if (key !== undefined) index.set(key, kept.length);
          kept.push(item);
        } else kept[at] = item;
      }
    }
    const loc = over.locations.get(overPath) ?? base.locations.get(basePath);
    if (loc) this.out.set(outPath, loc);
    const result: unknown[] = [];
    for (const item of kept) {
      const r = this.place({...item.src, value: item.value}, item.path, [...outPath, result.length]);
      if (r !== REMOVED) result.push(r);
    }
    return result;
  }
}

/**
 * The list forms of keyed fields (`["A=1", "B"]`, `[web, db]`) as mappings, with their source
 * positions moved to the new keys, so both sides of a merge have the same shape.
 */
function asMap(src: Sourced, path: PathSegment[], rule: 'toMap' | 'toNullMap'): Sourced {
  const v = src.value;
  if (!Array.isArray(v)) return src;
  const locations = src.locations.clone();
  const value: RawMap = {};
  v.forEach((item, i) => {
    let key: string;
    let val: unknown = null;
    if (rule === 'toNullMap' || typeof item !== 'string') {
      key = str(item);
    } else {
      const eq = item.indexOf('=');
      key = eq < 0 ? item : item.slice(0, eq);
      val = eq < 0 ? null : item.slice(eq + 1);
    }
    // A listed dependency means "started"; a listed network has no settings.
    if (rule === 'toNullMap') val = path[path.length - 1] === 'depends_on' ? {condition: 'service_started', required: true} : null;
    value[key] = val;
    const loc = src.locations.get([...path, i]);
    if (loc) locations.set([...path, key], loc);
  });
  return {value, locations, path: src.path};
}

/**
 * Merges `over` onto `base` (both compose models or both fragments rooted at `rootPath`), returning
 * the merged value with its source positions. Tags are resolved and gone from the result.
 */
export function mergeModels(base: Sourced | undefined, over: Sourced, rootPath: PathSegment[] = [], keepTags = false): {value: RawMap; locations: Locations} {
  const m = new Merger(keepTags);
  const r = m.merge(base, over, base?.path ?? [], over.path ?? [], [], rootPath);
  return {value: (r === REMOVED || r === undefined ? {} : r) as RawMap, locations: m.out};
}

/**
 * Merges a list of models in order (later wins). With `keepTags`, tags with nothing to act on
 * stay in the result (the documents of one file, before that file merges over another).
 */
export function mergeAll(models: Sourced[], keepTags = false): {value: RawMap; locations: Locations} {
  // The common case, one file with one document and no tags, needs no copy.
  const [only] = models;
  if (models.length === 1 && (only.path ?? []).length === 0 && isMap(only.value) && (keepTags || !hasTags(only.value))) {
    return {value: only.value, locations: only.locations};
  }
  let acc: {value: RawMap; locations: Locations} | undefined;
  for (const m of models) acc = mergeModels(acc, m, [], keepTags);
  return acc ?? {value: {}, locations: new Locations()};
}
