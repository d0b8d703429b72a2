// The cluster ingress proxy: Caddy in two plain containers on the manager's engine (one proxy for
// the whole cluster, a known single point; not a Swarm service, whose published port would need
// the routing mesh or a host-mode port). Like the single-host CaddyChild, it is two Caddies: the
// front one publishes the listen port and never reloads (a Caddy that reloads re-opens its TCP
// listener and the kernel resets connections queued on the old one); it hands every request over
// a unix socket to the routing one, which takes every route change and is attached to the
// stacks' overlay networks, where task addresses are reachable (they are not from any host or
// node namespace). Both talk only over unix sockets in a folder of the agent's data folder,
// bind-mounted into the containers: the admin API never listens on TCP, which tasks could reach.
//
// The image is built on the manager from the host's own Caddy (FROM scratch: the binary and the
// libraries `ldd` names), so nothing is pulled from the internet; its tag carries the binary's
// hash, so it is rebuilt only when Caddy changes.

import {execFile} from 'node:child_process';
import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {copyFile, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {promisify} from 'node:util';

import type Docker from 'dockerode';

import {OperationError, UsageError} from '../errors.ts';
import {engineCall, engineMessage, isNotFound, statusOf} from '../engine/errors.ts';
import {CaddyAdmin, childConfig, frontConfig} from './caddy.ts';
import type {NetworkMember} from './swarm-routes.ts';

const run = promisify(execFile);

export const PROXY_LABEL = 'org.spin.ingress.proxy';
/** What the running proxy was made from (image, listen address, folder): one that differs is replaced. */
const CONFIG_LABEL = 'org.spin.ingress.config';
const IMAGE_REPO = 'spin-ingress-caddy';
const ROUTING = 'spin-ingress';
const FRONT = 'spin-ingress-front';
/** Where the agent's folder appears inside both containers. */
const MOUNT = '/spin';
const FRONT_PORT = 8080;
const START_TIMEOUT_MS = 15_000;

export interface SwarmProxyOptions {
  /** The manager's engine. */
  docker: Docker;
  /** A folder of the agent's data folder for the sockets and configs (it must exist on the manager's host). */
  dir: string;
  /** Where users reach the proxy: published on the manager's host. */
  listen: {host: string; port: number};
  /** The Caddy binary the image is made from. Default `/usr/bin/caddy`. */
  caddyBin?: string;
}

async function fileHash(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The shared libraries and loader `ldd` names for a binary (absolute paths). */
export function lddPaths(output: string): string[] {
  const out = new Set<string>();
  for (const line of output.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) out.add(m[1]);
  }
  return [...out].sort();
}

/** The proxy image on the manager, built from the host's Caddy when no image has its hash yet. */
export async function proxyImage(docker: Docker, caddyBin: string, tmp: string): Promise<string> {
  const hash = await fileHash(caddyBin).catch((err: Error) => {
    throw new UsageError(`the cluster ingress needs Caddy, and "${caddyBin}" cannot be read: ${err.message}`, {hint: 'install it on the agent\'s host (`apt-get install caddy`)'});
  });
  const tag = `${IMAGE_REPO}:${hash.slice(0, 16)}`;
  const found = await docker.getImage(tag).inspect().then(() => true, (err: unknown) => (isNotFound(err) ? false : Promise.reject(err)));
  if (found) return tag;
  const libs = lddPaths((await run('ldd', [caddyBin]).catch(() => ({stdout: ''}))).stdout);
  const dir = await mkdtemp(join(tmp, 'image-'));
  try {
    const src = ['Dockerfile'];
    for (const path of [caddyBin, ...libs]) {
      const inside = join('rootfs', path === caddyBin ? '/usr/bin/caddy' : path);
      await mkdir(join(dir, dirname(inside)), {recursive: true});
      // copyFile follows links: the image holds the files themselves.
      await copyFile(path, join(dir, inside));
      src.push(inside);
    }
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["/usr/bin/caddy"]\n');
    const stream = await engineCall('build the ingress image', () => docker.buildImage({context: dir, src}, {t: tag, rm: true, forcerm: true, labels: {[PROXY_LABEL]: hash}}));
    const output = await new Promise<{error?: string; errorDetail?: {message?: string}}[]>((resolve, reject) => docker.modem.followProgress(stream, (err, res) => (err ? reject(err) : resolve(res))));
    const failed = output.find((o) => o.error || o.errorDetail);
    if (failed) throw new OperationError(`building the ingress image failed: ${failed.error ?? failed.errorDetail?.message}`, {hint: 'check that the manager\'s engine can build images'});
    return tag;
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
}

/**
 * Removes the proxy images of other Caddy binaries (a Caddy upgraded on the host leaves the image of
 * the old one behind, 40 MB each time). An image a container still uses is kept: the engine refuses
 * to remove it, and that is not an error here. Returns the tags removed.
 */
export async function pruneProxyImages(docker: Docker, keep: string): Promise<string[]> {
  const images = (await engineCall('list the ingress images', () => docker.listImages({filters: {label: [PROXY_LABEL]}}))) as {Id: string; RepoTags?: string[]}[];
  const removed: string[] = [];
  for (const image of images) {
    const tags = (image.RepoTags ?? []).filter((t) => t.startsWith(`${IMAGE_REPO}:`));
    if (tags.length === 0 || tags.includes(keep)) continue;
    for (const tag of tags) {
      const gone = await docker.getImage(tag).remove().then(
        () => true,
        (err: unknown) => {
          if (isNotFound(err) || statusOf(err) === 409) return false;
          throw new OperationError(`cannot remove the old ingress image ${tag}: ${engineMessage(err)}`, {cause: err});
        },
      );
      if (gone) removed.push(tag);
    }
  }
  return removed;
}

interface Inspected {
  Id: string;
  State?: {Running?: boolean; Status?: string};
  Config?: {Labels?: Record<string, string>};
  NetworkSettings?: {Networks?: Record<string, {NetworkID?: string}>};
}

async function inspectByName(docker: Docker, name: string): Promise<Inspected | undefined> {
  return (await docker.getContainer(name).inspect().catch((err: unknown) => (isNotFound(err) ? undefined : Promise.reject(err)))) as Inspected | undefined;
}

/** The ingress proxy's containers; as a driver, the routing Caddy's admin API on its socket. */
export class SwarmProxy extends CaddyAdmin implements NetworkMember {
  private readonly docker: Docker;
  private readonly routingId: string;
  private readonly frontId: string;
  /** Networks the routing container is on (IDs), besides its own bridge. */
  private readonly joined: Set<string>;

  private constructor(docker: Docker, dir: string, ids: {routing: string; front: string}, joined: Set<string>) {
    super(`unix/${join(dir, 'admin.sock')}`, `unix/${MOUNT}/proxy.sock`);
    this.docker = docker;
    this.routingId = ids.routing;
    this.frontId = ids.front;
    this.joined = joined;
  }

  static async start(options: SwarmProxyOptions): Promise<SwarmProxy> {
    const {docker, dir, listen} = options;
    const socket = join(dir, 'admin.sock');
    if (Buffer.byteLength(socket) > 100) throw new OperationError(`the ingress socket path "${socket}" is too long for a unix socket`, {hint: 'start the agent with a shorter --data-dir'});
    await mkdir(join(dir, 'home'), {recursive: true, mode: 0o700});
    const image = await proxyImage(docker, options.caddyBin ?? '/usr/bin/caddy', dir);
    const config = createHash('sha256').update(JSON.stringify([image, listen, dir])).digest('hex').slice(0, 16);
    const [routing, front] = await Promise.all([inspectByName(docker, ROUTING), inspectByName(docker, FRONT)]);
    const adoptable = [routing, front].every((c) => c?.State?.Running === true && c.Config?.Labels?.[CONFIG_LABEL] === config);
    if (adoptable && routing && front) {
      // An agent restarted on the same folder: the proxy kept serving, with the routes it had.
      const proxy = new SwarmProxy(docker, dir, {routing: routing.Id, front: front.Id}, networksOf(routing));
      if (await proxy.call('GET', '/config/').then(() => true, () => false)) return proxy;
    }
    for (const c of [routing, front]) if (c) await engineCall('remove the old ingress proxy', () => docker.getContainer(c.Id).remove({force: true}));
    for (const f of ['admin.sock', 'proxy.sock']) await rm(join(dir, f), {force: true});
    await writeFile(join(dir, 'caddy.json'), JSON.stringify(childConfig({admin: `unix/${MOUNT}/admin.sock`, listen: `unix/${MOUNT}/proxy.sock`, storage: `${MOUNT}/storage`})), {mode: 0o600});
    await writeFile(join(dir, 'front.json'), JSON.stringify(frontConfig(`:${FRONT_PORT}`, `${MOUNT}/proxy.sock`)), {mode: 0o600});
    const user = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
    const base = (name: string, file: string) => ({
      name,
      Image: image,
      Cmd: ['run', '--config', `${MOUNT}/${file}`],
      User: user,
      Env: [`HOME=${MOUNT}/home`, `XDG_CONFIG_HOME=${MOUNT}/home/config`, `XDG_DATA_HOME=${MOUNT}/home/data`],
      Labels: {[PROXY_LABEL]: name, [CONFIG_LABEL]: config},
      HostConfig: {
        Binds: [`${dir}:${MOUNT}`],
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Tmpfs: {'/tmp': 'size=16m'},
        RestartPolicy: {Name: 'unless-stopped'},
      },
    });
    const made: string[] = [];
    try {
      const r = await engineCall('create the ingress proxy', () =>
        docker.createContainer({
          ...base(ROUTING, 'caddy.json'),
          // Attached to several projects' networks, it must never pass packets between them.
          HostConfig: {...base(ROUTING, 'caddy.json').HostConfig, Sysctls: {'net.ipv4.ip_forward': '0'}},
        }),
      );
      made.push(r.id);
      await engineCall('start the ingress proxy', () => r.start());
      const proxy = new SwarmProxy(docker, dir, {routing: r.id, front: ''}, new Set());
      await proxy.until(() => proxy.call('GET', '/config/').then(() => true, () => false), ROUTING);
      const key = `${FRONT_PORT}/tcp`;
      const f = await engineCall('create the ingress front', () =>
        docker.createContainer({...base(FRONT, 'front.json'), ExposedPorts: {[key]: {}}, HostConfig: {...base(FRONT, 'front.json').HostConfig, PortBindings: {[key]: [{HostIp: listen.host, HostPort: String(listen.port)}]}}}),
      );
      made.push(f.id);
      await engineCall('start the ingress front', () => f.start(), `check that nothing else listens on ${listen.host}:${listen.port} on the manager's host`);
      const started = new SwarmProxy(docker, dir, {routing: r.id, front: f.id}, new Set());
      // A Caddy that cannot listen exits at once.
      await sleep(300);
      await started.until(async () => (await inspectByName(docker, f.id))?.State?.Running === true, FRONT);
      // The containers of an older image were replaced just above: its image is free to go.
      await pruneProxyImages(docker, image);
      return started;
    } catch (err) {
      for (const id of made) await docker.getContainer(id).remove({force: true}).catch(() => undefined);
      throw err;
    }
  }

  private async until(ready: () => Promise<boolean>, what: string): Promise<void> {
    for (const end = Date.now() + START_TIMEOUT_MS; ; await sleep(100)) {
      if (await ready()) return;
      const state = await Promise.all([this.routingId, this.frontId].filter(Boolean).map((id) => inspectByName(this.docker, id)));
      const dead = state.find((c) => c && c.State?.Running !== true);
      if (dead || Date.now() > end) {
        const logs = await this.docker.getContainer(dead?.Id ?? this.routingId).logs({stdout: true, stderr: true, tail: 5}).then((b) => String(b).replace(/[^\x20-\x7e\n]/g, '').trim(), () => '');
        throw new OperationError(`the ingress proxy (${what}) did not start${dead ? ` (${dead.State?.Status})` : ''}${logs ? `:\n${logs}` : ''}`, {
          hint: dead
            ? "look at the lines above (the containers are on the manager's engine)"
            : `the agent must run on the manager's host: the proxy's sockets are in ${this.admin.shown.replace(/\/admin\.sock$/, '')}, bind-mounted into its containers`,
        });
      }
    }
  }

  async join(networks: string[]): Promise<void> {
    for (const id of networks) {
      if (this.joined.has(id)) continue;
      try {
        await this.docker.getNetwork(id).connect({Container: this.routingId});
      } catch (err) {
        // Already there (an adopted proxy): fine. A network removed meanwhile: the next read drops it.
        if (!/already exists|already attached/i.test(engineMessage(err))) {
          if (isNotFound(err)) continue;
          throw new OperationError(`the ingress proxy cannot join network ${id}: ${engineMessage(err)}`, {hint: 'the network must be an attachable overlay (Spin creates stack networks so)', cause: err});
        }
      }
      this.joined.add(id);
    }
  }

  async leaveAllBut(networks: string[]): Promise<void> {
    const keep = new Set(networks);
    for (const id of [...this.joined]) {
      if (keep.has(id)) continue;
      await this.docker
        .getNetwork(id)
        .disconnect({Container: this.routingId, Force: true})
        .catch((err: unknown) => {
          if (!isNotFound(err) && !/is not connected/i.test(engineMessage(err))) throw err;
        });
      this.joined.delete(id);
    }
  }

  /** Stops and removes both containers: the ingress lives with the agent, as the single-host one does. */
  override async close(): Promise<void> {
    for (const id of [this.frontId, this.routingId]) if (id) await this.docker.getContainer(id).remove({force: true}).catch(() => undefined);
  }
}

/** The stack networks a container is on (IDs), leaving out its own bridge. */
function networksOf(c: Inspected): Set<string> {
  return new Set(Object.entries(c.NetworkSettings?.Networks ?? {}).filter(([name]) => name !== 'bridge').map(([, n]) => n.NetworkID ?? '').filter(Boolean));
}
