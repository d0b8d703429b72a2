import assert from 'node:assert/strict';
import {test} from 'node:test';

import type Docker from 'dockerode';

import {restartSwarmServices, startSwarmServices, STOPPED_REPLICAS, stopSwarmServices} from '../../../src/lib/engine/swarm-lifecycle.ts';
import type {SwarmStackView} from '../../../src/lib/engine/swarm-logs.ts';
import type {EngineService, EngineTask} from '../../../src/lib/engine/swarm.ts';
import {InvalidInputError} from '../../../src/lib/errors.ts';

const ref = {project: 'p', stack: 's'};
const options = {clock: Date, pollMs: 1, timeoutMs: 1000};

function service(name: string, mode: EngineService['Spec']['Mode'], labels: Record<string, string> = {}): EngineService {
  return {ID: `id-${name}`, Version: {Index: 7}, Spec: {Name: `p_s_${name}`, Mode: mode, Labels: {'org.spin.service': name, ...labels}, TaskTemplate: {ContainerSpec: {Image: 'x'}, ForceUpdate: 2}}};
}

/**
 * A cluster of the given services whose tasks follow each update at once: as many running tasks
 * as the spec's replicas, of its ForceUpdate. Records the specs sent.
 */
function cluster(services: EngineService[]) {
  const updates: {id: string; spec: EngineService['Spec'] & {version: number}}[] = [];
  const tasks = (s: EngineService): EngineTask[] => {
    const n = s.Spec.Mode?.Global ? 3 : (s.Spec.Mode?.Replicated?.Replicas ?? 0);
    const force = (s.Spec.TaskTemplate as {ForceUpdate?: number}).ForceUpdate;
    return Array.from({length: n}, (_, i) => ({ID: `${s.ID}-${i}`, ServiceID: s.ID, Slot: i + 1, DesiredState: 'running', Spec: {ForceUpdate: force}, Status: {State: 'running'}}));
  };
  const docker = {
    getService: (id: string) => ({
      update: (_auth: undefined, spec: EngineService['Spec'] & {version: number}) => {
        updates.push({id, spec});
        const s = services.find((x) => x.ID === id)!;
        s.Spec = spec;
        return Promise.resolve();
      },
    }),
  } as unknown as Docker;
  const view: SwarmStackView = {
    docker,
    services: () => Promise.resolve(services),
    tasks: () => Promise.resolve(new Map(services.map((s) => [s.Spec.Labels!['org.spin.service'], tasks(s)]))),
  };
  return {view, updates};
}

test('stop scales to 0 and remembers the count in a label; start puts that count back and drops the label', async () => {
  const web = service('web', {Replicated: {Replicas: 3}});
  const {view, updates} = cluster([web]);
  await stopSwarmServices(view, ref, undefined, options);
  assert.equal(updates.length, 1);
  assert.deepEqual(updates[0].spec.Mode, {Replicated: {Replicas: 0}});
  assert.equal(updates[0].spec.Labels?.[STOPPED_REPLICAS], '3');
  assert.equal(updates[0].spec.version, 7);
  await startSwarmServices(view, ref, ['web'], options);
  assert.deepEqual(updates[1].spec.Mode, {Replicated: {Replicas: 3}});
  assert.equal(updates[1].spec.Labels?.[STOPPED_REPLICAS], undefined);
});

test('start leaves a service alone that runs, or that a deploy scaled to 0', async () => {
  const {view, updates} = cluster([service('web', {Replicated: {Replicas: 2}}), service('idle', {Replicated: {Replicas: 0}})]);
  await startSwarmServices(view, ref, undefined, options);
  assert.equal(updates.length, 0);
});

test('stop and start refuse a global service before changing anything; restart takes it', async () => {
  const {view, updates} = cluster([service('web', {Replicated: {Replicas: 2}}), service('agent', {Global: {}})]);
  for (const change of [stopSwarmServices, startSwarmServices]) {
    await assert.rejects(change(view, ref, undefined, options), (err: Error) => err instanceof InvalidInputError && /service "agent" is global/.test(err.message) && /nothing was changed/.test(err.message));
  }
  assert.equal(updates.length, 0);
  await restartSwarmServices(view, ref, undefined, options);
  assert.deepEqual(updates.map((u) => (u.spec.TaskTemplate as {ForceUpdate?: number}).ForceUpdate), [3, 3]);
});

test('an unknown service is refused by name', async () => {
  const {view} = cluster([service('web', {Replicated: {Replicas: 2}})]);
  await assert.rejects(stopSwarmServices(view, ref, ['db'], options), /service "db" has no tasks in stack "p\/s"/);
});

test('a change the cluster does not carry out ends in a timeout that says what it waited for', async () => {
  const web = service('web', {Replicated: {Replicas: 2}});
  const {view} = cluster([web]);
  // Tasks that never pick up the restart.
  const stuck: SwarmStackView = {...view, tasks: () => Promise.resolve(new Map([['web', [{ID: 't', ServiceID: web.ID, Slot: 1, DesiredState: 'running', Spec: {ForceUpdate: 2}, Status: {State: 'running'}}]]]))};
  await assert.rejects(restartSwarmServices(stuck, ref, ['web'], {...options, timeoutMs: 20}), /did not restart web within/);
});
