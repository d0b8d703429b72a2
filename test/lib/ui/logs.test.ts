import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import {describe, test} from 'node:test';

import type {LogLine, StackStatus} from '../../../src/lib/engine/types.ts';
import {createLogPrinter, replicaNames} from '../../../src/lib/ui/logs.ts';

const line = (service: string, replica: number, text: string): LogLine => ({service, replica, stream: 'stdout', timestamp: '2025-06-01T12:00:00.000000000Z', line: text});

async function print(lines: LogLine[], options: {color: boolean; replicas?: string[]}): Promise<string[]> {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8').on('data', (d: string) => (text += d));
  const printer = createLogPrinter(out, {timestamps: false, json: false, ...options});
  for (const l of lines) printer.line(l);
  await printer.flush();
  return text.split('\n').slice(0, -1);
}

const replica = (n: number) => ({replica: n, container: `c${n}`, id: `i${n}`, state: 'running', health: 'none' as const});
const STATUS: StackStatus = {
  ref: {project: 'demo', stack: 'portal'},
  services: [
    {service: 'worker', image: 'w', desired: 1, running: 1, healthy: 0, ports: [], replicas: [replica(1)]},
    {service: 'db', image: 'd', desired: 1, running: 1, healthy: 0, ports: [], replicas: [replica(1)]},
    {service: 'web', image: 'x', desired: 2, running: 2, healthy: 0, ports: [], replicas: [replica(2), replica(1)]},
  ],
};

describe('log prefixes', () => {
  test('padded to the widest replica of the stack from the first line on', async () => {
    const lines = await print([line('db', 1, 'ready'), line('web', 1, 'GET /'), line('worker', 1, 'job 1 done')], {color: false, replicas: replicaNames(STATUS, [])});
    assert.deepEqual(lines, ['db-1     | ready', 'web-1    | GET /', 'worker-1 | job 1 done']);
  });

  test('each replica its own color, by its place in the stack, the same whichever line comes first', async () => {
    const replicas = replicaNames(STATUS, []);
    assert.deepEqual(replicas, ['db-1', 'web-1', 'web-2', 'worker-1']);
    const one = await print([line('worker', 1, 'a'), line('web', 2, 'b'), line('web', 1, 'c'), line('db', 1, 'd')], {color: true, replicas});
    const two = await print([line('db', 1, 'd'), line('web', 1, 'c'), line('web', 2, 'b'), line('worker', 1, 'a')], {color: true, replicas});
    const colorOf = (l: string) => /^\u001B\[(\d+)m/.exec(l)?.[1];
    const byName = (ls: string[]) => Object.fromEntries(ls.map((l) => [l.replace(/\u001B\[\d+m/g, '').split(' ')[0], colorOf(l)]));
    assert.deepEqual(byName(one), {'db-1': '36', 'web-1': '33', 'web-2': '32', 'worker-1': '35'});
    assert.deepEqual(byName(two), byName(one));
  });

  test('a replica that was not known widens the prefixes from then on, and takes the next color', async () => {
    const lines = await print([line('web', 1, 'a'), line('web', 12, 'b'), line('web', 1, 'c')], {color: false, replicas: ['web-1']});
    assert.deepEqual(lines, ['web-1 | a', 'web-12 | b', 'web-1  | c']);
  });

  test('only the services asked for count', () => {
    assert.deepEqual(replicaNames(STATUS, ['web']), ['web-1', 'web-2']);
  });

  test('--json: one object per line, no prefix', async () => {
    const out = new PassThrough();
    let text = '';
    out.setEncoding('utf8').on('data', (d: string) => (text += d));
    const printer = createLogPrinter(out, {color: true, timestamps: false, json: true, replicas: ['web-1']});
    printer.line(line('web', 1, 'x'));
    await printer.flush();
    assert.deepEqual(JSON.parse(text), line('web', 1, 'x'));
  });
});
