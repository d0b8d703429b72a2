import assert from 'node:assert/strict';
import {test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import {InvalidInputError} from '../../../src/lib/errors.ts';
import {checkRef, containerName, containerPrefix, describeOwner, labelFilter, networkName, ownedBy, volumeName} from '../../../src/lib/engine/naming.ts';

const ref = {project: 'genomics', stack: 'portal'};

test('engine names follow the DESIGN contract', () => {
  assert.equal(containerName(ref, 'web', 2), 'genomics.portal.web.2');
  assert.equal(networkName(ref), 'genomics.portal');
  assert.equal(networkName(ref, 'default'), 'genomics.portal');
  assert.equal(networkName(ref, 'back'), 'genomics.portal.back');
});

test('container names of different projects and stacks never collide', () => {
  // Joined with dashes, project "a" stack "x-s" and project "a-x" stack "s" shared every name.
  assert.notEqual(containerName({project: 'a', stack: 'x-s'}, 'w', 1), containerName({project: 'a-x', stack: 's'}, 'w', 1));
  assert.notEqual(containerName({project: 'a', stack: 'x'}, 's-w', 1), containerName({project: 'a', stack: 'x-s'}, 'w', 1));
  assert.equal(containerName({project: 'a', stack: 'x-s'}, 'w', 1), 'a.x-s.w.1');
  assert.equal(containerName({project: 'a-x', stack: 's'}, 'w', 1), 'a-x.s.w.1');
  // Parts are DNS labels (no dots), so the name splits back into exactly one tuple.
  assert.deepEqual(containerName({project: 'a-x', stack: 's-1'}, 'web-2', 3).split('.'), ['a-x', 's-1', 'web-2', '3']);
  assert.ok(containerName(ref, 'web', 1).startsWith(containerPrefix(ref)));
});

test('volumes are scoped to the project; external volumes keep their name', async () => {
  const {project} = await loadDocument({services: {a: {image: 'x'}}, volumes: {data: {}, named: {name: 'shared'}, ext: {external: true, name: 'keep-me'}}}, 'portal');
  assert.ok(project);
  assert.equal(volumeName('genomics', project, 'data'), 'genomics.data');
  assert.equal(volumeName('genomics', project, 'named'), 'genomics.shared');
  assert.equal(volumeName('genomics', project, 'ext'), 'keep-me');
});

test('names that are not DNS labels are refused with a hint', () => {
  assert.throws(() => checkRef({project: 'a.b', stack: 'x'}), (err: unknown) => err instanceof InvalidInputError && err.message === 'project name "a.b" is not a DNS label' && /lower-case/.test(err.hint ?? ''));
  assert.throws(() => checkRef({project: 'ok', stack: 'Bad'}), /stack name "Bad" is not a DNS label/);
  checkRef(ref);
});

test('ownership is decided by the managed, project and stack labels', () => {
  const labels = {'org.spin.managed': 'true', 'org.spin.project': 'genomics', 'org.spin.stack': 'portal'};
  assert.equal(ownedBy(labels, 'genomics', 'portal'), true);
  assert.equal(ownedBy(labels, 'genomics'), true);
  assert.equal(ownedBy(labels, 'genomics', 'other'), false);
  assert.equal(ownedBy(labels, 'other'), false);
  assert.equal(ownedBy({...labels, 'org.spin.managed': 'false'}, 'genomics'), false);
  assert.equal(ownedBy(null, 'genomics'), false);
  assert.equal(describeOwner(labels), 'belongs to project "genomics" stack "portal"');
  assert.equal(describeOwner({}), 'is not managed by Spin');
  assert.deepEqual(labelFilter('genomics', 'portal', 'web'), ['org.spin.managed=true', 'org.spin.project=genomics', 'org.spin.stack=portal', 'org.spin.service=web']);
});
