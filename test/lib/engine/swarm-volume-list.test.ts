// A project's volumes on a cluster, read from each node's engine, against small fake engines: every
// node the agent reaches gives its volumes with its address, and a node it cannot read is named as
// unlisted with the reason, never silently left out.

import assert from 'node:assert/strict';
import {test} from 'node:test';

import type Docker from 'dockerode';

import {NodeEngines} from '../../../src/lib/engine/swarm-exec.ts';
import {clusterVolumes} from '../../../src/lib/engine/swarm-volume-list.ts';
import {LABELS} from '../../../src/lib/engine/types.ts';

const own = (project: string, stack: string) => ({[LABELS.managed]: 'true', [LABELS.project]: project, [LABELS.stack]: stack});

/** One node's engine: its volumes, and what `info` says of it. */
function engine(nodeId: string, volumes: {Name: string; Labels: Record<string, string>}[], fail?: string): Docker {
  return {
    info: () => Promise.resolve({Swarm: {NodeID: nodeId}}),
    listNodes: () =>
      Promise.resolve([
        {ID: 'n1', Spec: {Role: 'manager'}, Status: {Addr: '0.0.0.0'}, ManagerStatus: {Addr: '10.0.0.1:2377'}},
        {ID: 'n2', Spec: {Role: 'worker'}, Status: {Addr: '10.0.0.2'}},
        {ID: 'n3', Spec: {Role: 'worker'}, Status: {Addr: '10.0.0.3'}},
        {ID: 'n4', Spec: {Role: 'worker'}, Status: {Addr: '10.0.0.4'}},
      ]),
    listVolumes: () => (fail ? Promise.reject(Object.assign(new Error(fail), {json: {message: fail}})) : Promise.resolve({Volumes: volumes.map((v) => ({...v, Driver: 'local'}))})),
    listContainers: () => Promise.resolve([]),
  } as unknown as Docker;
}

test('each node the agent reaches gives its volumes with its address; the others are unlisted with why', async () => {
  const manager = engine('n1', [{Name: 'p.data', Labels: own('p', 'db')}, {Name: 'q.data', Labels: own('q', 'db')}]);
  const nodes: Record<string, Docker> = {
    '/n2.sock': engine('n2', [{Name: 'p.data', Labels: own('p', 'db')}, {Name: 'p.cache', Labels: own('p', 'web')}]),
    '/n3.sock': engine('n3', [], 'connection refused'),
  };
  const engines = new NodeEngines(
    new Map([
      ['10.0.0.2', 'unix:///n2.sock'],
      ['n3', 'unix:///n3.sock'],
    ]),
    undefined,
    (o) => nodes[o.socketPath!],
  );
  const listing = await clusterVolumes(manager, engines, '/nonexistent', 'p');
  assert.deepEqual(
    listing.volumes.map((v) => [v.name, v.node, v.stacks]),
    [
      ['p.cache', '10.0.0.2', ['web']],
      ['p.data', '10.0.0.1', ['db']],
      ['p.data', '10.0.0.2', ['db']],
    ],
    "the project's own only, the same name once per node that holds it",
  );
  assert.deepEqual(
    listing.unlisted?.map((u) => u.node),
    ['10.0.0.3', '10.0.0.4'],
  );
  assert.match(listing.unlisted![0].reason, /node 10\.0\.0\.3's engine: .*connection refused/);
  assert.match(listing.unlisted![1].reason, /no engine endpoint for node 10\.0\.0\.4 .*--swarm-node-engine 10\.0\.0\.4=/);
});

test('without node engines only the manager is read, and every other node is named', async () => {
  const listing = await clusterVolumes(engine('n1', [{Name: 'p.data', Labels: own('p', 'db')}]), undefined, '/nonexistent', 'p');
  assert.deepEqual(listing.volumes.map((v) => [v.name, v.node]), [['p.data', '10.0.0.1']]);
  assert.deepEqual(listing.unlisted?.map((u) => u.node), ['10.0.0.2', '10.0.0.3', '10.0.0.4']);
});
