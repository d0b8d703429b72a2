// Relative host paths made absolute. Each file's paths are relative to that file's folder (an
// extended or included file may live elsewhere), so the loader resolves every file before merging
// them; later phases then see absolute paths only. Short syntax is still possible here, so volume
// strings are taken apart just enough to find their host path.

import {homedir} from 'node:os';
import {posix} from 'node:path';

import {setOwn} from './interpolate.ts';
import {isMap} from './merge.ts';
import {Override} from './tags.ts';
import type {RawMap} from './types.ts';

/** The sections of a short volume spec `SOURCE:TARGET:MODE` (source and mode optional). */
export interface VolumeSpec {
  source?: string;
  target: string;
  mode?: string;
}

/**
 * Splits a short volume spec the way compose does: `:` separates sections except right after a
 * single-letter Windows drive (`c:\data:/data`); one section alone is an anonymous volume's target.
 */
export function parseVolumeSpec(spec: string): VolumeSpec | {error: string} {
  if (spec === '') return {error: 'the volume is empty'};
  // `c:` alone or a one-character target cannot hold a separator worth splitting on.
  if (spec.length <= 2) return {target: spec};
  const sections: string[] = [];
  let start = 0;
  for (let i = 0; i <= spec.length; i++) {
    if (i < spec.length && spec[i] !== ':') continue;
    if (i < spec.length && i - start === 1 && /\p{L}/u.test(spec[start])) continue;
    sections.push(spec.slice(start, i));
    start = i + 1;
  }
  if (sections.some((s) => s === '')) return {error: 'it has an empty section between colons'};
  if (sections.length > 3) return {error: 'it has too many colons'};
  if (sections.length === 1) return {target: sections[0]};
  return {source: sections[0], target: sections[1], ...(sections.length === 3 ? {mode: sections[2]} : {})};
}

/** Whether a short-syntax volume source names a host path (a bind) rather than a named volume. */
export function isHostPath(source: string): boolean {
  return /^[./~]/.test(source) || source.startsWith('\\\\') || isWindowsDrivePath(source);
}

function isWindowsDrivePath(p: string): boolean {
  return /^\p{L}:/u.test(p);
}

/** `c:\data`, `\\server\share`: kept verbatim, they mean something only to a Windows engine. */
function isWindowsAbsolute(p: string): boolean {
  return /^\p{L}:[\\/]/u.test(p) || /^[\\/]{2}/.test(p);
}

/** Build contexts that are not folders: URLs, git references, `service:` and `docker-image://`. */
export function isRemoteContext(context: string): boolean {
  return context.includes('://') || context.startsWith('service:') || context.startsWith('github.com/') || context.startsWith('git@');
}

/**
 * Applies `fn` to a value, or to the value inside its `!override` marker: paths are resolved per
 * file, before the merge removes the markers.
 */
function inside(value: unknown, fn: (v: unknown) => unknown): unknown {
  return value instanceof Override ? new Override(fn(value.value)) : fn(value);
}

/** A copy of `map` with `key` passed through `fn` (inside a marker), or `map` itself if absent. */
function update(map: RawMap, key: string, fn: (v: unknown) => unknown): RawMap {
  if (!Object.hasOwn(map, key)) return map;
  const value = inside(map[key], fn);
  if (value === map[key]) return map;
  const out: RawMap = {...map};
  setOwn(out, key, value);
  return out;
}

function mapValues(value: unknown, fn: (v: unknown) => unknown): unknown {
  return inside(value, (v) => {
    if (!isMap(v)) return v;
    const out: RawMap = {};
    for (const [k, e] of Object.entries(v)) setOwn(out, k, inside(e, fn));
    return out;
  });
}

function mapItems(value: unknown, fn: (v: unknown) => unknown): unknown {
  return inside(value, (v) => (Array.isArray(v) ? v.map((e) => inside(e, fn)) : v));
}

class Resolver {
  private readonly baseDir: string;
  private readonly home: string;

  constructor(baseDir: string, home: string) {
    this.baseDir = baseDir;
    this.home = home;
  }

