import assert from 'node:assert/strict';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';

import type Docker from 'dockerode';

import {NodeEngines, nodeEngineUrls} from '../../../src/lib/engine/swarm-exec.ts';
import {replicaTasks} from '../../../src/lib/engine/swarm-logs.ts';
import type {EngineTask} from '../../../src/lib/engine/swarm.ts';
import {UsageError} from '../../../src/lib/errors.ts';

test('node engines: flags and file lines, by ID or address, unix or tcp', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spin-node-engines-'));
  try {
    const file = join(dir, 'nodes');
    await writeFile(file, '# the workers\n10.0.0.13=tcp://10.0.0.13:2376\n\n  abc123def = unix:///run/node.sock  # local\n');
    const urls = await nodeEngineUrls(['10.0.0.12=tcp://10.0.0.12:2376'], file, true);
    assert.deepEqual([...urls], [
      ['10.0.0.12', 'tcp://10.0.0.12:2376'],
      ['10.0.0.13', 'tcp://10.0.0.13:2376'],
      ['abc123def', 'unix:///run/node.sock'],
    ]);
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});

test('node engines: plain TCP is refused, naming the TLS flag', async () => {
  await assert.rejects(nodeEngineUrls(['10.0.0.12=tcp://10.0.0.12:2376'], undefined, false), (err: UsageError) => {
    assert.ok(err instanceof UsageError);
    assert.match(err.message, /needs TLS client certificates/);
    assert.match(err.hint ?? '', /--swarm-node-tls-dir/);
    return true;
  });
});

test('node engines: malformed entries say which and how to write one', async () => {
  for (const [entry, message] of [
    ['10.0.0.12', /expected NODE=URL/],
    ['a b=unix:///x', /expected NODE=URL/],
    ['n1=http://10.0.0.12:2375', /is not an engine URL/],
    ['n1=unix://', /is not an engine URL/],
    ['n1=tcp://10.0.0.12', /is not an engine URL/],
  ] as const) {
    await assert.rejects(nodeEngineUrls([entry], undefined, true), (err: Error) => err instanceof UsageError && message.test(err.message), entry);
  }
  await assert.rejects(nodeEngineUrls(['n1=unix:///a', 'n1=unix:///b'], undefined, true), /given twice/);
});

test('node engines: a node is found by ID or by address, one client each, TLS for tcp', () => {
  const made: Docker.DockerOptions[] = [];
  const tls = {ca: Buffer.from('ca'), cert: Buffer.from('cert'), key: Buffer.from('key')};
  const engines = new NodeEngines(
    new Map([
      ['10.0.0.12', 'tcp://10.0.0.12:2376'],
      ['node3id', 'unix:///run/n3.sock'],
    ]),
    tls,
    (o) => {
      made.push(o);
      return {options: o} as unknown as Docker;
    },
  );
  assert.ok(engines.engineFor('node2id', '10.0.0.12'));
  assert.equal(engines.engineFor('node2id', '10.0.0.12'), engines.engineFor('other', '10.0.0.12'));
  assert.ok(engines.engineFor('node3id', '10.0.0.13'));
  assert.equal(engines.engineFor('node4id', '10.0.0.14'), undefined);
  assert.deepEqual(made, [{host: '10.0.0.12', port: 2376, protocol: 'https', ...tls}, {socketPath: '/run/n3.sock'}]);
});

function task(id: string, slot: number | undefined, node: string, createdAt: string, container = true): EngineTask {
  return {
    ID: id,
    ServiceID: 's',
    NodeID: node,
    ...(slot !== undefined ? {Slot: slot} : {}),
    DesiredState: 'running',
    CreatedAt: createdAt,
    Spec: {},
    Status: {State: 'running', ...(container ? {ContainerStatus: {ContainerID: `c-${id}`}} : {})},
  };
}

test('replica tasks: the newest task with a container per slot, numbered by slot', () => {
  const got = replicaTasks(
    [task('a', 2, 'n1', '2024-01-01T00:00:01Z'), task('b', 1, 'n2', '2024-01-01T00:00:01Z'), task('c', 2, 'n3', '2024-01-01T00:00:05Z'), task('d', 3, 'n1', '2024-01-01T00:00:09Z', false)],
    {Replicated: {Replicas: 3}},
  );
  assert.deepEqual(got.map((r) => [r.replica, r.task.ID]), [[1, 'b'], [2, 'c']]);
});

test('replica tasks: a global service\'s tasks are numbered by node', () => {
  const got = replicaTasks([task('x', undefined, 'n2', '2024-01-01T00:00:01Z'), task('y', undefined, 'n1', '2024-01-01T00:00:01Z'), task('z', undefined, 'n2', '2024-01-01T00:00:03Z')], {Global: {}});
  assert.deepEqual(got.map((r) => [r.replica, r.task.ID]), [[1, 'y'], [2, 'z']]);
});
