// The agent as an attacker meets it: crafted stacks sent straight to the API (no CLI, no local
// validation) by users of other projects, against a real agent on the real engine. Each case is
// one that got through before the policy became an allow-list; each must now be refused before
// anything reaches the engine, or run with the limits `docker inspect` shows. No case deploys a
// network or volume that could touch the host's interfaces or file systems: those are refused by
// the policy, and the engine is checked to hold nothing of the attacking stack.

import assert from 'node:assert/strict';
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import WebSocket from 'ws';

import {LABELS} from '../../src/lib/engine/types.ts';
import {startAgent, type AgentProcess} from '../helpers/agent.ts';
import {buildBusyboxImage, cleanupProject, dockerClient, requireEngine, uniqueName} from '../helpers/docker.ts';

const docker = dockerClient();
const projectA = uniqueName('atk');
const projectB = uniqueName('vic');
/** A project whose name is A's plus "-x": the dash-joined names of old collided with A's. */
const projectAx = `${projectA}-x`;
const image = `spin-it/${projectA}:busybox`;
const REGISTRY = '127.0.0.1:5999';
const root = mkdtempSync(join(tmpdir(), 'spin-atk-'));
/** The "global file system" of this test: the site policy's roots live under it. */
const globalRoot = join(root, 'global');
let agent: AgentProcess;
let tokenA: string;
let tokenB: string;
let tokenAx: string;
let imageId: string;

type Doc = Record<string, unknown> & {services: Record<string, Record<string, unknown>>};
type Envelope = {error?: {code: string; message: string; hint?: string; diagnostics?: {rule?: string; path?: string; message: string}[]}};

function service(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {image, init: true, cap_drop: ['ALL'], command: ['sleep', '3600'], healthcheck: {test: ['CMD', 'true'], interval: '1s', timeout: '2s', retries: 30}, ...extra};
}

/** A deploy as the API receives it; the result line of the NDJSON answer, or the error envelope. */
async function deploy(token: string, project: string, stack: string, model: Doc, secrets?: Record<string, string>): Promise<{status: number; body: Envelope & {result?: {outcome: string}}}> {
  const res = await fetch(`${agent.url}/v1/projects/${project}/stacks/${stack}/deploy`, {
    method: 'POST',
    headers: {authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json'},
    body: JSON.stringify({model, timeoutSeconds: 60, ...(secrets ? {secrets} : {})}),
  });
  const parsed = (await res.json()) as Envelope & {outcome?: string};
  return {status: res.status, body: parsed.error ? parsed : {result: parsed as {outcome: string}}};
}

/** Everything of one stack on the engine: containers, networks, volumes. */
async function engineObjects(project: string, stack: string): Promise<string[]> {
  const label = [`${LABELS.project}=${project}`, `${LABELS.stack}=${stack}`];
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({all: true, filters: {label}}),
    docker.listNetworks({filters: {label}}),
    docker.listVolumes({filters: {label}}),
  ]);
  return [...containers.map((c) => `container ${c.Names[0]}`), ...networks.map((n) => `network ${n.Name}`), ...(volumes.Volumes ?? []).map((v) => `volume ${v.Name}`)];
}

async function containerOf(project: string, stack: string, svc: string) {
  const [c] = await docker.listContainers({all: true, filters: {label: [`${LABELS.project}=${project}`, `${LABELS.stack}=${stack}`, `${LABELS.service}=${svc}`]}});
  assert.ok(c, `no container for ${project}/${stack}/${svc}`);
  return docker.getContainer(c.Id).inspect();
}

/** Runs a command through the exec WebSocket; `status` is set when the upgrade was refused. */
function exec(token: string, project: string, stack: string, svc: string, cmd: string[], user?: string): Promise<{status?: number; output: string}> {
  const url = new URL(`${agent.url.replace(/^http/, 'ws')}/v1/projects/${project}/stacks/${stack}/exec`);
  url.searchParams.set('service', svc);
  url.searchParams.set('cmd', JSON.stringify(cmd));
  if (user !== undefined) url.searchParams.set('user', user);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {headers: {authorization: `Bearer ${token}`}});
    let output = '';
    let refused = false;
    ws.on('unexpected-response', (_req, res) => {
      refused = true;
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({status: res.statusCode, output: body}));
    });
    ws.on('message', (data: Buffer, isBinary) => (output += isBinary ? data.subarray(1).toString() : `${data.toString()}\n`));
    ws.on('close', () => resolve({output}));
    ws.on('error', (err) => (refused ? undefined : reject(err)));
  });
}

