import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import {describe, test} from 'node:test';

import type Dockerode from 'dockerode';

import {NODE_LEAVING_LABEL} from '../../../src/lib/engine/swarm-nodes.ts';
import {LABELS} from '../../../src/lib/engine/types.ts';
import {IngressController, type RouteSource} from '../../../src/lib/ingress/controller.ts';
import {lddPaths} from '../../../src/lib/ingress/swarm-proxy.ts';
import {swarmRoutes, type ListedNode, type ListedService, type ListedTask} from '../../../src/lib/ingress/swarm-routes.ts';
import type {IngressRoute} from '../../../src/lib/ingress/types.ts';

const stackLabels = (project: string, stack: string) => ({[LABELS.managed]: 'true', [LABELS.project]: project, [LABELS.stack]: stack});

function service(id: string, name: string, extra: Record<string, string> = {}, project = 'p', stack = 's'): ListedService {
  return {ID: id, Spec: {Labels: {...stackLabels(project, stack), [LABELS.service]: name, [LABELS.ingressPort]: '8080', [LABELS.ingressHost]: '', ...extra}}};
}

const net = (id: string, name: string, project = 'p', stack = 's') => ({ID: id, Spec: {Name: name, Labels: stackLabels(project, stack)}});

let slots = 0;

/** A replicated service's task, in a slot of its own unless told. */
function task(id: string, serviceId: string, address: string, extra: Partial<ListedTask> = {}): ListedTask {
  return {ID: id, ServiceID: serviceId, Slot: ++slots, NodeID: 'n1', DesiredState: 'running', Status: {State: 'running'}, NetworksAttachments: [{Network: net('net1', 'p_s'), Addresses: [`${address}/24`]}], ...extra};
}

const none = {domain: 'localhost', held: new Set<string>(), draining: new Set<string>()};

