import assert from 'node:assert/strict';
import {test} from 'node:test';

import {containerLines, FrameDemuxer, LineSplitter, MAX_LINE, mergeSources, splitTimestamp, timestampKey} from '../../../src/lib/engine/logs.ts';

function frame(stream: number, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

test('frames split across chunks are reassembled', () => {
  const all = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]);
  const demux = new FrameDemuxer();
  const got = [...demux.push(all.subarray(0, 5)), ...demux.push(all.subarray(5, 14)), ...demux.push(all.subarray(14))];
  assert.deepEqual(got.map((f) => [f.stream, f.data.toString()]), [['stdout', 'out\n'], ['stderr', 'err\n']]);
});

test('lines split across chunks, CRLF and multi-byte characters', () => {
  const s = new LineSplitter();
  const euro = Buffer.from('€');
  assert.deepEqual(s.push(Buffer.concat([Buffer.from('a\r\nb'), euro.subarray(0, 1)])), ['a']);
  assert.deepEqual(s.push(Buffer.concat([euro.subarray(1), Buffer.from('\nc')])), ['b€']);
  assert.deepEqual(s.flush(), ['c']);
  assert.deepEqual(new LineSplitter().push(Buffer.alloc(MAX_LINE + 10, 'x')).map((l) => l.length), [MAX_LINE]);
});

test('timestamps are split off and sort in time order', () => {
  assert.deepEqual(splitTimestamp('2025-01-01T00:00:00.5Z hello world'), {timestamp: '2025-01-01T00:00:00.5Z', line: 'hello world'});
  assert.deepEqual(splitTimestamp('no timestamp'), {timestamp: '', line: 'no timestamp'});
  const a = timestampKey('2025-01-01T00:00:00.5Z');
  const b = timestampKey('2025-01-01T00:00:00.123456789Z');
  assert.ok(b < a);
  assert.equal(timestampKey('2025-01-01T01:00:00+01:00'), '2025-01-01T00:00:00.000000000');
});

test('a container stream becomes lines per stream; TTY output is all stdout', async () => {
  async function* chunks() {
    yield frame(1, '2025-01-01T00:00:00Z one\n2025-01-01T00:00:01Z tw');
    yield frame(1, 'o\n');
    yield frame(2, '2025-01-01T00:00:02Z bad\n');
  }
  const lines = [];
  for await (const l of containerLines(chunks(), false)) lines.push(l);
  assert.deepEqual(lines, [
    {stream: 'stdout', timestamp: '2025-01-01T00:00:00Z', line: 'one'},
    {stream: 'stdout', timestamp: '2025-01-01T00:00:01Z', line: 'two'},
    {stream: 'stderr', timestamp: '2025-01-01T00:00:02Z', line: 'bad'},
  ]);
  const tty = [];
  for await (const l of containerLines(Buffer.from('2025-01-01T00:00:00Z raw\n'), true)) tty.push(l);
  assert.deepEqual(tty, [{stream: 'stdout', timestamp: '2025-01-01T00:00:00Z', line: 'raw'}]);
});

test('merged sources interleave by arrival and end when all end', async () => {
  const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
  async function* slow() {
    await delay(30);
    yield 'slow';
  }
  async function* fast() {
    yield 'fast1';
    await delay(5);
    yield 'fast2';
  }
  const got = [];
  for await (const x of mergeSources([slow(), fast()])) got.push(x);
  assert.deepEqual(got, ['fast1', 'fast2', 'slow']);
  async function* boom(): AsyncGenerator<string> {
    yield* [];
    throw new Error('broken');
  }
  await assert.rejects(async () => {
    for await (const _ of mergeSources([boom()])) void _;
  }, /broken/);
});
