// The same user, the same compose files and the same CLI against both backends: a single-host
// agent on this machine's engine and a Swarm agent on a real 3-node cluster (test/helpers/swarm.ts),
// each with its ingress and the same agent policy. Every scenario runs on both at once and asserts
// what a user sees (exit codes, JSON fields, error codes, what runs on the engine); the outcomes
// of the two are then compared, so a behaviour that drifts on one backend fails here even where
// the single-host suite alone would pass. Differences the design intends (the node a replica runs
// on, Swarm's task names) are explicit branches, each with its reason.
//
// The images come from the cluster's TLS registry by digest on both backends: the Swarm nodes can
// pull nothing else, and the host's engine holds the same images (they were pushed from it).
// Scenarios run in order on one stack per backend: deploy, look, exec, secrets, an upgrade rolled
// back under load (3 replicas), scale, upgrade, rollback, stop/start/restart, policy refusals,
// remove; one-shots on stacks of their own. `after` removes both agents, the cluster, the host's
// containers and the image tags.

import assert from 'node:assert/strict';
import http from 'node:http';
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {after, before, describe, test, type TestContext} from 'node:test';

import {LABELS} from '../../../src/lib/engine/types.ts';
import {startAgent, type AgentProcess} from '../../helpers/agent.ts';
import {runSpin, type RunResult} from '../../helpers/cli.ts';
import {BUSYBOX_DOCKERFILE, buildImage, cleanupProject, dockerClient, requireEngine, uniqueName} from '../../helpers/docker.ts';
import {startLoad} from '../../helpers/load.ts';
import {freePort} from '../../helpers/ports.ts';
import {cleanupSwarmSuite, managerUrl, pushToSwarmRegistry, registryLogin, startSwarm, type TestSwarm} from '../../helpers/swarm.ts';

const docker = dockerClient();
const project = uniqueName('tp');
const STACK = 'app';
const local = {v1: `spin-test-${project}:v1`, v2: `spin-test-${project}:v2`, bad: `spin-test-${project}:bad`};
/** The port of the Swarm ingress, on the manager's own address on the cluster's bridge. */
const SWARM_INGRESS_PORT = 18080;

type BackendName = 'docker' | 'swarm';

interface Backend {
  name: BackendName;
  agent: AgentProcess;
  env: Record<string, string>;
  /** Where its ingress listens. */
  ingress: {address: string; port: number};
}

let swarm: TestSwarm | undefined;
let dockerAgent: AgentProcess | undefined;
let swarmAgent: AgentProcess | undefined;
let root: string;
const images = {v1: '', v2: '', bad: ''};
const backends: Backend[] = [];

/**
 * `/` answers the image's version (v1, or what /version holds). The bad image carries /broken: its
 * replicas start but never answer their healthcheck, as an image with a broken config would.
 */
