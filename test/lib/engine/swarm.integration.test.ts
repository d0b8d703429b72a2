// The Swarm backend end to end: a real 3-node Swarm on this machine (test/helpers/swarm.ts), the
// built `spin` CLI against a real `spin agent start` that detects the cluster from the manager's
// engine, and images that reach the nodes only through the cluster's TLS registry with the agent's
// credentials. The tests share one cluster and run in order. `after` removes the cluster, the
// agent's data and the local image tags, even when a test fails.

import assert from 'node:assert/strict';
import {mkdtemp, mkdir, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import type Docker from 'dockerode';

import {LABELS} from '../../../src/lib/engine/types.ts';
import {startAgent, type AgentProcess} from '../../helpers/agent.ts';
import {runSpin, type RunResult} from '../../helpers/cli.ts';
import {buildBusyboxImage, dockerClient, requireEngine, uniqueName} from '../../helpers/docker.ts';
import {cleanupSwarmSuite, managerUrl, pushToSwarmRegistry, registryLogin, startSwarm, type TestSwarm} from '../../helpers/swarm.ts';

const docker = dockerClient();
const project = uniqueName('t');
const localImage = `spin-test-${project}:bb`;

let swarm: TestSwarm | undefined;
let agent: AgentProcess | undefined;
let root: string;
let image: string;
let env: Record<string, string>;

const web = {
  image: '__IMAGE__',
  init: true,
  cap_drop: ['ALL'],
  command: ['sh', '-c', 'mkdir -p /tmp/www && echo hello > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'],
  healthcheck: {test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/'], interval: '1s', timeout: '2s', retries: 3},
  deploy: {replicas: 6},
};

async function writeStack(dir: string, services: Record<string, unknown>): Promise<void> {
  await mkdir(dir, {recursive: true});
  await writeFile(join(dir, 'compose.yaml'), JSON.stringify({services}, null, 2).replaceAll('__IMAGE__', image) + '\n');
}

function spin(args: string[], cwd: string): Promise<RunResult> {
  return runSpin(args, {cwd, env: env as Record<string, string | undefined>});
}

/**
 * A deploy straight to the API, as a client that skips the CLI's own policy check would send it:
 * what the agent itself refuses.
 */
async function apiDeploy(stack: string, services: Record<string, unknown>): Promise<{status: number; code?: string; rules: string[]}> {
  const model = JSON.parse(JSON.stringify({name: stack, services}).replaceAll('__IMAGE__', image)) as unknown;
  const res = await fetch(`${agent!.url}/v1/projects/${project}/stacks/${stack}/deploy`, {
    method: 'POST',
    headers: {authorization: `Bearer ${env.SPIN_TOKEN}`, 'content-type': 'application/json', accept: 'application/json'},
    body: JSON.stringify({model, timeoutSeconds: 60}),
  });
  const body = (await res.json()) as {error?: {code: string; diagnostics?: {rule?: string}[]}};
  return {status: res.status, code: body.error?.code, rules: (body.error?.diagnostics ?? []).map((d) => d.rule ?? '')};
}

function expectCode(r: RunResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

interface Task {
  NodeID: string;
  DesiredState: string;
  Status: {State: string};
  Spec: {ContainerSpec: {Labels: Record<string, string>}};
}

async function runningTasks(manager: Docker, stack: string): Promise<Task[]> {
  const tasks = (await manager.listTasks({filters: {label: [`${LABELS.project}=${project}`, `${LABELS.stack}=${stack}`], 'desired-state': ['running']}})) as Task[];
  return tasks.filter((t) => t.Status.State === 'running');
}

async function stackObjects(manager: Docker, stack: string) {
  const label = [`${LABELS.project}=${project}`, `${LABELS.stack}=${stack}`];
  const [services, networks, secrets] = await Promise.all([manager.listServices({filters: {label}}), manager.listNetworks({filters: {label}}), manager.listSecrets({filters: {label}})]);
  return {services: services.length, networks: networks.length, secrets: secrets.length};
}


before(async () => {
  await requireEngine(docker);
  swarm = await startSwarm(3);
  root = await mkdtemp(join(tmpdir(), 'spin-swarm-it-'));
  await buildBusyboxImage(docker, localImage, project);
  image = await pushToSwarmRegistry(docker, localImage, swarm, `${project}/bb`);
  const dockerConfig = await registryLogin(swarm, root);
  agent = await startAgent({args: ['--docker-host', managerUrl(swarm!), '--registry', swarm.registry.host, '--dashboard-listen', '127.0.0.1:0'], env: {DOCKER_CONFIG: dockerConfig}, logLevel: 'info'});
  const token = await agent.addUser('alice', {projects: [project]});
  env = {HOME: join(root, 'home'), XDG_CONFIG_HOME: join(root, 'home', '.config'), SPIN_URL: agent.url, SPIN_TOKEN: token, SPIN_PROJECT: project, SPIN_REGISTRY: swarm.registry.host};
});

after(() => cleanupSwarmSuite(docker, {agent, swarm, images: [localImage, image], root}));

describe('the agent on a 3-node Swarm', () => {
  test('the agent detected the cluster and says so', () => {
    assert.match(agent!.logs(), /orchestrator: swarm/);
  });

  test('a stack of 6 replicas spreads over the 3 nodes, pulled by digest through the TLS registry', async () => {
    const dir = join(root, 'portal');
    await writeStack(dir, {web});
    const r = await spin(['deploy', '--stack', 'portal', '--timeout', '120s'], dir);
    expectCode(r, 0, 'spin deploy');
    assert.match(r.stdout, /revision 1 healthy/);
    const tasks = await runningTasks(swarm!.manager, 'portal');
    assert.equal(tasks.length, 6);
    const perNode = new Map<string, number>();
    for (const t of tasks) perNode.set(t.NodeID, (perNode.get(t.NodeID) ?? 0) + 1);
    assert.equal(perNode.size, 3, `tasks on ${perNode.size} nodes`);
    const [service] = (await swarm!.manager.listServices({filters: {label: [`${LABELS.project}=${project}`, `${LABELS.stack}=portal`]}})) as {Spec: {TaskTemplate: {ContainerSpec: {Image: string}}; EndpointSpec: {Mode: string}}}[];
    assert.equal(service.Spec.TaskTemplate.ContainerSpec.Image, image, 'pinned by digest');
    assert.equal(service.Spec.EndpointSpec.Mode, 'dnsrr');
  });

  test('spin ps shows the node of each replica', async () => {
    const r = await spin(['ps', '--stack', 'portal'], root);
    expectCode(r, 0, 'spin ps');
    const rows = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/));
    assert.deepEqual(rows[0].slice(0, 5), ['NAME', 'SERVICE', 'STATE', 'NODE', 'HEALTH']);
    assert.equal(rows.length, 7, r.stdout);
    const addresses = swarm!.nodes.map((n) => n.address);
    for (const row of rows.slice(1)) {
      assert.equal(row[2], 'running');
      assert.ok(addresses.includes(row[3]), `${row[3]} is a node address`);
      assert.equal(row[4], 'healthy');
    }
    assert.equal(new Set(rows.slice(1).map((row) => row[3])).size, 3);
  });

  test('the agent policy refuses a spec on update: the running service is left as it was', async () => {
    const before = await runningTasks(swarm!.manager, 'portal');
    const r = await apiDeploy('portal', {web: {...web, cap_add: ['SYS_ADMIN']}});
    assert.equal(r.status, 422);
    assert.equal(r.code, 'policy.violation');
    assert.ok(r.rules.includes('capabilities'), r.rules.join());
    const after = await runningTasks(swarm!.manager, 'portal');
    assert.equal(after.length, 6);
    assert.deepEqual(after.map((t) => t.Spec.ContainerSpec.Labels[LABELS.configHash]).sort(), before.map((t) => t.Spec.ContainerSpec.Labels[LABELS.configHash]).sort());
  });

  test('the agent policy refuses a spec on create: nothing reaches the cluster', async () => {
    const r = await apiDeploy('bad', {web: {...web, deploy: {replicas: 1}, cap_add: ['SYS_ADMIN']}});
    assert.equal(r.status, 422);
    assert.equal(r.code, 'policy.violation');
    assert.deepEqual(await stackObjects(swarm!.manager, 'bad'), {services: 0, networks: 0, secrets: 0});
  });

  test('the CLI refuses the same before sending anything (exit 3)', async () => {
    const dir = join(root, 'portal-2');
    await writeStack(dir, {web: {...web, cap_add: ['SYS_ADMIN']}});
    const r = await spin(['deploy', '--stack', 'portal'], dir);
    expectCode(r, 3, 'a deploy adding SYS_ADMIN');
    assert.match(r.stderr, /capabilities/);
  });

  test('scale changes the replica count in place: the same spec, no task replaced', async () => {
    const before = new Set((await runningTasks(swarm!.manager, 'portal')).map((t) => (t as unknown as {ID: string}).ID));
    const r = await spin(['scale', '--stack', 'portal', 'web=4'], root);
    expectCode(r, 0, 'spin scale');
    const after = await runningTasks(swarm!.manager, 'portal');
    assert.equal(after.length, 4);
    for (const t of after) assert.ok(before.has((t as unknown as {ID: string}).ID), 'a kept task');
  });

  test('a compose key Swarm cannot express is refused with exit 3, naming it, not dropped', async () => {
    const dir = join(root, 'odd');
    await writeStack(dir, {web: {...web, deploy: {replicas: 1}, domainname: 'example.org'}});
    const r = await spin(['deploy', '--stack', 'odd'], dir);
    expectCode(r, 3, 'a stack with domainname');
    assert.match(r.stderr, /domainname cannot run on a Swarm cluster/);
    assert.deepEqual(await stackObjects(swarm!.manager, 'odd'), {services: 0, networks: 0, secrets: 0});
  });

  test('what the swarm backend does not do says so, with its own error', async () => {
    const r = await spin(['volume', 'rm', 'data', '--yes'], root);
    expectCode(r, 1, 'spin volume rm');
    assert.match(r.stderr, /removing volumes \(each node keeps its own, and the manager reaches only its own node's\) is not supported with the swarm orchestrator/);
  });

  test('spin agent node ls lists the 3 nodes by ID and address, with --json', async () => {
    const r = await runSpin(['agent', 'node', 'ls', '--docker-host', managerUrl(swarm!)]);
    expectCode(r, 0, 'spin agent node ls');
    const rows = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/));
    assert.deepEqual(rows[0], ['ID', 'ADDRESS', 'ROLE', 'AVAILABILITY', 'STATE', 'LABELS']);
    assert.deepEqual(rows.slice(1).map((row) => row[1]), swarm!.nodes.map((n) => n.address));
    assert.deepEqual(rows.slice(1).map((row) => [row[2], row[3], row[4]]), [['leader', 'active', 'ready'], ['worker', 'active', 'ready'], ['worker', 'active', 'ready']]);
    const json = await runSpin(['agent', 'node', 'ls', '--docker-host', managerUrl(swarm!), '--json']);
    expectCode(json, 0, 'spin agent node ls --json');
    assert.equal((JSON.parse(json.stdout) as {nodes: unknown[]}).nodes.length, 3);
  });

  test('the dashboard shows an admin the 3 nodes with the replicas each runs', async () => {
    const dashboard = /dashboard on (http:\/\/127\.0\.0\.1:\d+)/.exec(agent!.logs())?.[1];
    assert.ok(dashboard, 'the agent says where its dashboard is');
    const admin = await agent!.addUser('root', {projects: [], admin: true});
    const form = await fetch(`${dashboard}/login`);
    const nonce = /spin_login=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1];
    const signed = await fetch(`${dashboard}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {'content-type': 'application/x-www-form-urlencoded', cookie: `spin_login=${nonce}`},
      body: new URLSearchParams({_csrf: nonce, token: admin}).toString(),
    });
    const session = /spin_session=([^;]+)/.exec(signed.headers.get('set-cookie') ?? '')?.[1];
    assert.ok(session, `signed in (${signed.status})`);
    const page = await fetch(`${dashboard}/admin/nodes`, {headers: {cookie: `spin_session=${session}`}});
    assert.equal(page.status, 200);
    const body = await page.text();
    const rows = [...body.matchAll(/<tr><td><code title="([^"]+)">[^<]*<\/code><\/td><td>([^<]+)<\/td>.*?<td class="num">(\d+)<\/td>/g)].map((m) => ({id: m[1], address: m[2], replicas: Number(m[3])}));
    assert.deepEqual(rows.map((r) => r.address), swarm!.nodes.map((n) => n.address));
    const tasks = (await swarm!.manager.listTasks({filters: {label: [`${LABELS.managed}=true`], 'desired-state': ['running']}})) as Task[];
    assert.ok(tasks.length > 0, 'the stacks of the tests before run replicas');
    for (const row of rows) assert.equal(row.replicas, tasks.filter((t) => t.NodeID === row.id).length, `replicas on ${row.address}`);
    assert.equal(rows.reduce((n, r) => n + r.replicas, 0), tasks.length, 'every replica counted on its node');
  });

  test('drain replaces a node\'s tasks elsewhere before it empties the node; activate takes it back', async () => {
    const target = swarm!.nodes[1];
    const ids = new Map((await swarm!.manager.listNodes() as {ID: string; Status: {Addr: string}}[]).map((n) => [n.Status.Addr, n.ID]));
    const nodeId = ids.get(target.address)!;
    const before = await runningTasks(swarm!.manager, 'portal');
    assert.ok(before.some((t) => t.NodeID === nodeId), 'the node runs some of the stack');
    const r = await runSpin(['agent', 'node', 'drain', target.address, '--docker-host', managerUrl(swarm!), '--timeout', '90s', '--json']);
    expectCode(r, 0, 'spin agent node drain');
    assert.match(r.stderr, /paused[\s\S]*replacement[\s\S]*drained/);
    const report = JSON.parse(r.stdout) as {node: {availability: string}; moved: {service: string; replicas: number}[]};
    assert.equal(report.node.availability, 'drain');
    assert.deepEqual(report.moved, [{service: `${project}_portal_web`, replicas: before.filter((t) => t.NodeID === nodeId).length}]);
    // Back to its own count, nothing left on the drained node, and the deploy's spec untouched.
    let after: Task[] = [];
    for (let i = 0; i < 60; i++) {
      after = await runningTasks(swarm!.manager, 'portal');
      if (after.length === before.length && !after.some((t) => t.NodeID === nodeId)) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    assert.equal(after.length, before.length);
    assert.ok(!after.some((t) => t.NodeID === nodeId));
    const ps = await spin(['ps', '--stack', 'portal'], root);
    assert.ok(!ps.stdout.includes(target.address), ps.stdout);
    const back = await runSpin(['agent', 'node', 'activate', target.address, '--docker-host', managerUrl(swarm!)]);
    expectCode(back, 0, 'spin agent node activate');
    assert.match(back.stdout, new RegExp(`node ${target.address.replaceAll('.', '\\.')} \\(${nodeId}\\) is active`));
  });

  test('remove takes every service, network and secret of the stack, and nothing else', async () => {
    // Someone else's objects on the same cluster: a plain service and network, and another stack.
    const foreignNet = await swarm!.manager.createNetwork({Name: `foreign-${project}`, Driver: 'overlay'});
    const other = join(root, 'other');
    await writeStack(other, {web: {...web, deploy: {replicas: 1}}});
    expectCode(await spin(['deploy', '--stack', 'other', '--timeout', '120s'], other), 0, 'deploy of a second stack');
    const r = await spin(['rm', '--yes', '--stack', 'portal'], root);
    expectCode(r, 0, 'spin rm');
    assert.deepEqual(await stackObjects(swarm!.manager, 'portal'), {services: 0, networks: 0, secrets: 0});
    assert.deepEqual(await stackObjects(swarm!.manager, 'other'), {services: 1, networks: 1, secrets: 0});
    assert.ok(await foreignNet.inspect());
  });
});
