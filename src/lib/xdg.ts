// Where Spin keeps its files on the user's machine: the XDG base directories
// (https://specifications.freedesktop.org/basedir-spec/), one rule for all of them: the
// client's config, the local agent's state, the build-key cache, the agent's data directory.

import {homedir} from 'node:os';
import {join} from 'node:path';

const DEFAULTS = {
  config: ['.config'],
  cache: ['.cache'],
  state: ['.local', 'state'],
  data: ['.local', 'share'],
} as const;

export type XdgKind = keyof typeof DEFAULTS;

/** `$XDG_<KIND>_HOME/spin/…`, else the spec's default under HOME (`~/.local/state/spin/…`). */
export function spinDir(kind: XdgKind, env: NodeJS.ProcessEnv, ...parts: string[]): string {
  const value = env[`XDG_${kind.toUpperCase()}_HOME`];
  // The spec says a relative path is invalid and must be ignored.
  const base = value?.startsWith('/') ? value : join(env.HOME || homedir(), ...DEFAULTS[kind]);
  return join(base, 'spin', ...parts);
}
