import assert from 'node:assert/strict';
import {test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {ComposeModel} from '../../../src/lib/compose/types.ts';
import {dependencyOrder, planDrift, planStack, publicPlan, rejoinSharedNetworks, serviceDependencies, type ExistingContainer} from '../../../src/lib/engine/plan.ts';

function c(service: string, replica: number, over: Partial<ExistingContainer> = {}): ExistingContainer {
  return {id: `${service}${replica}`, name: `p.s.${service}.${replica}`, service, replica, configHash: 'h', imageId: 'img', state: 'running', oneShot: false, ...over};
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
  const plan = planStack([want('web', 3)], [c('web', 1), c('web', 3), c('web', 3, {id: 'dup', name: 'p.s.web.3_next'})], none);
  assert.deepEqual(plan.steps.web.create, [2]);
  assert.deepEqual(plan.steps.web.remove.map((x) => x.id), ['dup']);
});

test('a missing volume alone makes the plan not a noop', () => {
  assert.equal(planStack([want('web')], [c('web', 1)], {networks: [], volumes: ['p.data']}).noop, false);
});

test('containers are matched by their labels, not their names: old dash-named ones are kept, replaced and removed alike', () => {
  const wanted = [want('web', 2, 'h2'), want('db')];
  const existing = [c('web', 1), c('web', 2, {configHash: 'h2'}), c('db', 1), c('gone', 1)];
  // Names as Spin gave them before names were joined with dots, and names that mean nothing.
  const renamed = (name: (x: ExistingContainer) => string) => existing.map((x) => ({...x, name: name(x)}));
  const plan = planStack(wanted, existing, none);
  for (const other of [renamed((x) => `p-s-${x.service}-${x.replica}`), renamed((x) => `whatever-${x.id}`)]) {
    const again = planStack(wanted, other, none);
    assert.deepEqual(publicPlan(again), publicPlan(plan));
    for (const [service, steps] of Object.entries(again.steps)) {
      for (const kind of ['recreate', 'remove', 'start', 'keep'] as const) assert.deepEqual(steps[kind].map((x) => x.id), plan.steps[service][kind].map((x) => x.id), `${service} ${kind}`);
    }
  }
  assert.deepEqual(plan.steps.web.recreate.map((x) => x.id), ['web1']);
  assert.deepEqual(plan.steps.web.keep.map((x) => x.id), ['web2']);
  assert.deepEqual(plan.steps.gone.remove.map((x) => x.id), ['gone1']);
});

async function stack(services: Record<string, unknown>): Promise<ComposeModel> {
  const {project} = await loadDocument({services}, 's');
  assert.ok(project);
  return project;
}

test('a service that joins another\'s network is applied after it, even without depends_on', async () => {
  const model = await stack({a: {image: 'x', network_mode: 'service:z'}, z: {image: 'x'}, m: {image: 'x', depends_on: ['a']}});
  assert.deepEqual(dependencyOrder(model), ['z', 'a', 'm']);
  // A model sent straight to the API need not have the depends_on entry the loader adds.
  const crafted = {...model, services: {...model.services, a: {...model.services.a, depends_on: {}}}};
  assert.deepEqual(serviceDependencies('a', crafted.services.a), {z: {condition: 'service_started', required: true}});
  assert.deepEqual(dependencyOrder(crafted), ['z', 'a', 'm']);
  const healthy = {...crafted.services.a, depends_on: {z: {condition: 'service_healthy', required: true}}};
  assert.deepEqual(serviceDependencies('a', healthy), {z: {condition: 'service_healthy', required: true}});
  const cycle = {...crafted, services: {...crafted.services, z: {...model.services.z, network_mode: 'service:a', networks: {}}}};
  assert.throws(() => dependencyOrder(cycle), /services depend on each other in a cycle: a → z → a/);
});

test('network_mode service:x: a replica inside a container of x that goes is recreated with it', async () => {
  const {project} = await loadDocument({services: {db: {image: 'db'}, worker: {image: 'w', network_mode: 'service:db'}, web: {image: 'web'}}}, 's');
  assert.ok(project);
  const worker = (over: Partial<ExistingContainer> = {}) => c('worker', 1, {networkContainer: 'db1', ...over});
  // db keeps its container: the worker inside it stays.
  const kept = planStack([want('db'), want('worker'), want('web')], [c('db', 1), worker(), c('web', 1)], none);
  rejoinSharedNetworks(kept, project.services);
  assert.equal(kept.noop, true);
  assert.deepEqual(kept.steps.worker.keep.map((x) => x.id), ['worker1']);
  // db is recreated: so is the worker, or it would run on with a loopback interface only.
  const changed = planStack([want('db', 1, 'h2'), want('worker'), want('web')], [c('db', 1), worker(), c('web', 1)], none);
  rejoinSharedNetworks(changed, project.services);
  assert.deepEqual(
    changed.services.map((s) => [s.service, s.action, s.reason]),
    [
      ['db', 'recreate', 'configuration changed'],
      ['worker', 'recreate', 'the "db" container whose network it joins is replaced'],
      ['web', 'keep', 'unchanged'],
    ],
  );
  assert.deepEqual(changed.steps.worker.recreate.map((x) => x.id), ['worker1']);
  assert.deepEqual(changed.steps.worker.keep, []);
  // A stopped db started again gets a new namespace too.
  const restarted = planStack([want('db'), want('worker')], [c('db', 1, {state: 'exited', exitCode: 137}), worker()], none);
  rejoinSharedNetworks(restarted, project.services);
  assert.equal(restarted.services.find((s) => s.service === 'worker')?.action, 'recreate');
  // Left behind by an earlier deploy: inside a db container that is gone.
  const stale = planStack([want('db'), want('worker')], [c('db', 1), worker({networkContainer: 'gone'})], none);
  rejoinSharedNetworks(stale, project.services);
  assert.deepEqual(
    stale.services.map((s) => [s.service, s.action, s.reason]),
    [
      ['db', 'keep', 'unchanged'],
      ['worker', 'recreate', 'the "db" container whose network it joined is gone'],
    ],
  );
  assert.equal(stale.noop, false);
});

test('planDrift: containers gone or added and networks or volumes that came or went since the plan; state changes are none', () => {
  const c = (id: string, replica: number, configHash = 'h1'): ExistingContainer => ({id, name: `p-s-web-${replica}`, service: 'web', replica, configHash, imageId: 'i', state: 'running', oneShot: false});
  const plan = planStack([{service: 'web', replicas: 2, configHash: 'h1', imageId: 'i'}], [c('a', 1), c('b', 2)], {networks: ['p.s.default'], volumes: []});
  assert.equal(planDrift(plan, [c('a', 1), {...c('b', 2), state: 'exited'}], {networks: ['p.s.default'], volumes: []}), undefined);
  assert.equal(planDrift(plan, [c('a', 1)], {networks: ['p.s.default'], volumes: []}), 'container "p-s-web-2" is gone');
  assert.equal(planDrift(plan, [c('a', 1), c('b', 2, 'h2')], {networks: ['p.s.default'], volumes: []}), 'container "p-s-web-2" appeared, container "p-s-web-2" is gone');
  assert.equal(planDrift(plan, [c('a', 1), c('b', 2), c('x', 3)], {networks: [], volumes: ['p.data']}), 'container "p-s-web-3" appeared, network "p.s.default" was created, volume "p.data" is gone');
});
