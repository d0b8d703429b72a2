import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import type {Service} from '../../../src/lib/compose/types.ts';
import {batches, describeRollout, rollOut, rolloutSettings, slowStopHint, type ReplicaSteps, type RolloutSettings} from '../../../src/lib/engine/rollout.ts';

function service(extra: Partial<Service> = {}): Service {
  return {environment: {}, ports: [], volumes: [], depends_on: {}, networks: {default: null}, secrets: [], configs: [], cap_add: [], cap_drop: [], security_opt: [], devices: [], ...extra} as Service;
}

const base: RolloutSettings = {parallelism: 1, delayMs: 0, order: 'start-first', why: 'the default', failureAction: 'rollback', monitorMs: 0, maxFailureRatio: 0};

/** Steps that record what the rollout asked for; replicas named in `sick` never turn healthy. */
function recorder(options: {sick?: number[]; breaks?: number[]; aborted?: () => boolean} = {}) {
  const log: string[] = [];
  const steps: ReplicaSteps<number, string> = {
    start: async (old, beside) => {
      log.push(`start ${old}${beside ? ' beside' : ''}`);
      return `${old}'`;
    },
    healthy: async (n) => {
      const sick = options.sick?.includes(Number.parseInt(n));
      log.push(`${sick ? 'unhealthy' : 'healthy'} ${n}`);
      return sick ? {ok: false, reason: 'turned unhealthy'} : {ok: true};
    },
    monitor: async (list, ms) => {
      log.push(`monitor ${list.join(',')} ${ms}ms`);
      return new Map(list.filter((n) => options.breaks?.includes(Number.parseInt(n))).map((n) => [n, 'keeps restarting']));
    },
    admit: async (n) => void log.push(`admit ${n}`),
    retire: async (old) => void log.push(`retire ${old}`),
    discard: async (n) => void log.push(`discard ${n}`),
    promote: async (n) => void log.push(`promote ${n}`),
    failed: async (old, reason, d) => void log.push(`failed ${old} (${reason})${d.halts ? ' halts' : ''}`),
    wait: async (ms) => void log.push(`wait ${ms}ms`),
    aborted: options.aborted ?? (() => false),
  };
  return {log, steps};
}

describe('rollout settings', () => {
  test('start-first one at a time with rollback by default; the plan says why', () => {
    const plain = rolloutSettings('web', service(), undefined, false);
    assert.deepEqual(plain, base);
    assert.equal(rolloutSettings('web', service(), undefined, true).why, 'behind the ingress');
    assert.equal(describeRollout(plain), 'start-first (the default), 1 at a time, on failure rollback');
  });

  test('update_config is read: parallelism, delay, order, failure_action, monitor, max_failure_ratio', () => {
    const s = rolloutSettings('web', service(), {parallelism: 2, delay: 1500e6, order: 'stop-first', failure_action: 'continue', monitor: 5e9, max_failure_ratio: 0.25}, true);
    assert.deepEqual(s, {parallelism: 2, delayMs: 1500, order: 'stop-first', why: 'update_config.order', failureAction: 'continue', monitorMs: 5000, maxFailureRatio: 0.25});
    assert.equal(describeRollout(s), 'stop-first (update_config.order), 2 at a time, 1.5s between batches, monitored 5s, on failure continue beyond 25% failed');
    assert.equal(describeRollout({...s, parallelism: 0}).split(', ')[1], 'all at once');
  });

  test('a service publishing a fixed host port is stop-first, even when start-first was asked for', () => {
    const ports = [{target: 80, published: '8080', protocol: 'tcp', mode: 'ingress'}] as Service['ports'];
    assert.deepEqual(rolloutSettings('web', service({ports}), undefined, false).order, 'stop-first');
    assert.equal(rolloutSettings('web', service({ports}), undefined, false).why, 'publishes host port 8080, which one container at a time can bind');
    assert.equal(rolloutSettings('web', service({ports}), {order: 'start-first'}, false).why, 'publishes host port 8080, which one container at a time can bind; start-first was asked for but cannot work');
    // A port the engine picks does not pin anything.
    assert.equal(rolloutSettings('web', service({ports: [{target: 80, protocol: 'tcp'}] as Service['ports']}), undefined, false).order, 'start-first');
  });

  test('batches follow parallelism; 0 is all at once', () => {
    assert.deepEqual(batches([1, 2, 3], 1), [[1], [2], [3]]);
    assert.deepEqual(batches([1, 2, 3], 2), [[1, 2], [3]]);
    assert.deepEqual(batches([1, 2, 3], 0), [[1, 2, 3]]);
    assert.deepEqual(batches([], 0), []);
  });
});