before(async () => {
  await requireEngine(docker);
  imageId = await buildBusyboxImage(docker, image, projectA);
  for (const p of [projectA, projectB, projectAx]) mkdirSync(join(globalRoot, p, 'data'), {recursive: true, mode: 0o755});
  const policyFile = join(root, 'site.yaml');
  writeFileSync(policyFile, `bind_mounts:\n  allowed_roots: ["${globalRoot}/{project}"]\nglobal_fs:\n  roots: ["${globalRoot}"]\n`);
  agent = await startAgent({args: ['--policy', policyFile, '--registry', REGISTRY]});
  tokenA = await agent.addUser('mallory', {projects: [projectA], uid: 1000, gid: 1000});
  tokenB = await agent.addUser('victor', {projects: [projectB], uid: 2000, gid: 2000});
  tokenAx = await agent.addUser('carol', {projects: [projectAx], uid: 3000, gid: 3000});
  const victim = await deploy(tokenB, projectB, 'app', {services: {db: service()}});
  assert.equal(victim.body.result?.outcome, 'healthy', JSON.stringify(victim.body));
});

after(async () => {
  await agent?.stop('SIGKILL');
  for (const p of [projectAx, projectB, projectA]) await cleanupProject(docker, p);
  agent?.cleanup();
  rmSync(root, {recursive: true, force: true});
});

