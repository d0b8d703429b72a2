// The commands the Swarm upgrade benchmark times: a rolling upgrade of 3 replicas from v1 to v2
// under a constant request rate, by Spin (through its cluster ingress) and by `docker service
// update` (through host-mode ports, balanced by the client). Each upgrade yields several figures,
// kept one JSON line per upgrade in the fixture's folder, so the rows of the tables read the same
// upgrades (shared-runs.ts). After each upgrade, untimed, the service goes back to v1: every round
// starts from the cluster as it was found.
//
//   node bench/lib/swarm-upgrade-probe.ts setup DIR           Spin's stack and the peer service on v1 (untimed)
//   node bench/lib/swarm-upgrade-probe.ts spin DIR METRIC     Spin's rolling upgrade: failed | p99 | duration
//   node bench/lib/swarm-upgrade-probe.ts peer DIR METRIC     docker service update: failed | p99 | duration | converged
//
// DIR is a Swarm fixture's folder started with `upgrade` (swarm-fixture.ts).

import http from 'node:http';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';

import Docker from 'dockerode';

import {AgentClient} from '../../src/lib/client/agent.ts';
import {printFigure, run} from './process.ts';
import {underLoad, type LoadFigures} from './rollout-probe.ts';
import {sharedFigure} from './shared-runs.ts';
import {readSwarmState, type SwarmFixtureState} from './swarm-fixture.ts';

export const UPGRADE_REPLICAS = 3;
/** Requests per second on both sides: the ingress test's rate (three dockerds and a proxy share two cores). */
export const UPGRADE_RATE = 100;
const STACK = 'up';
/** The peer service, made with the docker CLI on the manager. */
const PEER = 'peer-web';
/** The peer's host-mode port on every node (each node has its own network namespace and address). */
const PEER_PORT = 18081;
const HEALTH_TIMEOUT_MS = 180_000;
/** How often the peer's tasks are listed for its "converged" figure. */
const POLL_MS = 50;

/**
 * The update settings both sides run, as far as the peer can: one task at a time, no delay,
 * Swarm's monitor at 1 s (what Spin sends Swarm when update_config names none), paused on failure
 * (Spin judges and rolls back itself). The order differs: see peerCreate.
 */
const UPDATE = {parallelism: 1, delay: '0s', monitor: '1s'};
/** The same check as the single-host rollout benchmark's, tolerant as the ingress test's on a busy machine. */
const HEALTH = {cmd: 'wget -q -O /dev/null http://127.0.0.1:8080/', interval: '1s', timeout: '5s', retries: 4};

type Figures = LoadFigures & {converged?: number};
type Version = 'v1' | 'v2';

function images(state: SwarmFixtureState): Record<Version, string> {
  if (!state.web || !state.ingress) throw new Error('the Swarm fixture was started without `upgrade` (no ingress, no web images)');
  return state.web;
}

const hostOf = (state: SwarmFixtureState) => `web.${STACK}.${state.project}.localhost`;

function client(state: SwarmFixtureState): AgentClient {
  return new AgentClient({url: state.url, token: state.token});
}

/** Spin's service: 3 httpd replicas behind the cluster ingress, rolled one at a time, start-first. */
function webService(image: string): Record<string, unknown> {
  return {
    image,
    init: true,
    cap_drop: ['ALL'],
    healthcheck: {test: ['CMD-SHELL', HEALTH.cmd], interval: HEALTH.interval, timeout: HEALTH.timeout, retries: HEALTH.retries},
    deploy: {
      replicas: UPGRADE_REPLICAS,
      update_config: {parallelism: UPDATE.parallelism, delay: UPDATE.delay, order: 'start-first'},
      resources: {limits: {cpus: '1', memory: '1g'}},
    },
    'x-spin': {ingress: {port: 8080}},
  };
}

