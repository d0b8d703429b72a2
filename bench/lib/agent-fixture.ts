// What the agent benchmarks share: a running agent with a user and a busybox image, the
// ten-service stack they deploy (and the same stack as a compose file for docker-compose), and
// the commands that measure themselves (agent-probe.ts).
//
// The harness is synchronous and times child processes, so the agent lives in a separate
// process, the fixture: `startFixture` launches it and waits for its state file. The fixture
// removes everything it made (the agent and its data, the stacks of its project, the compose
// project, the image) when the benchmark's temporary folder goes away, which the harness does
// when the benchmark ends however it ends, or when the bench process dies (its stdin closes).

import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

import type Docker from 'dockerode';

import {freePort} from '../../src/lib/ingress/caddy.ts';
import {launchFixture, readFixtureState, serveFixture, withTimeout} from './fixture.ts';
import type {BenchContext, Command} from './types.ts';

export {freePort};

export const SERVICES = 10;
export const STACK = 'bench';
/** Requests at once in the status benchmark. */
export const CONCURRENT_REQUESTS = 200;
/** The agent-memory leak check reads the agent's RSS after these deploys (the last: how many it makes). */
export const LEAK_DEPLOYS = [1, 10, 100] as const;
/** Labels docker-compose v1 puts on what it creates. */
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';

const FIXTURE_FILE = fileURLToPath(import.meta.url);
const PROBE_FILE = fileURLToPath(new URL('./agent-probe.ts', import.meta.url));

export interface FixtureState {
  url: string;
  token: string;
  /** The Spin project every stack of the benchmark lives in; also the image's owner label. */
  project: string;
  image: string;
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

/** What may differ between the benchmark stacks' services (stackDocument). */
export interface ServiceOptions {
  /**
   * Without the health check (default: with). Each check is an exec, and while the engine still
   * says `starting` the agent runs it itself every 250 ms per replica: 100 replicas starting on
   * two cores made an exec storm in which the checks timed out and the stack never turned healthy.
   */
  healthcheck?: boolean;
  environment?: Record<string, string>;
  /** Instead of sleeping: e.g. print lines first. */
  command?: string[];
}

/**
 * The benchmark stack: `n` busybox services with a `true` healthcheck every second. The same
 * document is the agent's model and (with `version`, as JSON is YAML) docker-compose v1's file, so
 * both run identical containers: the limits are the agent policy's defaults, written out so
 * that `docker-compose --compatibility` applies them too.
 */
export function stackDocument(image: string, n = SERVICES, options: ServiceOptions = {}): {services: Record<string, Record<string, unknown>>} {
  const service = {
    image,
    init: true,
    cap_drop: ['ALL'],
    command: options.command ?? ['sleep', '3600'],
    ...(options.environment ? {environment: options.environment} : {}),
    ...(options.healthcheck === false ? {} : {healthcheck: {test: ['CMD', 'true'], interval: '1s', timeout: '2s', retries: 30}}),
    deploy: {resources: {limits: {cpus: '1', memory: '1g'}}},
  };
  return {services: Object.fromEntries(Array.from({length: n}, (_, i) => [`svc${i}`, service]))};
}

/** The stack as docker-compose v1's file: it needs `version` to read `deploy`. */
export function composeDocument(document: object): string {
  return JSON.stringify({version: '3.8', ...document}, null, 2);
}

/** A command of agent-probe.ts: it prints its own figure (see Command.measuresItself). */
export function probe(tool: string, label: string, args: string[]): Command {
  return {tool, label, argv: [process.execPath, PROBE_FILE, ...args], measuresItself: true};
}

export function readState(dir: string): FixtureState {
  return readFixtureState<FixtureState>(dir);
}

/**
 * Starts a fixture in a new temporary folder of `ctx` and waits until its agent answers. With
 * `deploy`, the ten-service stack is deployed (healthy) before it reports ready.
 */
export function startFixture(ctx: BenchContext, options: FixtureOptions = {}): {dir: string; state: FixtureState} {
  return launchFixture<FixtureState>(ctx, {
    what: 'the agent benchmark fixture',
    file: FIXTURE_FILE,
    args: [JSON.stringify(options)],
    hint: 'check that the Docker engine runs (`docker info`) and the CLI is built (`npm run build`)',
  });
}

// ---- the fixture process

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
  const cleanup = async () => {
    // An agent still starting is waited for, so it cannot outlive the fixture.
    await withTimeout('stop the agent', async () => (agent ??= await starting?.catch(() => undefined))?.stop());
    // A deploy in flight can hold a graceful stop past the timeout; the agent must not outlive the fixture.
    await withTimeout('kill the agent', async () => agent?.stop('SIGKILL'));
    await withTimeout(`remove compose project "${composeProject}"`, () => removeComposeProject(docker, composeProject));
    await withTimeout(`remove project "${project}"`, () => cleanupProject(docker, project));
    agent?.cleanup();
  };
  await serveFixture<FixtureState>(
    dir,
    async () => {
      await buildBusyboxImage(docker, image, project);
      const ingressPort = options.ingress ? await freePort() : undefined;
      starting = startAgent(ingressPort ? {args: ['--ingress-listen', `127.0.0.1:${ingressPort}`]} : {});
      agent = await starting;
      const token = await agent.addUser('bench', {projects: [project]});
      const composeFile = join(dir, 'compose.json');
      writeFileSync(composeFile, composeDocument(stackDocument(image)));
      if (options.deploy) {
        const client = new AgentClient({url: agent.url, token});
        const result = await client.deploy(project, STACK, {model: stackDocument(image), timeoutSeconds: 120});
        client.close();
        if (result.outcome !== 'healthy') throw new Error(`the stack did not turn healthy: ${result.outcome} ${JSON.stringify(result.failure)}`);
      }
      return {url: agent.url, token, project, image, composeFile, composeProject, ...(ingressPort ? {ingressPort} : {})};
    },
    cleanup,
  );
}

if (process.argv[1] === FIXTURE_FILE && process.argv[2] === 'serve') {
  await serve(process.argv[3], JSON.parse(process.argv[4] ?? '{}') as FixtureOptions);
}
