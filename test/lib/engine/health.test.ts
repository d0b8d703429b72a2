import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {judge, waitContainer, type JudgeOptions, type ReplicaEvents} from '../../../src/lib/engine/health.ts';

const now = Date.parse('2025-01-01T00:00:10Z');
const opts: JudgeOptions = {oneShot: false, monitorMs: 1000, restartBaseline: 0, want: 'healthy', now};

function info(state: Record<string, unknown>, restarts = 0) {
  return {RestartCount: restarts, State: {Status: 'running', Running: true, Restarting: false, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: '2025-01-01T00:00:00Z', ...state}} as never;
}

test('running without a healthcheck: "running" (not healthy) after the monitor period', () => {
  assert.deepEqual(judge(info({}), opts), {state: 'running'});
  assert.deepEqual(judge(info({StartedAt: '2025-01-01T00:00:09.600Z'}), opts), {state: 'pending', recheckInMs: 600});
});

test('healthcheck status decides when there is one', () => {
  assert.deepEqual(judge(info({Health: {Status: 'starting'}}), opts), {state: 'pending'});
  assert.deepEqual(judge(info({Health: {Status: 'healthy'}}), opts), {state: 'healthy'});
  assert.deepEqual(judge(info({Health: {Status: 'unhealthy', Log: [{ExitCode: 1, Output: 'curl: (7) refused\n'}]}}), opts), {
    state: 'failed',
    reason: 'turned unhealthy: its healthcheck failed (exit code 1: curl: (7) refused)',
  });
});

test('exits: a one-shot exiting 0 is done, anything else fails', () => {
  const exited = (code: number, extra = {}) => info({Status: 'exited', Running: false, ExitCode: code, ...extra});
  assert.deepEqual(judge(exited(0), {...opts, oneShot: true}), {state: 'done'});
  assert.deepEqual(judge(exited(0), opts), {state: 'failed', reason: 'exited with code 0, but its restart policy says it should keep running'});
  assert.deepEqual(judge(exited(3), {...opts, oneShot: true}), {state: 'failed', reason: 'exited with code 3'});
  assert.deepEqual(judge(exited(137, {OOMKilled: true}), opts), {state: 'failed', reason: 'was killed for using more memory than its limit (exit code 137)'});
});

test('restarts fail, with the exit code seen in the die event', () => {
  assert.deepEqual(judge(info({}, 1), {...opts, lastExitCode: 2}), {state: 'failed', reason: 'keeps restarting: it exited with code 2 and the engine restarted it'});
  assert.deepEqual(judge(info({}, 1), opts), {state: 'failed', reason: 'keeps restarting: it exited and the engine restarted it'});
  assert.deepEqual(judge(info({Status: 'restarting', Restarting: true, ExitCode: 1}), opts), {state: 'failed', reason: 'keeps restarting: it exited with code 1 and the engine restarted it'});
  assert.deepEqual(judge(info({}, 4), {...opts, restartBaseline: 4}), {state: 'running'});
});

test('waiting for completion ignores health', () => {
  assert.deepEqual(judge(info({Health: {Status: 'healthy'}}), {...opts, want: 'completed'}), {state: 'pending'});
  assert.deepEqual(judge(info({Status: 'exited', ExitCode: 0}), {...opts, want: 'completed'}), {state: 'done'});
});

describe('waitContainer with a probe (start_interval on engines that lack it)', () => {
  /** An engine whose container stays `starting` for `startingFor` inspects, then turns healthy. */
  function engine(startingFor: number) {
    let inspects = 0;
    const docker = {
      getContainer: () => ({
        inspect: async () => {
          inspects++;
          return Object.assign({Id: 'c1'}, info({Health: {Status: inspects > startingFor ? 'healthy' : 'starting'}}));
        },
      }),
    };
    return {inspect: () => docker.getContainer().inspect() as never, inspects: () => inspects};
  }
  const events: ReplicaEvents = {changed: async () => undefined, lastExitCode: () => undefined};
  let clock = 0;
  const base = {oneShot: false, monitorMs: 1000, want: 'healthy' as const, pollMs: 1000, now: () => (clock += 100), signal: new AbortController().signal, probeEveryMs: 250};

  test('a passing probe makes a starting container healthy before the engine says so', async () => {
    const e = engine(1000);
    let probes = 0;
    const verdict = await waitContainer(e.inspect, events, 'c1', {...base, probe: async () => ++probes >= 2});
    assert.deepEqual(verdict, {state: 'healthy'});
    assert.equal(probes, 2);
    assert.ok(e.inspects() < 20, `inspected ${e.inspects()} times`);
  });

  test('a failing or broken probe decides nothing: the engine\'s own status does', async () => {
    const failing = engine(5);
    assert.deepEqual(await waitContainer(failing.inspect, events, 'c1', {...base, probe: async () => false}), {state: 'healthy'});
    assert.equal(failing.inspects(), 6);
    const broken = engine(3);
    assert.deepEqual(await waitContainer(broken.inspect, events, 'c1', {...base, probe: () => Promise.reject(new Error('exec failed'))}), {state: 'healthy'});
    assert.equal(broken.inspects(), 4);
  });

  test('no probe while waiting for completion', async () => {
    let probes = 0;
    const inspect = async () => Object.assign({Id: 'c1'}, info({Status: 'exited', Running: false, ExitCode: 0, Health: {Status: 'starting'}})) as never;
    assert.deepEqual(await waitContainer(inspect, events, 'c1', {...base, want: 'completed', probe: async () => ++probes > 0}), {state: 'done'});
    assert.equal(probes, 0);
  });
});
