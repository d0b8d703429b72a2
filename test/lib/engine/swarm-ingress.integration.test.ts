// The cluster ingress end to end: a real 3-node Swarm (test/helpers/swarm.ts), a real `spin agent
// start --ingress-listen` against its manager, which builds the proxy's image from this host's
// Caddy and runs it on the manager's engine, attached to the stacks' overlay networks. Requests go
// to the manager's address, as users' would. The tests share one cluster and run in order; `after`
// removes the cluster (proxy containers included), the agent's data and the local image tags.

import assert from 'node:assert/strict';
import http from 'node:http';
import {appendFile, copyFile, mkdtemp, mkdir, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {after, before, describe, test} from 'node:test';


import {LABELS} from '../../../src/lib/engine/types.ts';
import {proxyImage, pruneProxyImages} from '../../../src/lib/ingress/swarm-proxy.ts';
import {startAgent, type AgentProcess} from '../../helpers/agent.ts';
import {runSpin, type RunResult} from '../../helpers/cli.ts';
import {BUSYBOX_DOCKERFILE, buildImage, dockerClient, requireEngine, uniqueName} from '../../helpers/docker.ts';
import {startLoad, type LoadReport} from '../../helpers/load.ts';
import {cleanupSwarmSuite, managerUrl, pushToSwarmRegistry, registryLogin, startSwarm, type TestSwarm} from '../../helpers/swarm.ts';

const docker = dockerClient();
const projectA = uniqueName('ta');
const projectB = uniqueName('tb');
const localV1 = `spin-test-${projectA}:v1`;
const localV2 = `spin-test-${projectA}:v2`;
const PORT = 18080;

let swarm: TestSwarm | undefined;
let agent: AgentProcess | undefined;
let root: string;
let imageV1: string;
let imageV2: string;
/** v1 under project B's own path on the registry, as the policy wants. */
let imageB: string;
let envA: Record<string, string>;
let envB: Record<string, string>;
let proxyAddress: string;
let agentOptions: Parameters<typeof startAgent>[0];

/** `/` answers the image's version (v1, or what /version holds), `/host` the task's hostname (its container ID). */
function web(image: string, replicas = 3) {
  return {
    image,
    init: true,
    cap_drop: ['ALL'],
    command: ['sh', '-c', 'mkdir -p /tmp/www && ln -s /cgi /tmp/www/cgi-bin && (cat /version 2>/dev/null || echo v1) > /tmp/www/index.html && hostname > /tmp/www/host && echo ok > /tmp/www/health && exec httpd -f -p 8080 -h /tmp/www'],
    // Tolerant: on a shared 2-core machine a slow check must not make Swarm replace a sound task.
    healthcheck: {test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/health'], interval: '1s', timeout: '5s', retries: 4},
    // No max_replicas_per_node: 1 here, which would leave a start-first update no node to start on;
    // Swarm spreads a service's tasks over the nodes by itself.
    deploy: {replicas},
    'x-spin': {ingress: {port: 8080}},
  };
}

async function deploy(env: Record<string, string>, stack: string, services: Record<string, unknown>): Promise<RunResult> {
  const dir = join(root, `${env.SPIN_PROJECT}-${stack}`);
  await mkdir(dir, {recursive: true});
  await writeFile(join(dir, 'compose.yaml'), JSON.stringify({services}, null, 2) + '\n');
  return runSpin(['deploy', '--stack', stack, '--timeout', '120s'], {cwd: dir, env});
}

function expectCode(r: RunResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

/** One GET through the proxy with a Host header. */
function get(host: string, path = '/'): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const req = http.get({host: proxyAddress, port: PORT, path, headers: {host}, agent: false, timeout: 5000}, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: body.trim()}));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

interface Task {
  ID: string;
  NodeID: string;
  DesiredState: string;
  Status: {State: string; ContainerStatus?: {ContainerID?: string}};
  NetworksAttachments?: {Network: {Spec: {Labels?: Record<string, string>}}; Addresses: string[]}[];
}

async function runningTasks(project: string, stack: string): Promise<Task[]> {
  const tasks = (await swarm!.manager.listTasks({filters: {label: [`${LABELS.project}=${project}`, `${LABELS.stack}=${stack}`], 'desired-state': ['running']}})) as Task[];
  return tasks.filter((t) => t.Status.State === 'running');
}

/** The task's address on its stack's own overlay network. */
function addressOf(t: Task, project: string): string {
  const a = (t.NetworksAttachments ?? []).find((n) => n.Network.Spec.Labels?.[LABELS.project] === project);
  assert.ok(a, `task ${t.ID} has an address on project ${project}'s network`);
  return a.Addresses[0].replace(/\/\d+$/, '');
}

/** Runs a command in a task's container, on the engine of the node it runs on. */
async function execInTask(t: Task, cmd: string[]): Promise<{code: number; output: string}> {
  const node = await swarm!.manager.getNode(t.NodeID).inspect() as {Status: {Addr: string}; ManagerStatus?: {Addr?: string}};
  const address = node.Status.Addr === '0.0.0.0' ? node.ManagerStatus?.Addr?.replace(/:\d+$/, '') : node.Status.Addr;
  const engine = swarm!.nodes.find((n) => n.address === address)!.docker;
  const exec = await engine.getContainer(t.Status.ContainerStatus!.ContainerID!).exec({Cmd: cmd, AttachStdout: true, AttachStderr: true});
  const stream = await exec.start({});
  let output = '';
  stream.on('data', (d: Buffer) => (output += d.toString('latin1')));
  await new Promise((r) => stream.on('end', r));
  return {code: ((await exec.inspect()) as {ExitCode: number}).ExitCode, output};
}

/** The upstreams the proxy routes a host name to now, read from its admin API (the socket under the agent's data folder). */
async function upstreams(host: string): Promise<string[]> {
  const config = await new Promise<string>((resolve, reject) => {
    const req = http.request({socketPath: join(agent!.dataDir, 'swarm-ingress', 'admin.sock'), path: '/config/apps/http/servers/spin/routes', setHost: false, headers: {host: ''}}, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
  const routes = JSON.parse(config) as {match?: {host: string[]}[]; handle: {upstreams?: {dial: string}[]}[]}[];
  const route = routes.find((r) => r.match?.[0].host.includes(host));
  return (route?.handle[0].upstreams ?? []).map((u) => u.dial).sort();
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(250);
  }
}

/**
 * Runs `change` under two streams of requests to stack A: 100/s of `/` and 10/s of a page that
 * takes a second, so requests are in flight on a task whenever it is stopped. Asserts none failed.
 * The slow stream is GET (which Caddy sends again to another task when one dies mid-request) or
 * POST (which nobody may send twice: only a task taken out of the proxy before it stops keeps it).
 */
async function underLoad(t: {diagnostic(m: string): void}, what: string, slowMethod: 'GET' | 'POST', change: () => Promise<RunResult>): Promise<{result: RunResult; fast: LoadReport}> {
  const fast = startLoad({address: proxyAddress, port: PORT, host: hostA(), rate: 100, connections: 16});
  const slow = startLoad({address: proxyAddress, port: PORT, host: hostA(), path: '/cgi-bin/slow', method: slowMethod, rate: 10, connections: 32});
  await sleep(1000);
  const r = await change();
  await sleep(2000);
  const [f, s] = [await fast.stop(), await slow.stop()];
  for (const [name, report] of [['fast', f], [`slow ${slowMethod}`, s]] as const) {
    t.diagnostic(`${what}, ${name}: ${report.sent} sent, ${report.ok} ok, ${report.failed} failed, ${report.retried} retried, ${Math.round(report.durationMs)} ms`);
  }
  assert.equal(f.failed, 0, `failed requests: ${f.errors.join('; ')}`);
  assert.equal(s.failed, 0, `failed slow requests: ${s.errors.join('; ')}`);
  assert.ok(f.ok > 300 && s.ok > 30, `${f.ok} + ${s.ok} requests answered`);
  assert.deepEqual(Object.keys(s.bodies), ['slow']);
  return {result: r, fast: f};
}

const hostA = () => `web.portal.${projectA}.localhost`;
const hostB = () => `web.other.${projectB}.localhost`;


before(async () => {
  await requireEngine(docker);
  swarm = await startSwarm(3);
  root = await mkdtemp(join(tmpdir(), 'spin-swarm-ing-'));
  // /cgi-bin/slow answers after a second: requests still in flight when a task is stopped.
  const cgi = `${BUSYBOX_DOCKERFILE}COPY slow /cgi/slow\nRUN ["/bin/chmod", "755", "/cgi/slow"]\n`;
  const slow = '#!/bin/sh\nsleep 1\nprintf "Content-Type: text/plain\\r\\n\\r\\nslow\\n"\n';
  await buildImage(docker, localV1, cgi, {files: {slow}, owner: projectA});
  await buildImage(docker, localV2, `${cgi}COPY version /version\n`, {files: {slow, version: 'v2\n'}, owner: projectA});
  imageV1 = await pushToSwarmRegistry(docker, localV1, swarm, `${projectA}/web1`);
  imageV2 = await pushToSwarmRegistry(docker, localV2, swarm, `${projectA}/web2`);
  imageB = await pushToSwarmRegistry(docker, localV1, swarm, `${projectB}/web1`);
  const dockerConfig = await registryLogin(swarm, root);
  proxyAddress = swarm.nodes[0].address;
  agentOptions = {
    args: ['--docker-host', managerUrl(swarm!), '--registry', swarm.registry.host, '--ingress-listen', `${proxyAddress}:${PORT}`],
    env: {DOCKER_CONFIG: dockerConfig},
    logLevel: 'info',
    timeoutMs: 120_000,
  };
  agent = await startAgent(agentOptions);
  const [tokenA, tokenB] = [await agent.addUser('alice', {projects: [projectA]}), await agent.addUser('bob', {projects: [projectB]})];
  const base = {SPIN_URL: agent.url, SPIN_REGISTRY: swarm.registry.host, HOME: join(root, 'home'), XDG_CONFIG_HOME: join(root, 'home', '.config')};
  envA = {...base, SPIN_TOKEN: tokenA, SPIN_PROJECT: projectA};
  envB = {...base, SPIN_TOKEN: tokenB, SPIN_PROJECT: projectB};
});

after(() => cleanupSwarmSuite(docker, {agent, swarm, images: [localV1, localV2, imageV1, imageV2, imageB], root}));

describe('the ingress on a 3-node Swarm', () => {
  test('the proxy runs on the manager, as two containers from an image built there FROM scratch', async () => {
    assert.match(agent!.logs(), /ingress on http:\/\//);
    const proxies = await swarm!.manager.listContainers({filters: {label: ['org.spin.ingress.proxy']}});
    assert.deepEqual(proxies.map((c) => c.Names[0]).sort(), ['/spin-ingress', '/spin-ingress-front']);
    const image = await swarm!.manager.getImage(proxies[0].Image).inspect();
    assert.equal(image.RootFS.Layers?.length, 1, 'one layer: Caddy and its libraries, nothing else');
    assert.equal(image.Config.Entrypoint?.[0], '/usr/bin/caddy');
    // Nothing listens on TCP in the routing container: its admin API and its server are unix sockets.
    const ports = proxies.flatMap((c) => c.Ports.filter((p) => p.PublicPort));
    assert.deepEqual(ports.map((p) => `${p.IP}:${p.PublicPort}`), [`${proxyAddress}:${PORT}`]);
  });

  test("a service of 3 replicas answers through the proxy from every node's tasks; spin ps shows its URL", async () => {
    expectCode(await deploy(envA, 'portal', {web: web(imageV1)}), 0, 'spin deploy');
    const tasks = await runningTasks(projectA, 'portal');
    assert.equal(tasks.length, 3);
    assert.equal(new Set(tasks.map((t) => t.NodeID)).size, 3, 'one task per node');
    const wanted = new Set(tasks.map((t) => t.Status.ContainerStatus!.ContainerID!.slice(0, 12)));
    const seen = new Set<string>();
    await waitFor('answers from all 3 tasks', async () => {
      const r = await get(hostA(), '/host');
      assert.equal(r.status, 200, r.body);
      seen.add(r.body);
      return [...wanted].every((h) => seen.has(h)) ? true : undefined;
    }, 30_000);
    assert.deepEqual([...seen].sort(), [...wanted].sort());
    assert.deepEqual(await upstreams(hostA()), tasks.map((t) => `${addressOf(t, projectA)}:8080`).sort());
    const ps = await runSpin(['ps', '--stack', 'portal', '--json'], {cwd: root, env: envA});
    expectCode(ps, 0, 'spin ps');
    const status = JSON.parse(ps.stdout) as {services: {service: string; ingress?: {url: string}}[]};
    assert.equal(status.services[0].ingress?.url, `http://${hostA()}:${PORT}`);
    // Any other host name: the proxy's own 404, not some service.
    assert.equal((await get('nobody.localhost')).status, 404);
  });

  test('a task that turns unhealthy leaves the routes, and its replacement joins them', async () => {
    const [victim] = await runningTasks(projectA, 'portal');
    const address = `${addressOf(victim, projectA)}:8080`;
    assert.ok((await upstreams(hostA())).includes(address));
    const r = await execInTask(victim, ['rm', '/tmp/www/health']);
    assert.equal(r.code, 0, r.output);
    await waitFor('the unhealthy task out of the routes', async () => (!(await upstreams(hostA())).includes(address) ? true : undefined), 30_000);
    await waitFor('3 routed tasks again', async () => ((await upstreams(hostA())).length === 3 ? true : undefined), 60_000);
    const now = await runningTasks(projectA, 'portal');
    assert.ok(!now.some((t) => t.ID === victim.ID), 'Swarm replaced the unhealthy task');
  });

  test("another project's task cannot reach this stack's tasks, but the proxy reaches both", async () => {
    expectCode(await deploy(envB, 'other', {web: web(imageB, 2)}), 0, 'spin deploy (project B)');
    const [a] = await runningTasks(projectA, 'portal');
    const [b1, b2] = await runningTasks(projectB, 'other');
    // The control: wget from B's task reaches B's other task, so a failure below is isolation.
    const own = await execInTask(b1, ['timeout', '5', 'wget', '-q', '-O', '-', `http://${addressOf(b2, projectB)}:8080/`]);
    assert.equal(own.code, 0, `B reaches its own task: ${own.output}`);
    const cross = await execInTask(b1, ['timeout', '5', 'wget', '-q', '-O', '-', `http://${addressOf(a, projectA)}:8080/`]);
    assert.notEqual(cross.code, 0, `B must not reach A's task: ${cross.output}`);
    // Nor through the proxy's own addresses on its networks (it only listens on unix sockets).
    const proxy = (await swarm!.manager.getContainer('spin-ingress').inspect()) as {NetworkSettings: {Networks: Record<string, {IPAddress: string}>}};
    for (const [name, n] of Object.entries(proxy.NetworkSettings.Networks)) {
      if (!n.IPAddress || name === 'bridge') continue;
      const viaProxy = await execInTask(b1, ['timeout', '5', 'wget', '-q', '-O', '-', `http://${n.IPAddress}:8080/`]);
      assert.notEqual(viaProxy.code, 0, `nothing answers on the proxy's address ${n.IPAddress} (${name})`);
    }
    assert.deepEqual(await get(hostA()), {status: 200, body: 'v1'});
    assert.deepEqual(await waitFor('B through the proxy', async () => ((await get(hostB())).status === 200 ? get(hostB()) : undefined), 30_000), {status: 200, body: 'v1'});
  });

  test('an upgrade to a new image under load: 0 failed requests, and it ends on the new version', async (t) => {
    const {result, fast: report} = await underLoad(t, 'upgrade', 'POST', () => deploy(envA, 'portal', {web: web(imageV2)}));
    expectCode(result, 0, 'spin deploy (upgrade)');
    assert.equal(report.sequence.at(-1), 'v2', `versions seen: ${report.sequence.join(' → ')}`);
    assert.ok(report.bodies.v1 > 0 && report.bodies.v2 > 0);
  });

  // POST here: Spin takes the node's tasks out of the proxy before Swarm stops them (measured: with
  // the node's leaving label left out, POSTs in flight on the drained node fail).
  test('a Spin drain of a node under load: 0 failed requests, POSTs in flight included; its tasks moved elsewhere', async (t) => {
    const tasks = await runningTasks(projectA, 'portal');
    // A worker that runs a task of the stack (the rollout may have left one without).
    const workers = ((await swarm!.manager.listNodes()) as {ID: string; Status: {Addr: string}}[]).filter((n) => n.Status.Addr !== proxyAddress);
    const worker = workers.find((n) => tasks.some((task) => task.NodeID === n.ID));
    assert.ok(worker, 'a worker runs a task of the stack');
    const [nodeId, node] = [worker.ID, swarm!.nodes.find((n) => n.address === worker.Status.Addr)!];
    const {result} = await underLoad(t, 'drain', 'POST', () => runSpin(['agent', 'node', 'drain', node.address, '--docker-host', managerUrl(swarm!), '--timeout', '90s'], {cwd: root, env: envA}));
    expectCode(result, 0, 'spin agent node drain');
    const after = await runningTasks(projectA, 'portal');
    assert.equal(after.length, 3);
    assert.ok(!after.some((t) => t.NodeID === nodeId), 'no task on the drained node');
    const labels = ((await swarm!.manager.getNode(nodeId).inspect()) as {Spec: {Labels?: Record<string, string>}}).Spec.Labels ?? {};
    assert.equal(labels['org.spin.node.leaving'], undefined, 'the leaving label is cleared once drained');
    expectCode(await runSpin(['agent', 'node', 'activate', node.address, '--docker-host', managerUrl(swarm!)], {cwd: root, env: envA}), 0, 'activate');
  });

  test('removing a stack takes the proxy off its network', async () => {
    const net = (await swarm!.manager.listNetworks({filters: {label: [`${LABELS.project}=${projectB}`]}}))[0];
    const r = await runSpin(['rm', '--stack', 'other', '--yes'], {cwd: root, env: envB});
    expectCode(r, 0, 'spin rm');
    const proxy = (await swarm!.manager.getContainer('spin-ingress').inspect()) as {NetworkSettings: {Networks: Record<string, {NetworkID: string}>}};
    assert.ok(!Object.values(proxy.NetworkSettings.Networks).some((n) => n.NetworkID === net.Id));
    assert.equal((await get(hostB())).status, 404);
  });

  test('proxy images of another Caddy are removed; the one the proxy runs is kept, even when asked to go', async () => {
    const [running] = await swarm!.manager.listContainers({filters: {label: ['org.spin.ingress.proxy']}});
    const current = running.Image;
    // Another Caddy binary (as after an upgrade of the host's): bytes after the ELF image change its hash, not what runs.
    const other = join(root, 'caddy-older');
    await copyFile('/usr/bin/caddy', other);
    await appendFile(other, '\nan older build\n');
    const old = await proxyImage(swarm!.manager, other, root);
    assert.notEqual(old, current);
    assert.deepEqual(await pruneProxyImages(swarm!.manager, current), [old]);
    await assert.rejects(swarm!.manager.getImage(old).inspect(), /no such image/i);
    // In use by the proxy's containers: the engine refuses, and that is no error.
    assert.deepEqual(await pruneProxyImages(swarm!.manager, 'spin-ingress-caddy:none'), []);
    await swarm!.manager.getImage(current).inspect();
  });

  test('an agent killed outright leaves the proxy serving; the next agent on the same data folder adopts it and drives it', async () => {
    const proxies = async () => (await swarm!.manager.listContainers({filters: {label: ['org.spin.ingress.proxy']}})).map((c) => c.Id).sort();
    const before = await proxies();
    assert.equal(before.length, 2);
    await agent!.stop('SIGKILL');
    assert.deepEqual(await get(hostA()), {status: 200, body: 'v2'});
    agent = await startAgent({...agentOptions, dataDir: agent!.dataDir});
    assert.deepEqual(await proxies(), before, 'the same containers, not new ones');
    envA = {...envA, SPIN_URL: agent.url};
    expectCode(await runSpin(['scale', 'web=2', '--stack', 'portal'], {cwd: root, env: envA}), 0, 'spin scale');
    await waitFor('2 routed tasks', async () => ((await upstreams(hostA())).length === 2 ? true : undefined), 60_000);
    assert.deepEqual(await get(hostA()), {status: 200, body: 'v2'});
  });
});