describe('rolling out', () => {
  test('start-first: each new replica is healthy and admitted before its old one is retired; delay between batches', async () => {
    const {log, steps} = recorder();
    const out = await rollOut([1, 2, 3], {...base, delayMs: 500}, steps);
    assert.deepEqual(log, [
      ...['start 1 beside', "healthy 1'", "admit 1'", 'retire 1', "promote 1'", 'wait 500ms'],
      ...['start 2 beside', "healthy 2'", "admit 2'", 'retire 2', "promote 2'", 'wait 500ms'],
      ...['start 3 beside', "healthy 3'", "admit 3'", 'retire 3', "promote 3'"],
    ]);
    assert.deepEqual([...out.replaced.entries()], [[1, "1'"], [2, "2'"], [3, "3'"]]);
    assert.deepEqual({kept: out.kept, failures: out.failures, halted: out.halted}, {kept: [], failures: 0, halted: false});
  });

  test('stop-first: the old replica goes before the new one starts in its place', async () => {
    const {log, steps} = recorder();
    await rollOut([1, 2], {...base, order: 'stop-first'}, steps);
    assert.deepEqual(log, ['retire 1', 'start 1', "healthy 1'", "admit 1'", 'retire 2', 'start 2', "healthy 2'", "admit 2'"]);
  });

  test('a replacement that never turns healthy is removed, its old replica keeps serving, and the rollout halts', async () => {
    const {log, steps} = recorder({sick: [2]});
    const out = await rollOut([1, 2, 3], base, steps);
    assert.deepEqual(log.slice(5), ['start 2 beside', "unhealthy 2'", "failed 2 (turned unhealthy) halts", "discard 2'"]);
    assert.deepEqual({kept: out.kept, failures: out.failures, halted: out.halted, replaced: [...out.replaced.keys()]}, {kept: [2], failures: 1, halted: true, replaced: [1]});
    assert.ok(!log.includes('retire 2') && !log.some((l) => l.includes('3')), 'replica 2 and 3 were never touched');
  });

  test('max_failure_ratio tolerates failures up to the ratio; continue never halts', async () => {
    const tolerated = recorder({sick: [1]});
    const a = await rollOut([1, 2, 3, 4], {...base, maxFailureRatio: 0.25}, tolerated.steps);
    assert.deepEqual({failures: a.failures, halted: a.halted, kept: a.kept, replaced: [...a.replaced.keys()]}, {failures: 1, halted: false, kept: [1], replaced: [2, 3, 4]});
    assert.ok(tolerated.log.includes('failed 1 (turned unhealthy)'));

    const exceeded = recorder({sick: [1, 2]});
    const b = await rollOut([1, 2, 3, 4], {...base, maxFailureRatio: 0.25}, exceeded.steps);
    assert.deepEqual({failures: b.failures, halted: b.halted, replaced: [...b.replaced.keys()]}, {failures: 2, halted: true, replaced: []});
    assert.ok(exceeded.log.includes('failed 2 (turned unhealthy) halts'));

    const going = recorder({sick: [1, 2]});
    const c = await rollOut([1, 2, 3], {...base, failureAction: 'continue'}, going.steps);
    assert.deepEqual({failures: c.failures, halted: c.halted, replaced: [...c.replaced.keys()]}, {failures: 2, halted: false, replaced: [3]});
  });

  test('a batch that breaks during the monitor window halts the rollout; the next batch never starts', async () => {
    const {log, steps} = recorder({breaks: [1]});
    const out = await rollOut([1, 2], {...base, monitorMs: 2000}, steps);
    assert.deepEqual(log, ['start 1 beside', "healthy 1'", "admit 1'", 'retire 1', "promote 1'", "monitor 1' 2000ms", 'failed 1 (failed during the 2s monitor window: keeps restarting) halts']);
    assert.equal(out.halted, true);
  });

  test('parallelism runs a batch together; an aborted deploy starts no further batch', async () => {
    let calls = 0;
    const {log, steps} = recorder({aborted: () => ++calls > 1});
    const out = await rollOut([1, 2, 3], {...base, parallelism: 2}, steps);
    assert.deepEqual(log.filter((l) => l.startsWith('start')), ['start 1 beside', 'start 2 beside']);
    assert.equal(out.halted, true);
  });
});

describe('a stop that needed the whole timeout', () => {
  const killed = {replica: 'web-1', tookMs: 10_040, timeoutSeconds: 10, exitCode: 137, init: false};

  test('killed after the timeout: the replica, the time, the cause and the fix', () => {
    assert.equal(slowStopHint(killed), 'web-1 took 10 s to stop: its main process ignores SIGTERM; add "init: true" to the service or handle SIGTERM');
    assert.equal(slowStopHint({...killed, timeoutSeconds: 2, tookMs: 2100, signal: 'SIGINT'}), 'web-1 took 2 s to stop: its main process ignores SIGINT; add "init: true" to the service or handle SIGINT');
    assert.equal(slowStopHint({...killed, signal: 'quit'}), 'web-1 took 10 s to stop: its main process ignores SIGQUIT; add "init: true" to the service or handle SIGQUIT');
  });

  test('under init the fix is the program\'s own', () => {
    assert.equal(slowStopHint({...killed, init: true}), 'web-1 took 10 s to stop: its main process ignores SIGTERM (even under init); handle SIGTERM in it, or shorten stop_grace_period');
  });

  test('nothing to say for a stop that went as it should', () => {
    assert.equal(slowStopHint({...killed, exitCode: 143}), undefined, 'ended by SIGTERM');
    assert.equal(slowStopHint({...killed, exitCode: 0, tookMs: 9500}), undefined, 'exited by itself, slowly');
    assert.equal(slowStopHint({...killed, tookMs: 3000}), undefined, 'killed well before the timeout: not by the stop');
    assert.equal(slowStopHint({...killed, timeoutSeconds: 0, tookMs: 1000}), undefined, 'a zero grace period asks for the kill');
  });
});
