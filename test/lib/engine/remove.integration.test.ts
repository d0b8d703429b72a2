// Removing a stack with its volumes on the real engine: the answer says which volumes went and
// which stayed, and why. Objects carry a project name unique to this run; `after` removes them.

import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import {deploy as deployNow} from '../../../src/lib/engine/deploy.ts';
import {DockerOrchestrator} from '../../../src/lib/engine/docker.ts';
import {BUSYBOX_DOCKERFILE, buildImage, cleanupProject, dockerClient, requireEngine, uniqueName} from '../../helpers/docker.ts';

const docker = dockerClient();
const project = uniqueName('t');
const image = `spin-test-${project}:bb`;
let secretsDir: string;
let orch: DockerOrchestrator;

const SLEEPER = {image, init: true, command: ['sleep', '3600']};

async function deploy(stack: string, doc: Record<string, unknown>): Promise<void> {
  const {project: model} = await loadDocument(doc, stack);
  assert.ok(model);
  const result = await deployNow(orch, {ref: {project, stack}, model, revision: 1, secrets: {}, timeoutMs: 60_000});
  assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));
}

const exists = (name: string) => docker.getVolume(name).inspect().then(() => true, () => false);

before(async () => {
  await requireEngine(docker);
  secretsDir = await mkdtemp(join(tmpdir(), 'spin-secrets-'));
  orch = new DockerOrchestrator({docker, secretsDir, publishHostIp: '127.0.0.1', pollMs: 300});
  await buildImage(docker, image, BUSYBOX_DOCKERFILE, {owner: project});
});

after(async () => {
  await cleanupProject(docker, project);
  if (secretsDir) await rm(secretsDir, {recursive: true, force: true});
});

test('rm --volumes removes the volumes only this stack uses, keeps one another stack uses, and says which and why', async () => {
  await deploy('a', {services: {db: {...SLEEPER, volumes: ['data:/data', 'cache:/cache']}}, volumes: {data: {}, cache: {}}});
  const mine = (await orch.volumes(project)).volumes.filter((v) => v.stacks.includes('a')).map((v) => v.name).sort();
  assert.equal(mine.length, 2, JSON.stringify(mine));
  const [cache, data] = mine;
  // Stack b mounts a's data volume as an external one of the project.
  await deploy('b', {services: {reader: {...SLEEPER, volumes: ['shared:/data']}}, volumes: {shared: {external: true, name: data}}});

  assert.deepEqual(await orch.remove({project, stack: 'a'}, {volumes: true}), {
    volumes: {removed: [cache], kept: [{name: data, reason: 'stack "b" still uses it'}]},
  });
  assert.deepEqual([await exists(cache), await exists(data)], [false, true]);

  // b never owned it: it stays, and the answer says whose it is.
  assert.deepEqual(await orch.remove({project, stack: 'b'}, {volumes: true}), {
    volumes: {removed: [], kept: [{name: data, reason: `it is not this stack's: it belongs to project "${project}" stack "a"`}]},
  });
  assert.equal(await exists(data), true);

  // Without --volumes nothing is said about volumes.
  await deploy('c', {services: {db: {...SLEEPER, volumes: ['data:/data']}}, volumes: {data: {}}});
  assert.deepEqual(await orch.remove({project, stack: 'c'}), {volumes: {removed: [], kept: []}});
});
