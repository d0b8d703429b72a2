// Context bookkeeping for `spin context ls|use|rm`, `spin logout` and `spin whoami`. Every
// answer leaves the token out, so no command can print one by mistake.

import {UsageError} from '../errors.ts';
import type {AgentClient} from './agent.ts';
import {configPath, LOCAL_CONTEXT, readConfig, validateContextName, writeConfig, type ConfigFile, type ResolvedContext} from './config.ts';

export interface ContextInfo {
  name: string;
  /** Empty for the local agent when it does not run (its port is chosen when it starts). */
  url: string;
  user?: string;
  project?: string;
  registry?: string;
  current: boolean;
  /** Set once `spin logout` dropped the token; `spin login` brings it back. */
  loggedOut?: true;
  /** The embedded local agent that `spin up` starts: always listed, never stored. */
  local?: true;
}

export interface ContextList {
  contexts: ContextInfo[];
  /** The context commands use now, after SPIN_CONTEXT; `env` when SPIN_URL/SPIN_TOKEN win. */
  current?: string;
  /** Which environment variable overrides the config file's `current`, if any. */
  overriddenBy?: 'SPIN_URL' | 'SPIN_CONTEXT';
  configFile: string;
}

/** The local agent's row: its URL and user when it runs. */
async function localInfo(env: NodeJS.ProcessEnv, current: boolean): Promise<ContextInfo> {
  const {localContext, LOCAL_PROJECT} = await import('../local/embedded.ts');
  const running = localContext(env);
  return {name: LOCAL_CONTEXT, url: running?.url ?? '', user: 'local', project: LOCAL_PROJECT, current, local: true};
}

export async function listContexts(env: NodeJS.ProcessEnv = process.env): Promise<ContextList> {
  const configFile = configPath(env);
  const config = await readConfig(configFile);
  const overriddenBy = env.SPIN_URL || env.SPIN_TOKEN ? 'SPIN_URL' : env.SPIN_CONTEXT ? 'SPIN_CONTEXT' : undefined;
  // With nothing chosen, commands talk to the local agent: it is the current one.
  const current = overriddenBy === 'SPIN_URL' ? 'env' : (env.SPIN_CONTEXT || config.current || LOCAL_CONTEXT);
  const contexts: ContextInfo[] = Object.entries(config.contexts).map(([name, c]) => ({
    name,
    url: c.url,
    ...(c.user ? {user: c.user} : {}),
    ...(c.project ? {project: c.project} : {}),
    ...(c.registry ? {registry: c.registry} : {}),
    current: name === current,
    ...(c.token ? {} : {loggedOut: true as const}),
  }));
  if (!Object.hasOwn(config.contexts, LOCAL_CONTEXT)) contexts.push(await localInfo(env, current === LOCAL_CONTEXT));
  contexts.sort((a, b) => a.name.localeCompare(b.name));
  return {contexts, current, ...(overriddenBy ? {overriddenBy} : {}), configFile};
}

function unknownContext(name: string, config: ConfigFile): UsageError {
  const names = [...new Set([...Object.keys(config.contexts), LOCAL_CONTEXT])].sort();
  return new UsageError(`context "${name}" does not exist`, {hint: `choose one of: ${names.join(', ')}; or log in with \`spin login URL --context ${name}\``});
}

/** Makes NAME the current context; `local` (the embedded agent) is always there. */
export async function useContext(name: string, env: NodeJS.ProcessEnv = process.env): Promise<{context: string; url: string; local?: true}> {
  validateContextName(name);
  const file = configPath(env);
  const config = await readConfig(file);
  const found = config.contexts[name];
  if (!found && name !== LOCAL_CONTEXT) throw unknownContext(name, config);
  config.current = name;
  await writeConfig(file, config);
  if (found) return {context: name, url: found.url};
  const {localContext} = await import('../local/embedded.ts');
  return {context: name, url: localContext(env)?.url ?? '', local: true};
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
  if (!found && name === LOCAL_CONTEXT) {
    throw new UsageError('the "local" context is built in and cannot be removed', {hint: '`spin agent stop` stops the local agent; `spin context use NAME` picks another context'});
  }
  if (!found) throw unknownContext(name, config);
  delete config.contexts[name];
  const wasCurrent = config.current === name;
  if (wasCurrent) delete config.current;
  await writeConfig(file, config);
  return {context: name, url: found.url, wasCurrent, configFile: file};
}

export interface LoggedOut {
  context: string;
  url: string;
  /** False when the context had no token any more (a second logout). */
  hadToken: boolean;
  configFile: string;
}

/**
 * `spin logout`: forgets the token of the named context, else of the one in use (SPIN_CONTEXT,
 * then current). The context itself stays (URL, project, registry), so `spin login` with the
 * same context name fills it in again; `spin context rm` deletes a context.
 */
export async function logout(name: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<LoggedOut> {
  if (name === undefined && (env.SPIN_URL || env.SPIN_TOKEN)) {
    throw new UsageError('the token comes from SPIN_URL and SPIN_TOKEN, not from a stored context', {
      hint: 'unset SPIN_URL and SPIN_TOKEN to stop using it, or pass --context NAME to log out of a stored context',
    });
  }
  const file = configPath(env);
  const config = await readConfig(file);
  const target = name ?? (env.SPIN_CONTEXT || config.current);
  if (!target) throw new UsageError('not logged in: there is no current context', {hint: 'see `spin context ls`; pass --context NAME to log out of another one'});
  validateContextName(target);
  const found = config.contexts[target];
  if (!found && target === LOCAL_CONTEXT) {
    throw new UsageError('the "local" context has no token to forget: it is the agent `spin up` runs on this machine', {hint: '`spin agent stop` stops it; pass --context NAME to log out of a platform context'});
  }
  if (!found) throw unknownContext(target, config);
  const hadToken = Boolean(found.token);
  if (hadToken) {
    delete found.token;
    await writeConfig(file, config);
  }
  return {context: target, url: found.url, hadToken, configFile: file};
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
