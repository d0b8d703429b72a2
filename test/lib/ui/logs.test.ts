import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import {describe, test} from 'node:test';

import type {LogFrame, LogSource} from '../../../src/lib/api/log-frames.ts';
import {createLogPrinter} from '../../../src/lib/ui/logs.ts';

const TS = '2025-06-01T12:00:00.000000000Z';
/** The replicas of a stack as the agent names them: services in name order, replicas by number. */
const SOURCES: LogSource[] = [
  {service: 'db', replica: 1},
  {service: 'web', replica: 1},
  {service: 'web', replica: 2},
  {service: 'worker', replica: 1},
];
const lines = (source: number, ...texts: string[]): LogFrame => ({kind: 'lines', source, stream: 'stdout', data: Buffer.from(texts.map((t) => `${TS} ${t}\n`).join(''))});

async function print(frames: LogFrame[], options: {color?: boolean; timestamps?: boolean; json?: boolean} = {}): Promise<string[]> {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (d: string) => (text += d));
  const printer = createLogPrinter(out, {color: false, timestamps: false, json: false, ...options});
  for (const f of frames) printer.frame(f);
  await printer.flush();
  return text.split('\n').slice(0, -1);
}

describe('log prefixes', () => {
  test('padded to the widest replica of the stream from the first line on; timestamps off unless asked', async () => {
    const frames = [{kind: 'sources' as const, sources: SOURCES}, lines(0, 'ready'), lines(1, 'GET /', 'GET /x'), lines(3, 'job 1 done')];
    assert.deepEqual(await print(frames), ['db-1     | ready', 'web-1    | GET /', 'web-1    | GET /x', 'worker-1 | job 1 done']);
    assert.deepEqual(await print(frames.slice(0, 2), {timestamps: true}), [`db-1     | ${TS} ready`]);
  });

  test('each replica its own color, by its place among the sources, the same whichever line comes first', async () => {
    const sources = {kind: 'sources' as const, sources: SOURCES};
    const one = await print([sources, lines(3, 'a'), lines(2, 'b'), lines(1, 'c'), lines(0, 'd')], {color: true});
    const two = await print([sources, lines(0, 'd'), lines(1, 'c'), lines(2, 'b'), lines(3, 'a')], {color: true});
    const colorOf = (l: string) => /^\u001B\[(\d+)m/.exec(l)?.[1];
    const byName = (ls: string[]) => Object.fromEntries(ls.map((l) => [l.replace(/\u001B\[\d+m/g, '').split(' ')[0], colorOf(l)]));
    assert.deepEqual(byName(one), {'db-1': '36', 'web-1': '33', 'web-2': '32', 'worker-1': '35'});
    assert.deepEqual(byName(two), byName(one));
  });

  test('a replica named later (an older agent streams them one by one) widens the prefixes from then on', async () => {
    const got = await print([{kind: 'sources', sources: [{service: 'web', replica: 1}]}, lines(0, 'a'), {kind: 'sources', sources: [{service: 'web', replica: 1}, {service: 'web', replica: 12}]}, lines(1, 'b'), lines(0, 'c')]);
    assert.deepEqual(got, ['web-1 | a', 'web-12 | b', 'web-1  | c']);
  });

  test('CRLF endings and lines without a timestamp print as written', async () => {
    const frame: LogFrame = {kind: 'lines', source: 0, stream: 'stderr', data: Buffer.from(`${TS} dos\r\ncontinued past the line limit\n`)};
    assert.deepEqual(await print([{kind: 'sources', sources: SOURCES.slice(0, 1)}, frame]), ['db-1 | dos', 'db-1 | continued past the line limit']);
  });

  test('--json: one object per line, no prefix', async () => {
    const got = await print([{kind: 'sources', sources: SOURCES}, {...lines(2, 'x'), stream: 'stderr'} as LogFrame], {json: true, color: true});
    assert.deepEqual(got.map((l) => JSON.parse(l)), [{service: 'web', replica: 2, stream: 'stderr', timestamp: TS, line: 'x'}]);
  });
});
