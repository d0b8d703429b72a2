// Operating a stack on a real 3-node Swarm (test/helpers/swarm.ts) through the built CLI and a real
// agent: logs of tasks on every node (served by the manager), exec in a task on a worker through
// that worker's TLS engine port, stop/start/restart, and the loss of a node. The agent is given the
// engine of node 2 only: node 1 is the manager (always known), and node 3 is the node exec cannot
// reach. The tests share one cluster and run in order; `after` removes the cluster (also after the
// node kill), the agent's data and the local image tags, even when a test fails.

import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';
import {after, before, describe, test} from 'node:test';

import WebSocket from 'ws';

import {LABELS} from '../../../src/lib/engine/types.ts';
import {startAgent, type AgentProcess} from '../../helpers/agent.ts';
import {BIN, runSpin, type RunResult} from '../../helpers/cli.ts';
import {buildBusyboxImage, dockerClient, requireEngine, uniqueName} from '../../helpers/docker.ts';
import {cleanupSwarmSuite, managerUrl, pushToSwarmRegistry, registryLogin, startSwarm, type TestSwarm} from '../../helpers/swarm.ts';

const docker = dockerClient();
const project = uniqueName('t');
const otherProject = uniqueName('u');
const localImage = `spin-test-${project}:bb`;
const STACK = 'ops';

let swarm: TestSwarm | undefined;
let agent: AgentProcess | undefined;
let root: string;
let image: string;
let env: Record<string, string>;
let otherToken: string;

interface Task {
  ID: string;
  NodeID: string;
  Slot: number;
  DesiredState: string;
  Status: {State: string; ContainerStatus?: {ContainerID?: string}};
}

function spin(args: string[], extra: Record<string, string> = {}): Promise<RunResult> {
  return runSpin(args, {cwd: root, env: {...env, ...extra}});
}

function expectCode(r: RunResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

async function runningTasks(): Promise<Task[]> {
  const tasks = (await swarm!.manager.listTasks({filters: {label: [`${LABELS.project}=${project}`, `${LABELS.stack}=${STACK}`], 'desired-state': ['running']}})) as Task[];
  return tasks.filter((t) => t.Status.State === 'running');
}

/** Node ID → address, as the manager reports them. */
async function nodeIds(): Promise<Map<string, string>> {
  const nodes = (await swarm!.manager.listNodes()) as {ID: string; Status: {Addr: string}; ManagerStatus?: {Addr?: string}}[];
  return new Map(nodes.map((n) => [n.ID, n.Status.Addr === '0.0.0.0' ? (n.ManagerStatus?.Addr ?? '').replace(/:\d+$/, '') : n.Status.Addr]));
}

/** Polls `check` until it returns a value, or fails with `what` after `ms`. */
async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}


interface JsonLine {
  service: string;
  replica: number;
  line: string;
}

const parseLines = (stdout: string): JsonLine[] => stdout.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as JsonLine);

before(async () => {
  await requireEngine(docker);
  swarm = await startSwarm(3);
  root = await mkdtemp(join(tmpdir(), 'spin-swarm-ops-'));
  await buildBusyboxImage(docker, localImage, project);
  image = await pushToSwarmRegistry(docker, localImage, swarm, `${project}/bb`);
  const dockerConfig = await registryLogin(swarm, root);
  const worker = swarm.nodes[1];
  agent = await startAgent({
    args: ['--docker-host', managerUrl(swarm!), '--registry', swarm.registry.host, '--swarm-node-engine', `${worker.address}=${worker.engineUrl}`, '--swarm-node-tls-dir', swarm.nodeTlsDir],
    env: {DOCKER_CONFIG: dockerConfig},
  });
  const token = await agent.addUser('alice', {projects: [project]});
  otherToken = await agent.addUser('bob', {projects: [otherProject]});
  env = {HOME: join(root, 'home'), XDG_CONFIG_HOME: join(root, 'home', '.config'), SPIN_URL: agent.url, SPIN_TOKEN: token, SPIN_PROJECT: project, SPIN_REGISTRY: swarm.registry.host};
  // Each replica says which container it is, then ticks every second.
  const web = {
    image,
    init: true,
    cap_drop: ['ALL'],
    // `$$`: a compose file interpolates `$`.
    command: ['sh', '-c', 'echo "start $(hostname)"; i=0; while true; do i=$$((i+1)); echo "tick $$i"; sleep 1; done'],
    deploy: {replicas: 3},
  };
  await writeFile(join(root, 'compose.yaml'), JSON.stringify({services: {web}}, null, 2) + '\n');
  expectCode(await spin(['deploy', '--stack', STACK, '--timeout', '120s']), 0, 'spin deploy');
});

