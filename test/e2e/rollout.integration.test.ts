// Upgrades without downtime, end to end: a real agent with its ingress (a real Caddy), the real
// engine, and a load generator sending requests through the ingress by host name the whole time.
// Images are busybox httpd serving their version; "bad" never answers, so it never turns healthy.

import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import http from 'node:http';
import {after, before, describe, test} from 'node:test';

import {AgentClient} from '../../src/lib/client/agent.ts';
import type {DeployEventJson} from '../../src/lib/api/types.ts';
import {LABELS} from '../../src/lib/engine/types.ts';
import {freePort, onPath} from '../../src/lib/ingress/caddy.ts';
import {startAgent, type AgentProcess} from '../helpers/agent.ts';
import {runSpin} from '../helpers/cli.ts';
import {startLoad} from '../helpers/load.ts';
import {BUSYBOX_DOCKERFILE, buildImage, cleanupProject, dockerClient, requireEngine, uniqueName} from '../helpers/docker.ts';
import {freePortInRange} from '../helpers/ports.ts';

const skip = onPath('caddy') ? false : 'caddy is not on PATH: install it (`apt-get install caddy`, scripts/setup.sh does) to run the ingress tests';
const docker = dockerClient();
const project = uniqueName('ro');
const image = (tag: string) => `spin-it/${project}:${tag}`;
const agents: AgentProcess[] = [];
let agent: AgentProcess;
let client: AgentClient;
let token: string;
let ingressPort: number;
const imageIds: Record<string, string> = {};

/** httpd on 8080 serving `version`; the bad image only sleeps. */
async function buildVersions(): Promise<void> {
  for (const version of ['v1', 'v2']) {
    const dockerfile = `${BUSYBOX_DOCKERFILE}RUN mkdir /www && echo ${version} > /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`;
    imageIds[version] = await buildImage(docker, image(version), dockerfile, {owner: project});
  }
  imageIds.bad = await buildImage(docker, image('bad'), `${BUSYBOX_DOCKERFILE}CMD ["sleep", "3600"]\n`, {owner: project});
}

function web(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    image: image('v1'),
    init: true,
    cap_drop: ['ALL'],
    healthcheck: {test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/'], interval: '500ms', timeout: '2s', retries: 3},
    'x-spin': {ingress: {port: 8080}},
    deploy: {replicas: 3},
    ...extra,
  };
}

const hostOf = (stack: string, service = 'web') => `${service}.${stack}.${project}.localhost`;

/** Steady traffic to a host through the ingress: 200 requests a second until stopped. */
const load = (host: string) => startLoad({port: ingressPort, host, rate: 200});

/** One request through the ingress. */
function get(host: string, port = ingressPort): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    http
      .get({host: '127.0.0.1', port, path: '/', headers: {host}, agent: false}, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({status: res.statusCode ?? 0, body: body.trim()}));
      })
      .on('error', reject);
  });
}

