// The commands the Swarm benchmark times. Each prints its figure alone on the last line of stdout
// (Command.measuresItself) and leaves the cluster as it found it, the stack removed untimed.
//
//   node bench/lib/swarm-probe.ts spin-deploy DIR    agent deploy request → every task running healthy (ms)
//   node bench/lib/swarm-probe.ts stack-deploy DIR   docker stack deploy → every task running healthy, polled (ms)
//   node bench/lib/swarm-probe.ts agent-rss DIR      the agent's RSS with a 100-service stack deployed (MiB)
//   node bench/lib/swarm-probe.ts manager-rss DIR    the manager dockerd's RSS with the same stack (MiB)
//
// DIR is the fixture's folder (swarm-fixture.ts).

import {setTimeout as sleep} from 'node:timers/promises';

import Docker from 'dockerode';

import {AgentClient} from '../../src/lib/client/agent.ts';
import {rssMiB} from './memory.ts';
import {printFigure, run} from './process.ts';
import {BIG_SERVICES, readSwarmState, SWARM_REPLICAS, SWARM_SERVICES, swarmStack, type SwarmFixtureState} from './swarm-fixture.ts';

const DEPLOY_STACK = 'deploy';
const PEER_STACK = 'peer';
const BIG_STACK = 'big';
/** How often the docker side lists tasks: often, so its detection lag stays small. */
const POLL_MS = 50;
const HEALTH_TIMEOUT_MS = 180_000;
/** 100 services created on three busy nodes. */
const BIG_TIMEOUT_S = 600;
const IDLE_MS = 2000;
/** docker-stack's own label on what it creates. */
const STACK_LABEL = 'com.docker.stack.namespace';

function manager(state: SwarmFixtureState): Docker {
  return new Docker({socketPath: state.manager.replace(/^unix:\/\//, '')});
}

function client(state: SwarmFixtureState): AgentClient {
  return new AgentClient({url: state.url, token: state.token});
}

async function spinDeploy(state: SwarmFixtureState): Promise<number> {
  const agent = client(state);
  try {
    if ((await agent.stacks(state.project)).stacks.some((s) => s.name === DEPLOY_STACK)) await agent.remove(state.project, DEPLOY_STACK, false);
    const start = performance.now();
    const result = await agent.deploy(state.project, DEPLOY_STACK, {model: swarmStack(state.image, SWARM_SERVICES, SWARM_REPLICAS), timeoutSeconds: HEALTH_TIMEOUT_MS / 1000});
    const ms = performance.now() - start;
    const healthy = result.status?.services.filter((s) => s.healthy === SWARM_REPLICAS).length;
    if (result.outcome !== 'healthy' || healthy !== SWARM_SERVICES) throw new Error(`the deploy did not turn healthy: ${result.outcome}, ${healthy} of ${SWARM_SERVICES} services with ${SWARM_REPLICAS} healthy tasks`);
    await agent.remove(state.project, DEPLOY_STACK, false);
    return ms;
  } finally {
    agent.close();
  }
}

/** Every task of the stack Swarm means to run is running: with a healthcheck, Swarm says so only once it passes. */
async function stackConverged(docker: Docker, deadline: number): Promise<void> {
  const want = SWARM_SERVICES * SWARM_REPLICAS;
  for (;;) {
    const tasks = (await docker.listTasks({filters: {label: [`${STACK_LABEL}=${PEER_STACK}`], 'desired-state': ['running']}})) as {Status: {State: string}}[];
    const running = tasks.filter((t) => t.Status.State === 'running').length;
    if (running === want && tasks.length === want) return;
    if (performance.now() > deadline) throw new Error(`docker stack deploy: ${running} of ${want} tasks running after ${HEALTH_TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}

/** Waits until nothing of the peer stack is listed (its networks go last, once every node let go). */
async function stackGone(docker: Docker): Promise<void> {
  const filters = {label: [`${STACK_LABEL}=${PEER_STACK}`]};
  for (const end = performance.now() + 120_000; performance.now() < end; await sleep(250)) {
    const [services, networks] = await Promise.all([docker.listServices({filters}), docker.listNetworks({filters})]);
    if (services.length === 0 && networks.length === 0) return;
  }
  throw new Error(`stack "${PEER_STACK}" is still listed 120 s after docker stack rm`);
}

async function stackDeploy(state: SwarmFixtureState): Promise<number> {
  const docker = manager(state);
  const cli = ['-H', state.manager];
  const env = {DOCKER_CONFIG: state.dockerConfig};
  await run('docker', [...cli, 'stack', 'rm', PEER_STACK], env);
  await stackGone(docker);
  const start = performance.now();
  // Pinned by digest already: nothing to resolve, the nodes pull with the credentials sent along.
  await run('docker', [...cli, 'stack', 'deploy', '--with-registry-auth', '--resolve-image', 'never', '-c', state.stackFile, PEER_STACK], env);
  await stackConverged(docker, start + HEALTH_TIMEOUT_MS);
  const ms = performance.now() - start;
  await run('docker', [...cli, 'stack', 'rm', PEER_STACK], env);
  await stackGone(docker);
  return ms;
}

/** The 100-service stack, deployed once (by the first row that asks), kept until the fixture goes. */
async function ensureBig(state: SwarmFixtureState): Promise<void> {
  const agent = client(state);
  try {
    const big = (await agent.stacks(state.project)).stacks.some((s) => s.name === BIG_STACK);
    if (big) return;
    // No healthcheck: a hundred checks starting at once on three busy nodes only add load (see cli-ps).
    const result = await agent.deploy(state.project, BIG_STACK, {model: swarmStack(state.image, BIG_SERVICES, 1, {healthcheck: false}), timeoutSeconds: BIG_TIMEOUT_S});
    if (result.outcome !== 'healthy') throw new Error(`the ${BIG_SERVICES}-service stack did not come up: ${result.outcome} ${JSON.stringify(result.failure)}`);
  } finally {
    agent.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [what, dir] = argv;
  const state = readSwarmState(dir);
  switch (what) {
    case 'spin-deploy':
      return spinDeploy(state);
    case 'stack-deploy':
      return stackDeploy(state);
    case 'agent-rss':
      await ensureBig(state);
      await sleep(IDLE_MS);
      return rssMiB(state.agentPid);
    case 'manager-rss':
      await ensureBig(state);
      await sleep(IDLE_MS);
      return rssMiB(state.managerPid);
    default:
      throw new Error(`unknown probe "${what}"`);
  }
}

await printFigure(() => main(process.argv.slice(2)));
