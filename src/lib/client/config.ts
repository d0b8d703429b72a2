// Contexts: where the CLI talks to (agent URL, token, default project). Stored in the user's
// config dir with mode 0600, because it holds tokens. Environment variables override the file
// per command, so parallel CI jobs never race on a shared file.

import {chmod, mkdir, readFile, rename, stat, writeFile} from 'node:fs/promises';
import {dirname} from 'node:path';

import {AuthError, InvalidInputError, UsageError} from '../errors.ts';
import {spinDir} from '../xdg.ts';

export interface Context {
  url: string;
  /** Absent after `spin logout`: the context (URL, project, registry) stays, the credential goes. */
  token?: string;
  project?: string;
  /** The registry the agent advertises (`GET /v1/info`), for build and push. */
  registry?: string;
  /** A CA bundle for an agent with a private certificate. */
  ca?: string;
  /** Who the token belongs to, for `spin context ls`. */
  user?: string;
  /** The user's numeric ids on the platform (from `spin login`), for the policy's global-fs rule. */
  uid?: number;
  gid?: number;
}

export interface ConfigFile {
  current?: string;
  contexts: Record<string, Context>;
}

export interface ResolvedContext extends Context {
  /** The context's name, or `env` when SPIN_URL/SPIN_TOKEN define it. */
  name: string;
  token: string;
}

/**
 * The embedded local agent's context: always there, never stored. Selecting it (`spin context use
 * local`, SPIN_CONTEXT=local) means "the agent `spin up` runs on this machine".
 */
export const LOCAL_CONTEXT = 'local';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const MAX_CONFIG_BYTES = 256 * 1024;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SPIN_CONFIG) return env.SPIN_CONFIG;
  return spinDir('config', env, 'config.json');
}

export function validateContextName(name: string): string {
  if (!NAME.test(name)) {
    throw new UsageError(`invalid context name "${name}"`, {hint: 'use letters, digits, dots, dashes and underscores, e.g. `prod`'});
  }
  return name;
}

export async function readConfig(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.size > MAX_CONFIG_BYTES) throw new InvalidInputError(`config file "${path}" is too large`, {hint: 'it should only hold a few contexts; move it away and log in again'});
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {contexts: {}};
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as ConfigFile;
    if (!parsed || typeof parsed !== 'object' || typeof parsed.contexts !== 'object' || parsed.contexts === null) throw new Error('no contexts');
    return parsed;
  } catch {
    throw new InvalidInputError(`config file "${path}" is not valid`, {hint: `fix or remove it, then run \`spin login\` again`});
  }
}

/** Writes atomically (temp file + rename) with mode 0600 in a 0700 folder. */
export async function writeConfig(path: string, config: ConfigFile): Promise<void> {
  await mkdir(dirname(path), {recursive: true, mode: 0o700});
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, {mode: 0o600});
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** Where the configuration points, before any token is needed. */
export type Selection =
  | {kind: 'env'; name: 'env'; context: Context}
  | {kind: 'stored'; name: string; context: Context}
  /** The embedded local agent: chosen by name, or because no context is current. */
  | {kind: 'local'; name: typeof LOCAL_CONTEXT; explicit: boolean};

/**
 * The context a command uses: SPIN_URL + SPIN_TOKEN (CI), else SPIN_CONTEXT or the current one
 * from the file, else the local agent. SPIN_PROJECT and SPIN_REGISTRY override single fields.
 */
export async function selectContext(env: NodeJS.ProcessEnv = process.env): Promise<Selection> {
  let selection: Selection;
  if (env.SPIN_URL || env.SPIN_TOKEN) {
    if (!env.SPIN_URL || !env.SPIN_TOKEN) {
      throw new UsageError(`${env.SPIN_URL ? 'SPIN_TOKEN' : 'SPIN_URL'} is not set`, {hint: 'set both SPIN_URL and SPIN_TOKEN, or neither to use the logged-in context'});
    }
    selection = {kind: 'env', name: 'env', context: {url: env.SPIN_URL, token: env.SPIN_TOKEN, ca: env.SPIN_CA}};
  } else {
    const config = await readConfig(configPath(env));
    const name = env.SPIN_CONTEXT || config.current;
    const found = name === undefined ? undefined : config.contexts[name];
    // A stored context named "local" (from before the name was reserved) still wins.
    if (name === undefined || (name === LOCAL_CONTEXT && !found)) return {kind: 'local', name: LOCAL_CONTEXT, explicit: name !== undefined};
    if (!found) {
      throw new UsageError(`context "${name}" does not exist`, {hint: `see \`spin context ls\`, or log in with \`spin login URL --token T --context ${name}\``});
    }
    selection = {kind: 'stored', name, context: {...found}};
  }
  if (env.SPIN_PROJECT) selection.context.project = env.SPIN_PROJECT;
  if (env.SPIN_REGISTRY) selection.context.registry = env.SPIN_REGISTRY;
  return selection;
}

