import assert from 'node:assert/strict';
import {test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {Service} from '../../../src/lib/compose/types.ts';
import {configHash, hashedService, stableJson} from '../../../src/lib/engine/hash.ts';

async function service(def: Record<string, unknown>): Promise<Service> {
  const {project} = await loadDocument({services: {web: def}}, 'demo');
  assert.ok(project);
  return project.services.web;
}

const inputs = {imageId: 'sha256:abc', files: {}, networks: ['p.s'], volumes: []};

test('stableJson sorts keys at every level and drops undefined members', () => {
  assert.equal(stableJson({b: 1, a: {d: [1, {y: 2, x: undefined, w: null}], c: 'x'}}), '{"a":{"c":"x","d":[1,{"w":null,"y":2}]},"b":1}');
  assert.equal(stableJson({a: 1, b: 2}), stableJson({b: 2, a: 1}));
});

test('the hash is stable across key order and ignores replicas and rollout settings', async () => {
  const a = await service({image: 'app:1', environment: {A: '1', B: '2'}, deploy: {replicas: 2, update_config: {parallelism: 2}}});
  const b = await service({image: 'app:1', environment: {B: '2', A: '1'}, deploy: {replicas: 5, rollback_config: {parallelism: 1}}});
  const plain = await service({image: 'app:1', environment: {A: '1', B: '2'}});
  assert.equal(configHash(a, inputs), configHash(b, inputs));
  assert.equal(configHash(a, inputs), configHash(plain, inputs));
  assert.match(configHash(a, inputs), /^[0-9a-f]{64}$/);
  assert.deepEqual(Object.keys(hashedService(a)).includes('deploy'), false);
});

test('the hash changes with anything that shapes the container', async () => {
  const base = await service({image: 'app:1', environment: {A: '1'}});
  const h = configHash(base, inputs);
  assert.notEqual(configHash(await service({image: 'app:1', environment: {A: '2'}}), inputs), h);
  assert.notEqual(configHash(await service({image: 'app:1', environment: {A: '1'}, deploy: {resources: {limits: {memory: '1g'}}}}), inputs), h);
  assert.notEqual(configHash(base, {...inputs, imageId: 'sha256:def'}), h);
  assert.notEqual(configHash(base, {...inputs, files: {'secret:x': 'd1'}}), h);
  assert.notEqual(configHash(base, {...inputs, volumes: ['p.data']}), h);
  assert.equal(configHash(base, {...inputs, networks: ['b', 'a']}), configHash(base, {...inputs, networks: ['a', 'b']}));
});

test('build settings do not count (the image ID does)', async () => {
  const a = await service({image: 'app:1', build: {context: '/home/alice/app'}});
  const b = await service({image: 'app:1', build: {context: '/builds/ci/app'}});
  assert.equal(configHash(a, inputs), configHash(b, inputs));
});
