// What the agent benchmarks share: a running agent with a user and a busybox image, the
// ten-service stack they deploy (and the same stack as a compose file for docker-compose), and
// the commands that measure themselves (agent-probe.ts).
//
// The harness is synchronous and times child processes, so the agent lives in a separate
// process, the fixture: `startFixture` launches it and waits for its state file. The fixture
// removes everything it made (the agent and its data, the stacks of its project, the compose
// project, the image) when the benchmark's temporary folder goes away, which the harness does
// when the benchmark ends however it ends, or when the bench process dies (its stdin closes).

import {spawn} from 'node:child_process';
import {closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';

import type Docker from 'dockerode';

import {freePort} from '../../src/lib/ingress/caddy.ts';
import {BenchError, type BenchContext, type Command} from './types.ts';

export {freePort};

export const SERVICES = 10;
export const STACK = 'bench';
/** Requests at once in the status benchmark. */
export const CONCURRENT_REQUESTS = 200;
/** Labels docker-compose v1 puts on what it creates. */
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';

const FIXTURE_FILE = fileURLToPath(import.meta.url);
const PROBE_FILE = fileURLToPath(new URL('./agent-probe.ts', import.meta.url));
const STATE_FILE = 'state.json';
const LOG_FILE = 'fixture.log';
const START_TIMEOUT_MS = 90_000;
/** The fixture gives up on a cleanup step that hangs, so the bench never hangs on it. */
const CLEANUP_TIMEOUT_MS = 60_000;

export interface FixtureState {
  url: string;
  token: string;
  /** The Spin project every stack of the benchmark lives in; also the image's owner label. */
  project: string;
  image: string;
  agentPid: number;
  /** A compose file with the same stack, and the compose project name to run it under. */
  composeFile: string;
  composeProject: string;
  /** The agent's ingress port on 127.0.0.1, when the fixture was started with `ingress`. */
  ingressPort?: number;
}

/** What a benchmark asks of its fixture: the stack deployed, the agent's ingress on. */
export interface FixtureOptions {
  deploy?: boolean;
  ingress?: boolean;
}

/**
 * The benchmark stack: `n` busybox services with a `true` healthcheck every second. The same
 * document is the agent's model and (with `version`, as JSON is YAML) docker-compose v1's file, so
 * both run identical containers: the limits are the agent policy's defaults, written out so
 * that `docker-compose --compatibility` applies them too.
 */
export function stackDocument(image: string, n = SERVICES): {services: Record<string, Record<string, unknown>>} {
  const service = {
    image,
    init: true,
    cap_drop: ['ALL'],
    command: ['sleep', '3600'],
    healthcheck: {test: ['CMD', 'true'], interval: '1s', timeout: '2s', retries: 30},
    deploy: {resources: {limits: {cpus: '1', memory: '1g'}}},
  };
  return {services: Object.fromEntries(Array.from({length: n}, (_, i) => [`svc${i}`, service]))};
}

/** A command of agent-probe.ts: it prints its own figure (see Command.measuresItself). */
export function probe(tool: string, label: string, args: string[]): Command {
  return {tool, label, argv: [process.execPath, PROBE_FILE, ...args], measuresItself: true};
}

export function readState(dir: string): FixtureState {
  return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as FixtureState;
}

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Alive and not a zombie: the harness blocks the event loop, so an exited child is not reaped yet. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

let previous: number | undefined;

/**
 * Starts a fixture in a new temporary folder of `ctx` and waits until its agent answers. With
 * `deploy`, the ten-service stack is deployed (healthy) before it reports ready.
 */
export function startFixture(ctx: BenchContext, options: FixtureOptions = {}): {dir: string; state: FixtureState} {
  // The previous benchmark's fixture may still be removing its containers: let it finish first.
  for (const end = Date.now() + CLEANUP_TIMEOUT_MS; previous !== undefined && running(previous) && Date.now() < end; ) pause(100);
  const dir = ctx.tempDir();
  const log = join(dir, LOG_FILE);
  const logFd = openSync(log, 'a');
  // Detached, so a Ctrl-C of the bench leaves it alive to clean up; its stdin closes when the bench ends.
  const child = spawn(process.execPath, [FIXTURE_FILE, 'serve', dir, JSON.stringify(options)], {detached: true, stdio: ['pipe', 'ignore', logFd]});
  closeSync(logFd);
  previous = child.pid;
  const fail = (why: string) =>
    new BenchError(`the agent benchmark fixture ${why}\n--- its log ---\n${existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n').slice(-20).join('\n') : '(none)'}`, 'check that the Docker engine runs (`docker info`) and the CLI is built (`npm run build`)');
  for (const end = Date.now() + START_TIMEOUT_MS; !existsSync(join(dir, STATE_FILE)); pause(100)) {
    if (child.pid === undefined || !running(child.pid)) throw fail('stopped before it was ready');
    if (Date.now() > end) throw fail(`was not ready within ${START_TIMEOUT_MS / 1000}s`);
  }
  return {dir, state: readState(dir)};
}

// ---- the fixture process


async function withTimeout(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await Promise.race([fn(), sleep(CLEANUP_TIMEOUT_MS, undefined, {ref: false}).then(() => Promise.reject(new Error('timed out')))]);
  } catch (err) {
    process.stderr.write(`cleanup: ${what}: ${(err as Error).message}\n`);
  }
}

