// Contexts: where the CLI talks to (agent URL, token, default project). Stored in the user's
// config dir with mode 0600, because it holds tokens. Environment variables override the file
// per command, so parallel CI jobs never race on a shared file.

import {chmod, mkdir, readFile, rename, stat, writeFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import {dirname, join} from 'node:path';

import {InvalidInputError, UsageError} from '../errors.ts';

export interface Context {
  url: string;
  token: string;
  project?: string;
  /** The registry the agent advertises (`GET /v1/info`), for build and push. */
  registry?: string;
  /** A CA bundle for an agent with a private certificate. */
  ca?: string;
  /** Who the token belongs to, for `spin context ls`. */
  user?: string;
}

export interface ConfigFile {
  current?: string;
  contexts: Record<string, Context>;
}

export interface ResolvedContext extends Context {
  /** The context's name, or `env` when SPIN_URL/SPIN_TOKEN define it. */
  name: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const MAX_CONFIG_BYTES = 256 * 1024;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SPIN_CONFIG) return env.SPIN_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'spin', 'config.json');
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

/**
 * The context a command uses: SPIN_URL + SPIN_TOKEN (CI), else SPIN_CONTEXT or the current one
 * from the file. SPIN_PROJECT and SPIN_REGISTRY override single fields. `undefined` when none.
 */
export async function resolveContext(env: NodeJS.ProcessEnv = process.env): Promise<ResolvedContext | undefined> {
  let ctx: ResolvedContext | undefined;
  if (env.SPIN_URL || env.SPIN_TOKEN) {
    if (!env.SPIN_URL || !env.SPIN_TOKEN) {
      throw new UsageError(`${env.SPIN_URL ? 'SPIN_TOKEN' : 'SPIN_URL'} is not set`, {hint: 'set both SPIN_URL and SPIN_TOKEN, or neither to use the logged-in context'});
    }
    ctx = {name: 'env', url: env.SPIN_URL, token: env.SPIN_TOKEN, ca: env.SPIN_CA};
  } else {
    const config = await readConfig(configPath(env));
    const name = env.SPIN_CONTEXT || config.current;
    if (name) {
      const found = config.contexts[name];
      if (!found) {
        throw new UsageError(`context "${name}" does not exist`, {hint: `see \`spin context ls\`, or log in with \`spin login URL --token T --context ${name}\``});
      }
      ctx = {...found, name};
    }
  }
  if (!ctx) return undefined;
  if (env.SPIN_PROJECT) ctx.project = env.SPIN_PROJECT;
  if (env.SPIN_REGISTRY) ctx.registry = env.SPIN_REGISTRY;
  return ctx;
}

/** A context suitable for talking to the agent, or a clear error saying how to get one. */
export async function requireContext(env: NodeJS.ProcessEnv = process.env): Promise<ResolvedContext> {
  let ctx = await resolveContext(env);
  if (!ctx) {
    const {localContext} = await import('../local/embedded.ts');
    const local = localContext(env);
    if (local) ctx = {name: 'local', url: local.url, token: local.token, project: env.SPIN_PROJECT ?? local.project};
  }
  if (!ctx) {
    const {AuthError} = await import('../errors.ts');
    throw new AuthError('not logged in to a Spin agent', {hint: 'run `spin login URL --token TOKEN`, set SPIN_URL and SPIN_TOKEN, or `spin up` to start the local agent'});
  }
  return ctx;
}

export function requireProject(ctx: ResolvedContext, flag?: string): string {
  const project = flag ?? ctx.project;
  if (!project) {
    throw new UsageError('no project given', {hint: 'pass --project P, set SPIN_PROJECT, or log in with --project'});
  }
  return project;
}
