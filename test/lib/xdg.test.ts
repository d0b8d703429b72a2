import assert from 'node:assert/strict';
import {test} from 'node:test';

import {spinDir} from '../../src/lib/xdg.ts';

test('spinDir: $XDG_<KIND>_HOME/spin when absolute, else the default under HOME', () => {
  assert.equal(spinDir('config', {HOME: '/h', XDG_CONFIG_HOME: '/x'}, 'config.json'), '/x/spin/config.json');
  assert.equal(spinDir('state', {HOME: '/h'}, 'local'), '/h/.local/state/spin/local');
  assert.equal(spinDir('cache', {HOME: '/h'}, 'build-keys.json'), '/h/.cache/spin/build-keys.json');
  // The spec: a relative value is invalid and ignored.
  assert.equal(spinDir('cache', {HOME: '/h', XDG_CACHE_HOME: 'rel'}), '/h/.cache/spin');
});