describe('crafted stacks are refused before they reach the engine', () => {
  const onGlobal = (extra: Record<string, unknown>) => service({user: '1000:1000', volumes: [`${globalRoot}/${projectA}/data:/data`], ...extra});
  const cases: [string, () => Doc, string][] = [
    ['a volume that mounts the kernel procfs', () => ({services: {w: service({volumes: ['k:/k']})}, volumes: {k: {driver_opts: {type: 'proc', device: 'proc'}}}}), 'volumes'],
    ["a volume whose overlay reads the agent's data dir", () => ({services: {w: service({volumes: ['o:/o']})}, volumes: {o: {driver_opts: {type: 'overlay', o: `lowerdir=${agent.dataDir},upperdir=/tmp/u,workdir=/tmp/w`, device: 'overlay'}}}}), 'volumes'],
    ["network_mode naming another project's network", () => ({services: {w: service({network_mode: `${projectB}.app`})}}), 'host-namespaces'],
    ['network_mode bridge (the engine default bridge)', () => ({services: {w: service({network_mode: 'bridge'})}}), 'host-namespaces'],
    ['an inline allow-all seccomp profile', () => ({services: {w: service({security_opt: [`seccomp=${JSON.stringify({defaultAction: 'SCMP_ACT_ALLOW'})}`]})}}), 'security-opt'],
    ["a network that takes over the engine's bridge interface", () => ({services: {w: service()}, networks: {default: {driver_opts: {'com.docker.network.bridge.name': 'docker0'}}}}), 'networks'],
    ['a macvlan network on a host interface', () => ({services: {w: service({networks: ['lan']})}, networks: {lan: {driver: 'macvlan', driver_opts: {parent: 'eth0'}}}}), 'networks'],
    ['an image given by a short ID', () => ({services: {w: service({image: imageId.replace('sha256:', '').slice(0, 12)})}}), 'registry'],
    ['an image given by its full ID', () => ({services: {w: service({image: imageId})}}), 'registry'],
    ["another project's image on the platform registry", () => ({services: {w: service({image: `${REGISTRY}/${projectB}/app:1`})}}), 'registry'],
    ['group_add root on a global file system', () => ({services: {w: onGlobal({group_add: ['0']})}}), 'isolation'],
    ['a root-owned setuid secret', () => ({services: {w: service({user: '1000:1000', secrets: [{source: 'tok', uid: '0', gid: '0', mode: 0o4755}]})}, secrets: {tok: {external: true}}}), 'files'],
    ["a log driver sending to the host's loopback", () => ({services: {w: service({logging: {driver: 'syslog', options: {'syslog-address': 'tcp://127.0.0.1:2375'}}})}}), 'logging'],
    ['100000 replicas', () => ({services: {w: service({deploy: {replicas: 100000}})}}), 'resources'],
    ['unbounded swap, a huge /dev/shm, a negative OOM score, real-time ulimits', () => ({services: {w: service({memswap_limit: -1, shm_size: '64g', oom_score_adj: -1000, ulimits: {rtprio: 99}})}}), 'resources'],
    ['the Docker API socket', () => ({services: {w: service({use_api_socket: true})}}), 'fields'],
    ['a post_start hook run privileged', () => ({services: {w: service({post_start: [{command: ['sh', '-c', 'id'], privileged: true, user: 'root'}]})}}), 'fields'],
  ];

  for (const [name, doc, rule] of cases) {
    test(name, async () => {
      const stack = `s${cases.findIndex((c) => c[0] === name)}`;
      const {status, body} = await deploy(tokenA, projectA, stack, doc());
      assert.equal(status, 422, JSON.stringify(body));
      assert.equal(body.error?.code, 'policy.violation', JSON.stringify(body));
      const rules = (body.error?.diagnostics ?? []).map((d) => d.rule);
      assert.ok(rules.includes(rule), `expected rule ${rule}, got ${JSON.stringify(body.error?.diagnostics)}`);
      assert.ok((body.error?.diagnostics ?? []).every((d) => d.path && d.message), 'each violation names its path');
      assert.deepEqual(await engineObjects(projectA, stack), []);
    });
  }

  test('a symlink inside the project\'s own root that points out of it is refused (the real path is checked)', async () => {
    const link = join(globalRoot, projectA, 'etc-link');
    symlinkSync('/etc', link);
    const {status, body} = await deploy(tokenA, projectA, 'link', {services: {w: service({user: '1000:1000', volumes: [`${link}:/host-etc:ro`]})}});
    assert.equal(status, 422, JSON.stringify(body));
    assert.ok(body.error?.diagnostics?.some((d) => d.rule === 'bind-mounts' && /\/etc/.test(d.message)), JSON.stringify(body.error));
    assert.deepEqual(await engineObjects(projectA, 'link'), []);
  });

  test('a model nested 10,000 levels deep is a 422, not a crash', async () => {
    // Written as text: JSON.stringify of such an object would overflow this test's own stack.
    const deep = `${'{"a":'.repeat(10_000)}"x"${'}'.repeat(10_000)}`;
    const res = await fetch(`${agent.url}/v1/projects/${projectA}/stacks/deep/deploy`, {
      method: 'POST',
      headers: {authorization: `Bearer ${tokenA}`, 'content-type': 'application/json', accept: 'application/json'},
      body: `{"model": {"services": {"w": {"image": "${image}", "labels": ${deep}}}}}`,
    });
    const body = (await res.json()) as Envelope;
    assert.equal(res.status, 422, JSON.stringify(body).slice(0, 300));
    assert.equal(body.error?.code, 'compose.invalid');
    const again = await fetch(`${agent.url}/v1/projects/${projectA}/stacks`, {headers: {authorization: `Bearer ${tokenA}`}});
    assert.equal(again.status, 200, 'the agent still answers');
  });
});

