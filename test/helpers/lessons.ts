// Runs the lessons in docs/lessons/ as a trainee would type them, and checks what they show.
//
// A lesson is Markdown. Its ```console blocks are executed in order; everything else is prose.
// In a block:
//   - a line starting with `$ ` is a command (a line ending in ` \` continues on the next);
//   - the lines after it, up to the next command, are what it prints: stdout and stderr together,
//     as a terminal shows them (the CLI runs piped, so without color or spinners);
//   - `…` within a line matches any text on that line (ports, digests, times, ids, versions);
//   - a line that is only `…` matches any number of lines, none included (build output);
//   - two or more spaces match two or more spaces: table columns move with the values in them;
//   - an output with an error line (starting with `error:`, or a located `file:line:col: error:`)
//     means the command must fail (exit non-zero); any other command must exit 0.
// An HTML comment `<!-- lesson-test: todo REASON -->` right before a block runs that block as a
// todo test (reported, never failing the suite): for a step that shows a known bug.
//
// What the test changes, so that a lesson runs here exactly as written for a person:
//   - `substitutions`: literal strings replaced in commands and in expected output alike, for
//     what differs between a trainee's machine and the test's (the platform's URL, the registry's
//     host, the project, a published port that another test may hold);
//   - `baseImages`: after every command, each `FROM <real image>` in a Dockerfile under the
//     working folder is rewritten to a local image built FROM scratch with the static busybox
//     (nothing can be pulled here). Only images that behave like the real one under the lesson's
//     commands are rewritten this way: `busybox:1.37` is busybox; for lesson 3's `database`
//     template, `python:3.12-slim` becomes a stand-in that runs that template's app (below);
//   - `composeLines`: after every command, in each `compose.yaml` under the working folder, a line
//     that is exactly `<indent>FROM-TEXT` becomes `<indent>TO-TEXT`: for the `database` template,
//     `image: postgres:16-alpine` names a stand-in database image.
//   The two stand-ins are in test/docs/stand-ins/database/, whose README says how each behaves
//   like the real image, and where it stops. Only those lines change: the app's Dockerfile builds
//   as written, and ports, volume, secret, user, environment, healthchecks and depends_on stay the
//   template's; the lesson's own edits apply as written.
// Commands run in bash, one after another in one working folder (`cd` carries over), with `spin`
// on PATH as the built CLI (bin/run.js) and the test's environment.

import {spawn} from 'node:child_process';
import {chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {BIN} from './cli.ts';

export interface LessonStep {
  command: string;
  expected: string[];
  /** 1-based line of the command in the Markdown file. */
  line: number;
}

export interface LessonBlock {
  steps: LessonStep[];
  line: number;
  /** Why the block is a todo test, when it is one. */
  todo?: string;
}

export const ANY = '…';

export function parseLesson(markdown: string): LessonBlock[] {
  const lines = markdown.split('\n');
  const blocks: LessonBlock[] = [];
  let todo: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const marker = /^<!-- lesson-test: todo (.*) -->$/.exec(lines[i].trim());
    if (marker) {
      todo = marker[1];
      continue;
    }
    if (lines[i].trim() !== '```console') {
      if (lines[i].trim() !== '') todo = undefined;
      continue;
    }
    const block: LessonBlock = {steps: [], line: i + 1, todo};
    todo = undefined;
    for (i++; i < lines.length && lines[i].trim() !== '```'; i++) {
      const line = lines[i];
      if (line.startsWith('$ ')) {
        let command = line.slice(2);
        const start = i + 1;
        while (command.endsWith(' \\') && i + 1 < lines.length) command = `${command.slice(0, -1)}\n${lines[++i]}`;
        block.steps.push({command, expected: [], line: start});
      } else if (block.steps.length > 0) {
        block.steps.at(-1)!.expected.push(line);
      }
    }
    blocks.push(block);
  }
  return blocks;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const columns = (line: string) => line.replace(/ {2,}/g, '  ');
function lineMatches(want: string, have: string): boolean {
  const [w, h] = [columns(want), columns(have)];
  return w.includes(ANY) ? new RegExp(`^${w.split(ANY).map(escape).join('.*')}$`).test(h) : w === h;
}

/** Whether `actual` output lines match the `expected` lines with their `…` placeholders. */
export function outputMatches(expected: string[], actual: string[]): boolean {
  const trim = (ls: string[]) => {
    const out = ls.map((l) => l.trimEnd());
    while (out.length > 0 && out.at(-1) === '') out.pop();
    return out;
  };
  const want = trim(expected);
  const have = trim(actual);
  const memo = new Map<string, boolean>();
  const match = (w: number, h: number): boolean => {
    const key = `${w},${h}`;
    if (memo.has(key)) return memo.get(key)!;
    let ok: boolean;
    if (w === want.length) ok = h === have.length;
    else if (want[w] === ANY) ok = match(w + 1, h) || (h < have.length && match(w, h + 1));
    else ok = h < have.length && lineMatches(want[w], have[h]) && match(w + 1, h + 1);
    memo.set(key, ok);
    return ok;
  };
  return match(0, 0);
}

/** Whether the output shown says the command fails. */
export function showsError(expected: string[]): boolean {
  return expected.some((l) => /^(\S+: )?error: /.test(l));
}

export function substitute(text: string, substitutions: [string, string][]): string {
  return substitutions.reduce((t, [from, to]) => t.replaceAll(from, to), text);
}

export interface ShellOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** Real base image → local stand-in. */
  baseImages?: Record<string, string>;
  /** A whole line of compose.yaml (without its indent) → the line the test runs instead. */
  composeLines?: Record<string, string>;
  /** A folder for the `spin` wrapper put first on PATH. */
  binDir: string;
}