  /** Absolute form of a host path; `~` is the user's home; Windows paths stay as written. */
  readonly path = (value: unknown): unknown =>
    inside(value, (v) => {
      if (typeof v !== 'string' || v === '') return v;
      if (v === '~' || v.startsWith('~/')) return posix.join(this.home, v.slice(1));
      if (posix.isAbsolute(v) || isWindowsAbsolute(v)) return v;
      return posix.join(this.baseDir, v);
    });

  readonly context = (value: unknown): unknown => inside(value, (v) => (typeof v === 'string' && isRemoteContext(v) ? v : this.path(v)));

  /** env_file and label_file: a string or a list of strings; long env_file entries have `path`. */
  readonly pathList = (value: unknown): unknown =>
    inside(value, (v) => (typeof v === 'string' ? this.path(v) : mapItems(v, (e) => (isMap(e) ? update(e, 'path', this.path) : this.path(e)))));

  readonly build = (build: unknown): unknown => {
    if (typeof build === 'string') return this.context(build);
    if (!isMap(build)) return build;
    return update(update(build, 'context', this.context), 'additional_contexts', (extra) =>
      Array.isArray(extra) ? mapItems(extra, (e) => this.keyValueContext(e)) : mapValues(extra, this.context),
    );
  };

  /** `name=path`, the list form of additional_contexts. */
  private keyValueContext(entry: unknown): unknown {
    if (typeof entry !== 'string' || !entry.includes('=')) return entry;
    const eq = entry.indexOf('=');
    return `${entry.slice(0, eq)}=${String(this.context(entry.slice(eq + 1)))}`;
  }

  readonly volume = (volume: unknown): unknown => {
    if (typeof volume === 'string') {
      const spec = parseVolumeSpec(volume);
      if ('error' in spec || spec.source === undefined || !/^[.~]/.test(spec.source)) return volume;
      return [this.path(spec.source), spec.target, ...(spec.mode !== undefined ? [spec.mode] : [])].join(':');
    }
    return isMap(volume) && volume.type === 'bind' ? update(volume, 'source', this.path) : volume;
  };

  readonly service = (service: unknown): unknown => {
    if (!isMap(service)) return service;
    let out = update(service, 'build', this.build);
    out = update(out, 'env_file', this.pathList);
    out = update(out, 'label_file', this.pathList);
    out = update(out, 'volumes', (v) => mapItems(v, this.volume));
    out = update(out, 'extends', (e) => (isMap(e) && !String(e.file).includes('://') ? update(e, 'file', this.path) : e));
    return update(out, 'develop', (d) => (isMap(d) ? update(d, 'watch', (w) => mapItems(w, (e) => (isMap(e) ? update(e, 'path', this.path) : e))) : d));
  };

  /** A local volume with `o: bind` is a bind mount of `device`. */
  readonly namedVolume = (volume: unknown): unknown => {
    if (!isMap(volume) || volume.driver !== 'local' || !isMap(volume.driver_opts) || volume.driver_opts.o !== 'bind') return volume;
    return update(volume, 'driver_opts', (opts) => (isMap(opts) ? update(opts, 'device', this.path) : opts));
  };

  readonly fileObject = (def: unknown): unknown => (isMap(def) ? update(def, 'file', this.path) : def);
}

/**
 * A copy of a raw model with every relative host path made absolute against `baseDir` (an absolute
 * folder): build contexts (not URLs or git refs), env_file, label_file, bind sources (short syntax
 * only when they start with `.` or `~`), extends.file, develop.watch paths, secret and config
 * files, and the device of a local `o: bind` volume. `~` expands to `home` (default: the user's
 * home); Windows paths stay as written. `include` is left to the loader. Values under `!override`
 * are resolved inside their marker, so this can run on one file before the merge. The input is not
 * modified.
 */
export function resolvePaths(raw: RawMap, baseDir: string, home: string = homedir()): RawMap {
  const r = new Resolver(baseDir, home);
  let out = update(raw, 'services', (s) => mapValues(s, r.service));
  out = update(out, 'volumes', (v) => mapValues(v, r.namedVolume));
  out = update(out, 'secrets', (d) => mapValues(d, r.fileObject));
  out = update(out, 'configs', (d) => mapValues(d, r.fileObject));
  return out === raw ? {...raw} : out;
}
