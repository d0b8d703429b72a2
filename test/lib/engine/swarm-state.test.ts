// The pure parts of the Swarm backend's state handling: secret and config naming and mounts,
// the project's node pool on every spec, and which volumes a moving service may not mount.

import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {ComposeModel} from '../../../src/lib/compose/types.ts';
import {configHash} from '../../../src/lib/engine/hash.ts';
import {rolloutSettings} from '../../../src/lib/engine/rollout.ts';
import {guardSpec, mergeConstraints, poolConstraints, unschedulable, withPool, type PlacementPools} from '../../../src/lib/engine/swarm-guard.ts';
import {fileReferences, swarmFileName, swarmFiles} from '../../../src/lib/engine/swarm-secrets.ts';
import {swarmServiceSpec} from '../../../src/lib/engine/swarm-spec.ts';
import {checkSwarmVolumes, pinningConstraint, swarmMounts, type SwarmVolumePolicy} from '../../../src/lib/engine/swarm-volumes.ts';
import {ExitCode, InvalidInputError, OperationError} from '../../../src/lib/errors.ts';

const ref = {project: 'genomics', stack: 'portal'};
const DIGEST = '10.252.0.1:5000/app@sha256:' + 'a'.repeat(64);
const NO_POLICY: SwarmVolumePolicy = {sharedDrivers: [], pinLabels: []};

async function model(doc: Record<string, unknown>): Promise<ComposeModel> {
  const {project, diagnostics} = await loadDocument(doc, 'portal');
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  assert.ok(project);
  return project;
}

function spec(m: ComposeModel, service = 'web', r = ref) {
  const s = m.services[service];
  return swarmServiceSpec(s, {ref: r, service, revision: 1, configHash: 'h', image: DIGEST, rollout: rolloutSettings(service, s, s.deploy?.update_config, false)});
}

const KEY = Buffer.alloc(32, 7);

test('a secret is named by its value: same value same name, any other value, stack, project or kind another', () => {
  const file = {kind: 'secret' as const, name: 'db_password', content: Buffer.from('s3cret')};
  const name = swarmFileName(ref, file, KEY);
  assert.match(name, /^genomics_portal_db_password_[0-9a-f]{16}$/);
  assert.equal(swarmFileName(ref, {...file, content: Buffer.from('s3cret')}, Buffer.from(KEY)), name);
  const others = [
    swarmFileName(ref, {...file, content: Buffer.from('s3cret2')}, KEY),
    swarmFileName({...ref, stack: 'other'}, file, KEY),
    swarmFileName({...ref, project: 'physics'}, file, KEY),
    swarmFileName(ref, {...file, kind: 'config'}, KEY),
  ];
  assert.equal(new Set([name, ...others]).size, 5);
  assert.ok(!name.includes('s3cret'), 'the value is not in the name');
});

test('the name is keyed: without the agent\'s key, hashing a guessed value does not find it', () => {
  const file = {kind: 'secret' as const, name: 'pin', content: Buffer.from('1234')};
  const name = swarmFileName(ref, file, KEY);
  const hash = name.slice(name.lastIndexOf('_') + 1);
  // What an attacker who can list the cluster's secrets could compute for each guess.
  const unkeyed = createHash('sha256').update(`spin-swarm-secret\0${ref.project}\0${ref.stack}\0pin\0`).update('1234').digest('hex').slice(0, 16);
  assert.notEqual(hash, unkeyed);
  assert.notEqual(swarmFileName(ref, file, Buffer.alloc(32, 8)), name, 'another key, another name');
});

test('a long project, stack and secret name is shortened to Swarm\'s 64 characters, ending in a letter or digit before the hash', () => {
  const long = {project: 'p'.repeat(63), stack: 's'.repeat(63)};
  const name = swarmFileName(long, {kind: 'secret', name: 'x_', content: Buffer.from('v')}, KEY);
  assert.ok(name.length <= 64, `${name.length} characters`);
  assert.match(name, /^[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]_[0-9a-f]{16}$/);
});

