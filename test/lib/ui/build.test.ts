import assert from 'node:assert/strict';
import {afterEach, beforeEach, describe, mock, test} from 'node:test';

import {createPushRenderer} from '../../../src/lib/ui/build.ts';
import {FakeTty} from '../../helpers/screen.ts';

describe('push progress on a terminal', () => {
  beforeEach(() => mock.timers.enable({apis: ['setInterval']}));
  afterEach(() => mock.timers.reset());

  test('layer lines fit the width, so each redraw lands on them; a pushed image leaves one line that stays', () => {
    const tty = new FakeTty(60, 30);
    const push = createPushRenderer(tty, {tty: true, color: false});
    const image = '127.0.0.1:5000/genomics/portal-web:3f2a9c1b7d4e-dirty';
    push.event({type: 'start', service: 'web', image});
    for (const layer of ['a1b2c3d4e5f6', '0f9e8d7c6b5a']) push.event({type: 'layer', service: 'web', layer, status: 'Preparing'});
    for (let mb = 1; mb <= 20; mb++) {
      push.event({type: 'layer', service: 'web', layer: 'a1b2c3d4e5f6', status: 'Pushing', current: mb * 1e6, total: 20e6});
      mock.timers.tick(100);
    }
    push.event({type: 'layer', service: 'web', layer: 'a1b2c3d4e5f6', status: 'Pushed'});
    push.event({type: 'layer', service: 'web', layer: '0f9e8d7c6b5a', status: 'Layer already exists'});
    push.event({type: 'done', service: 'web', image, digest: `sha256:${'a'.repeat(64)}`});
    push.done();
    // Written once and never redrawn, the line that stays may wrap.
    const done = `✔ web pushed ${image}`;
    assert.deepEqual(tty.screen(), [done.slice(0, 60), done.slice(60)]);
    for (const w of tty.writes) for (const line of w.replace(/\u001B\[[0-9;]*[A-Za-z]/g, '').split('\n').slice(0, -1)) {
      if (!line.includes('pushed')) assert.ok(line.length < 60, `"${line}" fits in 60 columns`);
    }
  });
});
