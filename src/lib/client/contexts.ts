// Context bookkeeping for `spin context ls|use|rm`, `spin logout` and `spin whoami`. Every
// answer leaves the token out, so no command can print one by mistake.

import {UsageError} from '../errors.ts';
import type {AgentClient} from './agent.ts';
import {configPath, readConfig, validateContextName, writeConfig, type ConfigFile, type ResolvedContext} from './config.ts';

export interface ContextInfo {
  name: string;
  url: string;
  user?: string;
  project?: string;
  registry?: string;
  current: boolean;
}

export interface ContextList {
  contexts: ContextInfo[];
  /** The context commands use now, after SPIN_CONTEXT; `env` when SPIN_URL/SPIN_TOKEN win. */
  current?: string;
  /** Which environment variable overrides the config file's `current`, if any. */
  overriddenBy?: 'SPIN_URL' | 'SPIN_CONTEXT';
  configFile: string;
}

export async function listContexts(env: NodeJS.ProcessEnv = process.env): Promise<ContextList> {
  const configFile = configPath(env);
  const config = await readConfig(configFile);
  const overriddenBy = env.SPIN_URL || env.SPIN_TOKEN ? 'SPIN_URL' : env.SPIN_CONTEXT ? 'SPIN_CONTEXT' : undefined;
  const current = overriddenBy === 'SPIN_URL' ? 'env' : (env.SPIN_CONTEXT || config.current);
  const contexts = Object.entries(config.contexts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => ({
      name,
      url: c.url,
      ...(c.user ? {user: c.user} : {}),
      ...(c.project ? {project: c.project} : {}),
      ...(c.registry ? {registry: c.registry} : {}),
      current: name === current,
    }));
  return {contexts, ...(current ? {current} : {}), ...(overriddenBy ? {overriddenBy} : {}), configFile};
}

function unknownContext(name: string, config: ConfigFile): UsageError {
  const names = Object.keys(config.contexts).sort();
  return new UsageError(`context "${name}" does not exist`, {
    hint: names.length ? `choose one of: ${names.join(', ')}` : 'log in first with `spin login URL --token TOKEN`',
  });
}

/** Makes NAME the current context. */
export async function useContext(name: string, env: NodeJS.ProcessEnv = process.env): Promise<{context: string; url: string}> {
  validateContextName(name);
  const file = configPath(env);
  const config = await readConfig(file);
  const found = config.contexts[name];
  if (!found) throw unknownContext(name, config);
  config.current = name;
  await writeConfig(file, config);
  return {context: name, url: found.url};
}

export interface RemovedContext {
  context: string;
  url: string;
  /** True when it was the current context, which is now unset. */
  wasCurrent: boolean;
  configFile: string;
}

/** Deletes a context and its token from the config file; unsets `current` if it pointed there. */
export async function removeContext(name: string, env: NodeJS.ProcessEnv = process.env): Promise<RemovedContext> {
  validateContextName(name);
  const file = configPath(env);
  const config = await readConfig(file);
  const found = config.contexts[name];
  if (!found) throw unknownContext(name, config);
  delete config.contexts[name];
  const wasCurrent = config.current === name;
  if (wasCurrent) delete config.current;
  await writeConfig(file, config);
  return {context: name, url: found.url, wasCurrent, configFile: file};
}

/** `spin logout`: forgets the named context, else the one in use (SPIN_CONTEXT, then current). */
export async function logout(name: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<RemovedContext> {
  if (name === undefined && (env.SPIN_URL || env.SPIN_TOKEN)) {
    throw new UsageError('the token comes from SPIN_URL and SPIN_TOKEN, not from a stored context', {
      hint: 'unset SPIN_URL and SPIN_TOKEN to stop using it, or pass --context NAME to remove a stored context',
    });
  }
  const target = name ?? (env.SPIN_CONTEXT || (await readConfig(configPath(env))).current);
  if (!target) throw new UsageError('not logged in: there is no current context', {hint: 'see `spin context ls`; pass --context NAME to remove another one'});
  return removeContext(target, env);
}

export interface Identity {
  user: string;
  uid: number;
  gid: number;
  admin: boolean;
  projects: string[];
  /** The default project of the context (or SPIN_PROJECT), if any. */
  project?: string;
  context: string;
  url: string;
}

/** Who the agent says the token belongs to, with the context it came from. */
export async function whoami(ctx: ResolvedContext, client: AgentClient): Promise<Identity> {
  const me = await client.whoami();
  return {
    user: me.name,
    uid: me.uid,
    gid: me.gid,
    admin: me.admin,
    projects: [...me.projects].sort(),
    ...(ctx.project ? {project: ctx.project} : {}),
    context: ctx.name,
    url: client.url,
  };
}
