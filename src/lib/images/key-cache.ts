// Which image each build key produced (see buildKey in build.ts), kept in the user's cache dir:
// a rebuild of an unchanged app finds its image here and skips the engine. A lost or damaged
// file only means one full build.

import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {dirname} from 'node:path';

import {spinDir} from '../xdg.ts';

const MAX_ENTRIES = 500;
const MAX_BYTES = 1024 * 1024;

export interface KeyCache {
  get(key: string): string | undefined;
  set(key: string, imageId: string): void;
}

export function keyCachePath(env: NodeJS.ProcessEnv = process.env): string {
  return spinDir('cache', env, 'build-keys.json');
}

export function fileKeyCache(path: string = keyCachePath()): KeyCache {
  let entries: Record<string, string> | undefined;
  const load = () => {
    if (entries) return entries;
    try {
      const text = readFileSync(path, 'utf8');
      const parsed = text.length <= MAX_BYTES ? JSON.parse(text) : {};
      entries = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
    } catch {
      entries = {};
    }
    return entries;
  };
  return {
    get: (key) => {
      const v = load()[key];
      return typeof v === 'string' ? v : undefined;
    },
    set(key, imageId) {
      const all = load();
      delete all[key];
      all[key] = imageId;
      const keys = Object.keys(all);
      for (const k of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) delete all[k];
      try {
        mkdirSync(dirname(path), {recursive: true, mode: 0o700});
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(all), {mode: 0o600});
        renameSync(tmp, path);
      } catch {
        // A cache that cannot be written costs a full build next time, nothing more.
      }
    },
  };
}
