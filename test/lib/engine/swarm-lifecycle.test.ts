import assert from 'node:assert/strict';
import {test} from 'node:test';

import type Docker from 'dockerode';

import {NO_NODE, restartSwarmServices, startSwarmServices, STOPPED_GLOBAL, STOPPED_REPLICAS, stopSwarmServices, type LifecycleOptions} from '../../../src/lib/engine/swarm-lifecycle.ts';
import type {SwarmStackView} from '../../../src/lib/engine/swarm-logs.ts';
import type {EngineService, EngineTask} from '../../../src/lib/engine/swarm.ts';

const ref = {project: 'p', stack: 's'};

function service(name: string, mode: EngineService['Spec']['Mode'], labels: Record<string, string> = {}): EngineService {
  return {ID: `id-${name}`, Version: {Index: 7}, Spec: {Name: `p_s_${name}`, Mode: mode, Labels: {'org.spin.service': name, ...labels}, TaskTemplate: {ContainerSpec: {Image: 'x'}, ForceUpdate: 2}}};
}

/**
 * A cluster of the given services whose tasks follow each update at once: as many running tasks
 * as the spec's replicas (3 for a global service, none when a constraint keeps it off every node),
 * of its ForceUpdate. Records the specs sent, which all go through `send` as the orchestrator's
 * guarded path would take them.
 */
function cluster(services: EngineService[]) {
  const updates: {id: string; service: string; spec: EngineService['Spec']}[] = [];
  const tasks = (s: EngineService): EngineTask[] => {
    const placement = (s.Spec.TaskTemplate as {Placement?: {Constraints?: string[]}}).Placement;
    const force = (s.Spec.TaskTemplate as {ForceUpdate?: number}).ForceUpdate;
    const job = s.Spec.Mode?.ReplicatedJob;
    if (job) {
      // A job's run: its tasks ended (or still running, as the service's label says).
      const state = s.Spec.Labels?.['test.job'] ?? 'complete';
      return Array.from({length: job.TotalCompletions ?? 1}, (_, i) => ({ID: `${s.ID}-${force}-${i}`, ServiceID: s.ID, Slot: i, DesiredState: state === 'running' ? 'running' : 'complete', Spec: {ForceUpdate: force}, Status: {State: state}}));
    }
    const n = placement?.Constraints?.includes(NO_NODE) ? 0 : s.Spec.Mode?.Global ? 3 : (s.Spec.Mode?.Replicated?.Replicas ?? 0);
    return Array.from({length: n}, (_, i) => ({ID: `${s.ID}-${i}`, ServiceID: s.ID, Slot: i + 1, DesiredState: 'running', Spec: {ForceUpdate: force}, Status: {State: 'running'}}));
  };
  const view: SwarmStackView = {
    docker: {} as Docker,
    services: () => Promise.resolve(services),
    tasks: () => Promise.resolve(new Map(services.map((s) => [s.Spec.Labels!['org.spin.service'], tasks(s)]))),
  };
  const options: LifecycleOptions = {
    clock: Date,
    pollMs: 1,
    timeoutMs: 1000,
    send: (sentRef, name, spec, old) => {
      assert.deepEqual(sentRef, ref);
      updates.push({id: old.ID, service: name, spec});
      old.Spec = spec;
      return Promise.resolve();
    },
  };
  return {view, updates, options};
}

test('stop scales to 0 and remembers the count in a label; start puts that count back and drops the label', async () => {
  const web = service('web', {Replicated: {Replicas: 3}});
  const {view, updates, options} = cluster([web]);
  await stopSwarmServices(view, ref, undefined, options);
  assert.equal(updates.length, 1);
  assert.deepEqual([updates[0].id, updates[0].service], ['id-web', 'web']);
  assert.deepEqual(updates[0].spec.Mode, {Replicated: {Replicas: 0}});
  assert.equal(updates[0].spec.Labels?.[STOPPED_REPLICAS], '3');
  await startSwarmServices(view, ref, ['web'], options);
  assert.deepEqual(updates[1].spec.Mode, {Replicated: {Replicas: 3}});
  assert.equal(updates[1].spec.Labels?.[STOPPED_REPLICAS], undefined);
});

test('start leaves a service alone that runs, or that a deploy scaled to 0', async () => {
  const {view, updates, options} = cluster([service('web', {Replicated: {Replicas: 2}}), service('idle', {Replicated: {Replicas: 0}})]);
  await startSwarmServices(view, ref, undefined, options);
  assert.equal(updates.length, 0);
});

