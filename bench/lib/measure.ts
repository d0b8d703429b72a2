// Times commands as child processes. The machines are noisy, so a case's commands run
// interleaved (round 1: A B C, round 2: B C A, ...) and every figure is read beside its peer's
// from the same rounds; absolute times alone are not comparable between runs of the bench.

import {spawnSync} from 'node:child_process';
import type {SpawnSyncReturns} from 'node:child_process';
import {accessSync, constants} from 'node:fs';
import {delimiter, join} from 'node:path';
import {formatMs, formatRatio} from './format.ts';
import {BenchError} from './types.ts';
import type {Case, CaseResult, Command, CommandResult, RatioResult, Stats, TargetResult} from './types.ts';

/** A hung command must not hang the bench. */
const runTimeoutMs = 120_000;
/** `spin config` on a big file prints a lot; the check run keeps it all to look for `expectOutput`. */
const checkMaxBuffer = 256 * 1024 * 1024;

/** The absolute path of `name` on PATH, or undefined when no executable file has that name. */
export function findOnPath(name: string, pathVar = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** Linear interpolation between closest ranks; `sorted` is ascending and non-empty. */
export function percentile(sorted: number[], p: number): number {
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export function summarize(samples: number[]): Stats {
  if (samples.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: percentile(sorted, 0.5),
    p25: percentile(sorted, 0.25),
    p75: percentile(sorted, 0.75),
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function failure(command: Command, result: SpawnSyncReturns<string>, when: string): BenchError | undefined {
  const how = result.error
    ? `could not run: ${result.error.message}`
    : result.signal
      ? `was killed by ${result.signal}`
      : result.status !== 0
        ? `exited with status ${result.status}`
        : undefined;
  if (!how) return undefined;
  const stderr = result.stderr ? `\n--- its stderr (last lines) ---\n${tail(result.stderr)}` : '';
  return new BenchError(
    `"${command.label}" ${how} ${when} (expected status 0)\n  command: ${command.argv.join(' ')}${stderr}`,
    'run that command by hand to see why; a benchmark only times commands that succeed',
  );
}

/** The untimed first run: proves the command succeeds and does the work, and warms caches for all alike. */
export function checkCommand(command: Command): void {
  const [file, ...args] = command.argv;
  const result = spawnSync(file, args, {
    cwd: command.cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: command.timeoutMs ?? runTimeoutMs,
    maxBuffer: checkMaxBuffer,
  });
  const error = failure(command, result, 'on its check run');
  if (error) throw error;
  if (command.measuresItself) reportedFigure(command, result.stdout, 'on its check run');
  if (command.expectOutput && !`${result.stdout}\n${result.stderr}`.includes(command.expectOutput)) {
    throw new BenchError(
      `"${command.label}" succeeded but did not print "${command.expectOutput}" on its check run`,
      'the command did not do the work the benchmark times; run it by hand and compare',
    );
  }
  const lines = command.expectLines && linesProblem(result.stdout, command.expectLines);
  if (lines) {
    throw new BenchError(
      `"${command.label}" succeeded but ${lines} on its check run`,
      'the command did not print all it should, so timing it would flatter it; run it by hand and count',
    );
  }
}

/** A `SOURCE | TEXT` line, as log readers prefix them; the source may be padded to a column. */
const SOURCE_LINE = /^(\S+) *\| /;

/** What is wrong with `stdout` against Command.expectLines, or undefined when it matches. */
export function linesProblem(stdout: string, expected: {lines: number; sources?: number}): string | undefined {
  const all = stdout.split('\n');
  if (all.at(-1) === '') all.pop();
  if (expected.sources === undefined) return all.length === expected.lines ? undefined : `printed ${all.length} lines, not ${expected.lines}`;
  const perSource = new Map<string, number>();
  for (const line of all) {
    const source = SOURCE_LINE.exec(line)?.[1];
    if (source !== undefined) perSource.set(source, (perSource.get(source) ?? 0) + 1);
  }
  const each = expected.lines / expected.sources;
  const short = [...perSource].filter(([, n]) => n !== each);
  if (perSource.size === expected.sources && short.length === 0) return undefined;
  const counts = [...perSource].slice(0, 12).map(([source, n]) => `${source} ${n}`).join(', ');
  return `printed "SOURCE | …" lines from ${perSource.size} sources, not ${expected.lines} lines from ${expected.sources} sources with ${each} each (${counts || 'none'})`;
}

/** The figure a command that measures itself printed as the last line of its stdout. */
function reportedFigure(command: Command, stdout: string, when: string): number {
  const last = stdout.trimEnd().split('\n').at(-1) ?? '';
  const figure = Number(last);
  if (last === '' || !Number.isFinite(figure)) {
    throw new BenchError(
      `"${command.label}" measures itself but its last line of output ${when} is not a number: ${JSON.stringify(last.slice(0, 80))}\n  command: ${command.argv.join(' ')}`,
      'such a command must print its figure alone on the last line of stdout',
    );
  }
  return figure;
}

/**
 * Milliseconds from spawn to exit, or the figure the command printed when it measures itself.
 * Otherwise stdout goes to /dev/null so no tool pays for a slow reader.
 */
function timeOnce(command: Command): number {
  const [file, ...args] = command.argv;
  const start = process.hrtime.bigint();
  const result = spawnSync(file, args, {
    cwd: command.cwd,
    encoding: 'utf8',
    stdio: ['ignore', command.measuresItself ? 'pipe' : 'ignore', 'pipe'],
    timeout: command.timeoutMs ?? runTimeoutMs,
  });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  const error = failure(command, result, 'on a timed run');
  if (error) throw error;
  return command.measuresItself ? reportedFigure(command, result.stdout, 'on a timed run') : elapsed;
}

function ratios(commands: CommandResult[]): RatioResult[] {
  const [subject, ...peers] = commands;
  if (subject.skipped) return [];
  return peers
    .filter((peer) => !peer.skipped)
    .map((peer) => ({
      subject: subject.tool,
      peer: peer.tool,
      stats: summarize(subject.samples.map((ms, round) => ms / peer.samples[round])),
    }));
}

function checkTarget(kase: Case, commands: CommandResult[], found: RatioResult[]): TargetResult | undefined {
  const target = kase.target;
  if (!target) return undefined;
  const subject = commands[0];
  if (target.kind === 'median-below-ms') {
    if (!subject.stats) return {text: target.text, note: subject.skipped ?? 'not measured'};
    const met = subject.stats.median < target.ms;
    return {text: target.text, met, note: `median ${formatMs(subject.stats.median)}`};
  }
  const ratio = found.find((r) => r.peer === target.peer);
  if (!ratio) return {text: target.text, note: `${target.peer} was skipped`};
  return {text: target.text, met: ratio.stats.median <= target.ratio, note: `median ratio ${formatRatio(ratio.stats.median)}`};
}

export interface Progress {
  (message: string): void;
}

/** Checks every runnable command once, then times `runs` interleaved rounds. */
export function runCase(benchmark: string, kase: Case, runs: number, progress: Progress): CaseResult {
  const runnable = kase.commands.filter((c) => !c.missing);
  for (const command of runnable) {
    progress(`${benchmark} ${kase.name}: checking ${command.label}`);
    checkCommand(command);
  }
  const samples = new Map<Command, number[]>(runnable.map((c) => [c, []]));
  for (let round = 0; round < runs; round++) {
    progress(`${benchmark} ${kase.name}: round ${round + 1}/${runs}`);
    // Rotating who goes first keeps a steady drift (a CPU warming up, a neighbour starting) off one tool.
    for (let i = 0; i < runnable.length; i++) {
      const command = runnable[(round + i) % runnable.length];
      samples.get(command)!.push(timeOnce(command));
    }
  }
  const commands: CommandResult[] = kase.commands.map((c) => {
    if (c.missing) return {tool: c.tool, label: c.label, skipped: c.missing, samples: []};
    const own = samples.get(c)!;
    return {tool: c.tool, label: c.label, samples: own, stats: summarize(own)};
  });
  const found = ratios(commands);
  return {benchmark, name: kase.name, ...(kase.unit && kase.unit !== 'ms' ? {unit: kase.unit} : {}), runs, commands, ratios: found, target: checkTarget(kase, commands, found)};
}
