// The commands the agent benchmarks time. Each measures only the work it is named for, prints that
// figure alone on the last line of stdout (Command.measuresItself), and leaves the engine as it
// found it: the setup and teardown around the measured part are untimed.
//
//   node bench/lib/agent-probe.ts spin-deploy DIR          deploy request → all healthy (ms)
//   node bench/lib/agent-probe.ts compose-deploy DIR       docker-compose up -d → all healthy (ms)
//   node bench/lib/agent-probe.ts spin-status DIR METRIC   N concurrent GET stack; p50|p99|wall (ms)
//   node bench/lib/agent-probe.ts engine-status DIR METRIC N concurrent listContainers (ms)
//   node bench/lib/agent-probe.ts agent-rss-start          a fresh agent's idle RSS (MiB)
//   node bench/lib/agent-probe.ts agent-rss-leak DIR rssN  a fresh agent's idle RSS after deploy N of the leak check (MiB)
//   node bench/lib/agent-probe.ts agent-rss-leak DIR dockerd  dockerd's RSS after its last deploy (MiB)
//   node bench/lib/agent-probe.ts dockerd-rss              dockerd's RSS (MiB)
//
// DIR is a fixture's folder (agent-fixture.ts).

import {setTimeout as sleep} from 'node:timers/promises';

import Docker from 'dockerode';

import {AgentClient} from '../../src/lib/client/agent.ts';
import {LABELS} from '../../src/lib/engine/types.ts';
import {startAgent} from '../../test/helpers/agent.ts';
import {COMPOSE_PROJECT_LABEL, CONCURRENT_REQUESTS, LEAK_DEPLOYS, readState, removeComposeProject, SERVICES, STACK, stackDocument, type FixtureState} from './agent-fixture.ts';
import {percentile} from './measure.ts';
import {dockerdPid, rssMiB} from './memory.ts';
import {printFigure, run} from './process.ts';
import {sharedFigure} from './shared-runs.ts';

/** How often the docker-compose side looks at health: often, so its detection lag stays small. */
const COMPOSE_POLL_MS = 50;
const HEALTH_TIMEOUT_MS = 120_000;
/** Time given to a process to settle (timers, GC) before its memory is read. */
const IDLE_MS = 2000;
const DEPLOY_STACK = 'deploy';
const LEAK_STACK = 'leak';

const docker = new Docker();


function client(state: FixtureState): AgentClient {
  return new AgentClient({url: state.url, token: state.token});
}

function spinLabels(state: FixtureState, stack: string): string[] {
  return [`${LABELS.project}=${state.project}`, `${LABELS.stack}=${stack}`];
}

/** Removes the stack through the API when a failed earlier run left it behind. */
async function removeStack(agent: AgentClient, state: FixtureState, stack: string): Promise<void> {
  const left = await docker.listContainers({all: true, filters: {label: spinLabels(state, stack)}});
  if (left.length > 0 || (await agent.stacks(state.project)).stacks.some((s) => s.name === stack)) await agent.remove(state.project, stack, false);
}

async function spinDeploy(state: FixtureState, stack = DEPLOY_STACK): Promise<number> {
  const agent = client(state);
  try {
    await removeStack(agent, state, stack);
    const start = performance.now();
    const result = await agent.deploy(state.project, stack, {model: stackDocument(state.image), timeoutSeconds: HEALTH_TIMEOUT_MS / 1000});
    const ms = performance.now() - start;
    const healthy = result.status?.services.filter((s) => s.healthy === 1).length;
    if (result.outcome !== 'healthy' || healthy !== SERVICES || result.plan.services.some((s) => s.action !== 'create')) {
      throw new Error(`the deploy was not a fresh one that turned healthy: ${result.outcome}, ${healthy} healthy, plan ${JSON.stringify(result.plan.services.map((s) => s.action))}`);
    }
    await agent.remove(state.project, stack, false);
    return ms;
  } finally {
    agent.close();
  }
}

async function composeHealthy(project: string, deadline: number): Promise<void> {
  const ids = (await docker.listContainers({all: true, filters: {label: [`${COMPOSE_PROJECT_LABEL}=${project}`]}})).map((c) => c.Id);
  if (ids.length !== SERVICES) throw new Error(`docker-compose started ${ids.length} containers, not ${SERVICES}`);
  for (;;) {
    const infos = await Promise.all(ids.map((id) => docker.getContainer(id).inspect()));
    const states = infos.map((i) => (i.State as {Health?: {Status?: string}}).Health?.Status);
    if (states.every((s) => s === 'healthy')) return;
    if (states.includes('unhealthy')) throw new Error('a docker-compose container turned unhealthy');
    if (performance.now() > deadline) throw new Error(`docker-compose containers not healthy within ${HEALTH_TIMEOUT_MS} ms: ${states.join(', ')}`);
    await sleep(COMPOSE_POLL_MS);
  }
}

async function composeDeploy(state: FixtureState): Promise<number> {
  const compose = ['--compatibility', '-p', state.composeProject, '-f', state.composeFile];
  await removeComposeProject(docker, state.composeProject);
  try {
    const start = performance.now();
    await run('docker-compose', [...compose, 'up', '-d']);
    await composeHealthy(state.composeProject, start + HEALTH_TIMEOUT_MS);
    const ms = performance.now() - start;
    await run('docker-compose', [...compose, 'down', '-t', '1']);
    return ms;
  } finally {
    await removeComposeProject(docker, state.composeProject);
  }
}

