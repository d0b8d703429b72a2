// A real Docker Swarm for a test file: N nodes (default 3), each its own dockerd in its own
// network namespace on a private bridge, and a registry the nodes pull from over TLS with
// htpasswd auth, all made by scripts/swarm-cluster.sh under names unique to the run. `stop()`
// removes all of it; so does a failed start. Needs root: without it, starting fails and says so
// (a Swarm test skipped in silence would prove nothing).

import Docker from 'dockerode';
import {execFile} from 'node:child_process';
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {promisify} from 'node:util';

import type {AgentProcess} from './agent.ts';

const run = promisify(execFile);
const SCRIPT = new URL('../../scripts/swarm-cluster.sh', import.meta.url).pathname;

export interface SwarmNode {
  /** 1-based; node 1 is the manager. */
  index: number;
  /** The node's address on the cluster's bridge, as Swarm reports it (`Status.Addr`). */
  address: string;
  /** The node's own engine (its local containers and images). */
  docker: Docker;
  /** Where the node's engine listens with TLS (`tcp://ADDRESS:2376`), for a client with the cluster's client certificate. */
  engineUrl: string;
}

export interface TestSwarm {
  /** The manager's engine: the one the agent drives. */
  manager: Docker;
  nodes: SwarmNode[];
  /** `ADDRESS:PORT` of the registry, as image names use it. */
  registry: {host: string; username: string; password: string};
  /** ca.pem, cert.pem and key.pem of a client the node engines' TLS ports accept (`spin agent start --swarm-node-tls-dir`). */
  nodeTlsDir: string;
  /** SIGKILLs node `index`'s dockerd: a node lost at once. `stop()` still removes everything. */
  killNode(index: number): Promise<void>;
  stop(): Promise<void>;
}

function dockerAt(socket: string): Docker {
  return new Docker({socketPath: socket.replace(/^unix:\/\//, '')});
}

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
}

export async function startSwarm(nodes = 3): Promise<TestSwarm> {
  if (process.getuid?.() !== 0) {
    throw new Error('the Swarm tests need root: each test Swarm is a dockerd per node in its own network namespace, joined by a bridge with an iptables rule; run them as root (CI does)');
  }
  const parent = await mkdtemp(join(tmpdir(), 'spin-swarm-'));
  const dir = join(parent, 'cluster');
  const down = async () => {
    await run('bash', [SCRIPT, 'down', dir]).catch(() => undefined);
    await rm(parent, {recursive: true, force: true});
  };
  try {
    await run('bash', [SCRIPT, 'up', dir, String(nodes)], {timeout: 180_000});
  } catch (err) {
    await rm(parent, {recursive: true, force: true});
    const e = err as {stderr?: string; message: string};
    throw new Error(`could not start a test Swarm: ${e.stderr?.trim() || e.message}`, {cause: err});
  }
  try {
    const env = parseEnv(await readFile(join(dir, 'cluster.env'), 'utf8'));
    const sockets = env.SWARM_NODES.split(' ').filter(Boolean);
    const addresses = env.SWARM_ADDRESSES.split(' ').filter(Boolean);
    const engines = env.SWARM_NODE_ENGINES.split(' ').filter(Boolean);
    return {
      manager: dockerAt(env.SWARM_MANAGER),
      nodes: sockets.map((s, i) => ({index: i + 1, address: addresses[i], docker: dockerAt(s), engineUrl: engines[i]})),
      registry: {host: env.SWARM_REGISTRY, username: env.SWARM_REGISTRY_USER, password: env.SWARM_REGISTRY_PASSWORD},
      nodeTlsDir: env.SWARM_NODE_TLS_DIR,
      killNode: async (index) => {
        await run('bash', [SCRIPT, 'kill', dir, String(index)]);
      },
      stop: down,
    };
  } catch (err) {
    await down();
    throw err;
  }
}

/** Pushes a local image of the host's engine to the cluster's registry; returns `host/repo@sha256:…`. */
export async function pushToSwarmRegistry(docker: Docker, image: string, swarm: TestSwarm, repo: string): Promise<string> {
  const tag = `${swarm.registry.host}/${repo}`;
  const [repository, version] = [tag, 'latest'];
  await docker.getImage(image).tag({repo: repository, tag: version});
  const stream = await docker.getImage(`${repository}:${version}`).push({authconfig: {username: swarm.registry.username, password: swarm.registry.password, serveraddress: swarm.registry.host}});
  const output = await new Promise<{error?: string; aux?: {Digest?: string}}[]>((resolve, reject) => docker.modem.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out))));
  const failed = output.find((o) => o.error);
  if (failed) throw new Error(`pushing ${tag} failed: ${failed.error}`);
  const digest = output.find((o) => o.aux?.Digest)?.aux?.Digest;
  if (!digest) throw new Error(`pushing ${tag} reported no digest`);
  return `${repository}@${digest}`;
}

/** The manager's engine as `--docker-host` takes it. */
export function managerUrl(swarm: TestSwarm): string {
  return `unix://${(swarm.manager.modem as unknown as {socketPath: string}).socketPath}`;
}

/**
 * A Docker config folder (for the agent's DOCKER_CONFIG) holding the login of the cluster's
 * registry: the agent's own credentials, which it sends along so that nodes can pull.
 */
export async function registryLogin(swarm: TestSwarm, root: string): Promise<string> {
  const dir = join(root, 'docker');
  await mkdir(dir, {recursive: true});
  const auth = Buffer.from(`${swarm.registry.username}:${swarm.registry.password}`).toString('base64');
  await writeFile(join(dir, 'config.json'), JSON.stringify({auths: {[swarm.registry.host]: {auth}}}));
  return dir;
}

/** What a Swarm test file made in its `before`, for `cleanupSwarmSuite`. */
export interface SwarmSuite {
  agent?: AgentProcess;
  swarm?: TestSwarm;
  /** Images the file tagged on the host's engine: local tags, or `host/repo@sha256:…` as pushed (their `:latest` tag goes). */
  images?: (string | undefined)[];
  /** The file's temporary folder. */
  root?: string;
}

/**
 * The `after` every Swarm test file shares: the agent stopped and its data removed, then the
 * cluster (its nodes, registry and whatever ran on them), the image tags the file left on the
 * host's engine, and its temporary folder. Whatever `before` got to make before it failed.
 */
export async function cleanupSwarmSuite(docker: Docker, suite: SwarmSuite): Promise<void> {
  await suite.agent?.stop();
  suite.agent?.cleanup();
  await suite.swarm?.stop();
  for (const image of suite.images ?? []) {
    if (image) await docker.getImage(image.replace(/@sha256:.*/, ':latest')).remove({force: true}).catch(() => undefined);
  }
  if (suite.root) await rm(suite.root, {recursive: true, force: true});
}