test('secrets mount at /run/secrets/NAME by default, at the target given, with uid, gid and mode; configs at /NAME', async () => {
  const m = await model({
    services: {
      web: {
        image: 'app',
        user: '1000:1000',
        secrets: ['token', {source: 'key', target: 'tls.key', uid: '1000', gid: '2000', mode: 0o440}],
        configs: [{source: 'conf', target: '/etc/app.conf'}],
      },
    },
    secrets: {token: {file: './token'}, key: {file: './key'}},
    configs: {conf: {content: 'a=1\n'}},
  });
  const files = swarmFiles(ref, m, 'web', {token: Buffer.from('t'), key: Buffer.from('k')}, true, KEY);
  const ids = new Map(files.map((f, i) => [f.swarmName, `id${i}`]));
  const refs = fileReferences(files, ids);
  assert.deepEqual(
    refs.Secrets?.map((s) => s.File),
    [
      {Name: '/run/secrets/token', UID: '1000', GID: '1000', Mode: 0o400},
      {Name: '/run/secrets/tls.key', UID: '1000', GID: '2000', Mode: 0o440},
    ],
  );
  assert.deepEqual(refs.Secrets?.map((s) => s.SecretID), ['id0', 'id1']);
  assert.deepEqual(refs.Configs?.map((c) => [c.File, c.ConfigName]), [[{Name: '/etc/app.conf', UID: '1000', GID: '1000', Mode: 0o444}, files[2].swarmName]]);
});

test('a secret with no value is refused before anything is made, and the error does not quote any value', async () => {
  const m = await model({services: {web: {image: 'app', secrets: ['token']}}, secrets: {token: {file: './token'}}});
  assert.throws(() => swarmFiles(ref, m, 'web', {}, true, KEY), (err: unknown) => err instanceof InvalidInputError && /secret "token" used by service "web" has no value/.test(err.message));
  // A plan only: no values, no error.
  assert.equal(swarmFiles(ref, m, 'web', {}, false, KEY).length, 1);
});

test('the project\'s pool is ANDed with the user\'s constraints: a user constraint narrows, never replaces', async () => {
  const pools: PlacementPools = {projects: {genomics: ['node.labels.pool==bio']}, default: ['node.labels.pool==general']};
  assert.deepEqual(poolConstraints(pools, 'genomics'), ['node.labels.pool==bio']);
  assert.deepEqual(poolConstraints(pools, 'physics'), ['node.labels.pool==general']);
  assert.deepEqual(poolConstraints(undefined, 'genomics'), []);
  assert.deepEqual(mergeConstraints(['node.labels.pool == bio', 'node.role==worker'], ['node.labels.pool==bio']), ['node.labels.pool==bio', 'node.role==worker']);
  const m = await model({services: {web: {image: 'app', deploy: {placement: {constraints: ['node.labels.pool==other']}}}}});
  const guarded = guardSpec(spec(m), ref, 'web', pools);
  const template = guarded.TaskTemplate as {Placement?: {Constraints?: string[]}};
  assert.deepEqual(template.Placement?.Constraints, ['node.labels.pool==bio', 'node.labels.pool==other']);
  // Without a pool the spec goes as it is.
  assert.deepEqual(guardSpec(spec(m), ref, 'web', undefined), spec(m));
});

test('a project moved to another pool changes its services\' config hash, so the next deploy sends them again', async () => {
  const m = await model({services: {web: {image: 'app', deploy: {placement: {constraints: ['node.role==worker']}}}}});
  const web = m.services.web;
  const hash = (s: typeof web) => configHash(s, {imageId: DIGEST, files: {}, networks: [], volumes: []});
  assert.equal(withPool(web, []), web, 'no pool: the hash a deploy had before pools');
  const bio = withPool(web, ['node.labels.pool==bio']);
  assert.deepEqual((bio.deploy?.placement as {constraints: string[]}).constraints, ['node.labels.pool==bio', 'node.role==worker']);
  assert.notEqual(hash(bio), hash(web));
  assert.notEqual(hash(bio), hash(withPool(web, ['node.labels.pool==other'])));
  assert.equal(hash(bio), hash(withPool(web, ['node.labels.pool==bio'])));
});

test('a spec that is not the stack\'s own (name or labels) is never sent', async () => {
  const m = await model({services: {web: {image: 'app'}}});
  assert.throws(() => guardSpec(spec(m), ref, 'api', undefined), OperationError);
  assert.throws(() => guardSpec(spec(m, 'web', {project: 'physics', stack: 'portal'}), ref, 'web', undefined), OperationError);
  const forged = spec(m);
  forged.Labels = {...forged.Labels, 'org.spin.project': 'physics'};
  assert.throws(() => guardSpec(forged, ref, 'web', undefined), /service labels of service "web" do not name it/);
});

