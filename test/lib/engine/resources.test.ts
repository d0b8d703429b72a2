import assert from 'node:assert/strict';
import {test} from 'node:test';

import {InvalidInputError} from '../../../src/lib/errors.ts';
import {EngineError} from '../../../src/lib/engine/errors.ts';
import {checkExisting, networkCreateOptions, volumeCreateOptions} from '../../../src/lib/engine/resources.ts';

const ref = {project: 'genomics', stack: 'portal'};
const spin = {'org.spin.managed': 'true', 'org.spin.project': 'genomics', 'org.spin.stack': 'portal'};

test('networks are bridges with Spin labels and no driver options', () => {
  assert.deepEqual(networkCreateOptions(ref, 'back', 'genomics.portal.back', {internal: true, labels: {team: 'x', 'org.spin.project': 'forged'}}), {
    Name: 'genomics.portal.back',
    Driver: 'bridge',
    CheckDuplicate: true,
    Internal: true,
    Attachable: false,
    Labels: {team: 'x', ...spin},
  });
  assert.equal(networkCreateOptions(ref, 'default', 'genomics.portal', {driver: 'bridge', driver_opts: {}}).Driver, 'bridge');
  assert.equal('Options' in networkCreateOptions(ref, 'default', 'genomics.portal', {}), false);
});

test('another network driver or any driver option is refused', () => {
  for (const driver of ['host', 'macvlan', 'ipvlan', 'overlay', 'none']) {
    assert.throws(
      () => networkCreateOptions(ref, 'back', 'genomics.portal.back', {driver}),
      (err: unknown) => err instanceof InvalidInputError && err.message === `network "back" asks for driver "${driver}", but Spin only creates bridge networks`,
    );
  }
  assert.throws(
    () => networkCreateOptions(ref, 'back', 'genomics.portal.back', {driver_opts: {'com.docker.network.bridge.enable_icc': 'true', 'com.docker.network.bridge.name': 'docker0'}}),
    (err: unknown) => err instanceof InvalidInputError && /network "back" sets driver_opts \(com\.docker\.network\.bridge\.enable_icc, com\.docker\.network\.bridge\.name\)/.test(err.message) && err.hint === 'remove `driver_opts` from the network',
  );
});

test('volumes are local, plain or a bind of a host folder', () => {
  assert.deepEqual(volumeCreateOptions(ref, 'data', 'genomics.data', {labels: {'org.spin.stack': 'forged', keep: 'yes'}}), {Name: 'genomics.data', Driver: 'local', DriverOpts: {}, Labels: {keep: 'yes', ...spin}});
  for (const o of ['bind', 'rbind', 'bind,ro', 'ro,rbind']) {
    assert.deepEqual(volumeCreateOptions(ref, 'data', 'genomics.data', {driver: 'local', driver_opts: {type: 'none', o, device: '/srv/data'}}).DriverOpts, {type: 'none', o, device: '/srv/data'});
  }
});

test('another volume driver or other driver options are refused', () => {
  assert.throws(() => volumeCreateOptions(ref, 'data', 'genomics.data', {driver: 'nfs'}), (err: unknown) => err instanceof InvalidInputError && err.message === 'volume "data" asks for driver "nfs", but Spin only creates local volumes');
  const refused: [Record<string, string>, RegExp][] = [
    [{type: 'nfs', o: 'addr=10.0.0.1', device: ':/export'}, /type must be "none"/],
    [{type: 'tmpfs', device: 'tmpfs', o: 'size=100m'}, /type must be "none"/],
    [{type: 'none', o: 'bind,exec', device: '/srv'}, /o must be "bind" or "rbind"/],
    [{type: 'none', o: 'bind,bind', device: '/srv'}, /o must be "bind" or "rbind"/],
    [{type: 'none', o: 'ro', device: '/srv'}, /o must be "bind" or "rbind"/],
    [{type: 'none', o: 'bind', device: 'relative'}, /device must be a normalized absolute path/],
    [{type: 'none', o: 'bind', device: '/srv/../etc'}, /device must be a normalized absolute path/],
    [{type: 'none', o: 'bind'}, /device must be a normalized absolute path, not undefined/],
    [{type: 'none', o: 'bind', device: '/srv', size: '1g'}, /"size" is not allowed/],
  ];
  for (const [driver_opts, message] of refused) {
    assert.throws(
      () => volumeCreateOptions(ref, 'data', 'genomics.data', {driver_opts}),
      (err: unknown) => err instanceof InvalidInputError && err.message.startsWith('volume "data" has driver_opts that Spin does not pass to the engine: ') && message.test(err.message) && /type: none/.test(err.hint ?? ''),
      JSON.stringify(driver_opts),
    );
  }
});

test('an existing network or volume is used only by its project (networks: its stack)', () => {
  const ok = (kind: 'network' | 'volume', name: string, external: boolean, labels: Record<string, string> | null) => checkExisting(kind, ref, {name, external}, {Name: name, Labels: labels});
  const conflict = (fn: () => void, message: RegExp) => assert.throws(fn, (err: unknown) => err instanceof EngineError && err.code === 'engine.conflict' && message.test(err.message));
  ok('network', 'genomics.portal', false, spin);
  ok('network', 'genomics.other', true, {...spin, 'org.spin.stack': 'other'});
  ok('volume', 'genomics.data', false, {...spin, 'org.spin.stack': 'other'});
  ok('volume', 'genomics.data', true, spin);
  conflict(() => ok('network', 'genomics.portal', false, {...spin, 'org.spin.stack': 'other'}), /network "genomics.portal" already exists and belongs to project "genomics" stack "other"/);
  conflict(() => ok('network', 'genomics.portal', false, null), /already exists and is not managed by Spin/);

  // Another project's Spin objects are refused as external, whatever their name says.
  const foreign = {...spin, 'org.spin.project': 'physics'};
  conflict(() => ok('network', 'physics.portal', true, foreign), /^network "physics.portal" exists but belongs to project "physics" stack "portal"$/);
  conflict(() => ok('volume', 'genomics.data', true, foreign), /^volume "genomics.data" exists but belongs to project "physics"/);
  conflict(() => ok('volume', 'genomics.data', false, foreign), /^volume "genomics.data" already exists and belongs to project "physics"/);

  // Without Spin labels (an admin's), only a name in the project's namespace.
  ok('network', 'genomics.shared', true, null);
  ok('volume', 'genomics.scratch', true, {'org.spin.project': 'genomics'});
  conflict(() => ok('network', 'bridge', true, {}), /^network "bridge" exists but is not managed by Spin$/);
  conflict(() => ok('volume', 'scratch', true, null), /^volume "scratch" exists but is not managed by Spin$/);
  conflict(() => ok('volume', 'genomicsx.scratch', true, null), /is not managed by Spin/);
  assert.throws(() => ok('volume', 'scratch', true, null), (err: unknown) => err instanceof EngineError && /one named "genomics\.<name>"/.test(err.hint ?? ''));
});

test('a network found under another name (an ID prefix) is refused', () => {
  assert.throws(
    () => checkExisting('network', ref, {name: 'a1b2c3', external: true}, {Name: 'genomics.shared', Labels: {}}),
    (err: unknown) => err instanceof EngineError && err.message === 'network "a1b2c3" resolves to the network "genomics.shared" on the engine, not one of that name',
  );
});