/**
 * The remote context of a selection, with its token; `undefined` means the local agent. A stored
 * context whose token `spin logout` dropped is an auth error, never a silent switch to another agent.
 */
function withToken(selection: Selection): ResolvedContext | undefined {
  if (selection.kind === 'local') return undefined;
  const {context, name} = selection;
  if (!context.token) {
    throw new AuthError(`logged out of context "${name}" (${context.url})`, {
      hint: `log in again with \`spin login ${context.url} --context ${name} --token-stdin < token.txt\`, or choose another context with \`spin context use\``,
    });
  }
  return {...context, name, token: context.token};
}

/** The remote context a command uses (see selectContext); `undefined` means the local agent. */
export async function resolveContext(env: NodeJS.ProcessEnv = process.env): Promise<ResolvedContext | undefined> {
  return withToken(await selectContext(env));
}

/** A context suitable for talking to the agent (the local one when it runs), or a clear error saying how to get one. */
export async function requireContext(env: NodeJS.ProcessEnv = process.env): Promise<ResolvedContext> {
  const selection = await selectContext(env);
  const ctx = withToken(selection);
  if (ctx) return ctx;
  const {localContext} = await import('../local/embedded.ts');
  const local = localContext(env);
  if (local) return {name: LOCAL_CONTEXT, url: local.url, token: local.token, project: env.SPIN_PROJECT ?? local.project};
  if (selection.kind === 'local' && selection.explicit) {
    throw new AuthError('the local Spin agent is not running', {hint: '`spin up` starts it; or choose a platform context with `spin context use NAME`'});
  }
  throw new AuthError('not logged in to a Spin agent', {hint: 'run `spin login URL --token TOKEN`, set SPIN_URL and SPIN_TOKEN, or `spin up` to start the local agent'});
}

/** Where `spin deploy` (or `spin up`) would run a stack, as far as the policy cares. */
export interface DeployTarget {
  /** The context's name: `env`, a stored one, or `local`. */
  context: string;
  /** Undefined when neither a flag, SPIN_PROJECT nor the context names one. */
  project?: string;
  uid?: number;
  gid?: number;
  registry?: string;
  /** The embedded local agent, which shows policy violations as warnings. */
  local: boolean;
}

/**
 * The project, numeric ids and registry deploy would use, read without a token (a logged-out
 * context still names its project): --project, else SPIN_PROJECT, else the context's; on the
 * local agent its own project and the ids it runs services as.
 */
export async function deployTarget(flags: {project?: string}, env: NodeJS.ProcessEnv = process.env): Promise<DeployTarget> {
  const selection = await selectContext(env);
  if (selection.kind === 'local') {
    const {LOCAL_PROJECT, localIdentity} = await import('../local/embedded.ts');
    const registry = env.SPIN_REGISTRY;
    return {context: LOCAL_CONTEXT, project: flags.project ?? env.SPIN_PROJECT ?? LOCAL_PROJECT, ...localIdentity(), ...(registry ? {registry} : {}), local: true};
  }
  const {context} = selection;
  const project = flags.project ?? context.project;
  return {
    context: selection.name,
    ...(project ? {project} : {}),
    ...(context.uid !== undefined ? {uid: context.uid} : {}),
    ...(context.gid !== undefined ? {gid: context.gid} : {}),
    ...(context.registry ? {registry: context.registry} : {}),
    local: false,
  };
}

export function requireProject(ctx: ResolvedContext, flag?: string): string {
  const project = flag ?? ctx.project;
  if (!project) {
    throw new UsageError('no project given', {hint: 'pass --project P, set SPIN_PROJECT, or log in with --project'});
  }
  return project;
}
