import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {DURATION_FIELDS, durationsAsText, mapDurations, withNumericDurations, withTextDurations} from '../../../src/lib/compose/durations.ts';
import type {ComposeModel, Service} from '../../../src/lib/compose/types.ts';

/** A service as a revision recorded before the normalized model held numbers stores it. */
const legacy = () =>
  ({
    image: 'busybox',
    stop_grace_period: '20s',
    healthcheck: {test: ['CMD', 'true'], interval: '1m30s', timeout: '5s', start_period: '0s', start_interval: '500ms', retries: 3},
    deploy: {replicas: 2, update_config: {delay: '1s', monitor: '10s', order: 'stop-first'}, rollback_config: {monitor: '2s'}, restart_policy: {condition: 'any', delay: '3s', window: '1m'}},
  }) as unknown as Service;

const numeric = () =>
  ({
    image: 'busybox',
    stop_grace_period: 20e9,
    healthcheck: {test: ['CMD', 'true'], interval: 90e9, timeout: 5e9, start_period: 0, start_interval: 500e6, retries: 3},
    deploy: {replicas: 2, update_config: {delay: 1e9, monitor: 10e9, order: 'stop-first'}, rollback_config: {monitor: 2e9}, restart_policy: {condition: 'any', delay: 3e9, window: 60e9}},
  }) as unknown as Service;

const project = (services: Record<string, Service>): ComposeModel => ({name: 'p', services, networks: {}, volumes: {}, secrets: {}, configs: {}});

describe('durations', () => {
  test('every duration field of the compose schema is listed', () => {
    assert.equal(DURATION_FIELDS.length, 11);
  });

  test('a stored model with text durations reads as today\'s model', () => {
    assert.deepEqual(withNumericDurations(project({web: legacy()})), project({web: numeric()}));
  });

  test('a model with numbers already comes back as it is, the same object', () => {
    const p = project({web: numeric(), db: {image: 'x'} as unknown as Service});
    assert.equal(withNumericDurations(p), p);
  });

  test('text for documents and the API, and back, exactly', () => {
    assert.deepEqual(durationsAsText(numeric()), legacy());
    assert.deepEqual(withTextDurations(project({web: numeric()})), project({web: legacy()}));
    assert.deepEqual(withNumericDurations(withTextDurations(project({web: numeric()}))), project({web: numeric()}));
  });

  test('the input is never modified, and unchanged parts are shared', () => {
    const before = numeric();
    const copy = structuredClone(before);
    const text = durationsAsText(before);
    assert.deepEqual(before, copy);
    assert.notEqual(text.healthcheck, before.healthcheck);
    assert.equal(mapDurations(before, (v) => v), before);
    const partial = {image: 'x', deploy: {labels: {a: 'b'}, update_config: {delay: 1e9}}} as unknown as Service;
    assert.equal(durationsAsText(partial).deploy?.labels, partial.deploy?.labels);
  });

  test('text that is no duration stays as it is', () => {
    const odd = {image: 'x', stop_grace_period: 'soon'} as unknown as Service;
    assert.equal(withNumericDurations(project({odd})).services.odd.stop_grace_period, 'soon');
  });
});
