import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {outcomeError} from '../../../src/lib/client/outcome.ts';
import {ExitCode} from '../../../src/lib/errors.ts';

describe('outcomeError', () => {
  test('healthy, started and planned are success', () => {
    for (const outcome of ['healthy', 'started', 'planned'] as const) assert.equal(outcomeError({outcome}, 'scale'), undefined);
  });

  test('failed exits 1 and names the service, replica and reason', () => {
    const err = outcomeError({outcome: 'failed', failure: {service: 'web', replica: 2, reason: 'exited with code 1', logs: ['boom']}}, 'scaling stack "demo"');
    assert.equal(err?.exitCode, ExitCode.failed);
    assert.equal(err?.message, 'scaling stack "demo" failed: service "web" replica 2: exited with code 1');
    assert.match(err?.hint ?? '', /log lines are above/);
  });

  test('timeout exits 5', () => {
    const err = outcomeError({outcome: 'timeout'}, 'scale');
    assert.equal(err?.exitCode, ExitCode.timeout);
    assert.equal(err?.message, 'scale timed out: the stack did not become healthy in time');
  });
});