after(() => cleanupSwarmSuite(docker, {agent, swarm, images: [localImage, image], root}));

describe('operating a stack on a 3-node Swarm', () => {
  test('the 3 replicas run one on each node', async () => {
    const tasks = await runningTasks();
    assert.equal(tasks.length, 3);
    assert.equal(new Set(tasks.map((t) => t.NodeID)).size, 3, 'one task per node');
  });

  test('spin logs returns the lines of every task, from the workers too, named by slot', async () => {
    const tasks = await runningTasks();
    const addresses = await nodeIds();
    const r = await spin(['logs', '--stack', STACK, '--json']);
    expectCode(r, 0, 'spin logs --json');
    const lines = parseLines(r.stdout);
    for (const t of tasks) {
      const hostname = t.Status.ContainerStatus!.ContainerID!.slice(0, 12);
      const start = lines.find((l) => l.line === `start ${hostname}`);
      assert.ok(start, `the task on node ${addresses.get(t.NodeID)} (container ${hostname}) is in the logs`);
      assert.deepEqual([start.service, start.replica], ['web', t.Slot]);
    }
    const onWorkers = tasks.filter((t) => addresses.get(t.NodeID) !== swarm!.nodes[0].address);
    assert.equal(onWorkers.length, 2, 'two of the tasks whose lines came back run on workers');
    const human = await spin(['logs', '--stack', STACK, 'web']);
    expectCode(human, 0, 'spin logs web');
    for (const t of tasks) assert.match(human.stdout, new RegExp(`^web-${t.Slot}\\s*\\| start ${t.Status.ContainerStatus!.ContainerID!.slice(0, 12)}$`, 'm'));
  });

  test('-f follows: a line each replica writes after the start arrives', async () => {
    // The last tick of each replica before following starts: a higher one can only come from following.
    const tick = (l: JsonLine) => Number(/^tick (\d+)$/.exec(l.line)?.[1] ?? 0);
    const before = parseLines((await spin(['logs', '--stack', STACK, '--json'])).stdout);
    const last = new Map([1, 2, 3].map((n) => [n, Math.max(0, ...before.filter((l) => l.replica === n).map(tick))]));
    const child = spawn(process.execPath, [BIN, 'logs', '--stack', STACK, '-f', '--tail', '1', '--json'], {cwd: root, env: {...process.env, ...env, CI: 'true'}, stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    try {
      await until('a new line from every replica', 30_000, async () => {
        const lines = out.split('\n').slice(0, -1).map((l) => JSON.parse(l) as JsonLine);
        return [1, 2, 3].every((n) => lines.some((l) => l.replica === n && tick(l) > last.get(n)!)) ? true : undefined;
      });
      assert.equal(child.exitCode, null, 'still following');
    } finally {
      child.kill();
    }
  });

  test('spin exec runs in the task on a worker node, through that node\'s engine', async () => {
    const worker = swarm!.nodes[1];
    const addresses = await nodeIds();
    const task = (await runningTasks()).find((t) => addresses.get(t.NodeID) === worker.address)!;
    assert.ok(task, 'a task runs on node 2');
    const id = task.Status.ContainerStatus!.ContainerID!;
    const r = await spin(['exec', '--stack', STACK, 'web', '--index', String(task.Slot), '--', 'sh', '-c', 'hostname; mkdir -p /tmp && echo only-here > /tmp/mark; exit 5']);
    expectCode(r, 5, 'spin exec on node 2');
    assert.equal(r.stdout, `${id.slice(0, 12)}\n`);
    // The file it wrote is in that container on node 2's own engine.
    const socket = (worker.docker.modem as unknown as {socketPath: string}).socketPath;
    const {stdout} = await promisify(execFile)('docker', ['-H', `unix://${socket}`, 'exec', id, 'cat', '/tmp/mark']);
    assert.equal(stdout, 'only-here\n');
  });

  test('spin exec in the manager\'s task needs no endpoint', async () => {
    const addresses = await nodeIds();
    const task = (await runningTasks()).find((t) => addresses.get(t.NodeID) === swarm!.nodes[0].address)!;
    const r = await spin(['exec', '--stack', STACK, 'web', '--index', String(task.Slot), '--', 'hostname']);
    expectCode(r, 0, 'spin exec on the manager');
    assert.equal(r.stdout, `${task.Status.ContainerStatus!.ContainerID!.slice(0, 12)}\n`);
  });

  test('spin exec in a task on a node the agent has no engine for fails, naming the node and the flag', async () => {
    const lost = swarm!.nodes[2];
    const addresses = await nodeIds();
    const task = (await runningTasks()).find((t) => addresses.get(t.NodeID) === lost.address)!;
    const r = await spin(['exec', '--stack', STACK, 'web', '--index', String(task.Slot), '--', 'hostname']);
    // The agent cannot reach that node's engine: the unreachable exit code (6), not a generic 1.
    expectCode(r, 6, 'spin exec on node 3');
    assert.match(r.stderr, new RegExp(`runs on node ${lost.address.replaceAll('.', '\\.')} .*no engine endpoint`));
    assert.match(r.stderr, /--swarm-node-engine/);
  });

  test('the agent asks each node engine which node it is at start: a swapped one stops it, a silent one is logged', async () => {
    const [, node2, node3] = swarm!.nodes;
    const tls = ['--swarm-node-tls-dir', swarm!.nodeTlsDir];
    const args = ['--docker-host', managerUrl(swarm!), '--registry', swarm!.registry.host];
    // Node 3's engine given as node 2's: exec would reach the wrong host, so the agent does not start.
    // With the cluster ingress asked for: the refusal comes before any proxy container is made.
    const ingress = ['--ingress-listen', `${swarm!.nodes[0].address}:18099`];
    const swapped = startAgent({dataDir: join(root, 'swapped-agent'), args: [...args, ...ingress, '--swarm-node-engine', `${node2.address}=${node3.engineUrl}`, ...tls], timeoutMs: 120_000});
    const refused = await swapped.then(
      async (a) => {
        await a.stop();
        a.cleanup();
        return undefined;
      },
      (err: Error) => err.message,
    );
    assert.ok(refused, 'the agent started with a swapped node engine');
    assert.match(refused, new RegExp(`node engine ${node2.address.replaceAll('.', '\\.')}=.*this is the engine of node ${node3.address.replaceAll('.', '\\.')}`));
    assert.deepEqual(await swarm!.manager.listContainers({all: true, filters: {label: ['org.spin.ingress.proxy']}}), [], 'no ingress proxy left on the manager');

    // A port nothing listens on, and a node the cluster does not have: logged, and the agent serves.
    const silent = await startAgent({args: [...args, '--swarm-node-engine', `${node3.address}=tcp://${node3.address}:1`, '--swarm-node-engine', '10.255.255.254=tcp://10.255.255.254:2376', ...tls]});
    try {
      assert.match(silent.logs(), new RegExp(`node engine ${node3.address.replaceAll('.', '\\.')}=tcp://[^ ]+:1: .*exec in that node's tasks will fail`));
      assert.match(silent.logs(), /node engine 10\.255\.255\.254=.*the cluster has no node with that ID or address/);
    } finally {
      await silent.stop();
      silent.cleanup();
    }
  });

  test('--tail 2 gives the last 2 lines of each replica', async () => {
    // Enough lines first, so that the tail really cuts: at least 4 of each replica.
    const full = await until('4 lines of each replica', 30_000, async () => {
      const r = await spin(['logs', '--stack', STACK, '--json']);
      const lines = parseLines(r.stdout);
      return [1, 2, 3].every((n) => lines.filter((l) => l.replica === n).length >= 4) ? lines : undefined;
    });
    const r = await spin(['logs', '--stack', STACK, '--json', '--tail', '2']);
    expectCode(r, 0, 'spin logs --tail 2');
    const lines = parseLines(r.stdout);
    for (const n of [1, 2, 3]) {
      const own = lines.filter((l) => l.replica === n).map((l) => l.line);
      assert.equal(own.length, 2, `replica ${n}: ${JSON.stringify(own)}`);
      const ticks = own.map((l) => Number(/^tick (\d+)$/.exec(l)?.[1]));
      // Two consecutive lines, no older than the last one the full log had a moment before.
      assert.equal(ticks[1], ticks[0] + 1, JSON.stringify(own));
      const lastBefore = Math.max(...full.filter((l) => l.replica === n).map((l) => Number(/^tick (\d+)$/.exec(l.line)?.[1] ?? 0)));
      assert.ok(ticks[1] >= lastBefore, `replica ${n}: tail ${JSON.stringify(own)}, full log up to tick ${lastBefore}`);
    }
  });

  test('another project\'s token gets 404 for the stack\'s logs and exec', async () => {
    const logs = await fetch(`${agent!.url}/v1/projects/${project}/stacks/${STACK}/logs`, {headers: {authorization: `Bearer ${otherToken}`}});
    assert.equal(logs.status, 404);
    const url = new URL(`${agent!.url.replace(/^http/, 'ws')}/v1/projects/${project}/stacks/${STACK}/exec`);
    url.searchParams.set('service', 'web');
    url.searchParams.set('cmd', JSON.stringify(['hostname']));
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const ws = new WebSocket(url, {headers: {authorization: `Bearer ${otherToken}`}});
      ws.on('unexpected-response', (req, res) => {
        resolve(res.statusCode);
        res.resume();
        req.destroy();
      });
      ws.on('open', () => {
        ws.close();
        resolve(undefined);
      });
      ws.on('error', reject);
    });
    assert.equal(status, 404);
    const cli = await spin(['logs', '--stack', STACK], {SPIN_TOKEN: otherToken});
    assert.notEqual(cli.code, 0);
    assert.doesNotMatch(cli.stdout, /tick/);
  });

  test('stop scales to 0 remembering the count, start brings the same count back, restart replaces every task', async () => {
    const stop = await spin(['stop', '--stack', STACK]);
    expectCode(stop, 0, 'spin stop');
    assert.equal((await runningTasks()).length, 0);
    const [service] = (await swarm!.manager.listServices({filters: {label: [`${LABELS.project}=${project}`, `${LABELS.stack}=${STACK}`]}})) as {Spec: {Mode: {Replicated: {Replicas: number}}; Labels: Record<string, string>}}[];
    assert.equal(service.Spec.Mode.Replicated.Replicas, 0);
    assert.equal(service.Spec.Labels['org.spin.stopped-replicas'], '3');
    const start = await spin(['start', '--stack', STACK]);
    expectCode(start, 0, 'spin start');
    const started = await runningTasks();
    assert.equal(started.length, 3);
    const restart = await spin(['restart', '--stack', STACK, 'web']);
    expectCode(restart, 0, 'spin restart');
    const restarted = await runningTasks();
    assert.equal(restarted.length, 3);
    const before = new Set(started.map((t) => t.ID));
    assert.ok(restarted.every((t) => !before.has(t.ID)), 'every task replaced');
  });

  test('a global service stops (no task on any node), starts on every node again, and a deploy of the same file starts it too', async () => {
    const dir = join(root, 'global');
    await mkdir(dir, {recursive: true});
    const probe = {image, init: true, cap_drop: ['ALL'], command: ['sh', '-c', 'exec sleep 3600'], deploy: {mode: 'global'}};
    await writeFile(join(dir, 'compose.yaml'), JSON.stringify({services: {probe}}, null, 2) + '\n');
    const inGlobal = (args: string[]) => runSpin([...args, '--stack', 'glob'], {cwd: dir, env});
    const running = async () => {
      const tasks = (await swarm!.manager.listTasks({filters: {label: [`${LABELS.project}=${project}`, `${LABELS.stack}=glob`], 'desired-state': ['running']}})) as Task[];
      return tasks.filter((t) => t.Status.State === 'running');
    };
    try {
      expectCode(await inGlobal(['deploy', '--timeout', '120s']), 0, 'spin deploy of the global service');
      assert.equal(new Set((await running()).map((t) => t.NodeID)).size, 3, 'one task on each node');

      expectCode(await inGlobal(['stop']), 0, 'spin stop');
      assert.equal((await running()).length, 0);
      const ps = await inGlobal(['ps', '--json']);
      expectCode(ps, 0, 'spin ps');
      const status = JSON.parse(ps.stdout) as {services: {service: string; desired: number; running: number}[]};
      assert.deepEqual(status.services.map((x) => [x.service, x.desired, x.running]), [['probe', 0, 0]]);

      expectCode(await inGlobal(['start']), 0, 'spin start');
      assert.equal(new Set((await running()).map((t) => t.NodeID)).size, 3, 'one task on each node again');

      expectCode(await inGlobal(['stop']), 0, 'spin stop, again');
      expectCode(await inGlobal(['deploy', '--timeout', '120s']), 0, 'spin deploy of the unchanged file');
      assert.equal(new Set((await running()).map((t) => t.NodeID)).size, 3, 'the deploy started it on each node');
    } finally {
      await inGlobal(['rm', '--yes']);
    }
  });

  test('a killed worker\'s replicas come back on the other nodes, and spin ps says so', async () => {
    // A worker that runs a replica: the scheduler need not have put one on each after the restart.
    const addresses = await nodeIds();
    const tasks = await runningTasks();
    const lost = swarm!.nodes.slice(1).find((n) => tasks.some((t) => addresses.get(t.NodeID) === n.address));
    assert.ok(lost, 'a worker runs a task before it is lost');
    const kept = swarm!.nodes.filter((n) => n !== lost).map((n) => n.address);
    await swarm!.killNode(lost.index);
    // Swarm notices a dead node after its heartbeat period (about 20 s here).
    const moved = await until('the replicas back to 3 on the remaining nodes', 120_000, async () => {
      const tasks = await runningTasks();
      return tasks.length === 3 && tasks.every((t) => addresses.get(t.NodeID) !== lost.address) ? tasks : undefined;
    });
    assert.equal(moved.length, 3);
    const r = await spin(['ps', '--stack', STACK]);
    expectCode(r, 0, 'spin ps');
    const rows = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s+/));
    assert.deepEqual(rows[0].slice(0, 4), ['NAME', 'SERVICE', 'STATE', 'NODE']);
    const body = rows.slice(1);
    assert.equal(body.length, 3, r.stdout);
    for (const row of body) {
      assert.equal(row[2], 'running', r.stdout);
      assert.ok(kept.includes(row[3]), `${row[3]} is a remaining node: ${r.stdout}`);
    }
    assert.ok(!r.stdout.includes(lost.address), r.stdout);
  });
});
