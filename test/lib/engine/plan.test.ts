import assert from 'node:assert/strict';
import {test} from 'node:test';

import {planStack, publicPlan, type ExistingContainer} from '../../../src/lib/engine/plan.ts';

function c(service: string, replica: number, over: Partial<ExistingContainer> = {}): ExistingContainer {
  return {id: `${service}${replica}`, name: `p-s-${service}-${replica}`, service, replica, configHash: 'h', imageId: 'img', state: 'running', oneShot: false, ...over};
}
const none = {networks: [], volumes: []};
const want = (service: string, replicas = 1, configHash = 'h', imageId = 'img') => ({service, replicas, configHash, imageId});

test('an unchanged stack is a noop', () => {
  const plan = planStack([want('web', 2)], [c('web', 1), c('web', 2)], none);
  assert.deepEqual(publicPlan(plan), {services: [{service: 'web', configHash: 'h', action: 'keep', replicas: {from: 2, to: 2}, reason: 'unchanged'}], create: none, noop: true});
});

test('create, recreate (image or config), scale and remove', () => {
  const plan = planStack(
    [want('new', 2), want('img', 1, 'h2', 'img2'), want('cfg', 1, 'h2'), want('up', 3), want('down', 1)],
    [c('img', 1), c('cfg', 1), c('up', 1), c('down', 1), c('down', 2), c('down', 3), c('gone', 1)],
    {networks: ['p.s'], volumes: []},
  );
  assert.deepEqual(
    plan.services.map((s) => [s.service, s.action, s.replicas, s.reason]),
    [
      ['new', 'create', {from: 0, to: 2}, 'new service'],
      ['img', 'recreate', {from: 1, to: 1}, 'image changed'],
      ['cfg', 'recreate', {from: 1, to: 1}, 'configuration changed'],
      ['up', 'scale', {from: 1, to: 3}, '1 → 3 replicas'],
      ['down', 'scale', {from: 3, to: 1}, '3 → 1 replicas'],
      ['gone', 'remove', {from: 1, to: 0}, 'no longer in the stack'],
    ],
  );
  assert.deepEqual(plan.steps.up.create, [2, 3]);
  assert.deepEqual(plan.steps.down.remove.map((x) => x.replica), [2, 3]);
  assert.deepEqual(plan.steps.new.create, [1, 2]);
  assert.equal(plan.noop, false);
});

test('stopped replicas are started, a finished one-shot is left alone', () => {
  const plan = planStack(
    [want('web'), want('job'), want('bad')],
    [c('web', 1, {state: 'exited', exitCode: 137}), c('job', 1, {state: 'exited', exitCode: 0, oneShot: true}), c('bad', 1, {state: 'exited', exitCode: 1, oneShot: true})],
    none,
  );
  assert.deepEqual(plan.services.map((s) => [s.service, s.action, s.reason]), [
    ['web', 'keep', 'unchanged; 1 stopped replica will be started'],
    ['job', 'keep', 'unchanged'],
    ['bad', 'keep', 'unchanged; 1 stopped replica will be started'],
  ]);
  assert.equal(plan.noop, false);
});

test('gaps are filled and duplicate replicas removed', () => {
  const plan = planStack([want('web', 3)], [c('web', 1), c('web', 3), c('web', 3, {id: 'dup', name: 'p-s-web-3-dup'})], none);
  assert.deepEqual(plan.steps.web.create, [2]);
  assert.deepEqual(plan.steps.web.remove.map((x) => x.id), ['dup']);
});

test('a missing volume alone makes the plan not a noop', () => {
  assert.equal(planStack([want('web')], [c('web', 1)], {networks: [], volumes: ['p.data']}).noop, false);
});
