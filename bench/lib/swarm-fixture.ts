// The Swarm benchmark's fixture: a 3-node Swarm of its own (scripts/swarm-cluster.sh, through
// test/helpers/swarm.ts: one dockerd per node in its own network namespace, and a TLS registry),
// a busybox image pushed there and pinned by digest, an agent driving the manager with the
// registry's credentials, and the same stack as a compose file for `docker stack deploy`. With
// `upgrade` (the swarm-upgrade benchmark) the agent also runs the cluster ingress on the manager's
// address, and two web images (v1, v2) are pushed by digest. It is an option, not always on, so
// that swarm-deploy's figures stay what they were: the proxy is two more containers on the
// manager, joins every ingress stack's overlay and follows the cluster's task events, all on the
// same two cores the deploys are timed on; and two more images cost setup time nobody reads. Like
// agent-fixture.ts it lives in a process of its own and removes everything (agent, cluster,
// image tags) when the benchmark's folder goes away or the bench dies. Needs root, as the
// cluster does.

import {readFileSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import {composeDocument, stackDocument, type ServiceOptions} from './agent-fixture.ts';
import {launchFixture, readFixtureState, serveFixture, withTimeout} from './fixture.ts';
import {webDockerfile} from './rollout-probe.ts';
import type {BenchContext} from './types.ts';

export const SWARM_SERVICES = 10;
export const SWARM_REPLICAS = 2;
/** The stack whose agent memory is read: the most services a stack may have under the default policy. */
export const BIG_SERVICES = 100;

const FIXTURE_FILE = fileURLToPath(import.meta.url);
/** Where the cluster ingress listens, on the manager's address (inside its network namespace: no clash with the host's ports). */
const INGRESS_PORT = 18080;
/** Cluster start, two more image pushes and the proxy's image built on the manager. */
const UPGRADE_START_TIMEOUT_MS = 240_000;

/** What a benchmark asks of the Swarm fixture. */
export interface SwarmFixtureOptions {
  /** The cluster ingress on, and the web images v1 and v2 pushed (swarm-upgrade). */
  upgrade?: boolean;
}

export interface SwarmFixtureState {
  url: string;
  token: string;
  project: string;
  /** `registry/repo@sha256:…`: what both sides deploy, so no node asks a registry for a tag. */
  image: string;
  /** `unix://…/node1/docker.sock`: the manager's engine, for the docker CLI. */
  manager: string;
  /** The manager's dockerd and the agent, for their memory. */
  managerPid: number;
  agentPid: number;
  /** DOCKER_CONFIG with the registry's credentials (the agent's, and `docker stack deploy --with-registry-auth`'s). */
  dockerConfig: string;
  /** The stack as a compose file for `docker stack deploy`. */
  stackFile: string;
  /** Every node's address on the cluster's bridge, the manager's first (reachable from this host). */
  nodes: string[];
  /** With `upgrade`: where the cluster ingress answers (the manager's address). */
  ingress?: {address: string; port: number};
  /** With `upgrade`: busybox httpd answering its version, pinned by digest. */
  web?: {v1: string; v2: string};
}

/**
 * The stack both sides deploy: the agent benchmarks' services (busybox, a `true` healthcheck
 * every second, the policy's default limits written out), `replicas` tasks each.
 */
export function swarmStack(image: string, n: number, replicas: number, options: ServiceOptions = {}): {services: Record<string, Record<string, unknown>>} {
  const doc = stackDocument(image, n, options);
  for (const s of Object.values(doc.services)) s.deploy = {...(s.deploy as object), replicas};
  return doc;
}

/**
 * The same stack for `docker stack deploy`: tasks addressed by DNS round robin as Spin's are (the
 * nodes here have no IPVS, so a virtual IP would not balance).
 */
function stackFileDocument(image: string): string {
  const doc = swarmStack(image, SWARM_SERVICES, SWARM_REPLICAS);
  for (const s of Object.values(doc.services)) s.deploy = {...(s.deploy as object), endpoint_mode: 'dnsrr'};
  return composeDocument(doc);
}

export function startSwarmFixture(ctx: BenchContext, options: SwarmFixtureOptions = {}): {dir: string; state: SwarmFixtureState} {
  return launchFixture<SwarmFixtureState>(ctx, {
    what: 'the Swarm benchmark fixture',
    file: FIXTURE_FILE,
    args: [JSON.stringify(options)],
    ...(options.upgrade ? {startTimeoutMs: UPGRADE_START_TIMEOUT_MS} : {}),
    hint: 'the Swarm benchmark needs root and Debian\'s docker.io, docker-registry, openssl and apache2-utils (see scripts/swarm-cluster.sh); build the CLI first (`npm run build`)',
  });
}

export function readSwarmState(dir: string): SwarmFixtureState {
  return readFixtureState<SwarmFixtureState>(dir);
}

// ---- the fixture process

async function serve(dir: string, options: SwarmFixtureOptions): Promise<void> {
  const [{startAgent}, {buildBusyboxImage, buildImage, dockerClient, uniqueName}, {pushToSwarmRegistry, registryLogin, startSwarm}] = await Promise.all([
    import('../../test/helpers/agent.ts'),
    import('../../test/helpers/docker.ts'),
    import('../../test/helpers/swarm.ts'),
  ]);
  const docker = dockerClient();
  const project = uniqueName('bench');
  const localImage = `spin-bench/${project}:busybox`;
  const localWeb = {v1: `spin-bench/${project}:web-v1`, v2: `spin-bench/${project}:web-v2`};
  let swarm: Awaited<ReturnType<typeof startSwarm>> | undefined;
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  const pushed: string[] = [];
  const cleanup = async () => {
    await withTimeout('stop the agent', async () => agent?.stop());
    await withTimeout('kill the agent', async () => agent?.stop('SIGKILL'));
    agent?.cleanup();
    // The cluster goes with everything on it: the stacks of both sides, the registry.
    await withTimeout('remove the cluster', async () => swarm?.stop());
    for (const tag of [localImage, ...(options.upgrade ? Object.values(localWeb) : []), ...pushed.map((p) => p.replace(/@sha256:.*/, ':latest'))]) {
      await withTimeout(`remove image ${tag}`, () => docker.getImage(tag).remove({force: true}));
    }
  };
  await serveFixture<SwarmFixtureState>(
    dir,
    async () => {
      swarm = await startSwarm(3);
      await buildBusyboxImage(docker, localImage, project);
      const image = await pushToSwarmRegistry(docker, localImage, swarm, `${project}/bb`);
      pushed.push(image);
      let web: SwarmFixtureState['web'];
      if (options.upgrade) {
        const digests: Record<string, string> = {};
        for (const v of ['v1', 'v2'] as const) {
          await buildImage(docker, localWeb[v], webDockerfile(v), {owner: project});
          digests[v] = await pushToSwarmRegistry(docker, localWeb[v], swarm, `${project}/web-${v}`);
          pushed.push(digests[v]);
        }
        web = {v1: digests.v1, v2: digests.v2};
      }
      const dockerConfig = await registryLogin(swarm, dir);
      const socket = (swarm.manager.modem as unknown as {socketPath: string}).socketPath;
      const manager = `unix://${socket}`;
      const nodes = swarm.nodes.map((n) => n.address);
      const ingress = options.upgrade ? {address: nodes[0], port: INGRESS_PORT} : undefined;
      agent = await startAgent({
        args: ['--docker-host', manager, '--registry', swarm.registry.host, ...(ingress ? ['--ingress-listen', `${ingress.address}:${ingress.port}`] : [])],
        env: {DOCKER_CONFIG: dockerConfig},
        // The proxy's image is built on the manager before the agent answers.
        ...(ingress ? {timeoutMs: 120_000} : {}),
      });
      const token = await agent.addUser('bench', {projects: [project]});
      const stackFile = join(dir, 'stack.json');
      writeFileSync(stackFile, stackFileDocument(image));
      const managerPid = Number(readFileSync(join(dirname(socket), 'pid'), 'utf8').trim());
      return {url: agent.url, token, project, image, manager, managerPid, agentPid: agent.process.pid!, dockerConfig, stackFile, nodes, ...(ingress ? {ingress} : {}), ...(web ? {web} : {})};
    },
    cleanup,
  );
}

if (process.argv[1] === FIXTURE_FILE && process.argv[2] === 'serve') {
  await serve(process.argv[3], JSON.parse(process.argv[4] ?? '{}') as SwarmFixtureOptions);
}
