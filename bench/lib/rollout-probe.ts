// The commands the rollout benchmark times. A rolling upgrade of 3 replicas happens under a
// constant request rate; each upgrade yields several figures (failed requests, p99 latency,
// duration), kept one JSON line per upgrade in the fixture's folder so that the rows of the
// table read the same upgrades: the first row to ask for upgrade N runs it, later rows read it
// (shared-runs.ts).
//
//   node bench/lib/rollout-probe.ts setup DIR              images, the Spin stack and the compose project (untimed)
//   node bench/lib/rollout-probe.ts spin DIR METRIC        Spin's rolling upgrade: failed | p99 | duration
//   node bench/lib/rollout-probe.ts compose DIR METRIC     docker-compose up -d (recreate): failed | failedDirect | p99 | duration
//   node bench/lib/rollout-probe.ts baseline DIR           p99 of the same load with no upgrade
//
// DIR is an agent fixture's folder started with the ingress on (agent-fixture.ts).

import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';

import Docker from 'dockerode';

import {AgentClient} from '../../src/lib/client/agent.ts';
import {CaddyChild} from '../../src/lib/ingress/caddy.ts';
import {BUSYBOX_DOCKERFILE, buildImage} from '../../test/helpers/docker.ts';
import {quantile, startLoad, type LoadOptions, type LoadReport} from '../../test/helpers/load.ts';
import {COMPOSE_PROJECT_LABEL, composeDocument, freePort, readState, removeComposeProject, type FixtureState} from './agent-fixture.ts';
import {run} from './process.ts';
import {readRuns, sharedFigure} from './shared-runs.ts';

export const REPLICAS = 3;
/** Requests per second through the proxy, on both sides. */
export const RATE = 200;
const STACK = 'roll';
/** Load before the upgrade starts and after it ends, so its edges are inside the window. */
const LEAD_MS = 1000;
const TAIL_MS = 500;
const HEALTH_TIMEOUT_MS = 120_000;

const docker = new Docker();

interface Setup {
  images: {v1: string; v2: string};
  /** The image each side runs now; every upgrade goes to the other one. */
  current: {spin: 'v1' | 'v2'; compose: 'v1' | 'v2'};
  composeFile: string;
  /** The host ports compose's replicas publish (a range). */
  ports: number[];
}


const setupFile = (dir: string) => join(dir, 'rollout.json');
const readSetup = (dir: string) => JSON.parse(readFileSync(setupFile(dir), 'utf8')) as Setup;
const writeSetup = (dir: string, s: Setup) => writeFileSync(setupFile(dir), JSON.stringify(s));
const hostOf = (state: FixtureState) => `web.${STACK}.${state.project}.localhost`;

/** busybox httpd on port 8080 answering `version` on `/` (the Swarm upgrade benchmark runs it too). */
export function webDockerfile(version: string): string {
  return `${BUSYBOX_DOCKERFILE}RUN mkdir /www && echo ${version} > /www/index.html\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`;
}

/** The Spin stack: 3 httpd replicas behind the ingress; healthy when httpd answers. */
function webService(image: string): Record<string, unknown> {
  return {
    image,
    init: true,
    cap_drop: ['ALL'],
    healthcheck: {test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/'], interval: '500ms', timeout: '2s', retries: 3},
    deploy: {replicas: REPLICAS, resources: {limits: {cpus: '1', memory: '1g'}}},
  };
}


function client(state: FixtureState): AgentClient {
  return new AgentClient({url: state.url, token: state.token});
}

async function setup(dir: string): Promise<void> {
  const state = readState(dir);
  if (!state.ingressPort) throw new Error('the fixture runs without the ingress');
  const images = {v1: `spin-bench/${state.project}:web-v1`, v2: `spin-bench/${state.project}:web-v2`};
  for (const v of ['v1', 'v2'] as const) {
    await buildImage(docker, images[v], webDockerfile(v), {owner: state.project});
  }
  const agent = client(state);
  try {
    const result = await agent.deploy(state.project, STACK, {model: {services: {web: {...webService(images.v1), 'x-spin': {ingress: {port: 8080}}}}}, timeoutSeconds: 120});
    if (result.outcome !== 'healthy') throw new Error(`the stack did not turn healthy: ${JSON.stringify(result.failure)}`);
  } finally {
    agent.close();
  }
  // docker-compose's replicas publish a range of host ports; a Caddy with Spin's own settings
  // routes to all of them, so both sides have the same proxy in front and differ only in how
  // the replicas are replaced.
  const first = await freeRange(REPLICAS);
  const ports = Array.from({length: REPLICAS}, (_, i) => first + i);
  const composeFile = join(dir, 'rollout-compose.json');
  const web = {...webService('${WEB_IMAGE}'), ports: [`127.0.0.1:${ports[0]}-${ports.at(-1)}:8080`]};
  writeFileSync(composeFile, composeDocument({services: {web}}));
  await removeComposeProject(docker, state.composeProject);
  await run('docker-compose', ['--compatibility', '-p', state.composeProject, '-f', composeFile, 'up', '-d', '--scale', `web=${REPLICAS}`], {WEB_IMAGE: images.v1});
  await composeHealthy(state.composeProject, []);
  writeSetup(dir, {images, current: {spin: 'v1', compose: 'v1'}, composeFile, ports});
}

async function freeRange(n: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    if (base + n > 65535) continue;
    const ok = await Promise.all(Array.from({length: n - 1}, (_, i) => isFree(base + i + 1)));
    if (ok.every(Boolean)) return base;
  }
  throw new Error(`no ${n} consecutive free ports on 127.0.0.1`);
}

