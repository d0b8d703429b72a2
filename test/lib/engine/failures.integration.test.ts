// Deploys that fail part-way, on the real engine: a host port something else holds, and what a
// failure and the rollback after it leave on the stack's network. Objects carry a project name
// unique to this run; `after` removes exactly those.

import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {createServer, type Server} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {ComposeModel} from '../../../src/lib/compose/types.ts';
import {deploy as deployNow} from '../../../src/lib/engine/deploy.ts';
import {DockerOrchestrator} from '../../../src/lib/engine/docker.ts';
import type {DeployEvent, DeployResult, StackRef} from '../../../src/lib/engine/types.ts';
import {BUSYBOX_DOCKERFILE, buildImage, cleanupProject, dockerClient, execCollect, requireEngine, uniqueName} from '../../helpers/docker.ts';
import {freePort} from '../../helpers/ports.ts';

const docker = dockerClient();
const project = uniqueName('t');
const image = `spin-test-${project}:bb`;
let secretsDir: string;
let orch: DockerOrchestrator;
const servers: Server[] = [];

const SLEEPER = {image, init: true, command: ['sleep', '3600']};

async function model(doc: Record<string, unknown>): Promise<ComposeModel> {
  const {project: p, diagnostics} = await loadDocument(doc, 's');
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  assert.ok(p);
  return p;
}

async function deploy(ref: StackRef, doc: Record<string, unknown>, revision: number): Promise<DeployResult & {events: DeployEvent[]}> {
  const events: DeployEvent[] = [];
  const result = await deployNow(orch, {ref, model: await model(doc), revision, secrets: {}, timeoutMs: 60_000, onEvent: (e) => events.push(e)});
  return {...result, events};
}

/** A port on 127.0.0.1 held by a plain server of this process, as another program on the host would. */
async function heldPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as {port: number}).port;
}

/** The IPv4 addresses of a replica's interfaces other than loopback: none means off every network. */
async function addresses(ref: StackRef, service: string): Promise<string[]> {
  const r = await execCollect(orch, ref, service, ['ip', '-4', '-o', 'addr']);
  assert.equal(r.code, 0, r.stderr);
  return [...r.stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]).filter((a) => !a.startsWith('127.'));
}

before(async () => {
  await requireEngine(docker);
  secretsDir = await mkdtemp(join(tmpdir(), 'spin-secrets-'));
  orch = new DockerOrchestrator({docker, secretsDir, publishHostIp: '127.0.0.1', pollMs: 300});
  await buildImage(docker, image, BUSYBOX_DOCKERFILE, {owner: project});
});

after(async () => {
  for (const s of servers) s.close();
  await cleanupProject(docker, project);
  if (secretsDir) await rm(secretsDir, {recursive: true, force: true});
});

describe('deploys that fail part-way', {concurrency: true}, () => {
  test('a host port another program holds: said as such, with a hint, on a first deploy and in a rollout', async () => {
    const port = await heldPort();
    const ref = {project, stack: 'clash'};
    const first = await deploy(ref, {services: {web: {...SLEEPER, ports: [`${port}:80`]}}}, 1);
    assert.equal(first.outcome, 'failed');
    assert.equal(first.failure?.reason, `could not be started: cannot start container "${project}.clash.web.1": host port ${port} is already in use on the host (127.0.0.1:${port})`);
    assert.match(first.failure?.hint ?? '', new RegExp(`^publish another port the platform allows .*stop what uses port ${port} on the host`));
    assert.doesNotMatch(JSON.stringify(first), /driver failed programming|port is already allocated|address already in use/);

    // The same clash met while replacing a running replica (stop-first: it publishes a host port).
    const ok = await freePort();
    const ref2 = {project, stack: 'clash2'};
    assert.equal((await deploy(ref2, {services: {web: {...SLEEPER, ports: [`${ok}:80`]}}}, 1)).outcome, 'healthy');
    const moved = await deploy(ref2, {services: {web: {...SLEEPER, ports: [`${port}:80`]}}}, 2);
    assert.equal(moved.outcome, 'failed');
    assert.match(moved.failure?.reason ?? '', new RegExp(`host port ${port} is already in use on the host`));
    assert.match(moved.failure?.hint ?? '', /^publish another port/);
  });

  test('a failure, then the rollback that replaces the container a network_mode: service:db replica joined: that replica is on the network again', async () => {
    const ref = {project, stack: 'shared'};
    const taken = await heldPort();
    const ok = await freePort();
    const rev = (v: string, port: number) => ({
      services: {
        db: {...SLEEPER, environment: {V: v}},
        worker: {...SLEEPER, network_mode: 'service:db'},
        web: {...SLEEPER, ports: [`${port}:80`]},
      },
    });
    assert.equal((await deploy(ref, rev('1', ok), 1)).outcome, 'healthy');
    const joined = await addresses(ref, 'worker');
    assert.equal(joined.length, 1, 'the worker shares the network of db');

    // Revision 2 changes db and clashes on web's port; whatever it got to, the way back to
    // revision 1 (the agent's rollback) must leave the worker inside the db container that runs.
    const failed = await deploy(ref, rev('2', taken), 2);
    assert.equal(failed.outcome, 'failed');
    const back = await deploy(ref, rev('1', ok), 1);
    assert.equal(back.outcome, 'healthy');
    assert.deepEqual(await addresses(ref, 'worker'), await addresses(ref, 'db'), 'the worker is in the network namespace of the db that runs');
    assert.equal((await addresses(ref, 'worker')).length, 1);

    // A change of db alone: the worker goes with it, and the plan says why.
    const changed = await deploy(ref, rev('3', ok), 3);
    assert.equal(changed.outcome, 'healthy');
    assert.deepEqual(await addresses(ref, 'worker'), await addresses(ref, 'db'), 'the worker is not left in the namespace of the db container that went');
    assert.equal((await addresses(ref, 'worker')).length, 1);
    assert.deepEqual(
      changed.plan.services.filter((s) => s.action !== 'keep').map((s) => [s.service, s.action, s.reason]),
      [
        ['db', 'recreate', 'configuration changed'],
        ['worker', 'recreate', 'the "db" container whose network it joins is replaced'],
      ],
    );
    // And the same model again changes nothing.
    assert.equal((await deploy(ref, rev('3', ok), 3)).plan.noop, true);
  });
});
