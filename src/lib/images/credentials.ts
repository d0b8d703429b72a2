// Registry credentials, kept where Docker keeps them so `docker login` and `spin registry login`
// share one store: `$DOCKER_CONFIG/config.json` (else ~/.docker/config.json) with `auths`
// (base64 `user:pass`), per-registry `credHelpers` and a default `credsStore`. Helpers are
// Docker's credential-helper programs (`docker-credential-<name> get|store|erase`, JSON on stdio).

import {spawn} from 'node:child_process';
import {chmod, mkdir, readFile, rename, stat, writeFile} from 'node:fs/promises';
import {homedir} from 'node:os';
import {dirname, join} from 'node:path';

import {fileError, InvalidInputError, OperationError} from '../errors.ts';
import {DOCKER_HUB, registryHost} from './naming.ts';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth refresh token (a helper answers with Username `<token>`). */
  identityToken?: string;
  /** A bearer token to send as is. */
  registryToken?: string;
}

export interface HelperResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `docker-credential-<helper> <action>` with `input` on stdin. */
export type HelperRunner = (helper: string, action: 'get' | 'store' | 'erase', input: string, env: Record<string, string | undefined>) => Promise<HelperResult>;

export interface CredentialDeps {
  env?: Record<string, string | undefined>;
  runHelper?: HelperRunner;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
  [k: string]: unknown;
}

export interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [k: string]: unknown;
}

const HUB_KEY = 'https://index.docker.io/v1/';
const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_HELPER_OUTPUT = 256 * 1024;
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const HELPER_TIMEOUT_MS = 30_000;

export function dockerConfigPath(env: Record<string, string | undefined> = process.env): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
}

/** The key Docker files a registry's credentials under: the host, or Docker Hub's historic URL. */
export function credentialKey(registry: string): string {
  const host = registryHost(registry);
  return host === DOCKER_HUB || host === 'index.docker.io' || host === 'registry-1.docker.io' ? HUB_KEY : host;
}

/** `https://host:port/v1/` → `host:port`, so keys written by any Docker version match. */
function keyHost(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').split('/')[0].toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' || host === DOCKER_HUB ? HUB_KEY : host;
}

export async function readDockerConfig(path: string): Promise<DockerConfig> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.size > MAX_CONFIG_BYTES) throw new InvalidInputError(`Docker config "${path}" is larger than 1 MiB`, {hint: 'it should hold a few credentials; check the file'});
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    if (err instanceof InvalidInputError) throw err;
    throw fileError(path, err);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as DockerConfig;
  } catch {
    throw new InvalidInputError(`Docker config "${path}" is not valid JSON`, {hint: `fix it, or move it away and log in again`});
  }
}

