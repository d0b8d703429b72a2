// The shapes a benchmark module works with. A benchmark only describes commands; the harness
// (measure.ts) runs them, so every benchmark is timed the same way.

/** One program to time. `tool` names it in ratios and targets ("spin", "node", "docker-compose"). */
export interface Command {
  tool: string;
  /** What the table shows, e.g. `spin validate --no-policy -f F` (short placeholders, no temp paths). */
  label: string;
  argv: string[];
  cwd?: string;
  /** Text the untimed check run must print (stdout or stderr): proof the command did the work. */
  expectOutput?: string;
  /**
   * How many lines the untimed check run must print on stdout, so that no tool is timed doing
   * less than its peers (a log reader that stops early). With `sources`, only lines of the form
   * `SOURCE | TEXT` count (as `spin logs` and `docker-compose logs` prefix them), and each of
   * exactly that many sources must have printed `lines / sources` of them.
   */
  expectLines?: {lines: number; sources?: number};
  /** Set when the command cannot run here (binary not installed); it is then skipped with this note. */
  missing?: string;
  /**
   * The command measures itself: the last line of its stdout is the figure (a number in the
   * case's unit), taken instead of the wall clock. For work that needs untimed setup or teardown
   * around it (a deploy, then removing the stack), or a figure that is not a run time.
   */
  measuresItself?: boolean;
  /** Longer than the harness's default 120 s a run may take, for a command that does a lot (100 deploys). */
  timeoutMs?: number;
}

/** What a case's figures count; `ms` unless the case says otherwise. */
export type Unit = 'ms' | 'MiB' | 'requests';

export type Target =
  | {kind: 'median-below-ms'; ms: number; text: string}
  | {kind: 'ratio-at-most'; peer: string; ratio: number; text: string};

/** Commands timed together, interleaved. The first is the subject; ratios are subject / each peer. */
export interface Case {
  name: string;
  commands: Command[];
  target?: Target;
  /** Only for commands that measure themselves; wall-clock times are ms. */
  unit?: Unit;
}

/** The optional parts of a Command; `label` defaults to the tool and its arguments. */
export type CommandOptions = Partial<Pick<Command, 'label' | 'cwd' | 'expectOutput' | 'expectLines'>>;

export interface BenchContext {
  /** `spin ARGS`, run as `node bin/run.js ARGS` by the Node that runs the bench. */
  spin(args: string[], options?: CommandOptions): Command;
  /** A program found on PATH; marked missing (not thrown) when it is not installed. */
  tool(name: string, args: string[], options?: CommandOptions): Command;
  /** A fresh temporary folder, removed when the benchmark ends. */
  tempDir(): string;
}

export interface Benchmark {
  name: string;
  summary: string;
  defaultRuns: number;
  cases(ctx: BenchContext): Case[];
}

export interface Stats {
  n: number;
  median: number;
  p25: number;
  p75: number;
  min: number;
  max: number;
}

export interface CommandResult {
  tool: string;
  label: string;
  skipped?: string;
  /** Wall-clock milliseconds of each timed run, in run order. */
  samples: number[];
  stats?: Stats;
}

/** Subject time / peer time, computed per round (both ran back to back), then summarized. */
export interface RatioResult {
  subject: string;
  peer: string;
  stats: Stats;
}

export interface TargetResult {
  text: string;
  /** undefined when the target could not be checked (its peer was skipped). */
  met?: boolean;
  note: string;
}

export interface CaseResult {
  benchmark: string;
  name: string;
  /** Absent for ms. */
  unit?: Unit;
  runs: number;
  commands: CommandResult[];
  ratios: RatioResult[];
  target?: TargetResult;
}

/** A failure the user must see and fix (a command exited non-zero, a bad flag). */
export class BenchError extends Error {
  readonly hint?: string;

  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'BenchError';
    this.hint = hint;
  }
}

/** A bad flag or benchmark name: exit status 2, like the CLI's usage errors. */
export class BenchUsageError extends BenchError {}
