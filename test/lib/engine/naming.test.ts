import assert from 'node:assert/strict';
import {test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import {InvalidInputError} from '../../../src/lib/errors.ts';
import {checkRef, chooseVolume, containerName, containerPrefix, describeOwner, labelFilter, legacyVolumeName, networkName, ownedBy, volumeName} from '../../../src/lib/engine/naming.ts';

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

test('a volume is its stack\'s own unless the file names it; the engine name is the project and the name `spin config` prints', async () => {
  const doc = {services: {a: {image: 'x'}}, volumes: {data: {}, named: {name: 'shared'}, ext: {external: true, name: 'keep-me'}}};
  const portal = (await loadDocument(doc, 'portal')).project;
  const admin = (await loadDocument(doc, 'admin')).project;
  assert.ok(portal && admin);
  assert.equal(portal.volumes.data.name, 'portal_data');
  assert.equal(volumeName('genomics', portal, 'data'), 'genomics.portal_data');
  assert.equal(volumeName('genomics', admin, 'data'), 'genomics.admin_data');
  // An explicit name is the project's: every stack that names it shares it.
  assert.equal(volumeName('genomics', portal, 'named'), 'genomics.shared');
  assert.equal(volumeName('genomics', admin, 'named'), 'genomics.shared');
  assert.equal(volumeName('genomics', portal, 'ext'), 'keep-me');
  for (const key of ['data', 'named']) assert.equal(volumeName('genomics', portal, key), `genomics.${portal.volumes[key].name}`);
  // Naming the default explicitly changes nothing.
  const same = (await loadDocument({services: {a: {image: 'x'}}, volumes: {data: {name: 'portal_data'}}}, 'portal')).project;
  assert.ok(same);
  assert.equal(volumeName('genomics', same, 'data'), 'genomics.portal_data');
});

test('the legacy name is `<project>.<key>` for a volume without a name of its own', async () => {
  const {project} = await loadDocument({services: {a: {image: 'x'}}, volumes: {data: {}, same: {name: 'portal_same'}, named: {name: 'shared'}, ext: {external: true, name: 'genomics.x'}}}, 'portal');
  assert.ok(project);
  assert.equal(legacyVolumeName('genomics', project, 'data'), 'genomics.data');
  assert.equal(legacyVolumeName('genomics', project, 'same'), 'genomics.same');
  assert.equal(legacyVolumeName('genomics', project, 'named'), undefined);
  assert.equal(legacyVolumeName('genomics', project, 'ext'), undefined);
});

test('a stack keeps the legacy volume it used; other stacks and other projects\' volumes get today\'s name', () => {
  const labels = (project: string, stack: string) => ({'org.spin.managed': 'true', 'org.spin.project': project, 'org.spin.stack': stack});
  const current = {name: 'genomics.portal_data', exists: false};
  const legacy = (l: Record<string, string> | null, mountedByStack = false) => ({name: 'genomics.data', labels: l, mountedByStack});
  const kept = {name: 'genomics.data', legacy: true};
  const fresh = {name: 'genomics.portal_data', legacy: false};
  // No legacy volume on the engine: today's name.
  assert.deepEqual(chooseVolume({ref, current}), fresh);
  // Created by this stack, or mounted by it (created by a stack it shared the volume with).
  assert.deepEqual(chooseVolume({ref, current, legacy: legacy(labels('genomics', 'portal'))}), kept);
  assert.deepEqual(chooseVolume({ref, current, legacy: legacy(labels('genomics', 'admin'), true)}), kept);
  // Chosen by an earlier deploy (the stack was removed since, so nothing mounts it).
  assert.deepEqual(chooseVolume({ref, current: {...current, exists: true}, legacy: legacy(labels('genomics', 'admin')), recorded: 'genomics.data'}), kept);
  // Another stack's, never used here: this stack gets its own.
  assert.deepEqual(chooseVolume({ref, current, legacy: legacy(labels('genomics', 'admin'))}), fresh);
  // Another project's, or not Spin's, even when mounted or recorded: never.
  assert.deepEqual(chooseVolume({ref, current, legacy: legacy(labels('other', 'portal'), true), recorded: 'genomics.data'}), fresh);
  assert.deepEqual(chooseVolume({ref, current, legacy: legacy(null, true)}), fresh);
  // Today's volume exists already: it wins over one merely labelled or mounted.
  assert.deepEqual(chooseVolume({ref, current: {...current, exists: true}, legacy: legacy(labels('genomics', 'portal'), true)}), fresh);
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
