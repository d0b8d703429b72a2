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

  test('after a rollback the hint does not send the user to `spin logs`, which no longer has the failed replica', () => {
    const failure = {service: 'web', replica: 1, reason: 'keeps restarting: it exited with code 3 and the engine restarted it', logs: ['boom']};
    const err = outcomeError({outcome: 'failed', failure, rollback: {revision: 6, outcome: 'healthy'}}, 'deploy');
    assert.equal(err?.message, 'deploy failed: service "web" replica 1: keeps restarting: it exited with code 3 and the engine restarted it');
    assert.equal(err?.hint, 'the rollback removed the failed replica, so `spin logs` shows revision 6 only: its last log lines are above; `spin history` keeps why it failed');
  });

  test("a failure's own hint comes first", () => {
    const failure = {service: 'web', reason: 'could not be started: host port 8080 is already in use on the host', hint: 'publish another port', logs: []};
    assert.equal(outcomeError({outcome: 'failed', failure}, 'deploy')?.hint, 'publish another port; see `spin ps` and `spin logs`');
  });

  test('timeout exits 5', () => {
    const err = outcomeError({outcome: 'timeout'}, 'scale');
    assert.equal(err?.exitCode, ExitCode.timeout);
    assert.equal(err?.message, 'scale timed out: the stack did not become healthy in time');
  });
});