describe('routes on a Swarm cluster', () => {
  test('running tasks are routed by their overlay address, the prefix stripped, and the proxy joins that network', () => {
    const out = swarmRoutes([service('S1', 'web')], [task('t1', 'S1', '10.0.1.5'), task('t2', 'S1', '10.0.1.4')], [], none);
    assert.deepEqual(out.routes, [{host: 'web.s.p.localhost', owner: 'p/s/web', upstreams: ['10.0.1.4:8080', '10.0.1.5:8080']}]);
    assert.deepEqual(out.networks, ['net1']);
    assert.deepEqual([...out.present].sort(), ['t1', 't2']);
  });

  test('a task still starting (healthcheck not passed), or on its way out, is not routed; the route stays and answers 503', () => {
    const tasks = [task('t1', 'S1', '10.0.1.5', {Status: {State: 'starting'}}), task('t2', 'S1', '10.0.1.6', {DesiredState: 'shutdown'}), task('t3', 'S1', '10.0.1.7', {Status: {State: 'failed'}})];
    const out = swarmRoutes([service('S1', 'web')], tasks, [], none);
    assert.deepEqual(out.routes, [{host: 'web.s.p.localhost', owner: 'p/s/web', upstreams: []}]);
    // The starting and failed tasks are still meant to run: the proxy stays on their network.
    assert.deepEqual(out.networks, ['net1']);
  });

  test('tasks on a node that is leaving (a Spin drain) and held or drained tasks are not routed', () => {
    const tasks = [task('t1', 'S1', '10.0.1.5', {NodeID: 'n2'}), task('t2', 'S1', '10.0.1.6'), task('t3', 'S1', '10.0.1.7'), task('t4', 'S1', '10.0.1.8')];
    const nodes: ListedNode[] = [{ID: 'n2', Spec: {Labels: {[NODE_LEAVING_LABEL]: 'true'}}}, {ID: 'n1', Spec: {Labels: {}}}];
    const out = swarmRoutes([service('S1', 'web')], tasks, nodes, {...none, held: new Set(['t2']), draining: new Set(['t3'])});
    assert.deepEqual(out.routes[0].upstreams, ['10.0.1.8:8080']);
  });

  test("a start-first update: a slot's old task leaves the routes once its replacement exists, unless nothing else could serve", () => {
    const old = (id: string, slot: number, address: string) => task(id, 'S1', address, {Slot: slot, CreatedAt: '2026-01-01T00:00:00Z'});
    const fresh = (id: string, slot: number, address: string, state: string) => task(id, 'S1', address, {Slot: slot, CreatedAt: '2026-01-01T00:01:00Z', Status: {State: state}});
    const three = [old('a1', 1, '10.0.1.1'), old('a2', 2, '10.0.1.2'), old('a3', 3, '10.0.1.3')];
    const starting = swarmRoutes([service('S1', 'web')], [...three, fresh('b1', 1, '10.0.1.4', 'starting')], [], none);
    assert.deepEqual(starting.routes[0].upstreams, ['10.0.1.2:8080', '10.0.1.3:8080']);
    const running = swarmRoutes([service('S1', 'web')], [...three, fresh('b1', 1, '10.0.1.4', 'running')], [], none);
    assert.deepEqual(running.routes[0].upstreams, ['10.0.1.2:8080', '10.0.1.3:8080', '10.0.1.4:8080']);
    // One replica: its old task serves until the new one runs, or nothing would.
    const single = swarmRoutes([service('S1', 'web')], [old('a1', 1, '10.0.1.1'), fresh('b1', 1, '10.0.1.4', 'starting')], [], none);
    assert.deepEqual(single.routes[0].upstreams, ['10.0.1.1:8080']);
    // A global service's tasks are told apart by node.
    const global = [task('g1', 'S1', '10.0.1.1', {Slot: 0, NodeID: 'n1', CreatedAt: '1'}), task('g2', 'S1', '10.0.1.2', {Slot: 0, NodeID: 'n1', CreatedAt: '2'}), task('g3', 'S1', '10.0.1.3', {Slot: 0, NodeID: 'n2', CreatedAt: '1'})];
    assert.deepEqual(swarmRoutes([service('S1', 'web')], global, [], none).routes[0].upstreams, ['10.0.1.2:8080', '10.0.1.3:8080']);
  });

  test("only the stack's own network is used, the first by name; a task with no address there is skipped", () => {
    const other = {Network: net('netX', 'a_other', 'q', 'x'), Addresses: ['10.0.9.9/24']};
    const tasks = [
      task('t1', 'S1', '10.0.1.5', {NetworksAttachments: [other, {Network: net('net2', 'p_s_back'), Addresses: ['10.0.2.5/24']}, {Network: net('net1', 'p_s'), Addresses: ['10.0.1.5/24']}]}),
      task('t2', 'S1', '', {NetworksAttachments: [other]}),
    ];
    const out = swarmRoutes([service('S1', 'web')], tasks, [], none);
    assert.deepEqual(out.routes[0].upstreams, ['10.0.1.5:8080']);
    assert.deepEqual(out.networks, ['net1']);
  });

  test('a chosen host name, IPv6 addresses, and services without an ingress label or not Spin\'s are left out', () => {
    const services = [service('S1', 'web', {[LABELS.ingressHost]: 'portal.example.org'}), {ID: 'S2', Spec: {Labels: {...stackLabels('p', 's'), [LABELS.service]: 'db'}}}, {ID: 'S3', Spec: {Labels: {[LABELS.ingressPort]: '80'}}}];
    const tasks = [task('t1', 'S1', 'fd00::5'), task('t2', 'S2', '10.0.1.9'), task('t3', 'S3', '10.0.1.10')];
    const out = swarmRoutes(services, tasks, [], none);
    assert.deepEqual(out.routes, [{host: 'portal.example.org', owner: 'p/s/web', upstreams: ['[fd00::5]:8080']}]);
  });

  test('two services claiming one host name: the first by owner keeps it, the clash is reported', () => {
    const services = [service('S1', 'web', {[LABELS.ingressHost]: 'x.example.org'}, 'b'), service('S2', 'web', {[LABELS.ingressHost]: 'x.example.org'}, 'a')];
    const tasks = [
      task('t1', 'S1', '10.0.1.5', {NetworksAttachments: [{Network: net('nb', 'b_s', 'b'), Addresses: ['10.0.1.5/24']}]}),
      task('t2', 'S2', '10.0.2.5', {NetworksAttachments: [{Network: net('na', 'a_s', 'a'), Addresses: ['10.0.2.5/24']}]}),
    ];
    const out = swarmRoutes(services, tasks, [], none);
    assert.deepEqual(out.routes, [{host: 'x.example.org', owner: 'a/s/web', upstreams: ['10.0.2.5:8080']}]);
    assert.deepEqual(out.conflicts, [{host: 'x.example.org', owners: ['a/s/web', 'b/s/web']}]);
  });
});

describe('the proxy image', () => {
  test("ldd's output gives the libraries and the loader, not the vDSO", () => {
    const out = [
      '\tlinux-vdso.so.1 (0x00007fe09ab51000)',
      '\tlibzstd.so.1 => /lib/x86_64-linux-gnu/libzstd.so.1 (0x00007fe09aa83000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007fe09a8a1000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007fe09ab53000)',
    ].join('\n');
    assert.deepEqual(lddPaths(out), ['/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libzstd.so.1', '/lib64/ld-linux-x86-64.so.2']);
    assert.deepEqual(lddPaths('\tnot a dynamic executable'), []);
  });
});

describe('the controller over a source of routes', () => {
  test('a source that asks to be read again soon (a service rolling) is, with no event and before the periodic re-read', async () => {
    let reads = 0;
    const applied: IngressRoute[][] = [];
    const events = new PassThrough();
    const source: RouteSource = {
      read: async () => {
        reads++;
        return {routes: [{host: 'a.example.org', owner: 'p/s/a', upstreams: [`10.0.0.${reads}:80`]}], conflicts: [], present: new Set()};
      },
      applied: async () => {},
      events: async () => events,
      relevant: () => true,
      // Rolling for the first three reads only.
      readAgainMs: () => (reads < 3 ? 10 : undefined),
    };
    const controller = new IngressController({docker: {} as Dockerode, source, driver: {apply: async (r) => void applied.push(r), close: async () => {}}, domain: 'localhost', intervalMs: 60_000});
    await controller.start();
    await new Promise((r) => setTimeout(r, 200));
    await controller.close();
    assert.equal(reads, 3);
    assert.deepEqual(applied.map((r) => r[0].upstreams[0]), ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:80']);
  });
});
