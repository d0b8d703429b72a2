// Where the agent keeps its state when --data-dir is not given: the XDG state directory,
// because the database, the secret key and the audit log are state, not configuration.

import {homedir} from 'node:os';
import {join} from 'node:path';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SPIN_DATA_DIR) return env.SPIN_DATA_DIR;
  // The XDG spec says a relative XDG_STATE_HOME is invalid and must be ignored.
  if (env.XDG_STATE_HOME?.startsWith('/')) return join(env.XDG_STATE_HOME, 'spin', 'agent');
  return join(env.HOME || homedir(), '.local', 'state', 'spin', 'agent');
}
