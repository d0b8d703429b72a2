import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {jsonLines, ndjsonLine, textLines} from '../../src/lib/ndjson.ts';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* chunks(...parts: (string | Buffer)[]) {
  yield* parts;
}

describe('textLines', () => {
  test('lines across chunk boundaries, blank lines skipped, a last line without newline kept', async () => {
    assert.deepEqual(await collect(textLines(chunks('a\nb', 'c\n\n  \nd'), {maxLine: 100})), ['a', 'bc', 'd']);
  });

  test('a UTF-8 character split across two chunks stays whole', async () => {
    const bytes = Buffer.from('{"m":"é"}\n');
    const cut = bytes.indexOf(0xa9);
    assert.deepEqual(await collect(textLines(chunks(bytes.subarray(0, cut), bytes.subarray(cut)), {maxLine: 100})), ['{"m":"é"}']);
  });

  test('an endless line is dropped, up to its newline, unless tooLong throws', async () => {
    assert.deepEqual(await collect(textLines(chunks('x'.repeat(20), 'yy\nok\n'), {maxLine: 10})), ['ok']);
    const failing = textLines(chunks('x'.repeat(20)), {
      maxLine: 10,
      tooLong: () => {
        throw new Error('too long');
      },
    });
    await assert.rejects(collect(failing), /too long/);
  });
});

describe('jsonLines', () => {
  test('objects only: other JSON and broken lines are skipped', async () => {
    assert.deepEqual(await collect(jsonLines(chunks('{"a":1}\n[1]\nnull\n{bro', 'ken\n{"b":2}'))), [{a: 1}, {b: 2}]);
  });

  test('reads what ndjsonLine writes', async () => {
    const values = [{type: 'plan', message: 'a\nb'}, {type: 'result'}];
    assert.deepEqual(await collect(jsonLines(chunks(values.map(ndjsonLine).join('')))), values);
  });
});