/** Writes atomically with mode 0600; a new folder gets 0700, as Docker makes it. */
export async function writeDockerConfig(path: string, config: DockerConfig): Promise<void> {
  await mkdir(dirname(path), {recursive: true, mode: 0o700});
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, '\t')}\n`, {mode: 0o600});
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

function findAuth(config: DockerConfig, key: string): [string, AuthEntry] | undefined {
  const auths = config.auths && typeof config.auths === 'object' ? config.auths : {};
  const want = keyHost(key);
  const exact = Object.entries(auths).find(([k]) => k === key) ?? Object.entries(auths).find(([k]) => keyHost(k) === want);
  return exact && exact[1] && typeof exact[1] === 'object' ? exact : undefined;
}

function helperFor(config: DockerConfig, key: string): string | undefined {
  const helpers = config.credHelpers && typeof config.credHelpers === 'object' ? config.credHelpers : {};
  const want = keyHost(key);
  const own = Object.entries(helpers).find(([k]) => keyHost(k) === want)?.[1];
  const helper = own ?? config.credsStore;
  if (helper === undefined || helper === '') return undefined;
  if (typeof helper !== 'string' || !HELPER_NAME.test(helper)) {
    throw new InvalidInputError(`Docker config names an invalid credential helper "${String(helper)}"`, {hint: 'fix `credsStore` / `credHelpers` in your Docker config.json'});
  }
  return helper;
}

export const runCredentialHelper: HelperRunner = (helper, action, input, env) =>
  new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, [action], {env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'], timeout: HELPER_TIMEOUT_MS});
    let stdout = '';
    let stderr = '';
    const cap = (s: string, d: string) => (s.length < MAX_HELPER_OUTPUT ? s + d : s);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = cap(stdout, d)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = cap(stderr, d)));
    child.on('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new OperationError(`credential helper "docker-credential-${helper}" is not installed`, {hint: 'install it, or remove `credsStore`/`credHelpers` from your Docker config.json', cause: err})
          : err,
      );
    });
    child.on('close', (code) => resolve({code, stdout, stderr}));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });

function helperFailure(helper: string, action: string, result: HelperResult): OperationError {
  const said = (result.stderr || result.stdout).trim().slice(0, 300);
  return new OperationError(`credential helper "docker-credential-${helper} ${action}" failed${said ? `: ${said}` : ''}`, {hint: 'check the helper works (`docker-credential-' + helper + ' list`), or remove it from your Docker config.json'});
}

function decodeAuth(entry: AuthEntry): RegistryCredentials | undefined {
  if (typeof entry.identitytoken === 'string' && entry.identitytoken) return {identityToken: entry.identitytoken};
  if (typeof entry.registrytoken === 'string' && entry.registrytoken) return {registryToken: entry.registrytoken};
  if (typeof entry.auth === 'string' && entry.auth) {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon <= 0) return undefined;
    return {username: text.slice(0, colon), password: text.slice(colon + 1)};
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return {username: entry.username, password: entry.password};
  return undefined;
}

/** The credentials Docker would use for `registry`, or undefined when there are none. */
export async function getCredentials(registry: string, deps: CredentialDeps = {}): Promise<RegistryCredentials | undefined> {
  const env = deps.env ?? process.env;
  const config = await readDockerConfig(dockerConfigPath(env));
  const key = credentialKey(registry);
  const helper = helperFor(config, key);
  if (helper) {
    const result = await (deps.runHelper ?? runCredentialHelper)(helper, 'get', key, env);
    if (result.code !== 0) {
      if (/credentials not found/i.test(result.stdout + result.stderr)) return undefined;
      throw helperFailure(helper, 'get', result);
    }
    let parsed: {Username?: unknown; Secret?: unknown};
    try {
      parsed = JSON.parse(result.stdout) as typeof parsed;
    } catch {
      throw helperFailure(helper, 'get', {...result, stderr: 'its output is not JSON'});
    }
    if (typeof parsed.Secret !== 'string' || parsed.Secret === '') return undefined;
    if (parsed.Username === '<token>') return {identityToken: parsed.Secret};
    return {username: typeof parsed.Username === 'string' ? parsed.Username : '', password: parsed.Secret};
  }
  const found = findAuth(config, key);
  return found ? decodeAuth(found[1]) : undefined;
}

export interface StoredCredentials {
  /** The config file written. */
  path: string;
  /** The helper holding the secret, when one is configured. */
  helper?: string;
}

/** Saves credentials as `docker login` does: in the configured helper, else base64 in `auths`. */
export async function storeCredentials(registry: string, credentials: {username: string; password: string}, deps: CredentialDeps = {}): Promise<StoredCredentials> {
  const env = deps.env ?? process.env;
  const path = dockerConfigPath(env);
  const config = await readDockerConfig(path);
  const key = credentialKey(registry);
  const helper = helperFor(config, key);
  const auths = {...(config.auths ?? {})};
  const old = findAuth(config, key);
  if (old) delete auths[old[0]];
  if (helper) {
    const input = JSON.stringify({ServerURL: key, Username: credentials.username, Secret: credentials.password});
    const result = await (deps.runHelper ?? runCredentialHelper)(helper, 'store', input, env);
    if (result.code !== 0) throw helperFailure(helper, 'store', result);
    // Docker leaves an empty entry so the registry still shows up as logged in.
    auths[key] = {};
  } else {
    auths[key] = {auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')};
  }
  await writeDockerConfig(path, {...config, auths});
  return {path, helper};
}

/** Forgets a registry's credentials; false when there were none. */
export async function removeCredentials(registry: string, deps: CredentialDeps = {}): Promise<boolean> {
  const env = deps.env ?? process.env;
  const path = dockerConfigPath(env);
  const config = await readDockerConfig(path);
  const key = credentialKey(registry);
  const helper = helperFor(config, key);
  let removed = false;
  if (helper) {
    const result = await (deps.runHelper ?? runCredentialHelper)(helper, 'erase', key, env);
    if (result.code === 0) removed = true;
    else if (!/credentials not found/i.test(result.stdout + result.stderr)) throw helperFailure(helper, 'erase', result);
  }
  const old = findAuth(config, key);
  if (old) {
    const auths = {...config.auths};
    delete auths[old[0]];
    await writeDockerConfig(path, {...config, auths});
    removed ||= decodeAuth(old[1]) !== undefined || helper === undefined;
  }
  return removed;
}

/** The engine's X-Registry-Auth body for a push or pull. */
export function engineAuth(registry: string, credentials: RegistryCredentials | undefined): Record<string, string> {
  const serveraddress = credentialKey(registry);
  if (!credentials) return {serveraddress};
  if (credentials.identityToken) return {identitytoken: credentials.identityToken, serveraddress};
  if (credentials.registryToken) return {registrytoken: credentials.registryToken, serveraddress};
  return {username: credentials.username ?? '', password: credentials.password ?? '', serveraddress};
}