/** Runs `call` `n` times at once; latencies of each and the wall time of all, in ms. */
async function burst(n: number, call: () => Promise<void>): Promise<{latencies: number[]; wall: number}> {
  const start = performance.now();
  const latencies = await Promise.all(
    Array.from({length: n}, async () => {
      const t = performance.now();
      await call();
      return performance.now() - t;
    }),
  );
  return {latencies: latencies.sort((a, b) => a - b), wall: performance.now() - start};
}

function metric(result: {latencies: number[]; wall: number}, name: string): number {
  if (name === 'wall') return result.wall;
  if (name === 'p50') return percentile(result.latencies, 0.5);
  if (name === 'p99') return percentile(result.latencies, 0.99);
  throw new Error(`unknown metric "${name}" (p50, p99 or wall)`);
}

async function spinStatus(state: FixtureState, name: string): Promise<number> {
  const agent = client(state);
  try {
    return metric(
      await burst(CONCURRENT_REQUESTS, async () => {
        const detail = await agent.stack(state.project, STACK);
        if (detail.status.services.filter((s) => s.healthy === 1).length !== SERVICES) throw new Error(`stack "${STACK}" is not healthy: ${JSON.stringify(detail.status.services.map((s) => s.healthy))}`);
      }),
      name,
    );
  } finally {
    agent.close();
  }
}

async function engineStatus(state: FixtureState, name: string): Promise<number> {
  const filters = {label: spinLabels(state, STACK)};
  return metric(
    await burst(CONCURRENT_REQUESTS, async () => {
      const list = await docker.listContainers({all: true, filters});
      if (list.length !== SERVICES) throw new Error(`listContainers found ${list.length} containers, not ${SERVICES}`);
    }),
    name,
  );
}

async function freshAgentRss(): Promise<number> {
  const agent = await startAgent();
  try {
    await sleep(IDLE_MS);
    return rssMiB(agent.process.pid!);
  } finally {
    await agent.stop();
    agent.cleanup();
  }
}

/** The leak check's figures: the agent's RSS after deploy N (MiB), dockerd's after the last. */
interface LeakRun {
  [key: `rss${number}`]: number;
  dockerd: number;
}

/**
 * One leak-check run: a fresh agent deploys a one-service stack LEAK_DEPLOYS.at(-1) times, each
 * deploy changing an environment variable so that the container is recreated (the plan says so,
 * or the run fails), and its RSS is read, idle, after the deploys LEAK_DEPLOYS names. One
 * service keeps a round near a second while going through the whole pipeline (plan, create,
 * the health gate, removal of the old container), which is where per-deploy state would pile up.
 */
async function leakRun(state: FixtureState): Promise<LeakRun> {
  const agent = await startAgent();
  let api: AgentClient | undefined;
  const figures: LeakRun = {dockerd: 0};
  try {
    api = new AgentClient({url: agent.url, token: await agent.addUser('bench', {projects: [state.project]})});
    for (let round = 1; round <= LEAK_DEPLOYS.at(-1)!; round++) {
      const model = stackDocument(state.image, 1, {environment: {ROUND: String(round)}});
      const result = await api.deploy(state.project, LEAK_STACK, {model, timeoutSeconds: HEALTH_TIMEOUT_MS / 1000});
      const actions = result.plan.services.map((s) => s.action);
      if (result.outcome !== 'healthy' || actions.join() !== (round === 1 ? 'create' : 'recreate')) {
        throw new Error(`deploy ${round} of the leak check was not a ${round === 1 ? 'create' : 'recreate'} that turned healthy: ${result.outcome}, plan ${JSON.stringify(actions)}`);
      }
      if ((LEAK_DEPLOYS as readonly number[]).includes(round)) {
        await sleep(IDLE_MS);
        figures[`rss${round}`] = rssMiB(agent.process.pid!);
      }
    }
    figures.dockerd = rssMiB(dockerdPid());
    return figures;
  } finally {
    // Also after a failure, so that the next run's fresh agent finds no container in its way.
    await api?.remove(state.project, LEAK_STACK, false).catch(() => undefined);
    api?.close();
    await agent.stop();
    agent.cleanup();
  }
}

async function main(argv: string[]): Promise<number> {
  const [what, dir, name = ''] = argv;
  const state = () => readState(dir);
  switch (what) {
    case 'spin-deploy':
      return spinDeploy(state());
    case 'compose-deploy':
      return composeDeploy(state());
    case 'spin-status':
      return spinStatus(state(), name);
    case 'engine-status':
      return engineStatus(state(), name);
    case 'agent-rss-start':
      return freshAgentRss();
    case 'agent-rss-leak':
      if (!/^(rss\d+|dockerd)$/.test(name)) throw new Error(`unknown leak figure "${name}" (rssN or dockerd)`);
      return sharedFigure<LeakRun>(dir, 'agent-leak', name as keyof LeakRun & string, () => leakRun(state()));
    case 'dockerd-rss':
      return rssMiB(dockerdPid());
    default:
      throw new Error(`unknown probe "${what}"`);
  }
}

await printFigure(() => main(process.argv.slice(2)));
