// Runs the built CLI (bin/run.js) as a user would, piped or on a pseudo-terminal; or one command
// class in this process (runCommand), with its streams, env and agent client handed in.

import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import {Config} from '@oclif/core';

import type {SpinCommand} from '../../src/cli/base.ts';
import {trackClients, type Factory} from '../../src/cli/factory.ts';
import type {AgentClient} from '../../src/lib/client/agent.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin/run.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  /** Run under a pseudo-terminal (util-linux `script`); stdout and stderr then arrive together in `stdout`. */
  tty?: boolean;
}

/** The CLI is tested as built; `npm test` runs after `npm run build` (scripts/setup.sh). */
export function assertBuilt(): void {
  if (!existsSync(join(ROOT, 'dist/commands')) || !existsSync(join(ROOT, 'oclif.manifest.json'))) {
    throw new Error('the CLI is not built: run `npm run build` (scripts/setup.sh does) before the command tests');
  }
}

const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

export function runSpin(args: string[], options: RunOptions = {}): Promise<RunResult> {
  assertBuilt();
  const env: Record<string, string | undefined> = {...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, CI: 'true', ...options.env};
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const [cmd, argv] = options.tty
    ? ['script', ['-qefc', [process.execPath, BIN, ...args].map(quote).join(' '), '/dev/null']]
    : [process.execPath, [BIN, ...args]];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, argv, {cwd: options.cwd ?? ROOT, env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({code, stdout, stderr}));
    child.stdin.end(options.input ?? '');
  });
}

export interface HelpExample {
  description: string;
  /** The command as a user pastes it: wrapped lines kept with their ` \` continuations. */
  command: string;
}

/** The EXAMPLES section of `--help` output: each description and its command, `$ ` removed. */
export function helpExamples(help: string): HelpExample[] {
  const section = help.split('\nEXAMPLES\n')[1]?.split(/\n(?=[A-Z][A-Z ]+\n)/)[0] ?? '';
  const out: HelpExample[] = [];
  for (const block of section.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    if (lines[0].trim().startsWith('$ ')) {
      const last = out.at(-1);
      if (last) last.command = lines.map((l) => l.trim()).join('\n').slice(2);
    } else {
      out.push({description: lines.map((l) => l.trim()).join(' '), command: ''});
    }
  }
  return out;
}

/** What an in-process run of a command left behind. */
export interface InProcessResult extends RunResult {
  /** How many agent clients the command made and then closed. */
  closed: number;
}

export interface InProcessOptions {
  cwd?: string;
  /** The command's whole environment: nothing of the test process leaks in. */
  env?: Record<string, string | undefined>;
  /** The agent client every connect gets (a small fake); only the methods a test calls need exist. */
  agent?: Partial<AgentClient>;
  now?: Date;
}

let loadedConfig: Promise<Config> | undefined;

/**
 * Runs a command class in this process, as oclif would (`init`, `run`, `catch`, `finally`), with
 * a factory of string streams (piped, no color), the given env and cwd, and a fake agent client.
 * No build and no spawn: the command's source is what runs.
 */
export async function runCommand(command: new (argv: string[], config: Config) => SpinCommand, argv: string[], options: InProcessOptions = {}): Promise<InProcessResult> {
  loadedConfig ??= Config.load(ROOT);
  const out = {stdout: '', stderr: ''};
  const stream = (name: 'stdout' | 'stderr') => ({isTTY: false, write: (chunk: string) => ((out[name] += chunk), true)});
  let code = 0;
  let closed = 0;
  const agent = options.agent;
  const factory: Factory = {
    stdout: {stream: stream('stdout'), terminal: {tty: false, color: false}},
    stderr: {stream: stream('stderr'), terminal: {tty: false, color: false}},
    env: Object.fromEntries(Object.entries(options.env ?? {}).filter(([, v]) => v !== undefined)),
    cwd: options.cwd ?? ROOT,
    now: () => options.now ?? new Date('2026-01-01T00:00:00Z'),
    ...trackClients(() => {
      if (!agent) throw new Error('runCommand: the command connected to an agent, and the test gave none');
      return {...agent, close: () => void closed++} as AgentClient;
    }),
    docker: () => Promise.reject(new Error('runCommand: no Docker engine in an in-process test')),
    setExitCode: (c) => void (code = c),
  };
  await new command(argv, await loadedConfig).runWith(factory);
  return {code, ...out, closed};
}
