// A real `spin agent start` process on a free loopback port with its own data directory, and
// users made with the real `spin agent user add`. Integration tests drive it over HTTP or
// through the CLI, like a user would.

import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import {BIN, runSpin} from './cli.ts';

export interface AgentProcess {
  url: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything the agent wrote on stderr so far (its JSON logs). */
  logs(): string;
  /** Creates a user and returns the token. */
  addUser(name: string, options: {projects: string[]; uid?: number; gid?: number; admin?: boolean}): Promise<string>;
  /** SIGTERM and wait (or `signal`, e.g. SIGKILL to simulate a crash). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Removes the data directory (after stop). */
  cleanup(): void;
}

export interface StartOptions {
  dataDir?: string;
  args?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
  /** The agent's --log-level. Default warn. */
  logLevel?: string;
}

export async function startAgent(options: StartOptions = {}): Promise<AgentProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'spin-agent-'));
  const child = spawn(process.execPath, [BIN, 'agent', 'start', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--publish-host-ip', '127.0.0.1', '--log-level', options.logLevel ?? 'warn', ...(options.args ?? [])], {
    env: {...process.env, ...options.env},
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // An agent that did not come up leaves nothing behind: not the process (a start that timed out
  // may still be running), nor the data folder this helper made for it.
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not start within ${options.timeoutMs ?? 20_000} ms:\n${stderr}`)), options.timeoutMs ?? 20_000);
    const onData = () => {
      const m = /spin agent listening on (https?:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the agent exited with ${code} before listening:\n${stderr}`));
    });
  }).catch((err: unknown) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (options.dataDir === undefined) rmSync(dataDir, {recursive: true, force: true});
    throw err;
  });
  return {
    url,
    dataDir,
    process: child,
    logs: () => stderr,
    async addUser(name, o) {
      const args = ['agent', 'user', 'add', name, '--data-dir', dataDir, '--uid', String(o.uid ?? 1000), '--gid', String(o.gid ?? 1000), ...o.projects.flatMap((p) => ['--project', p]), ...(o.admin ? ['--admin'] : [])];
      const r = await runSpin(args);
      if (r.code !== 0) throw new Error(`spin agent user add failed (${r.code}): ${r.stderr}`);
      return r.stdout.trim();
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    },
    cleanup() {
      rmSync(dataDir, {recursive: true, force: true});
    },
  };
}
