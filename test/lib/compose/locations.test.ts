import assert from 'node:assert/strict';
import {test} from 'node:test';

import {formatPath, Locations, parsePath} from '../../../src/lib/compose/locations.ts';

test('formatPath and parsePath are inverses', () => {
  for (const path of [['services', 'web', 'cap_add', 1], ['volumes', '0'], ['services', 'a.b', 'x'], ['x-ext', 'k'], []]) {
    assert.deepEqual(parsePath(formatPath(path)), path);
  }
  assert.equal(formatPath(['services', 'web', 'cap_add', 1]), 'services.web.cap_add[1]');
});

test('find falls back to the nearest recorded ancestor', () => {
  const l = new Locations();
  l.set(['services', 'web'], {file: 'c.yaml', line: 3, column: 3});
  assert.deepEqual(l.find(['services', 'web', 'ports', 0, 'published']), {file: 'c.yaml', line: 3, column: 3});
  assert.equal(l.find(['networks']), undefined);
});
