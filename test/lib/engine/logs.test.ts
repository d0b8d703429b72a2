import assert from 'node:assert/strict';
import {test} from 'node:test';

import {containerChunks, containerLines, FrameDemuxer, LineAssembler, MAX_LINE, mergeChunksByTime, mergeSources, splitLines, splitTimestamp, timestampKey, type LogChunk} from '../../../src/lib/engine/logs.ts';

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

test('whole lines across chunks, CRLF and multi-byte characters; a tail past MAX_LINE is cut', () => {
  const s = new LineAssembler();
  const euro = Buffer.from('€');
  const text = (b: Buffer | undefined) => (b ? splitLines(b) : []);
  assert.deepEqual(text(s.push(Buffer.concat([Buffer.from('a\r\nb'), euro.subarray(0, 1)]))), ['a']);
  assert.deepEqual(text(s.push(Buffer.concat([euro.subarray(1), Buffer.from('\nc')]))), ['b€']);
  assert.equal(s.push(Buffer.from('d')), undefined, 'no whole line yet');
  assert.deepEqual(text(s.flush()), ['cd']);
  assert.deepEqual(text(new LineAssembler().push(Buffer.alloc(MAX_LINE + 10, 'x'))).map((l) => l.length), [MAX_LINE]);
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

test('a container stream becomes chunks of whole lines per stream, consecutive frames of a stream joined', async () => {
  async function* chunks() {
    yield Buffer.concat([frame(1, 'T1 one\nT2 tw'), frame(1, 'o\nT3 three\n'), frame(2, 'T4 bad\n')]);
  }
  const got = [];
  for await (const c of containerChunks(chunks(), false, 3)) got.push([c.source, c.stream, c.data.toString()]);
  assert.deepEqual(got, [
    [3, 'stdout', 'T1 one\nT2 two\nT3 three\n'],
    [3, 'stderr', 'T4 bad\n'],
  ]);
});

test('chunked sources merge in time order, a run of one source going out as one chunk', async () => {
  const t = (s: number) => `2025-01-01T00:00:0${s}Z`;
  async function* source(index: number, lines: [number, string][][]): AsyncGenerator<LogChunk> {
    for (const chunk of lines) yield {source: index, stream: 'stdout', data: Buffer.from(chunk.map(([at, text]) => `${t(at)} ${text}\n`).join(''))};
  }
  const a = source(0, [[[1, 'a1'], [2, 'a2'], [5, 'a5']], [[6, 'a6']]]);
  const b = source(1, [[[3, 'b3']], [[4, 'b4'], [7, 'b7']]]);
  const got = [];
  for await (const c of mergeChunksByTime([a, b])) got.push(`${c.source}:${splitLines(c.data).map((l) => splitTimestamp(l).line).join(',')}`);
  assert.deepEqual(got, ['0:a1,a2', '1:b3', '1:b4', '0:a5', '0:a6', '1:b7']);
});
