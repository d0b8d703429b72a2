// A fixture: a background process that prepares what a benchmark's commands need (an agent, a
// deployed app) and removes it again. The harness is synchronous and times child processes, so
// the fixture lives in a process of its own: `launchFixture` starts `FILE serve DIR ARGS…` and
// waits for DIR/state.json. The fixture side (`serveFixture`) cleans up when DIR goes away
// (the harness removes a benchmark's temporary folders when it ends, however it ends), when its
// stdin closes (the bench process died) or on SIGTERM/SIGINT.

import {spawn} from 'node:child_process';
import {closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

import {BenchError, type BenchContext} from './types.ts';

const STATE_FILE = 'state.json';
const LOG_FILE = 'fixture.log';
const START_TIMEOUT_MS = 90_000;
/** A fixture gives up on a cleanup step that hangs, so the bench never hangs on it. */
const CLEANUP_TIMEOUT_MS = 60_000;

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Alive and not a zombie: the harness blocks the event loop, so an exited child is not reaped yet. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

let previous: number | undefined;

export interface LaunchOptions {
  /** What the fixture is, for error messages: "the agent benchmark fixture". */
  what: string;
  /** The fixture module; run as `node FILE serve DIR ...args`. */
  file: string;
  args?: string[];
  hint: string;
  /** How long it may take to be ready. Default 90 s. */
  startTimeoutMs?: number;
}

/** Starts a fixture in a new temporary folder of `ctx` and waits until it wrote its state. */
export function launchFixture<State>(ctx: BenchContext, options: LaunchOptions): {dir: string; state: State} {
  // The previous benchmark's fixture may still be removing what it made: let it finish first.
  for (const end = Date.now() + CLEANUP_TIMEOUT_MS; previous !== undefined && running(previous) && Date.now() < end; ) pause(100);
  const dir = ctx.tempDir();
  const log = join(dir, LOG_FILE);
  const logFd = openSync(log, 'a');
  // Detached, so a Ctrl-C of the bench leaves it alive to clean up; its stdin closes when the bench ends.
  const child = spawn(process.execPath, [options.file, 'serve', dir, ...(options.args ?? [])], {detached: true, stdio: ['pipe', 'ignore', logFd]});
  closeSync(logFd);
  previous = child.pid;
  const fail = (why: string) =>
    new BenchError(`${options.what} ${why}\n--- its log ---\n${existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n').slice(-20).join('\n') : '(none)'}`, options.hint);
  const timeout = options.startTimeoutMs ?? START_TIMEOUT_MS;
  for (const end = Date.now() + timeout; !existsSync(join(dir, STATE_FILE)); pause(100)) {
    if (child.pid === undefined || !running(child.pid)) throw fail('stopped before it was ready');
    if (Date.now() > end) throw fail(`was not ready within ${timeout / 1000}s`);
  }
  return {dir, state: readFixtureState<State>(dir)};
}

export function readFixtureState<State>(dir: string): State {
  return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as State;
}

/** Runs a cleanup step, bounded in time; a failure is logged, not thrown, so the next step runs. */
export async function withTimeout(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await Promise.race([fn(), sleep(CLEANUP_TIMEOUT_MS, undefined, {ref: false}).then(() => Promise.reject(new Error('timed out')))]);
  } catch (err) {
    process.stderr.write(`cleanup: ${what}: ${(err as Error).message}\n`);
  }
}

/**
 * The fixture side: runs `setup` (which returns the state to publish), then waits; `cleanup`
 * runs once, when the bench is done with DIR or dies, or when setup fails. The process then exits.
 */
export async function serveFixture<State>(dir: string, setup: () => Promise<State>, cleanup: () => Promise<void>): Promise<void> {
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await cleanup();
      process.exit(0);
    })());
  process.stdin.on('close', stop).on('end', stop).resume();
  process.on('SIGTERM', stop).on('SIGINT', stop);
  const watch = setInterval(() => {
    if (!existsSync(dir)) void stop();
  }, 100);
  try {
    const state = await setup();
    writeFileSync(join(dir, `${STATE_FILE}.tmp`), JSON.stringify(state));
    // Renamed into place, so the bench never reads half a file.
    renameSync(join(dir, `${STATE_FILE}.tmp`), join(dir, STATE_FILE));
  } catch (err) {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    clearInterval(watch);
    await stop();
  }
}