test('a pending task with no suitable node is unschedulable; other pending tasks are not', () => {
  assert.equal(unschedulable({Status: {State: 'pending', Err: 'no suitable node (scheduling constraints not satisfied on 3 nodes)'}}), 'no suitable node (scheduling constraints not satisfied on 3 nodes)');
  assert.equal(unschedulable({Status: {State: 'pending'}}), undefined);
  assert.equal(unschedulable({Status: {State: 'running', Err: 'no suitable node'}}), undefined);
});

test('a constraint pins a service to one node by node.id, node.hostname, or a label the operator names', () => {
  assert.ok(pinningConstraint(['node.id==abc'], []));
  assert.ok(pinningConstraint(['node.hostname == n2'], []));
  assert.equal(pinningConstraint(['node.labels.pool==bio'], []), undefined);
  assert.ok(pinningConstraint(['node.labels.host==n2'], ['host']));
  assert.equal(pinningConstraint(['node.id!=abc', 'node.role==worker'], []), undefined);
});

async function volumeCheck(service: Record<string, unknown>, policy = NO_POLICY, volumes: Record<string, unknown> = {data: {}}): Promise<void> {
  const m = await model({services: {db: {image: 'app', ...service}}, volumes});
  checkSwarmVolumes('db', m.services.db, m, policy);
}

test('a named volume on a service that can move between nodes is refused with exit 3 and a hint to pin it', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{deploy: {replicas: 2}}, /runs 2 replicas/],
    [{deploy: {mode: 'global'}}, /mode: global/],
    [{}, /no placement constraint holds it to one node/],
    [{deploy: {placement: {constraints: ['node.labels.pool==bio']}}}, /no placement constraint holds it to one node/],
  ];
  for (const [extra, why] of cases) {
    await assert.rejects(volumeCheck({volumes: ['data:/data'], ...extra}), (err: unknown) => {
      assert.ok(err instanceof InvalidInputError, String(err));
      assert.equal(err.exitCode, ExitCode.invalid);
      assert.match(err.message, /service "db" mounts volume "data", which lives on one node/);
      assert.match(err.message, why);
      assert.match(err.hint ?? '', /deploy\.placement\.constraints/);
      return true;
    });
  }
});

test('a named volume is accepted when the service is pinned to one node, or its driver reaches every node', async () => {
  await volumeCheck({volumes: ['data:/data'], deploy: {replicas: 1, placement: {constraints: ['node.id==abc']}}});
  await volumeCheck({volumes: ['data:/data'], deploy: {placement: {constraints: ['node.labels.host==n2']}}}, {sharedDrivers: [], pinLabels: ['host']});
  await volumeCheck({volumes: ['data:/data'], deploy: {replicas: 3}}, {sharedDrivers: ['nfs'], pinLabels: []}, {data: {driver: 'nfs'}});
  // tmpfs and binds may move: a tmpfs is per task, a bind is the same host path on every node.
  await volumeCheck({volumes: [{type: 'tmpfs', target: '/scratch'}, {type: 'bind', source: '/global/cfs/cdirs/genomics/ref', target: '/ref'}], deploy: {replicas: 3}});
});

test('mounts: a named volume with its project-scoped name and labels, a bind, a tmpfs with its size', async () => {
  const m = await model({
    services: {db: {image: 'app', volumes: ['data:/data:ro', {type: 'bind', source: '/global/cfs/cdirs/genomics', target: '/g'}, {type: 'tmpfs', target: '/t', tmpfs: {size: '1m'}}]}},
    volumes: {data: {labels: {team: 'bio', 'org.spin.project': 'forged'}}},
  });
  const [volume, bind, tmpfs] = swarmMounts(ref, m, m.services.db);
  assert.deepEqual(volume, {
    Type: 'volume',
    Source: 'genomics.portal_data',
    Target: '/data',
    ReadOnly: true,
    VolumeOptions: {Labels: {team: 'bio', 'org.spin.managed': 'true', 'org.spin.project': 'genomics', 'org.spin.stack': 'portal'}, DriverConfig: {Name: 'local'}},
  });
  assert.deepEqual(bind, {Type: 'bind', Source: '/global/cfs/cdirs/genomics', Target: '/g'});
  assert.deepEqual(tmpfs, {Type: 'tmpfs', Source: '', Target: '/t', TmpfsOptions: {SizeBytes: 1048576}});
});
