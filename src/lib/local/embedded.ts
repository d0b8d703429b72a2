// The embedded local agent: what `spin up` talks to on a laptop with no context configured.
// A real `spin agent start` in the background on 127.0.0.1, with its state under the user's
// state dir, an admin user made for the person at the keyboard, and the policy in `warn` mode
// (the platform's rules are shown, not enforced). Started once, reused by later commands.

import {spawn} from 'node:child_process';
import {chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync} from 'node:fs';
import {userInfo} from 'node:os';
import {join} from 'node:path';

import {AgentClient} from '../client/agent.ts';
import {OperationError} from '../errors.ts';
import {spinDir} from '../xdg.ts';

export const LOCAL_PROJECT = 'local';
const LOCAL_USER = 'local';

export interface LocalAgent {
  url: string;
  token: string;
  project: string;
  dir: string;
  pid?: number;
  /** True when this call started it. */
  started: boolean;
}

interface StateFile {
  url: string;
  token: string;
  pid?: number;
}

export function localDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SPIN_LOCAL_DIR) return env.SPIN_LOCAL_DIR;
  return spinDir('state', env, 'local');
}

function readState(file: string): StateFile | undefined {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as StateFile;
    return typeof s.url === 'string' && typeof s.token === 'string' ? s : undefined;
  } catch {
    return undefined;
  }
}

async function answers(url: string, token: string): Promise<boolean> {
  const client = new AgentClient({url, token, connectTimeoutMs: 2000});
  try {
    await client.whoami();
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** The platform never runs services as root; a root laptop user maps to 1000. */
export function localIdentity(): {uid: number; gid: number} {
  const info = userInfo();
  return info.uid > 0 ? {uid: info.uid, gid: Math.max(info.gid, 0)} : {uid: 1000, gid: 1000};
}

async function waitForListening(logFile: string, from: number, pid: number | undefined, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = readFileSync(logFile, 'utf8').slice(from);
    const m = /spin agent listening on (https?:\/\/\S+)/.exec(text);
    if (m) return m[1];
    if (pid !== undefined && !isAlive(pid)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = readFileSync(logFile, 'utf8').slice(from).trim().split('\n').slice(-5).join('\n');
  throw new OperationError(`the local agent did not start${tail ? `:\n${tail}` : ''}`, {hint: `see ${logFile}; is the Docker engine running (docker info)?`});
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Reuses the running local agent, or starts one (and its user) in the background. */
export async function ensureLocalAgent(options: {spinBin: string; env?: NodeJS.ProcessEnv; timeoutMs?: number}): Promise<LocalAgent> {
  const env = options.env ?? process.env;
  const dir = localDir(env);
  mkdirSync(dir, {recursive: true, mode: 0o700});
  const stateFile = join(dir, 'local.json');
  const state = readState(stateFile);
  if (state && (await answers(state.url, state.token))) {
    return {url: state.url, token: state.token, project: LOCAL_PROJECT, dir, pid: state.pid, started: false};
  }

  const dataDir = join(dir, 'agent');
  mkdirSync(dataDir, {recursive: true, mode: 0o700});
  const {openStore} = await import('../agent/store.ts');
  const store = openStore(dataDir);
  let token: string;
  try {
    token = store.user(LOCAL_USER) ? store.createToken(LOCAL_USER) : store.addUser({name: LOCAL_USER, ...localIdentity(), projects: [LOCAL_PROJECT], admin: true}).token;
  } finally {
    store.close();
  }

  const logFile = join(dir, 'agent.log');
  if (!existsSync(logFile)) writeFileSync(logFile, '', {mode: 0o600});
  const from = readFileSync(logFile).length;
  const fd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [options.spinBin, 'agent', 'start', '--data-dir', dataDir, '--listen', env.SPIN_LOCAL_LISTEN ?? '127.0.0.1:0', '--policy-mode', 'warn', '--publish-host-ip', '127.0.0.1', '--log-level', 'warn'],
    {detached: true, stdio: ['ignore', fd, fd], env},
  );
  closeSync(fd);
  child.unref();
  const url = await waitForListening(logFile, from, child.pid, options.timeoutMs ?? 30_000);
  writeFileSync(stateFile, `${JSON.stringify({url, token, pid: child.pid}, null, 2)}\n`, {mode: 0o600});
  chmodSync(stateFile, 0o600);
  return {url, token, project: LOCAL_PROJECT, dir, pid: child.pid, started: true};
}

/**
 * The local agent as a context, when one runs (its process is alive): after `spin up` on a laptop,
 * `spin ps`, `spin logs` and friends talk to it with no login.
 */
export function localContext(env: NodeJS.ProcessEnv = process.env): {url: string; token: string; project: string} | undefined {
  const state = readState(join(localDir(env), 'local.json'));
  if (!state?.pid || !isAgentProcess(state.pid)) return undefined;
  return {url: state.url, token: state.token, project: LOCAL_PROJECT};
}

/**
 * Whether `pid` is still the agent `spin up` started. A process that ended but was not reaped yet
 * (a zombie: its parent is gone and nobody waits for it) still answers `kill(pid, 0)`, and a pid
 * may since belong to another program: on Linux, /proc says which.
 */
function isAgentProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  if (!existsSync('/proc/self/stat')) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the program name, which is in parentheses and may hold any character.
    const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
    if (state === 'Z' || state === 'X') return false;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const at = argv.indexOf('agent');
    return at >= 0 && argv[at + 1] === 'start';
  } catch {
    return false;
  }
}

/**
 * Stops the local agent if it runs (`spin agent stop`, tests), and waits until it has ended.
 * False when there was nothing to stop: no agent, one that already ended, or a pid now used by
 * another program (which is left alone).
 */
export async function stopLocalAgent(env: NodeJS.ProcessEnv = process.env, timeoutMs = 10_000): Promise<boolean> {
  const stateFile = join(localDir(env), 'local.json');
  const state = readState(stateFile);
  if (!state?.pid || !isAgentProcess(state.pid)) return false;
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAgentProcess(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  // Forget the pid: the next `spin up` starts a new agent, and a reused pid is never taken for it.
  const {pid: _stopped, ...rest} = state;
  writeFileSync(stateFile, `${JSON.stringify(rest, null, 2)}\n`, {mode: 0o600});
  return true;
}
