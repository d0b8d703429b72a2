// One piece of work that yields several figures, each shown by a row of its own (an upgrade's
// failed requests, p99 and duration; the agent's memory after deploy 1, 10 and 100). The rows
// must read the same runs of that work, not make one each: runs are kept one JSON line each in
// a fixture's folder, and the first row to ask for run N makes it, later rows read it. Each row
// keeps its own cursor, so the harness's check run and rotated rounds line up by themselves.

import {appendFileSync, existsSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

/** The runs made so far under `name`, in order. */
export function readRuns<Figures>(dir: string, name: string): Figures[] {
  const file = join(dir, `${name}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Figures);
}

/** Figure `metric` of the next run of `name` this row has not read yet, making that run when no row has. */
export async function sharedFigure<Figures extends object>(dir: string, name: string, metric: keyof Figures & string, make: () => Promise<Figures>): Promise<number> {
  const cursorFile = join(dir, `${name}-${metric}.cursor`);
  const cursor = existsSync(cursorFile) ? Number(readFileSync(cursorFile, 'utf8')) : 0;
  let found = readRuns<Figures>(dir, name)[cursor];
  if (!found) {
    found = await make();
    appendFileSync(join(dir, `${name}.jsonl`), `${JSON.stringify(found)}\n`);
  }
  writeFileSync(cursorFile, String(cursor + 1));
  process.stderr.write(`${name} ${cursor + 1}: ${JSON.stringify(found)}\n`);
  const value = found[metric];
  if (typeof value !== 'number') throw new Error(`no figure "${metric}" in run ${cursor + 1} of ${name}`);
  return value;
}