describe('what runs is bounded, as docker inspect shows', () => {
  test("names cannot collide: project A's stack x-s and project A-x's stack s run side by side, and removing one leaves the other", async () => {
    const a = await deploy(tokenA, projectA, 'x-s', {services: {w: service()}});
    assert.equal(a.body.result?.outcome, 'healthy', JSON.stringify(a.body));
    const ax = await deploy(tokenAx, projectAx, 's', {services: {w: service()}});
    assert.equal(ax.body.result?.outcome, 'healthy', JSON.stringify(ax.body));
    const mine = await containerOf(projectA, 'x-s', 'w');
    const theirs = await containerOf(projectAx, 's', 'w');
    assert.notEqual(mine.Name, theirs.Name);
    assert.equal(mine.Config.Labels[LABELS.project], projectA);
    const removed = await fetch(`${agent.url}/v1/projects/${projectAx}/stacks/s`, {method: 'DELETE', headers: {authorization: `Bearer ${tokenAx}`}});
    assert.ok(removed.status < 300, `rm answered ${removed.status}`);
    assert.equal((await docker.getContainer(mine.Id).inspect()).State.Running, true, "A's container survived A-x's rm");
  });

  test("network_mode service: of a service at 0 replicas is refused, never another project's container", async () => {
    // Project A-x runs a container once named like A's "w" replica would have been.
    await deploy(tokenAx, projectAx, 'z', {services: {w: service()}});
    const {status, body} = await deploy(tokenA, projectA, 'x', {services: {w: service({deploy: {replicas: 0}}), v: service({network_mode: 'service:w'})}});
    assert.ok(status >= 400 || body.result?.outcome !== 'healthy', JSON.stringify(body));
    const message = body.error?.message ?? '';
    assert.match(message, /"w"/, JSON.stringify(body));
    const theirs = await containerOf(projectAx, 'z', 'w');
    const joined = await docker.listContainers({all: true, filters: {label: [`${LABELS.project}=${projectA}`, `${LABELS.stack}=x`, `${LABELS.service}=v`]}});
    for (const c of joined) {
      const info = await docker.getContainer(c.Id).inspect();
      assert.notEqual(info.HostConfig.NetworkMode, `container:${theirs.Id}`);
      assert.notEqual(info.HostConfig.NetworkMode, `container:${theirs.Name.replace(/^\//, '')}`);
    }
  });

  test('a service runs with the default pids limit and its ports on the agent\'s publish address', async () => {
    const port = String(60000 + Math.floor(Math.random() * 50));
    const r = await deploy(tokenA, projectA, 'pids', {services: {w: service({ports: [{target: 80, published: port, host_ip: '0.0.0.0'}]})}});
    assert.equal(r.body.result?.outcome, 'healthy', JSON.stringify(r.body));
    const info = await containerOf(projectA, 'pids', 'w');
    assert.equal(info.HostConfig.PidsLimit, 1024);
    const bindings = Object.values(info.HostConfig.PortBindings ?? {}).flat() as {HostIp: string}[];
    assert.ok(bindings.length > 0);
    for (const b of bindings) assert.equal(b.HostIp, '127.0.0.1', 'host_ip did not override --publish-host-ip');
  });

  test('a secret file has no exec or setuid bit and a non-root owner inside the container', async () => {
    const r = await deploy(tokenA, projectA, 'sec', {services: {w: service({user: '1000:1000', secrets: [{source: 'tok', mode: 0o755}]})}, secrets: {tok: {file: './tok'}}}, {tok: 's3cret'});
    assert.equal(r.body.result?.outcome, 'healthy', JSON.stringify(r.body));
    const out = await exec(tokenA, projectA, 'sec', 'w', ['stat', '-c', '%a %u', '/run/secrets/tok']);
    assert.match(out.output, /^644 1000\n/, out.output);
  });

  test("exec on a global file system runs as the service's user, and another user is refused", async () => {
    const r = await deploy(tokenA, projectA, 'gfs', {services: {w: service({user: '1000:1000', volumes: [`${globalRoot}/${projectA}/data:/data`]})}});
    assert.equal(r.body.result?.outcome, 'healthy', JSON.stringify(r.body));
    const asRoot = await exec(tokenA, projectA, 'gfs', 'w', ['id', '-u'], '0');
    assert.ok(asRoot.status !== undefined && asRoot.status >= 400, `exec as root was not refused: ${JSON.stringify(asRoot)}`);
    const plain = await exec(tokenA, projectA, 'gfs', 'w', ['id', '-u']);
    assert.match(plain.output, /^1000\n/, plain.output);
  });
});
