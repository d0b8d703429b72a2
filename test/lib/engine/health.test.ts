import assert from 'node:assert/strict';
import {test} from 'node:test';

import {judge, type JudgeOptions} from '../../../src/lib/engine/health.ts';

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