function docker(state: SwarmFixtureState): Docker {
  return new Docker({socketPath: state.manager.replace(/^unix:\/\//, '')});
}

/** The docker CLI against the manager, with the registry's credentials to send along. */
function dockerCli(state: SwarmFixtureState, args: string[]): Promise<void> {
  return run('docker', ['-H', state.manager, ...args], {DOCKER_CONFIG: state.dockerConfig});
}

/**
 * The peer: the same httpd, check and limits, created directly on the manager. A host-mode port
 * on every node and one task per node (the client balances over the node addresses, as a user
 * without the routing mesh would): then a new task can only start where the old one stopped and
 * freed the port, so the update order must be stop-first. No VIP (dnsrr), as Spin's services.
 */
async function peerCreate(state: SwarmFixtureState): Promise<void> {
  await dockerCli(state, [
    'service', 'create', '--detach=false', '--quiet', '--with-registry-auth', '--name', PEER,
    '--mode', 'replicated', '--replicas', String(UPGRADE_REPLICAS), '--replicas-max-per-node', '1',
    '--publish', `mode=host,published=${PEER_PORT},target=8080`, '--endpoint-mode', 'dnsrr',
    '--init', '--cap-drop', 'ALL', '--limit-cpu', '1', '--limit-memory', '1g',
    '--health-cmd', HEALTH.cmd, '--health-interval', HEALTH.interval, '--health-timeout', HEALTH.timeout, '--health-retries', String(HEALTH.retries),
    '--update-parallelism', String(UPDATE.parallelism), '--update-delay', UPDATE.delay, '--update-monitor', UPDATE.monitor,
    '--update-order', 'stop-first', '--update-failure-action', 'pause',
    images(state).v1,
  ]);
}

/** One GET; the status and body, or the error's code. */
function get(address: string, port: number, host: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({host: address, port, headers: {host}, agent: false, timeout: 5000}, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), {code: 'ETIMEDOUT'})));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** Waits until every target answers `version`: the load must not start on routes still being set up. */
async function answering(what: string, targets: {address: string; port: number; host: string}[], version: Version): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const answers = await Promise.all(targets.map((t) => get(t.address, t.port, t.host)));
    if (answers.every((a) => a === `200 ${version}`)) return;
    if (performance.now() > deadline) throw new Error(`${what} does not answer ${version}: ${answers.join(', ')}`);
    await sleep(250);
  }
}

function spinTargets(state: SwarmFixtureState) {
  return [{address: state.ingress!.address, port: state.ingress!.port, host: hostOf(state)}];
}

function peerTargets(state: SwarmFixtureState) {
  return state.nodes.map((address) => ({address, port: PEER_PORT, host: PEER}));
}

async function spinTo(agent: AgentClient, state: SwarmFixtureState, version: Version): Promise<void> {
  const result = await agent.upgrade(state.project, STACK, {images: {web: images(state)[version]}, timeoutSeconds: HEALTH_TIMEOUT_MS / 1000});
  if (result.outcome !== 'healthy') throw new Error(`spin upgrade to ${version} ended ${result.outcome}: ${JSON.stringify(result.failure)}`);
}

async function peerTo(state: SwarmFixtureState, version: Version): Promise<void> {
  // --detach=false: the CLI returns once Swarm itself calls the update converged.
  await dockerCli(state, ['service', 'update', '--detach=false', '--quiet', '--with-registry-auth', '--image', images(state)[version], PEER]);
  const service = (await docker(state).getService(PEER).inspect()) as {UpdateStatus?: {State?: string; Message?: string}};
  if (service.UpdateStatus?.State !== 'completed') throw new Error(`docker service update to ${version}: update ${service.UpdateStatus?.State}: ${service.UpdateStatus?.Message}`);
}