function web(image: string, replicas = 3) {
  return {
    image,
    init: true,
    cap_drop: ['ALL'],
    command: ['sh', '-c', 'if [ -f /broken ]; then echo broken; exec sleep 3600; fi; mkdir -p /tmp/www && (cat /version 2>/dev/null || echo v1) > /tmp/www/index.html && echo ok > /tmp/www/health && echo web up && exec httpd -f -p 8080 -h /tmp/www'],
    // Tolerant: on a shared 2-core machine a slow check must not replace a sound replica.
    healthcheck: {test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/health'], interval: '1s', timeout: '5s', retries: 3},
    secrets: ['token'],
    deploy: {replicas},
    'x-spin': {ingress: {port: 8080}},
  };
}

async function writeStack(b: Backend, stack: string, doc: Record<string, unknown>): Promise<string> {
  const dir = join(root, b.name, stack);
  await mkdir(dir, {recursive: true});
  await writeFile(join(dir, 'compose.yaml'), JSON.stringify({name: stack, ...doc}, null, 2) + '\n');
  return dir;
}

function spin(b: Backend, args: string[], options: {cwd?: string; input?: string} = {}): Promise<RunResult> {
  return runSpin(args, {cwd: options.cwd ?? root, env: b.env, ...(options.input !== undefined ? {input: options.input} : {})});
}

function expectCode(b: Backend, r: RunResult, code: number, what: string): void {
  assert.equal(r.code, code, `${b.name}: ${what}: exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

interface Replica {
  replica: number;
  container: string;
  state: string;
  health: string;
  exitCode?: number;
  node?: string;
  revision?: number;
}

interface Status {
  ref: {project: string; stack: string};
  revision?: number;
  services: {service: string; image: string; desired: number; running: number; healthy: number; ingress?: {url: string}; replicas: Replica[]}[];
}

async function ps(b: Backend, stack = STACK): Promise<Status> {
  const r = await spin(b, ['ps', '--stack', stack, '--json']);
  expectCode(b, r, 0, 'spin ps --json');
  return JSON.parse(r.stdout) as Status;
}

/**
 * What a user reads in `spin ps --json`, with what differs by design set apart: the replica's
 * node (a single host has none), its container name (Swarm names tasks `SERVICE.SLOT`, and a
 * Swarm service name cannot hold the dots of a single host's container names) and the slot
 * numbers Swarm picks on a scale-down.
 */
function psShape(b: Backend, status: Status) {
  for (const s of status.services) {
    for (const r of s.replicas) {
      if (b.name === 'swarm') {
        assert.ok(swarm!.nodes.some((n) => n.address === r.node), `${b.name}: replica ${r.replica} names its node (${r.node})`);
        assert.equal(r.container, `${project}_${status.ref.stack}_${s.service}.${r.replica}`);
      } else {
        assert.equal(r.node, undefined, 'a single host names no node');
        assert.equal(r.container, `${project}.${status.ref.stack}.${s.service}.${r.replica}`);
      }
    }
  }
  return {
    ref: status.ref,
    revision: status.revision,
    services: status.services.map((s) => ({
      service: s.service,
      image: s.image,
      desired: s.desired,
      running: s.running,
      healthy: s.healthy,
      ingress: s.ingress?.url.replace(/:\d+$/, ''),
      replicas: s.replicas.map((r) => ({state: r.state, health: r.health, exitCode: r.exitCode, revision: r.revision})).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
      // A finished Swarm task keeps only the time of its last change of state, not when it started.
      replicaKeys: [...new Set(s.replicas.flatMap((r) => Object.keys(r).filter((k) => k !== 'node' && !(k === 'startedAt' && r.state !== 'running'))))].sort(),
    })),
  };
}

/** The NDJSON of a command run with --json: its events, then its result (and an error line when it failed). */
function ndjson(r: RunResult): {type?: string; [k: string]: unknown}[] {
  return r.stdout.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as {type?: string});
}

/**
 * One behaviour on both backends at once. `run` asserts what must hold on its backend and
 * returns the outcome a user sees, which must then be the same on both. `swarmTodo` marks a
 * behaviour that differs on Swarm without a reason yet: the Swarm half runs as a todo.
 */
function parity<T>(name: string, run: (b: Backend, t: TestContext) => Promise<T>, options: {swarmTodo?: string} = {}): void {
  test(name, {concurrency: 2}, async (t) => {
    const outcomes = new Map<BackendName, T>();
    await Promise.all(
      backends.map((b) =>
        t.test(b.name, b.name === 'swarm' && options.swarmTodo ? {todo: options.swarmTodo} : {}, async (st) => {
          outcomes.set(b.name, await run(b, st));
        }),
      ),
    );
    if (options.swarmTodo) return;
    assert.equal(outcomes.size, 2, 'both backends ran');
    assert.deepEqual(outcomes.get('swarm'), outcomes.get('docker'), 'the same outcome on both backends');
  });
}

/** One GET through a backend's ingress. */
function get(b: Backend, path = '/'): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const req = http.get({host: b.ingress.address, port: b.ingress.port, path, headers: {host: `web.${STACK}.${project}.localhost`}, agent: false, timeout: 5000}, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: body.trim()}));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

async function waitServing(b: Backend, body: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  let last = '';
  while (Date.now() < end) {
    const r = await get(b).catch((err: Error) => ({status: 0, body: err.message}));
    if (r.status === 200 && r.body === body) return;
    last = `${r.status} ${r.body}`;
    await sleep(200);
  }
  assert.fail(`${b.name}: the ingress did not serve "${body}" within ${ms} ms (last: ${last})`);
}

/** The image the engine really runs for the stack's web service: the Swarm service's spec, or the single host's containers. */
async function runningImages(b: Backend): Promise<string[]> {
  const label = [`${LABELS.project}=${project}`, `${LABELS.stack}=${STACK}`, `${LABELS.service}=web`];
  if (b.name === 'swarm') {
    const services = (await swarm!.manager.listServices({filters: {label}})) as {Spec: {TaskTemplate: {ContainerSpec: {Image: string}}}}[];
    const tasks = (await swarm!.manager.listTasks({filters: {label, 'desired-state': ['running']}})) as {Status: {State: string}; Spec: {ContainerSpec: {Image: string}}}[];
    assert.equal(services.length, 1);
    return [services[0].Spec.TaskTemplate.ContainerSpec.Image, ...tasks.filter((t) => t.Status.State === 'running').map((t) => t.Spec.ContainerSpec.Image)];
  }
  const containers = await docker.listContainers({filters: {label, status: ['running']}});
  const ids = await Promise.all([images.v1, images.v2, images.bad].map(async (i) => [(await docker.getImage(i).inspect()).Id, i] as const));
  const byId = new Map(ids);
  return containers.map((c) => byId.get(c.ImageID) ?? c.ImageID);
}

/** Polls `check` until it returns a value, or fails with `what` after `ms`. */
async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  for (const end = Date.now() + ms; ; await sleep(500)) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) assert.fail(`${what}: not within ${ms / 1000} s`);
  }
}

/** `spin ps --json` once every replica of the stack runs healthy (a restart on a single host returns before that). */
async function psHealthy(b: Backend, ms = 60_000): Promise<Status> {
  const end = Date.now() + ms;
  for (;;) {
    const status = await ps(b);
    if (status.services.every((s) => s.replicas.length === s.desired && s.replicas.every((r) => r.state === 'running' && r.health === 'healthy'))) return status;
    if (Date.now() > end) assert.fail(`${b.name}: the stack is not all healthy after ${ms} ms: ${JSON.stringify(status)}`);
    await sleep(500);
  }
}

async function revisions(b: Backend): Promise<{revision: number; outcome: string}[]> {
  const r = await spin(b, ['history', '--stack', STACK, '--json']);
  expectCode(b, r, 0, 'spin history --json');
  return (JSON.parse(r.stdout) as {revisions: {number: number; outcome: string}[]}).revisions.map((x) => ({revision: x.number, outcome: x.outcome}));
}

before(async () => {
  await requireEngine(docker);
  root = await mkdtemp(join(tmpdir(), 'spin-parity-'));
  swarm = await startSwarm(3);
  await buildImage(docker, local.v1, BUSYBOX_DOCKERFILE, {owner: project});
  await buildImage(docker, local.v2, `${BUSYBOX_DOCKERFILE}COPY version /version\n`, {files: {version: 'v2\n'}, owner: project});
  await buildImage(docker, local.bad, `${BUSYBOX_DOCKERFILE}COPY broken /broken\n`, {files: {broken: 'yes\n'}, owner: project});
  for (const v of ['v1', 'v2', 'bad'] as const) images[v] = await pushToSwarmRegistry(docker, local[v], swarm, `${project}/${v}`);
  const dockerConfig = await registryLogin(swarm, root);
  // The same site policy on both: no capability may be added, which the CLI's own default allows,
  // so a refusal below comes from the agent.
  const policy = join(root, 'policy.yaml');
  await writeFile(policy, 'version: 1\ncapabilities:\n  allowed_add: []\n');
  const common = ['--registry', swarm.registry.host, '--policy', policy];
  const dockerPort = await freePort();
  dockerAgent = await startAgent({args: [...common, '--ingress-listen', `127.0.0.1:${dockerPort}`], env: {DOCKER_CONFIG: dockerConfig}, timeoutMs: 60_000});
  const manager = swarm.nodes[0];
  const workers = swarm.nodes.slice(1).flatMap((n) => ['--swarm-node-engine', `${n.address}=${n.engineUrl}`]);
  swarmAgent = await startAgent({
    args: [...common, '--docker-host', managerUrl(swarm), '--ingress-listen', `${manager.address}:${SWARM_INGRESS_PORT}`, ...workers, '--swarm-node-tls-dir', swarm.nodeTlsDir],
    env: {DOCKER_CONFIG: dockerConfig},
    timeoutMs: 120_000,
  });
  for (const [name, agent, ingress] of [['docker', dockerAgent, {address: '127.0.0.1', port: dockerPort}], ['swarm', swarmAgent, {address: manager.address, port: SWARM_INGRESS_PORT}]] as const) {
    const token = await agent.addUser('alice', {projects: [project]});
    const home = join(root, `home-${name}`);
    backends.push({name, agent, ingress, env: {HOME: home, XDG_CONFIG_HOME: join(home, '.config'), SPIN_URL: agent.url, SPIN_TOKEN: token, SPIN_PROJECT: project, SPIN_REGISTRY: swarm.registry.host}});
  }
});

after(async () => {
  await dockerAgent?.stop();
  dockerAgent?.cleanup();
  await cleanupProject(docker, project);
  await cleanupSwarmSuite(docker, {agent: swarmAgent, swarm, images: [local.v1, local.v2, local.bad, images.v1, images.v2, images.bad], root});
});

describe('the same behaviour on one host and on a 3-node Swarm', () => {
  parity('a stored secret, then deploy: exit 0, revision 1 healthy, the same ps --json', async (b) => {
    expectCode(b, await spin(b, ['secret', 'create', 'token', '-'], {input: 'the-token-value'}), 0, 'spin secret create');
    const dir = await writeStack(b, STACK, {services: {web: web(images.v1)}, secrets: {token: {external: true}}});
    const r = await spin(b, ['deploy', '--timeout', '120s'], {cwd: dir});
    expectCode(b, r, 0, 'spin deploy');
    assert.match(r.stdout, new RegExp(`^stack ${STACK} in project ${project}: revision 1 healthy\n`));
    const status = await ps(b);
    assert.equal(status.services[0].running, 3);
    await waitServing(b, 'v1');
    return {summary: r.stdout.split('\n')[0], ps: psShape(b, status)};
  });

  parity('logs --json: every replica\'s lines, named by service and replica', async (b) => {
    const r = await spin(b, ['logs', '--stack', STACK, '--json']);
    expectCode(b, r, 0, 'spin logs --json');
    const lines = ndjson(r) as {service: string; replica: number; stream: string; line: string}[];
    const up = lines.filter((l) => l.line === 'web up');
    assert.deepEqual(up.map((l) => l.replica).sort(), [1, 2, 3]);
    return {fields: Object.keys(lines[0]).sort(), up: up.map((l) => [l.service, l.stream, l.line])};
  });

  parity('exec: the command\'s stdout, stderr and exit code; a secret is readable in the replica', async (b) => {
    const seven = await spin(b, ['exec', '--stack', STACK, 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.deepEqual(seven, {code: 7, stdout: 'out\n', stderr: 'err\n'}, b.name);
    const third = await spin(b, ['exec', '--stack', STACK, 'web', '--index', '3', '--', 'cat', '/run/secrets/token']);
    assert.deepEqual(third, {code: 0, stdout: 'the-token-value', stderr: ''}, b.name);
    const piped = await spin(b, ['exec', '--stack', STACK, '-i', 'web', '--', 'sh', '-c', 'cat; exit 4'], {input: 'in\n'});
    assert.deepEqual(piped, {code: 4, stdout: 'in\n', stderr: ''}, b.name);
    return [seven, third, piped];
  });

  parity('an upgrade to an image that never turns healthy, under load: exit 1, rolled back, one revision recorded, 0 failed requests', async (b, t) => {
    const before = await revisions(b);
    const load = startLoad({address: b.ingress.address, port: b.ingress.port, host: `web.${STACK}.${project}.localhost`, rate: 50, connections: 8});
    await sleep(1000);
    const r = await spin(b, ['upgrade', '--stack', STACK, '--image', `web=${images.bad}`, '--timeout', '90s', '--json']);
    await sleep(2000);
    const report = await load.stop();
    t.diagnostic(`${b.name}: ${report.sent} sent, ${report.ok} ok, ${report.failed} failed, ${report.retried} retried, ${Math.round(report.durationMs)} ms`);
    // DESIGN's exit codes: 1 is "the operation failed (deploy unhealthy, rollout rolled back)".
    expectCode(b, r, 1, 'spin upgrade to a never-healthy image');
    assert.equal(report.failed, 0, `${b.name}: failed requests: ${report.errors.join('; ')}`);
    assert.ok(report.ok > 100, `${b.name}: ${report.ok} requests answered`);
    assert.deepEqual(Object.keys(report.bodies), ['v1'], `${b.name}: only v1 answered`);
    const lines = ndjson(r);
    const [result, error] = lines.slice(-2) as [{type: string; outcome: string; revision: number; rollback?: {revision: number; outcome: string}}, {type: string; error: {code: string}}];
    assert.deepEqual([result.type, error.type], ['result', 'error']);
    // What really runs, read from the engine, not from Spin: v1 only.
    assert.deepEqual([...new Set(await runningImages(b))], [images.v1]);
    const after = await revisions(b);
    assert.equal(after.length, before.length + 1, `${b.name}: one revision recorded: ${JSON.stringify(after)}`);
    assert.equal(after[0].outcome, 'rolled-back');
    return {outcome: result.outcome, rollback: result.rollback, error: error.error.code, history: after, ps: psShape(b, await ps(b))};
  });

  parity('scale web=2: exit 0, a new revision, two healthy replicas', async (b) => {
    const r = await spin(b, ['scale', '--stack', STACK, 'web=2']);
    expectCode(b, r, 0, 'spin scale');
    const status = await ps(b);
    assert.equal(status.services[0].replicas.length, 2, JSON.stringify(status));
    return {summary: r.stdout.split('\n')[0], ps: psShape(b, status)};
  });

  parity('upgrade --image web=v2: exit 0, the ingress serves v2, history grows by one', async (b) => {
    const before = await revisions(b);
    const r = await spin(b, ['upgrade', '--stack', STACK, '--image', `web=${images.v2}`, '--timeout', '120s']);
    expectCode(b, r, 0, 'spin upgrade');
    await waitServing(b, 'v2');
    assert.deepEqual([...new Set(await runningImages(b))], [images.v2]);
    const after = await revisions(b);
    assert.equal(after.length, before.length + 1);
    return {summary: r.stdout.split('\n')[0], ps: psShape(b, await ps(b)), history: after};
  });

  parity('rollback: back on the previous revision\'s image and replicas', async (b) => {
    const r = await spin(b, ['rollback', '--stack', STACK]);
    expectCode(b, r, 0, 'spin rollback');
    await waitServing(b, 'v1');
    assert.deepEqual([...new Set(await runningImages(b))], [images.v1]);
    return {summary: r.stdout.split('\n')[0], ps: psShape(b, await ps(b))};
  });

  parity('stop, start, restart: exit 0 each, the stack back to its replicas', async (b) => {
    const stop = await spin(b, ['stop', '--stack', STACK]);
    expectCode(b, stop, 0, 'spin stop');
    const stopped = await ps(b);
    // By design a stopped Swarm service has no tasks (it is scaled to 0, its count kept in a
    // label); a single host keeps its exited containers.
    if (b.name === 'swarm') assert.deepEqual(stopped.services.map((s) => [s.running, s.replicas.length]), [[0, 0]]);
    else assert.ok(stopped.services.every((s) => s.running === 0 && s.replicas.length > 0 && s.replicas.every((r) => r.state === 'exited')), JSON.stringify(stopped));
    const start = await spin(b, ['start', '--stack', STACK, '--json']);
    expectCode(b, start, 0, 'spin start');
    const started = (JSON.parse(start.stdout) as Status).services.map((s) => [s.service, s.running]);
    await waitServing(b, 'v1');
    const restart = await spin(b, ['restart', '--stack', STACK]);
    expectCode(b, restart, 0, 'spin restart');
    await waitServing(b, 'v1');
    // Not the same: on Swarm restart is a rolling update that returns once every new task is
    // healthy; on a single host it restarts every container at once and returns with them still
    // starting (reported, left as it is here).
    return {stderr: [stop.stderr, start.stderr, restart.stderr], started, ps: psShape(b, await psHealthy(b))};
  });

  parity('the CLI refuses privileged before sending anything: exit 3, the rule named', async (b) => {
    const dir = await writeStack(b, 'priv', {services: {web: {...web(images.v1, 1), privileged: true}}, secrets: {token: {external: true}}});
    const r = await spin(b, ['deploy'], {cwd: dir});
    expectCode(b, r, 3, 'spin deploy (privileged)');
    assert.match(r.stderr, /\[privileged\]/);
    return {stdout: r.stdout, stderr: r.stderr};
  });

  parity('the agent\'s own policy refuses a capability the CLI allows: exit 3, error code policy.violation, nothing created', async (b) => {
    const dir = await writeStack(b, 'caps', {services: {web: {...web(images.v1, 1), cap_add: ['CHOWN']}}, secrets: {token: {external: true}}});
    const r = await spin(b, ['deploy', '--json'], {cwd: dir});
    expectCode(b, r, 3, 'spin deploy (cap_add refused by the agent)');
    const error = ndjson(r).at(-1) as {type: string; error: {code: string}};
    assert.equal(error.error.code, 'policy.violation');
    const stacks = await spin(b, ['stacks', '--json']);
    expectCode(b, stacks, 0, 'spin stacks');
    assert.ok(!stacks.stdout.includes('"caps"'), stacks.stdout);
    // When each agent last changed the stack is its own.
    const listed = (JSON.parse(stacks.stdout) as {stacks: {updatedAt?: string}[]}).stacks.map(({updatedAt, ...rest}) => ({...rest, updatedAt: typeof updatedAt}));
    return {error: error.error.code, stacks: listed};
  });

  parity('a one-shot (restart "no") runs to completion: deploy exit 0, ps shows it exited 0, logs show its lines; a failing one fails the deploy', async (b) => {
    const job = (code: number) => ({image: images.v1, cap_drop: ['ALL'], restart: 'no', deploy: {replicas: 2}, command: ['sh', '-c', `for i in 1 2 3; do echo line $$i; done; exit ${code}`]});
    const dir = await writeStack(b, 'job', {services: {job: job(0)}});
    const r = await spin(b, ['deploy', '--timeout', '90s'], {cwd: dir});
    expectCode(b, r, 0, 'spin deploy (one-shot)');
    const status = await ps(b, 'job');
    assert.deepEqual(status.services[0].replicas.map((x) => [x.state, x.exitCode]), [['exited', 0], ['exited', 0]], JSON.stringify(status));
    const logs = await spin(b, ['logs', '--stack', 'job', '--json']);
    expectCode(b, logs, 0, 'spin logs (one-shot)');
    const lines = (ndjson(logs) as {replica: number; line: string}[]).map((l) => `${l.replica} ${l.line}`).sort();
    assert.deepEqual(lines, ['1 line 1', '1 line 2', '1 line 3', '2 line 1', '2 line 2', '2 line 3']);
    // Following the logs of replicas that have all finished returns, as it does on a single host.
    const followed = await Promise.race([spin(b, ['logs', '-f', '--stack', 'job']), sleep(30_000).then(() => assert.fail(`${b.name}: spin logs -f did not return within 30 s`))]);
    expectCode(b, followed, 0, 'spin logs -f (one-shot)');
    assert.equal(followed.stdout.split('\n').filter(Boolean).length, 6, followed.stdout);
    // stop has nothing to stop in an ended one-shot; start runs it again (a single host starts its
    // exited containers, Swarm runs the job again): each replica logs its lines anew.
    expectCode(b, await spin(b, ['stop', '--stack', 'job']), 0, 'spin stop (an ended one-shot)');
    const restartedAt = new Date(Date.now() - 1000).toISOString();
    expectCode(b, await spin(b, ['start', '--stack', 'job']), 0, 'spin start (runs the one-shot again)');
    const rerun = await until(`${b.name}: both replicas logged again`, 60_000, async () => {
      const r = await spin(b, ['logs', '--stack', 'job', '--json']);
      const fresh = (ndjson(r) as {replica: number; line: string; timestamp: string}[]).filter((l) => l.timestamp >= restartedAt);
      return fresh.filter((l) => l.line === 'line 3').length === 2 ? fresh.map((l) => `${l.replica} ${l.line}`).sort() : undefined;
    });
    assert.deepEqual(rerun, lines);
    // A one-shot that ends while its log is followed: the follow returns with its last line.
    const slowDir = await writeStack(b, 'job-slow', {services: {job: {...job(0), deploy: {replicas: 1}, command: ['sh', '-c', 'echo begin; sleep 4; echo end']}}});
    expectCode(b, await spin(b, ['deploy', '--timeout', '90s'], {cwd: slowDir}), 0, 'spin deploy (a one-shot of 4 s)');
    const slow = await Promise.race([spin(b, ['logs', '-f', '--stack', 'job-slow']), sleep(60_000).then(() => assert.fail(`${b.name}: spin logs -f did not return when the one-shot ended`))]);
    expectCode(b, slow, 0, 'spin logs -f (a one-shot ending meanwhile)');
    assert.match(slow.stdout, /begin\n.*end\n$/s);
    expectCode(b, await spin(b, ['rm', '--yes', '--stack', 'job-slow']), 0, 'spin rm (job-slow)');
    const failingDir = await writeStack(b, 'job-fails', {services: {job: job(3)}});
    const failed = await spin(b, ['deploy', '--timeout', '90s', '--json'], {cwd: failingDir});
    expectCode(b, failed, 1, 'spin deploy (a one-shot that exits 3)');
    const [result, error] = ndjson(failed).slice(-2) as [{outcome: string; rollback?: unknown}, {error: {code: string}}];
    expectCode(b, await spin(b, ['rm', '--yes', '--stack', 'job-fails']), 0, 'spin rm (job-fails)');
    expectCode(b, await spin(b, ['rm', '--yes', '--stack', 'job']), 0, 'spin rm (job)');
    return {summary: r.stdout.split('\n')[0], ps: psShape(b, status), lines, failed: {outcome: result.outcome, rollback: result.rollback, error: error.error.code}};
  });

  parity('rm: exit 0, then ps says the stack is not found', async (b) => {
    const r = await spin(b, ['rm', '--yes', '--stack', STACK]);
    expectCode(b, r, 0, 'spin rm');
    const gone = await spin(b, ['ps', '--stack', STACK]);
    expectCode(b, gone, 1, 'spin ps after rm');
    return {stderr: r.stderr, gone: gone.stderr};
  });
});

