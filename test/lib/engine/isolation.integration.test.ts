// Tenants on one engine, against the real engine: what one project sends straight to the API must
// not reach another project's containers, networks or volumes, nor run what the policy never saw.
// Every project name is unique to this run; `after` removes what carries them (and the one
// unlabelled network a test makes), even when a test fails.

import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {ComposeModel} from '../../../src/lib/compose/types.ts';
import {deploy as deployNow, planOnly} from '../../../src/lib/engine/deploy.ts';
import {DockerOrchestrator} from '../../../src/lib/engine/docker.ts';
import {EngineError} from '../../../src/lib/engine/errors.ts';
import {LABELS, type DeployRequest, type DeployResult, type StackRef} from '../../../src/lib/engine/types.ts';
import {InvalidInputError, OperationError} from '../../../src/lib/errors.ts';
import {buildBusyboxImage, cleanupProject, dockerClient, requireEngine, uniqueName, execCollect} from '../../helpers/docker.ts';

const docker = dockerClient();
const owner = uniqueName('t');
const image = `spin-test-${owner}:iso`;
const projects = [owner];
/** Networks made here without Spin's labels, which cleanupProject cannot find. */
const unlabelled: string[] = [];
let imageId: string;
let secretsDir: string;
let orch: DockerOrchestrator;

const SLEEPER = {image, init: true, command: ['sleep', '3600']};
const WEB = {image, init: true, command: ['sh', '-c', 'mkdir -p /www && echo "$$HOSTNAME" > /www/index.html && exec httpd -f -p 8080 -h /www']};

/** A project name for one test, removed by `after`. */
function project(name = uniqueName('t')): string {
  projects.push(name);
  return name;
}

async function model(stack: string, doc: Record<string, unknown>): Promise<ComposeModel> {
  const {project: p, diagnostics} = await loadDocument(doc, stack);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  assert.ok(p);
  return p;
}

async function deploy(ref: StackRef, m: ComposeModel, extra: Partial<DeployRequest> = {}, using = orch): Promise<DeployResult> {
  return deployNow(using, {ref, model: m, revision: 1, secrets: {}, timeoutMs: 60_000, ...extra});
}

async function healthy(ref: StackRef, doc: Record<string, unknown>, extra: Partial<DeployRequest> = {}): Promise<DeployResult> {
  const result = await deploy(ref, await model(ref.stack, doc), extra);
  assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));
  return result;
}

