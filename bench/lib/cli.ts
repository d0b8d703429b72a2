// `node bench/run.js [NAME...] [--runs N] [--json] [--list]`: picks benchmarks, runs them
// one after another, prints the report. Returns the exit status instead of exiting, so the
// caller decides.

import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {benchmarks} from './benchmarks.ts';
import {findOnPath, runCase} from './measure.ts';
import {describeMachine, formatJson, formatTable} from './report.ts';
import {BenchError, BenchUsageError} from './types.ts';
import type {BenchContext, Benchmark, CaseResult, Command, CommandOptions} from './types.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const maxRuns = 1000;

const usage = `usage: node bench/run.js [NAME...] [--runs N] [--json] [--list]

Runs the named benchmarks (default: all) and prints each command's median time beside its peers'.
  --runs N   timed rounds per benchmark, instead of each benchmark's default
  --json     print the results as JSON on stdout (progress stays on stderr)
  --list     print the benchmark names and what they compare, then exit
`;

interface Streams {
  stdout: NodeJS.WritableStream & {isTTY?: boolean};
  stderr: NodeJS.WritableStream & {isTTY?: boolean};
}

interface Options {
  names: string[];
  runs?: number;
  json: boolean;
  list: boolean;
  help: boolean;
}

function parseOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        runs: {type: 'string'},
        json: {type: 'boolean', default: false},
        list: {type: 'boolean', default: false},
        help: {type: 'boolean', short: 'h', default: false},
      },
    });
  } catch (error) {
    throw new BenchUsageError((error as Error).message, 'see node bench/run.js --help');
  }
  const {values, positionals} = parsed;
  let runs: number | undefined;
  if (values.runs !== undefined) {
    runs = Number(values.runs);
    if (!/^\d+$/.test(values.runs) || runs < 1 || runs > maxRuns) {
      throw new BenchUsageError(`--runs "${values.runs}" is not a whole number from 1 to ${maxRuns}`, 'e.g. --runs 10');
    }
  }
  return {names: positionals, runs, json: values.json, list: values.list, help: values.help};
}

function select(names: string[]): Benchmark[] {
  if (names.length === 0) return [...benchmarks];
  const known = benchmarks.map((b) => b.name);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new BenchUsageError(
      `no benchmark named ${unknown.map((n) => `"${n}"`).join(', ')}`,
      `choose from ${known.join(', ')} (node bench/run.js --list)`,
    );
  }
  return benchmarks.filter((b) => names.includes(b.name));
}

/** The context a benchmark builds its commands with; `cleanup` removes its temporary folders. */
function createContext(): BenchContext & {cleanup(): void} {
  const dirs: string[] = [];
  const command = (tool: string, argv: string[], args: string[], options: CommandOptions = {}): Command => ({
    tool,
    label: options.label ?? [tool, ...args].join(' '),
    argv,
    cwd: options.cwd,
    expectOutput: options.expectOutput,
    expectLines: options.expectLines,
  });
  return {
    spin: (args, options) => command('spin', [process.execPath, join(repoRoot, 'bin', 'run.js'), ...args], args, options),
    tool: (name, args, options) => {
      const file = findOnPath(name);
      if (file) return command(name, [file, ...args], args, options);
      return {...command(name, [name, ...args], args, options), missing: `"${name}" is not installed (not found on PATH)`};
    },
    tempDir: () => {
      const dir = mkdtempSync(join(tmpdir(), 'spin-bench-'));
      dirs.push(dir);
      return dir;
    },
    cleanup: () => {
      for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true});
    },
  };
}

function progressTo(stderr: Streams['stderr']): (message: string) => void {
  // On a terminal one line is rewritten in place; piped, the per-round chatter would only be noise.
  if (!stderr.isTTY) return () => {};
  return (message) => stderr.write(`\r\x1b[K${message}`);
}

function runAll(selected: Benchmark[], runs: number | undefined, streams: Streams): CaseResult[] {
  const progress = progressTo(streams.stderr);
  const results: CaseResult[] = [];
  for (const benchmark of selected) {
    const rounds = runs ?? benchmark.defaultRuns;
    streams.stderr.write(`${streams.stderr.isTTY ? '\r\x1b[K' : ''}bench ${benchmark.name}: ${rounds} rounds\n`);
    const ctx = createContext();
    try {
      for (const kase of benchmark.cases(ctx)) results.push(runCase(benchmark.name, kase, rounds, progress));
    } finally {
      ctx.cleanup();
      if (streams.stderr.isTTY) streams.stderr.write('\r\x1b[K');
    }
  }
  return results;
}

export function main(argv: string[], streams: Streams): number {
  try {
    const options = parseOptions(argv);
    if (options.help) {
      streams.stdout.write(usage);
      return 0;
    }
    const selected = select(options.names);
    if (options.list) {
      const width = Math.max(...selected.map((b) => b.name.length));
      for (const b of selected) streams.stdout.write(`${b.name.padEnd(width)}  ${b.summary} (${b.defaultRuns} runs)\n`);
      return 0;
    }
    const results = runAll(selected, options.runs, streams);
    const machine = describeMachine();
    streams.stdout.write(options.json ? formatJson(machine, results) : formatTable(machine, results));
    return 0;
  } catch (error) {
    if (!(error instanceof BenchError)) throw error;
    streams.stderr.write(`bench: error: ${error.message}\n${error.hint ? `  hint: ${error.hint}\n` : ''}`);
    return error instanceof BenchUsageError ? 2 : 1;
  }
}