async function waitServing(host: string, body: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    const r = await get(host).catch((err: Error) => ({status: 0, body: err.message}));
    if (r.status === 200 && r.body === body) return;
    last = `${r.status} ${r.body}`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${host} did not serve "${body}" within ${ms} ms (last: ${last})`);
}

interface Replica {
  id: string;
  name: string;
  image: string;
  revision: string;
  configHash: string;
  startedAt: string;
  running: boolean;
}

async function replicas(stack: string, service?: string): Promise<Replica[]> {
  const label = [`${LABELS.project}=${project}`, `${LABELS.stack}=${stack}`, ...(service ? [`${LABELS.service}=${service}`] : [])];
  const list = await docker.listContainers({all: true, filters: {label}});
  const out = await Promise.all(
    list.map(async (c) => {
      const info = await docker.getContainer(c.Id).inspect();
      const labels = info.Config.Labels;
      return {id: info.Id, name: info.Name.slice(1), image: info.Image, revision: labels[LABELS.revision], configHash: labels[LABELS.configHash], startedAt: info.State.StartedAt, running: info.State.Running};
    }),
  );
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

const spinEnv = () => ({SPIN_URL: agent.url, SPIN_TOKEN: token, SPIN_PROJECT: project});

async function deployed(stack: string, services: Record<string, unknown>): Promise<void> {
  const result = await client.deploy(project, stack, {model: {services}, timeoutSeconds: 60});
  assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));
}

before(async () => {
  if (skip) return;
  await requireEngine(docker);
  await buildVersions();
  ingressPort = await freePort();
  agent = await startAgent({args: ['--ingress-listen', `127.0.0.1:${ingressPort}`]});
  agents.push(agent);
  token = await agent.addUser('rosa', {projects: [project]});
  client = new AgentClient({url: agent.url, token});
});

after(async () => {
  if (skip) return;
  client?.close();
  for (const a of agents) await a.stop('SIGTERM');
  await cleanupProject(docker, project);
  for (const a of agents) {
    // A Caddy left by a killed agent (its state file names it) goes too.
    try {
      const state = JSON.parse(readFileSync(`${a.dataDir}/caddy/state.json`, 'utf8')) as {pid: number};
      process.kill(state.pid, 'SIGTERM');
    } catch {
      // stopped with its agent
    }
    a.cleanup();
  }
});

describe('rolling upgrades behind the ingress', {skip}, () => {
  test('a 3-replica service upgraded under steady load: not one request fails, and the plan and events say how', async () => {
    await deployed('steady', {web: web()});
    await waitServing(hostOf('steady'), 'v1');
    const before = await replicas('steady');
    const events: DeployEventJson[] = [];
    const traffic = load(hostOf('steady'));
    await new Promise((r) => setTimeout(r, 500));
    const result = await client.upgrade(project, 'steady', {images: {web: image('v2')}, timeoutSeconds: 120}, (e) => events.push(e));
    await new Promise((r) => setTimeout(r, 500));
    const report = await traffic.stop();

    assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));
    assert.deepEqual(report.errors, [], `failed requests during the upgrade: ${report.failed}`);
    // Not even a request sent again after the proxy closed an idle connection (see helpers/load.ts).
    assert.deepEqual([report.failed, report.retried], [0, 0]);
    assert.ok(report.ok > 500, `only ${report.ok} requests were served`);
    assert.deepEqual(report.sequence.at(-1), 'v2');
    assert.ok(report.bodies.v1 > 0 && report.bodies.v2 > 0, JSON.stringify(report.bodies));
    assert.equal(result.plan.services[0].rollout?.summary, 'start-first (behind the ingress), 1 at a time, on failure rollback');

    // Per replica: the new one is healthy before the old one leaves the ingress, then stops.
    const order = events.filter((e) => e.service === 'web' && e.replica !== undefined).map((e) => `${e.type} ${e.replica}`);
    for (const n of [1, 2, 3]) {
      const healthy = order.indexOf(`healthy ${n}`);
      const drain = order.indexOf(`drain ${n}`);
      const stop = order.indexOf(`stop ${n}`);
      assert.ok(healthy >= 0 && healthy < drain && drain < stop, `replica ${n}: ${order.join(', ')}`);
    }
    const after = await replicas('steady');
    assert.deepEqual(after.map((r) => [r.name, r.image, r.revision, r.running]), [1, 2, 3].map((n) => [`${project}.steady.web.${n}`, imageIds.v2, '2', true]));
    assert.ok(after.every((r) => !before.some((b) => b.id === r.id)));
  });

  test('spin rollback after a successful upgrade restores the previous digests, again without a failed request', async () => {
    const traffic = load(hostOf('steady'));
    const r = await runSpin(['rollback', '--stack', 'steady'], {env: spinEnv()});
    const report = await traffic.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^stack steady in project ro[0-9a-f]+: revision 3 healthy$/m);
    assert.deepEqual(report.errors, []);
    assert.equal(report.sequence.at(-1), 'v1');
    const now = await replicas('steady');
    assert.deepEqual(now.map((c) => [c.image, c.revision]), [1, 2, 3].map(() => [imageIds.v1, '3']));
    const history = (await client.revisions(project, 'steady')).revisions;
    assert.deepEqual(history.map((h) => [h.number, h.outcome]), [[3, 'healthy'], [2, 'healthy'], [1, 'healthy']]);
    assert.deepEqual(history[0].images, history[2].images);
  });

  test('an upgrade to an image that never turns healthy is rolled back by itself; the old replicas never stop serving', async () => {
    const before = await replicas('steady');
    const traffic = load(hostOf('steady'));
    const r = await runSpin(['upgrade', '--stack', 'steady', '--image', `web=${image('bad')}`, '--timeout', '60s'], {env: spinEnv()});
    const report = await traffic.stop();

    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^error: upgrading stack "steady" failed: service "web" replica 1: turned unhealthy: its healthcheck failed \(exit code 1/m);
    assert.match(r.stdout, /^stack steady in project ro[0-9a-f]+: revision 4 failed and was rolled back to revision 3, which runs healthy$/m);
    assert.match(r.stderr, / plan: web: recreate \(image changed; start-first \(behind the ingress\), 1 at a time, on failure rollback\)$/m);
    assert.deepEqual(report.errors, []);
    assert.deepEqual(Object.keys(report.bodies), ['v1']);
    // The very same containers, never restarted, and no replacement left behind.
    assert.deepEqual(await replicas('steady'), before);
    const history = (await client.revisions(project, 'steady')).revisions;
    assert.deepEqual([history[0].number, history[0].outcome], [4, 'rolled-back']);
    assert.match(history[0].message ?? '', /^service "web" replica 1: turned unhealthy: .*; rolled back to revision 3$/);
    assert.equal((await client.stack(project, 'steady')).currentRevision, 3);
  });

  test('stop-first for a service on a fixed host port and a one-shot that runs again, as the plan says', async () => {
    const port = await freePortInRange(60000, 60050);
    const job = {image: image('v1'), init: true, cap_drop: ['ALL'], restart: 'no', command: ['sh', '-c', 'echo migrated']};
    await deployed('fixed', {web: web({deploy: {replicas: 1}, ports: [`${port}:8080`], 'x-spin': undefined}), job});
    const events: DeployEventJson[] = [];
    const result = await client.upgrade(project, 'fixed', {images: {web: image('v2'), job: image('v2')}, timeoutSeconds: 60}, (e) => events.push(e));
    assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));
    const plan = Object.fromEntries(result.plan.services.map((s) => [s.service, [s.action, s.rollout?.order, s.rollout?.why]]));
    assert.deepEqual(plan, {
      job: ['recreate', 'stop-first', 'a one-shot: the old run goes, the new one runs to completion'],
      web: ['recreate', 'stop-first', `publishes host port ${port}, which one container at a time can bind`],
    });
    const web1 = events.filter((e) => e.service === 'web').map((e) => e.type);
    assert.ok(web1.indexOf('remove') < web1.indexOf('create'), `web: ${web1.join(', ')}`);
    assert.ok(events.some((e) => e.service === 'job' && e.type === 'done'), 'the one-shot ran to completion');
    assert.deepEqual(await get('localhost', port), {status: 200, body: 'v2'});
    assert.deepEqual((await replicas('fixed', 'job')).map((c) => [c.image, c.running]), [[imageIds.v2, false]]);
  });

  test('an agent killed mid-rollout and started again leaves the stack on one revision, not a mix', async () => {
    await deployed('crash', {web: web({deploy: {replicas: 3, update_config: {delay: '30s'}}})});
    await waitServing(hostOf('crash'), 'v1');
    const good = await replicas('crash');
    let midway!: () => void;
    const reached = new Promise<void>((resolve) => (midway = resolve));
    const upgrade = client.upgrade(project, 'crash', {images: {web: image('v2')}, timeoutSeconds: 120}, (e) => e.type === 'remove' && e.replica === 1 && midway()).then(
      () => assert.fail('the upgrade finished although the agent was killed'),
      (err: Error) => err,
    );
    await reached;
    // One replica is on revision 2, two on revision 1: the agent dies in the 30 s delay.
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual((await replicas('crash')).map((c) => c.revision).sort(), ['1', '1', '2']);
    await agent.stop('SIGKILL');
    await upgrade;

    const traffic = load(hostOf('crash'));
    const next = await startAgent({dataDir: agent.dataDir, args: ['--ingress-listen', `127.0.0.1:${ingressPort}`]});
    agents.push(next);
    agent = next;
    client.close();
    client = new AgentClient({url: next.url, token});
    await waitServing(hostOf('crash'), 'v1', 30_000);
    const report = await traffic.stop();
    const now = await replicas('crash');
    assert.deepEqual(now.map((c) => [c.name, c.revision, c.configHash, c.image, c.running]), good.map((c) => [c.name, '1', c.configHash, imageIds.v1, true]));
    // The two replicas the rollout had not reached were never touched.
    assert.deepEqual(now.slice(1).map((c) => c.id), good.slice(1).map((c) => c.id));
    const history = (await client.revisions(project, 'crash')).revisions;
    assert.deepEqual(history.map((h) => [h.number, h.outcome]), [[2, 'interrupted'], [1, 'healthy']]);
    // The proxy outlived the agent and kept serving while it was down.
    assert.ok(report.ok > 0 && report.sequence.every((b) => b === 'v1' || b === 'v2'), JSON.stringify(report));
  });
});

