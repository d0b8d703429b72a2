import assert from 'node:assert/strict';
import {test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {Service} from '../../../src/lib/compose/types.ts';
import {rolloutSettings} from '../../../src/lib/engine/rollout.ts';
import {checkSwarmService, overlayNetworkSpec, swarmServiceName, swarmServiceSpec, type SwarmSpecContext} from '../../../src/lib/engine/swarm-spec.ts';
import {ExitCode, InvalidInputError} from '../../../src/lib/errors.ts';

const DIGEST = '10.252.0.1:5000/app@sha256:' + 'a'.repeat(64);

async function service(def: Record<string, unknown>): Promise<Service> {
  const {project, diagnostics} = await loadDocument({services: {web: def}}, 'portal');
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  assert.ok(project);
  return project.services.web;
}

function ctx(s: Service): SwarmSpecContext {
  return {ref: {project: 'genomics', stack: 'portal'}, service: 'web', revision: 4, configHash: 'h1', image: DIGEST, rollout: rolloutSettings('web', s, s.deploy?.update_config, false)};
}

test('a full service maps onto a Swarm service spec, pinned by digest, dnsrr, on the stack network', async () => {
  const s = await service({
    image: '10.252.0.1:5000/app:1',
    command: ['serve', '--port', '80'],
    entrypoint: ['/bin/app'],
    environment: {A: '1', UNSET: null},
    user: '1000:1000',
    cap_drop: ['ALL'],
    cap_add: ['NET_BIND_SERVICE'],
    read_only: true,
    init: true,
    labels: {team: 'bio', 'org.spin.project': 'forged'},
    healthcheck: {test: ['CMD', 'true'], interval: '2s', retries: 3},
    deploy: {
      replicas: 6,
      labels: {tier: 'web'},
      resources: {limits: {cpus: '0.5', memory: '64m', pids: 50}, reservations: {memory: '32m'}},
      restart_policy: {condition: 'on-failure', max_attempts: 2},
      placement: {constraints: ['node.labels.pool==bio'], preferences: [{spread: 'node.labels.rack'}], max_replicas_per_node: 2},
      update_config: {parallelism: 2, order: 'stop-first'},
    },
  });
  checkSwarmService('web', s);
  const spec = swarmServiceSpec(s, ctx(s));
  assert.equal(spec.Name, 'genomics_portal_web');
  assert.deepEqual(spec.Mode, {Replicated: {Replicas: 6}});
  assert.deepEqual(spec.EndpointSpec, {Mode: 'dnsrr'});
  assert.equal(spec.Labels?.tier, 'web');
  assert.equal(spec.Labels?.['org.spin.project'], 'genomics');
  const task = spec.TaskTemplate as {ContainerSpec: Record<string, unknown>; Resources: unknown; RestartPolicy: unknown; Placement: unknown; Networks: unknown};
  const c = task.ContainerSpec;
  assert.equal(c.Image, DIGEST);
  assert.deepEqual(c.Command, ['/bin/app']);
  assert.deepEqual(c.Args, ['serve', '--port', '80']);
  assert.deepEqual(c.Env, ['A=1']);
  assert.equal(c.User, '1000:1000');
  assert.deepEqual(c.CapabilityDrop, ['ALL']);
  assert.deepEqual(c.CapabilityAdd, ['NET_BIND_SERVICE']);
  assert.equal(c.ReadOnly, true);
  assert.equal(c.Init, true);
  assert.deepEqual(c.HealthCheck, {Test: ['CMD', 'true'], Interval: 2e9, Retries: 3});
  const labels = c.Labels as Record<string, string>;
  assert.equal(labels.team, 'bio');
  assert.equal(labels['org.spin.project'], 'genomics', 'a model cannot forge Spin labels');
  assert.equal(labels['org.spin.config-hash'], 'h1');
  assert.equal(labels['org.spin.revision'], '4');
  assert.deepEqual(task.Resources, {Limits: {NanoCPUs: 5e8, MemoryBytes: 64 * 1024 * 1024, Pids: 50}, Reservations: {MemoryBytes: 32 * 1024 * 1024}});
  assert.deepEqual(task.RestartPolicy, {Condition: 'on-failure', MaxAttempts: 2});
  assert.deepEqual(task.Placement, {Constraints: ['node.labels.pool==bio'], Preferences: [{Spread: {SpreadDescriptor: 'node.labels.rack'}}], MaxReplicas: 2});
  assert.deepEqual(task.Networks, [{Target: 'genomics_portal', Aliases: ['web']}]);
  assert.equal(spec.UpdateConfig?.Parallelism, 2);
  assert.equal(spec.UpdateConfig?.Order, 'stop-first');
  assert.equal(spec.UpdateConfig?.FailureAction, 'pause', 'Spin rolls back itself; Swarm must not');
});

test('global mode, and a service that keeps running by default', async () => {
  const s = await service({image: 'x', deploy: {mode: 'global'}});
  const spec = swarmServiceSpec(s, ctx(s));
  assert.deepEqual(spec.Mode, {Global: {}});
  assert.deepEqual((spec.TaskTemplate as {RestartPolicy: unknown}).RestartPolicy, {Condition: 'any'});
});

test('a one-shot (restart "no" or restart_policy none) is a job run to completion, with no rolling update; on-failure keeps running', async () => {
  for (const def of [{restart: 'no', deploy: {replicas: 2}}, {deploy: {replicas: 2, restart_policy: {condition: 'none'}}}]) {
    const s = await service({image: 'x', ...def});
    const spec = swarmServiceSpec(s, ctx(s));
    assert.deepEqual(spec.Mode, {ReplicatedJob: {MaxConcurrent: 2, TotalCompletions: 2}});
    assert.deepEqual((spec.TaskTemplate as {RestartPolicy: unknown}).RestartPolicy, {Condition: 'none'});
    assert.equal(spec.UpdateConfig, undefined);
    assert.equal(spec.RollbackConfig, undefined);
  }
  const global = await service({image: 'x', restart: 'no', deploy: {mode: 'global'}});
  assert.deepEqual(swarmServiceSpec(global, ctx(global)).Mode, {GlobalJob: {}});
  const onFailure = await service({image: 'x', restart: 'on-failure', deploy: {replicas: 2}});
  const spec = swarmServiceSpec(onFailure, ctx(onFailure));
  assert.deepEqual(spec.Mode, {Replicated: {Replicas: 2}});
  assert.ok(spec.UpdateConfig);
});

test('keys Swarm cannot express are refused as invalid input (exit 3), naming the key', async () => {
  for (const [def, key] of [
    [{privileged: true}, 'privileged'],
    [{devices: ['/dev/fuse:/dev/fuse']}, 'devices'],
    [{pid: 'host'}, 'pid'],
    [{ipc: 'host'}, 'ipc'],
    [{security_opt: ['no-new-privileges:true']}, 'security_opt'],
    [{deploy: {endpoint_mode: 'vip'}}, 'deploy.endpoint_mode'],
  ] as const) {
    const s = await service({image: 'x', ...def});
    assert.throws(
      () => checkSwarmService('web', s),
      (err: unknown) => err instanceof InvalidInputError && err.exitCode === ExitCode.invalid && err.message.includes(key) && err.message.includes('"web"'),
      key,
    );
  }
});

test('published ports are refused (exit 3) with the cluster ingress as the way to go; x-spin.ingress labels the service for it', async () => {
  const s = await service({image: 'x', ports: ['8080:80']});
  assert.throws(() => checkSwarmService('web', s), (err: unknown) => err instanceof InvalidInputError && err.exitCode === ExitCode.invalid && /routing mesh/.test(err.message) && err.message.includes('x-spin: {ingress: {port: N}}'));
  const behind = await service({image: 'x', 'x-spin': {ingress: {port: 8080, host: 'portal.example.org'}}});
  assert.doesNotThrow(() => checkSwarmService('web', behind));
  const spec = swarmServiceSpec(behind, {...ctx(behind), ingress: {port: 8080, host: 'portal.example.org'}});
  assert.equal(spec.Labels?.['org.spin.ingress.port'], '8080');
  assert.equal(spec.Labels?.['org.spin.ingress.host'], 'portal.example.org');
  assert.equal((spec.TaskTemplate as {ContainerSpec: {Labels: Record<string, string>}}).ContainerSpec.Labels['org.spin.ingress.port'], '8080');
  assert.equal(swarmServiceSpec(s, ctx(s)).Labels?.['org.spin.ingress.port'], undefined);
});

test('unset or empty values ask for nothing and pass', async () => {
  const s = await service({image: 'x', privileged: false, devices: [], security_opt: []});
  assert.doesNotThrow(() => checkSwarmService('web', s));
});

test('names: underscores keep (project, stack, service) apart; networks are attachable overlays with Spin labels', () => {
  assert.notEqual(swarmServiceName({project: 'a', stack: 'x-s'}, 'web'), swarmServiceName({project: 'a-x', stack: 's'}, 'web'));
  const net = overlayNetworkSpec({project: 'genomics', stack: 'portal'}, 'default', {'org.spin.project': 'forged', team: 'bio'});
  assert.equal(net.Name, 'genomics_portal');
  assert.equal(net.Driver, 'overlay');
  assert.equal(net.Attachable, true);
  assert.equal(net.Labels?.['org.spin.project'], 'genomics');
  assert.equal(net.Labels?.team, 'bio');
});
