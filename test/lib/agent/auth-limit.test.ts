import assert from 'node:assert/strict';
import {test} from 'node:test';

import {FailedAuthLimiter} from '../../../src/lib/agent/auth-limit.ts';

test('an address is refused once its failures fill the window, and may try again when the window ends', () => {
  let now = 1_000_000;
  const limiter = new FailedAuthLimiter({failures: 3, windowMs: 60_000, now: () => now});
  for (let i = 0; i < 3; i++) {
    assert.equal(limiter.retryAfter('10.0.0.1'), 0, `attempt ${i + 1} is allowed`);
    limiter.fail('10.0.0.1');
  }
  assert.equal(limiter.retryAfter('10.0.0.1'), 60);
  assert.equal(limiter.retryAfter('10.0.0.2'), 0, 'another address is not refused');
  now += 45_500;
  assert.equal(limiter.retryAfter('10.0.0.1'), 15, 'the wait counts down from the first failure');
  now += 14_500;
  assert.equal(limiter.retryAfter('10.0.0.1'), 0);
  limiter.fail('10.0.0.1');
  assert.equal(limiter.retryAfter('10.0.0.1'), 0, 'a new window starts from one failure');
});

test('a flood of addresses does not grow without bound: the oldest are forgotten first', () => {
  const limiter = new FailedAuthLimiter({failures: 1});
  limiter.fail('first');
  for (let i = 0; i < 10_000; i++) limiter.fail(`a${i}`);
  assert.equal(limiter.retryAfter('first'), 0, 'the oldest address was dropped');
  assert.ok(limiter.retryAfter('a9999') > 0);
});