async function setup(dir: string): Promise<void> {
  const state = readSwarmState(dir);
  const agent = client(state);
  try {
    const result = await agent.deploy(state.project, STACK, {model: {services: {web: webService(images(state).v1)}}, timeoutSeconds: HEALTH_TIMEOUT_MS / 1000});
    if (result.outcome !== 'healthy') throw new Error(`Spin's stack did not turn healthy: ${result.outcome} ${JSON.stringify(result.failure)}`);
  } finally {
    agent.close();
  }
  await peerCreate(state);
  await answering("Spin's ingress", spinTargets(state), 'v1');
  await answering("the peer's node ports", peerTargets(state), 'v1');
}

/** The upgrade did what it says: the first answers were v1, the last ones v2. */
function checked(side: string, f: Figures): Figures {
  if (f.first !== 'v1' || f.last !== 'v2') throw new Error(`${side}: the first answer was ${f.first}, the last ${f.last}: not an upgrade from v1 to v2`);
  return f;
}

async function spinUpgrade(dir: string): Promise<Figures> {
  const state = readSwarmState(dir);
  const agent = client(state);
  try {
    const [target] = spinTargets(state);
    const out = await underLoad({...target, rate: UPGRADE_RATE}, () => spinTo(agent, state, 'v2'));
    // Back to v1, untimed, so the next round starts where this one did.
    await spinTo(agent, state, 'v1');
    await answering("Spin's ingress", spinTargets(state), 'v1');
    return checked('spin upgrade', out);
  } finally {
    agent.close();
  }
}

/**
 * Milliseconds from `start` until every task Swarm means to run is a running v2 task and no v1
 * task runs (polled): when the update is done by what the tasks say, before the CLI's own wait.
 */
async function watchConverged(state: SwarmFixtureState, start: number, stop: AbortSignal): Promise<number | undefined> {
  const engine = docker(state);
  const v2 = images(state).v2;
  while (!stop.aborted) {
    const tasks = (await engine.listTasks({filters: {service: [PEER]}})) as {DesiredState: string; Status: {State: string}; Spec: {ContainerSpec?: {Image?: string}}}[];
    const running = tasks.filter((t) => t.Status.State === 'running');
    if (running.length === UPGRADE_REPLICAS && running.every((t) => t.Spec.ContainerSpec?.Image === v2 && t.DesiredState === 'running')) return performance.now() - start;
    await sleep(POLL_MS);
  }
  return undefined;
}

async function peerUpgrade(dir: string): Promise<Figures> {
  const state = readSwarmState(dir);
  let converged: Promise<number | undefined> | undefined;
  const stop = new AbortController();
  const out = await underLoad({addresses: state.nodes, port: PEER_PORT, host: PEER, rate: UPGRADE_RATE}, async () => {
    converged = watchConverged(state, performance.now(), stop.signal);
    await peerTo(state, 'v2');
  });
  stop.abort();
  const polled = await converged;
  await peerTo(state, 'v1');
  await answering("the peer's node ports", peerTargets(state), 'v1');
  return checked('docker service update', {...out, ...(polled !== undefined ? {converged: polled} : {})});
}

const METRICS = {spin: ['failed', 'p99', 'duration'], peer: ['failed', 'p99', 'duration', 'converged']} as const;

async function main(argv: string[]): Promise<number> {
  const [command, dir, metric] = argv;
  if (command === 'spin' && (METRICS.spin as readonly string[]).includes(metric)) return sharedFigure<Figures>(dir, 'swarm-upgrade-spin', metric as keyof Figures & string, () => spinUpgrade(dir));
  if (command === 'peer' && (METRICS.peer as readonly string[]).includes(metric)) return sharedFigure<Figures>(dir, 'swarm-upgrade-peer', metric as keyof Figures & string, () => peerUpgrade(dir));
  throw new Error(`usage: swarm-upgrade-probe.ts setup DIR | spin DIR ${METRICS.spin.join('|')} | peer DIR ${METRICS.peer.join('|')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  if (argv[0] === 'setup') {
    await setup(argv[1]).catch((err: Error) => {
      process.stderr.write(`${err.stack ?? err.message}\n`);
      process.exit(1);
    });
  } else {
    await printFigure(() => main(argv));
  }
}
