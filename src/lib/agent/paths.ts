// Where the agent keeps its state when --data-dir is not given: the XDG state directory,
// because the database, the secret key and the audit log are state, not configuration.

import {spinDir} from '../xdg.ts';

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SPIN_DATA_DIR || spinDir('state', env, 'agent');
}