test('a global service is stopped by a constraint no node meets, and started by taking it away; its own constraints stay', async () => {
  const agent = service('agent', {Global: {}});
  (agent.Spec.TaskTemplate as {Placement?: object}).Placement = {Constraints: ['node.labels.pool==bio']};
  const {view, updates, options} = cluster([service('web', {Replicated: {Replicas: 2}}), agent]);
  await stopSwarmServices(view, ref, undefined, options);
  const stopped = updates.find((u) => u.service === 'agent')!.spec;
  assert.deepEqual((stopped.TaskTemplate as {Placement?: {Constraints?: string[]}}).Placement?.Constraints, ['node.labels.pool==bio', NO_NODE]);
  assert.equal(stopped.Labels?.[STOPPED_GLOBAL], 'true');
  assert.deepEqual(stopped.Mode, {Global: {}});

  // A second stop changes nothing.
  const sent = updates.length;
  await stopSwarmServices(view, ref, ['agent'], options);
  assert.equal(updates.length, sent);

  await startSwarmServices(view, ref, undefined, options);
  const started = updates.filter((u) => u.service === 'agent').at(-1)!.spec;
  assert.deepEqual((started.TaskTemplate as {Placement?: {Constraints?: string[]}}).Placement?.Constraints, ['node.labels.pool==bio']);
  assert.equal(started.Labels?.[STOPPED_GLOBAL], undefined);
});

test('restart bumps ForceUpdate of every service, global ones too', async () => {
  const {view, updates, options} = cluster([service('web', {Replicated: {Replicas: 2}}), service('agent', {Global: {}})]);
  await restartSwarmServices(view, ref, undefined, options);
  assert.deepEqual(updates.map((u) => (u.spec.TaskTemplate as {ForceUpdate?: number}).ForceUpdate), [3, 3]);
});

test('an unknown service is refused by name', async () => {
  const {view, options} = cluster([service('web', {Replicated: {Replicas: 2}})]);
  await assert.rejects(stopSwarmServices(view, ref, ['db'], options), /service "db" has no tasks in stack "p\/s"/);
});

test('a change the cluster does not carry out ends in a timeout that says what it waited for', async () => {
  const web = service('web', {Replicated: {Replicas: 2}});
  const {view, options} = cluster([web]);
  // Tasks that never pick up the restart.
  const stuck: SwarmStackView = {...view, tasks: () => Promise.resolve(new Map([['web', [{ID: 't', ServiceID: web.ID, Slot: 1, DesiredState: 'running', Spec: {ForceUpdate: 2}, Status: {State: 'running'}}]]]))};
  await assert.rejects(restartSwarmServices(stuck, ref, ['web'], {...options, timeoutMs: 20}), /did not restart web within/);
});

test('a one-shot job: stop leaves an ended one alone and refuses a running one; start and restart run it again', async () => {
  const migrate = service('migrate', {ReplicatedJob: {MaxConcurrent: 2, TotalCompletions: 2}});
  const {view, updates, options} = cluster([service('web', {Replicated: {Replicas: 2}}), migrate]);
  await stopSwarmServices(view, ref, undefined, options);
  assert.deepEqual(updates.map((u) => u.service), ['web'], 'an ended job has nothing to stop, and its mode is never changed');

  await startSwarmServices(view, ref, undefined, options);
  const rerun = updates.filter((u) => u.service === 'migrate');
  assert.equal(rerun.length, 1, 'start runs the ended job again');
  assert.equal((rerun[0].spec.TaskTemplate as {ForceUpdate?: number}).ForceUpdate, 3);
  assert.deepEqual(rerun[0].spec.Mode, {ReplicatedJob: {MaxConcurrent: 2, TotalCompletions: 2}});

  await restartSwarmServices(view, ref, ['migrate'], options);
  assert.equal((updates.at(-1)!.spec.TaskTemplate as {ForceUpdate?: number}).ForceUpdate, 4);

  migrate.Spec.Labels = {...migrate.Spec.Labels, 'test.job': 'running'};
  const sent = updates.length;
  await assert.rejects(stopSwarmServices(view, ref, undefined, options), /one-shot service "migrate" is still running.*nothing was changed/);
  await startSwarmServices(view, ref, ['migrate'], options);
  assert.equal(updates.length, sent, 'a running job is neither stopped nor started again');
});