/** Removes a compose project's containers and networks, by docker-compose's own labels. */
export async function removeComposeProject(docker: Docker, name: string): Promise<void> {
  const label = [`${COMPOSE_PROJECT_LABEL}=${name}`];
  const containers = await docker.listContainers({all: true, filters: {label}});
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({force: true, v: true}).catch(() => undefined)));
  for (const n of await docker.listNetworks({filters: {label}})) await docker.getNetwork(n.Id).remove().catch(() => undefined);
}

async function serve(dir: string, options: FixtureOptions): Promise<void> {
  const [{startAgent}, {buildBusyboxImage, cleanupProject, dockerClient, uniqueName}, {AgentClient}] = await Promise.all([
    import('../../test/helpers/agent.ts'),
    import('../../test/helpers/docker.ts'),
    import('../../src/lib/client/agent.ts'),
  ]);
  const docker = dockerClient();
  const project = uniqueName('bench');
  const composeProject = `${project}compose`;
  const image = `spin-bench/${project}:busybox`;
  let starting: ReturnType<typeof startAgent> | undefined;
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // An agent still starting is waited for, so it cannot outlive the fixture.
      await withTimeout('stop the agent', async () => (agent ??= await starting?.catch(() => undefined))?.stop());
      await withTimeout(`remove compose project "${composeProject}"`, () => removeComposeProject(docker, composeProject));
      await withTimeout(`remove project "${project}"`, () => cleanupProject(docker, project));
      agent?.cleanup();
      process.exit(0);
    })());
  process.stdin.on('close', stop).on('end', stop).resume();
  process.on('SIGTERM', stop).on('SIGINT', stop);
  const watch = setInterval(() => {
    if (!existsSync(dir)) void stop();
  }, 100);

  try {
    await buildBusyboxImage(docker, image, project);
    const ingressPort = options.ingress ? await freePort() : undefined;
    starting = startAgent(ingressPort ? {args: ['--ingress-listen', `127.0.0.1:${ingressPort}`]} : {});
    agent = await starting;
    const token = await agent.addUser('bench', {projects: [project]});
    const composeFile = join(dir, 'compose.json');
    writeFileSync(composeFile, JSON.stringify({version: '3.8', ...stackDocument(image)}, null, 2));
    if (options.deploy) {
      const client = new AgentClient({url: agent.url, token});
      const result = await client.deploy(project, STACK, {model: stackDocument(image), timeoutSeconds: 120});
      client.close();
      if (result.outcome !== 'healthy') throw new Error(`the stack did not turn healthy: ${result.outcome} ${JSON.stringify(result.failure)}`);
    }
    const state: FixtureState = {url: agent.url, token, project, image, agentPid: agent.process.pid!, composeFile, composeProject, ...(ingressPort ? {ingressPort} : {})};
    writeFileSync(join(dir, `${STATE_FILE}.tmp`), JSON.stringify(state));
    // Renamed into place, so the bench never reads half a file.
    renameSync(join(dir, `${STATE_FILE}.tmp`), join(dir, STATE_FILE));
  } catch (err) {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    clearInterval(watch);
    await stop();
  }
}

if (process.argv[1] === FIXTURE_FILE && process.argv[2] === 'serve') {
  await serve(process.argv[3], JSON.parse(process.argv[4] ?? '{}') as FixtureOptions);
}
