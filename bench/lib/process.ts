// What the self-measuring probes share: run a program to its end, and time a piece of work.

import {spawn} from 'node:child_process';

/** Runs a program to its end; rejects with the tail of its stderr when it fails. */
export function run(file: string, args: string[], env: Record<string, string> = {}, input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {env: {...process.env, ...env}, stdio: ['pipe', 'ignore', 'pipe']});
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${[file, ...args].join(' ')} exited with ${code}:\n${stderr.trimEnd()}`))));
    child.stdin.end(input ?? '');
  });
}

/** Milliseconds `fn` took. */
export async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * A self-measuring probe's end (Command.measuresItself): prints the figure `measure` returns as
 * the last line of stdout, or the error on stderr with a failing exit code.
 */
export async function printFigure(measure: () => Promise<number>): Promise<void> {
  try {
    process.stdout.write(`${(await measure()).toFixed(3)}\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  }
}
