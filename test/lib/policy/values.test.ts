import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {isWithin, isWithinRoot, normalizeHostPath, showRoot} from '../../../src/lib/policy/paths.ts';
import {canonicalCapability, formatBytes, formatPorts, parsePortRange} from '../../../src/lib/policy/values.ts';

describe('parsePortRange', () => {
  test('ports and ranges', () => {
    assert.deepEqual(parsePortRange('8080'), {min: 8080, max: 8080});
    assert.deepEqual(parsePortRange(443), {min: 443, max: 443});
    assert.deepEqual(parsePortRange(' 8000-8010 '), {min: 8000, max: 8010});
  });
  test('out of range, reversed or garbled', () => {
    for (const bad of ['0', '65536', '10-5', 'http', '80-', '-80', '1.5', '99999']) assert.equal(parsePortRange(bad), undefined, bad);
  });
  test('formatPorts collapses runs', () => {
    assert.equal(formatPorts([8000, 8001, 8002, 8005, 9000, 9001]), '8000-8002, 8005, 9000-9001');
  });
});

describe('formatBytes', () => {
  test('whole binary units when exact, else bytes', () => {
    assert.equal(formatBytes(16 * 1024 ** 3), '16g');
    assert.equal(formatBytes(1536 * 1024 ** 2), '1536m');
    assert.equal(formatBytes(1000), '1000 bytes');
  });
});

describe('canonicalCapability', () => {
  test('prefix and case', () => {
    assert.equal(canonicalCapability('cap_sys_admin'), 'SYS_ADMIN');
    assert.equal(canonicalCapability(' Chown '), 'CHOWN');
  });
});

describe('host paths', () => {
  test('normalizeHostPath', () => {
    assert.equal(normalizeHostPath('/a//b/../c/'), '/a/c');
    assert.equal(normalizeHostPath('/'), '/');
    assert.equal(normalizeHostPath('/../..'), '/');
  });
  test('isWithin compares whole segments', () => {
    assert.equal(isWithin('/data/a/x', '/data/a'), true);
    assert.equal(isWithin('/data/a', '/data/a'), true);
    assert.equal(isWithin('/data/ab', '/data/a'), false);
    assert.equal(isWithin('/anything', '/'), true);
  });
  test('isWithinRoot with {project}', () => {
    assert.equal(isWithinRoot('/g/demo/x', '/g/{project}', 'demo'), true);
    assert.equal(isWithinRoot('/g/other/x', '/g/{project}', 'demo'), false);
    assert.equal(isWithinRoot('/g/other/x', '/g/{project}', undefined), true);
    assert.equal(isWithinRoot('/g/demo-data', '/g/{project}-data', 'demo'), true);
    assert.equal(isWithinRoot('/g/x-data', '/g/{project}-data', undefined), true);
    assert.equal(isWithinRoot('/g/x.data', '/g/{project}-data', undefined), false);
    assert.equal(isWithinRoot('/g/a/b', '/g/{project}', 'a/b'), false);
    assert.equal(isWithinRoot('/g', '/g/{project}', 'demo'), false);
  });
  test('showRoot fills in the project when known', () => {
    assert.equal(showRoot('/g/{project}', 'demo'), '/g/demo');
    assert.equal(showRoot('/g/{project}', undefined), '/g/{project}');
  });
});