/** Containers on the engine that carry the project's label, by name. */
async function containersOf(p: string): Promise<Map<string, {id: string; labels: Record<string, string>}>> {
  const list = await docker.listContainers({all: true, filters: {label: [`${LABELS.project}=${p}`]}});
  return new Map(list.map((c) => [c.Names[0].replace(/^\//, ''), {id: c.Id, labels: c.Labels}]));
}

const run = (ref: StackRef, service: string, cmd: string[], input?: string, index = 1) => execCollect(orch, ref, service, cmd, input, index);

before(async () => {
  await requireEngine(docker);
  secretsDir = await mkdtemp(join(tmpdir(), 'spin-secrets-'));
  orch = new DockerOrchestrator({docker, secretsDir, publishHostIp: '127.0.0.1', pollMs: 500});
  imageId = await buildBusyboxImage(docker, image, owner);
});

after(async () => {
  // The image's owner last: an image a container still uses cannot be removed.
  for (const p of [...projects].reverse()) await cleanupProject(docker, p);
  for (const name of unlabelled) await docker.getNetwork(name).remove().catch(() => undefined);
  if (secretsDir) await rm(secretsDir, {recursive: true, force: true});
});

describe('tenants on one engine', {concurrency: true}, () => {
  test('project "a" stack "x-s" and project "a-x" stack "s" get different container names', async () => {
    const a = project();
    const ax = project(`${a}-x`);
    await healthy({project: a, stack: 'x-s'}, {services: {w: SLEEPER}});
    // Joined with dashes, both wanted "<a>-x-s-w-1": the second deploy was refused as a conflict.
    await healthy({project: ax, stack: 's'}, {services: {w: SLEEPER}});
    assert.deepEqual([...(await containersOf(a)).keys()], [`${a}.x-s.w.1`]);
    assert.deepEqual([...(await containersOf(ax)).keys()], [`${ax}.s.w.1`]);
  });

  test('network_mode service: never joins another project\'s container', async () => {
    const attacker = project();
    const victim = project(`${attacker}-x`);
    await healthy({project: victim, stack: 's'}, {services: {w: WEB}});
    // Service "w" of the attacker's stack has no replica: "service:w" used to become the name
    // "<attacker>-x-s-w-1", which was the victim's container.
    const doc = {services: {w: {...SLEEPER, deploy: {replicas: 0}}, spy: {...SLEEPER, network_mode: 'service:w'}}};
    await assert.rejects(deploy({project: attacker, stack: 'x-s'}, await model('x-s', doc)), (err: unknown) =>
      err instanceof InvalidInputError &&
      err.message === 'service "spy" joins the network of service "w" (network_mode: service:w), but "w" runs 0 replicas' &&
      err.hint === 'give "w" at least one replica in this stack, or remove network_mode from "spy"',
    );
    assert.deepEqual([...(await containersOf(attacker)).keys()], [], 'nothing of the attacker was started');
  });

  test('network_mode service: joins a replica of the same stack, found by labels, applied first', async () => {
    const p = project();
    const ref = {project: p, stack: 'pod'};
    const m = await model('pod', {services: {web: {...WEB, deploy: {replicas: 2}}, side: {...SLEEPER, network_mode: 'service:web'}}});
    // A model sent straight to the API need not carry the depends_on entry the loader adds.
    const crafted = {...m, services: {...m.services, side: {...m.services.side, depends_on: {}}}};
    const result = await deploy(ref, crafted);
    assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));
    const containers = await containersOf(p);
    const web1 = containers.get(`${p}.pod.web.1`);
    assert.ok(web1);
    const side = await docker.getContainer(containers.get(`${p}.pod.side.1`)?.id ?? '').inspect();
    assert.equal(side.HostConfig.NetworkMode, `container:${web1.id}`);
    // Inside, side shares web replica 1's network: its localhost is web's httpd.
    const got = await run(ref, 'side', ['wget', '-q', '-O', '-', 'http://127.0.0.1:8080/']);
    assert.deepEqual([got.code, got.stdout], [0, `${web1.id.slice(0, 12)}\n`]);
  });

  test('containers named the old way (dashes) are still kept, renamed, replaced and removed by their labels', async () => {
    const p = project();
    const ref = {project: p, stack: 'legacy'};
    const doc = (mode: string) => ({services: {web: {...SLEEPER, environment: {MODE: mode}, deploy: {replicas: 2}}}});
    await healthy(ref, doc('one'));
    const toOldNames = async () => {
      for (const [name, c] of await containersOf(p)) {
        const old = `${p}-legacy-web-${c.labels[LABELS.replica]}`;
        if (name !== old) await docker.getContainer(c.id).rename({name: old});
      }
      const names = [...(await containersOf(p)).keys()].sort();
      assert.deepEqual(names, [`${p}-legacy-web-1`, `${p}-legacy-web-2`]);
      return containersOf(p);
    };

    // Unchanged: the same containers, now under their new names.
    const old = await toOldNames();
    const same = await healthy(ref, doc('one'));
    assert.equal(same.plan.noop, true);
    const kept = await containersOf(p);
    assert.deepEqual([...kept.keys()].sort(), [`${p}.legacy.web.1`, `${p}.legacy.web.2`]);
    assert.deepEqual([...kept.values()].map((c) => c.id).sort(), [...old.values()].map((c) => c.id).sort());
    assert.deepEqual((await orch.status(ref)).services[0].replicas.map((r) => r.container), [`${p}.legacy.web.1`, `${p}.legacy.web.2`]);

    // Changed: the old containers go, new ones take the new names.
    const before = await toOldNames();
    const changed = await healthy(ref, doc('two'), {revision: 2});
    assert.equal(changed.plan.services[0].action, 'recreate');
    const replaced = await containersOf(p);
    assert.deepEqual([...replaced.keys()].sort(), [`${p}.legacy.web.1`, `${p}.legacy.web.2`]);
    for (const c of before.values()) assert.ok(![...replaced.values()].some((r) => r.id === c.id));

    // Removed with the stack.
    await toOldNames();
    await orch.remove(ref);
    assert.deepEqual([...(await containersOf(p)).keys()], []);
  });

  test('another project\'s network or volume is refused as external; an unlabelled one in the project\'s namespace is not', async () => {
    const victim = project();
    const attacker = project();
    await healthy({project: victim, stack: 's'}, {volumes: {data: {}}, services: {db: {...SLEEPER, volumes: ['data:/data']}}});
    const uses = (networks: Record<string, unknown>, volumes: Record<string, unknown>) => ({
      networks,
      volumes,
      services: {spy: {...SLEEPER, ...(Object.keys(networks).length ? {networks: Object.keys(networks)} : {}), volumes: Object.keys(volumes).map((k) => `${k}:/mnt/${k}`)}},
    });
    const refused = async (doc: Record<string, unknown>, message: string) => {
      await assert.rejects(deploy({project: attacker, stack: 'x'}, await model('x', doc)), (err: unknown) => err instanceof EngineError && err.code === 'engine.conflict' && err.message === message);
      assert.deepEqual([...(await containersOf(attacker)).keys()], []);
    };
    await refused(uses({net: {external: true, name: `${victim}.s`}}, {}), `network "${victim}.s" exists but belongs to project "${victim}" stack "s"`);
    await refused(uses({}, {data: {external: true, name: `${victim}.s_data`}}), `volume "${victim}.s_data" exists but belongs to project "${victim}" stack "s"`);

    // An admin's network without Spin labels: fine when named "<project>.…", refused otherwise.
    const shared = `${attacker}.shared`;
    const stray = uniqueName('spin-test-stray-');
    for (const name of [shared, stray]) {
      unlabelled.push(name);
      await docker.createNetwork({Name: name, Driver: 'bridge', CheckDuplicate: true});
    }
    await refused(uses({net: {external: true, name: stray}}, {}), `network "${stray}" exists but is not managed by Spin`);
    const ok = await healthy({project: attacker, stack: 'x'}, uses({net: {external: true, name: shared}}, {}));
    assert.deepEqual(ok.plan.create.networks, []);
    const spy = [...(await containersOf(attacker)).values()][0];
    assert.deepEqual(Object.keys((await docker.getContainer(spy.id).inspect()).NetworkSettings.Networks), [shared]);
    await orch.remove({project: attacker, stack: 'x'});
  });

  test('an image given by its ID or ID prefix is not run', async () => {
    const p = project();
    const hex = imageId.replace(/^sha256:/, '');
    for (const [stack, reference] of [['short', hex.slice(0, 12)], ['prefixed', `sha256:${hex.slice(0, 16)}`], ['full', imageId]] as const) {
      await assert.rejects(deploy({project: p, stack}, await model(stack, {services: {app: {...SLEEPER, image: reference}}})), (err: unknown) => {
        assert.ok(err instanceof OperationError || err instanceof InvalidInputError, String(err));
        assert.match((err as Error).message, new RegExp(`image "${reference}"`));
        return true;
      });
      // The plan sees no image either, and never the local one's ID.
      const plan = await planOnly(orch, {project: p, stack}, await model(stack, {services: {app: {...SLEEPER, image: reference}}}));
      assert.equal(plan.services[0].action, 'create');
    }
    assert.deepEqual([...(await containersOf(p)).keys()], [], 'nothing was started');
    // Named by its tag, the same image runs.
    await healthy({project: p, stack: 'tagged'}, {services: {app: SLEEPER}});
  });

  test('secret and config files carry no setuid or exec bit and no root owner', async () => {
    const p = project();
    const ref = {project: p, stack: 'files'};
    const doc = {
      secrets: {token: {file: '/unused'}},
      configs: {conf: {content: 'a=1\n'}},
      services: {
        app: {
          ...SLEEPER,
          user: '1000:1000',
          cap_drop: ['ALL'],
          secrets: [{source: 'token', uid: '0', gid: '0', mode: 0o4755}],
          configs: [{source: 'conf', target: '/etc/app.conf', uid: '0', mode: 0o6777}],
        },
      },
    };
    await healthy(ref, doc, {secrets: {token: Buffer.from('s3cret')}});
    const got = await run(ref, 'app', ['stat', '-c', '%a %u %g %n', '/run/secrets/token', '/etc/app.conf']);
    assert.deepEqual(got, {code: 0, stdout: '644 1000 1000 /run/secrets/token\n666 1000 1000 /etc/app.conf\n', stderr: ''});
    assert.equal((await run(ref, 'app', ['cat', '/run/secrets/token'])).stdout, 's3cret');
  });

  test('network driver options and foreign host addresses are refused before anything is created', async () => {
    const p = project();
    await assert.rejects(
      deploy({project: p, stack: 'opts'}, await model('opts', {networks: {back: {driver_opts: {'com.docker.network.driver.mtu': '1400'}}}, services: {app: {...SLEEPER, networks: ['back']}}})),
      (err: unknown) => err instanceof InvalidInputError && /network "back" sets driver_opts/.test(err.message),
    );
    // This agent publishes on 127.0.0.1: a port cannot ask for another address.
    await assert.rejects(
      deploy({project: p, stack: 'ports'}, await model('ports', {services: {app: {...SLEEPER, ports: [{target: 8080, host_ip: '192.0.2.1'}]}}})),
      (err: unknown) => err instanceof InvalidInputError && err.message === 'service "app" publishes port 8080 on host address "192.0.2.1", but this agent publishes on "127.0.0.1"',
    );
    assert.deepEqual([...(await containersOf(p)).keys()], []);
    assert.deepEqual(await docker.listNetworks({filters: {label: [`${LABELS.project}=${p}`]}}), []);
  });

  test('a port asking for every address is published on the agent\'s address only', async () => {
    const p = project();
    const result = await healthy({project: p, stack: 'all'}, {services: {app: {...SLEEPER, ports: [{target: 8080, host_ip: '0.0.0.0'}, {target: 8081, host_ip: '::'}]}}});
    const ports = result.status.services[0].ports.map((x) => [x.target, x.hostIp]).sort();
    assert.deepEqual(ports, [[8080, '127.0.0.1'], [8081, '127.0.0.1']]);
  });
});