async function isFree(port: number): Promise<boolean> {
  const {createServer} = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Waits until the compose project has REPLICAS healthy containers, none of them in `old`. */
async function composeHealthy(project: string, old: string[]): Promise<void> {
  const deadline = performance.now() + HEALTH_TIMEOUT_MS;
  for (;;) {
    const list = await docker.listContainers({filters: {label: [`${COMPOSE_PROJECT_LABEL}=${project}`]}});
    const fresh = list.filter((c) => !old.includes(c.Id));
    if (fresh.length === REPLICAS && fresh.every((c) => c.Status.includes('(healthy)'))) return;
    if (performance.now() > deadline) throw new Error(`docker-compose replicas not healthy within ${HEALTH_TIMEOUT_MS} ms`);
    await sleep(50);
  }
}

/** What one upgrade under load yields; every row of a table reads one of these per upgrade. */
export interface LoadFigures {
  failed: number;
  /** docker-compose only: failures of requests sent straight to its published ports. */
  failedDirect?: number;
  p99: number;
  duration: number;
  ok: number;
  retried: number;
  /** The first failures (what, and when after the load started), so a count can be explained. */
  errors: string[];
  /** The first and the last answer's body ("v1", "v2"): the upgrade did happen. */
  first?: string;
  last?: string;
}

function figures(report: LoadReport, duration: number): LoadFigures {
  return {failed: report.failed, p99: quantile(report.latencies, 0.99), duration, ok: report.ok, retried: report.retried, errors: report.errors.slice(0, 8), first: report.sequence[0], last: report.sequence.at(-1)};
}

/**
 * Runs `upgrade` under a constant load, with the lead and tail around it; `direct` is a second
 * load whose failures are counted apart (failedDirect).
 */
export async function underLoad(load: LoadOptions, upgrade: () => Promise<void>, direct?: LoadOptions): Promise<LoadFigures> {
  const main = startLoad(load);
  const straight = direct ? startLoad(direct) : undefined;
  await sleep(LEAD_MS);
  const start = performance.now();
  try {
    await upgrade();
  } catch (err) {
    await Promise.all([main.stop(), straight?.stop()]);
    throw err;
  }
  const duration = performance.now() - start;
  await sleep(TAIL_MS);
  const [report, side] = await Promise.all([main.stop(), straight?.stop()]);
  return {...figures(report, duration), ...(side ? {failedDirect: side.failed} : {})};
}

async function spinUpgrade(dir: string): Promise<LoadFigures> {
  const state = readState(dir);
  const s = readSetup(dir);
  const next = s.current.spin === 'v1' ? 'v2' : 'v1';
  const agent = client(state);
  try {
    const out = await underLoad({port: state.ingressPort!, host: hostOf(state), rate: RATE}, async () => {
      const result = await agent.upgrade(state.project, STACK, {images: {web: s.images[next]}, timeoutSeconds: HEALTH_TIMEOUT_MS / 1000});
      if (result.outcome !== 'healthy') throw new Error(`the upgrade ended ${result.outcome}: ${JSON.stringify(result.failure)}`);
    });
    writeSetup(dir, {...readSetup(dir), current: {...readSetup(dir).current, spin: next}});
    return out;
  } finally {
    agent.close();
  }
}

async function composeUpgrade(dir: string): Promise<LoadFigures> {
  const state = readState(dir);
  const s = readSetup(dir);
  const next = s.current.compose === 'v1' ? 'v2' : 'v1';
  const proxyPort = await freePort();
  const caddy = await CaddyChild.start({dir: join(dir, `compose-caddy-${proxyPort}`), listen: `127.0.0.1:${proxyPort}`});
  try {
    const host = 'web.compose.localhost';
    await caddy.apply([{host, owner: 'compose/web', upstreams: s.ports.map((p) => `127.0.0.1:${p}`)}]);
    const old = (await docker.listContainers({filters: {label: [`${COMPOSE_PROJECT_LABEL}=${state.composeProject}`]}})).map((c) => c.Id);
    const out = await underLoad({port: proxyPort, host, rate: RATE}, async () => {
      await run('docker-compose', ['--compatibility', '-p', state.composeProject, '-f', s.composeFile, 'up', '-d', '--scale', `web=${REPLICAS}`], {WEB_IMAGE: s.images[next]});
      await composeHealthy(state.composeProject, old);
    }, {port: s.ports[0], ports: s.ports, host: 'localhost', rate: RATE / 4});
    writeSetup(dir, {...readSetup(dir), current: {...readSetup(dir).current, compose: next}});
    return out;
  } finally {
    await caddy.close();
  }
}

/** The same load for as long as Spin's upgrades took (their median), with nothing changing. */
async function baseline(dir: string): Promise<number> {
  const state = readState(dir);
  const done = readRuns<LoadFigures>(dir, 'rollout-spin').map((r) => r.duration).sort((a, b) => a - b);
  const span = done.length > 0 ? done[Math.floor(done.length / 2)] : 8000;
  return (await underLoad({port: state.ingressPort!, host: hostOf(state), rate: RATE}, () => sleep(span))).p99;
}

const METRICS = ['failed', 'failedDirect', 'p99', 'duration'] as const;

async function main(): Promise<void> {
  const [command, dir, metric] = process.argv.slice(2);
  if (command === 'setup') return setup(dir);
  if (command === 'baseline') return void console.log(await baseline(dir));
  if ((command === 'spin' || command === 'compose') && (METRICS as readonly string[]).includes(metric)) {
    const upgrade = command === 'spin' ? spinUpgrade : composeUpgrade;
    console.log(await sharedFigure(dir, `rollout-${command}`, metric as (typeof METRICS)[number], () => upgrade(dir)));
    return;
  }
  throw new Error(`usage: rollout-probe.ts setup|spin|compose|baseline DIR [${METRICS.join('|')}]`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main().catch((err: Error) => {
    process.stderr.write(`${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
