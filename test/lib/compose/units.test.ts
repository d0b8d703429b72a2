import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {formatDuration, parseBytes, parseDuration} from '../../../src/lib/compose/units.ts';

describe('parseBytes', () => {
  test('reads plain numbers and numeric strings as bytes', () => {
    assert.equal(parseBytes(1024), 1024);
    assert.equal(parseBytes('10000'), 10000);
    assert.equal(parseBytes('-1'), -1);
  });

  test('reads units as binary multiples, with optional i and b, in any case', () => {
    assert.equal(parseBytes('512m'), 512 * 1024 ** 2);
    assert.equal(parseBytes('2gb'), 2 * 1024 ** 3);
    assert.equal(parseBytes('50M'), 50 * 1024 ** 2);
    assert.equal(parseBytes('1.5g'), 1.5 * 1024 ** 3);
    assert.equal(parseBytes('4KiB'), 4096);
    assert.equal(parseBytes('20 k'), 20 * 1024);
    assert.equal(parseBytes('100b'), 100);
  });

  test('refuses what is not a size', () => {
    for (const bad of ['', 'abc', '12xb', '1.2.3m', '-5m', '1e3', 'x'.repeat(100), 1.5, null, true]) {
      assert.equal(parseBytes(bad), undefined, String(bad));
    }
  });
});

describe('parseDuration', () => {
  test('reads Go durations and days/weeks into nanoseconds', () => {
    assert.equal(parseDuration('10s'), 10e9);
    assert.equal(parseDuration('1m30s'), 90e9);
    assert.equal(parseDuration('1.5h'), 5400e9);
    assert.equal(parseDuration('500ms'), 500e6);
    assert.equal(parseDuration('2us'), 2000);
    assert.equal(parseDuration('1d'), 86400e9);
    assert.equal(parseDuration('0'), 0);
    assert.equal(parseDuration('-1s'), -1e9);
  });

  test('refuses bare numbers, unknown units and garbage', () => {
    for (const bad of ['60', '10x', 's', '', '1s2', 60, '1 s']) assert.equal(parseDuration(bad), undefined, String(bad));
  });
});

describe('formatDuration', () => {
  test('writes what people write, leaving out units that are zero', () => {
    const cases: [number, string][] = [
      [0, '0s'],
      [90e9, '1m30s'],
      [60e9, '1m'],
      [3600e9, '1h'],
      [5400e9, '1h30m'],
      [3601e9, '1h1s'],
      [1.5e9, '1.5s'],
      [500e6, '500ms'],
      [1500e3, '1.5ms'],
      [2000, '2us'],
      [7, '7ns'],
      [86400e9, '24h'],
      [-5e9, '-5s'],
      [1e9 + 1, '1.000000001s'],
    ];
    for (const [ns, text] of cases) assert.equal(formatDuration(ns), text, String(ns));
  });

  test('reads back to the same number', () => {
    for (const ns of [0, 1, 999, 1000, 123456789, 1e9, 61e9 + 5, 3600e9 + 60e9 + 1e9 + 1e6, 604800e9, -250e6]) {
      assert.equal(parseDuration(formatDuration(ns)), ns, String(ns));
    }
  });
});