/** One trainee's terminal: a working folder that `cd` moves, and `spin` on PATH. */
export class LessonShell {
  cwd: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly options: ShellOptions;

  constructor(options: ShellOptions) {
    this.options = options;
    this.cwd = options.cwd;
    mkdirSync(options.binDir, {recursive: true});
    writeFileSync(join(options.binDir, 'spin'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
    chmodSync(join(options.binDir, 'spin'), 0o755);
    const env: Record<string, string | undefined> = {...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env, PATH: `${options.binDir}:${process.env.PATH}`};
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    this.env = env as NodeJS.ProcessEnv;
  }

  /** Runs one command line; its output is stdout and stderr together, in the order printed. */
  async run(command: string): Promise<{code: number | null; output: string}> {
    // fd 3 reports the folder the command ended in, so that `cd` carries over to the next.
    const script = `exec 2>&1\n${command}\n__status=$?\npwd >&3\nexit $__status\n`;
    const child = spawn('bash', ['-c', script], {cwd: this.cwd, env: this.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe']});
    let output = '';
    let cwd = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    (child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (d: string) => (cwd += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (cwd.trim()) this.cwd = cwd.trim();
    this.rewriteFiles(this.cwd);
    return {code, output};
  }

  /** The files a lesson's command may have written, and the one-line rewrites each gets. */
  private rewrites(): Record<string, [RegExp, string][]> {
    const lines = (pairs: Record<string, string> | undefined, from: (key: string) => string, to: (value: string) => string) =>
      Object.entries(pairs ?? {}).map(([key, value]): [RegExp, string] => [new RegExp(`^${from(key)}$`, 'gm'), to(value)]);
    return {
      Dockerfile: lines(this.options.baseImages, (real) => `FROM ${escape(real)}`, (local) => `FROM ${local}`),
      'compose.yaml': lines(this.options.composeLines, (line) => `( *)${escape(line)}`, (local) => `$1${local.replaceAll('$', '$$$$')}`),
    };
  }

  private rewriteFiles(dir: string, rules = this.rewrites(), depth = 0): void {
    if (Object.values(rules).every((r) => r.length === 0) || depth > 3) return;
    let entries;
    try {
      entries = readdirSync(dir, {withFileTypes: true});
    } catch {
      return;
    }
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory() && e.name !== 'node_modules' && !e.name.startsWith('.')) this.rewriteFiles(path, rules, depth + 1);
      else if (e.isFile() && Object.hasOwn(rules, e.name)) {
        const text = readFileSync(path, 'utf8');
        const next = rules[e.name].reduce((t, [pattern, replacement]) => t.replace(pattern, replacement), text);
        if (next !== text) writeFileSync(path, next);
      }
    }
  }
}
