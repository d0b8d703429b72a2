// The Docker engine's side of one deploy (DeployOps): creating, starting, stopping, removing and
// renaming replicas, waiting for them, and what the deploy leaves on disk. The order of these
// steps is the shared executor's (executor.ts).

import type Docker from 'dockerode';

import {InvalidInputError, OperationError} from '../errors.ts';
import {containerSpec, sharedNetworkService} from './container-spec.ts';
import {nameTaken} from './docker-checks.ts';
import {deleteContainer, existingContainers, inspectOrUndefined, removeContainer, stackContainers, startContainer, stopContainer, type DockerEnv} from './docker-env.ts';
import {missingResources, specContext, type DockerService, type DockerStack} from './docker-prepare.ts';
import {probeOf} from './docker-probe.ts';
import {stackStatus} from './docker-status.ts';
import {saveVolumeChoices} from './docker-volumes.ts';
import {saveDesired} from './desired-state.ts';
import {engineCall, engineError, statusOf} from './errors.ts';
import {pruneServiceDirs, writeServiceFiles} from './files.ts';
import {ContainerEvents, waitContainer} from './health.ts';
import {containerLines} from './logs.ts';
import {containerName, ownedBy, replicaAlias} from './naming.ts';
import type {DeployOps, Emit, Replica, Tracked} from './ops.ts';
import type {ExistingContainer} from './plan.ts';
import {slowStopHint} from './rollout.ts';
import {LABELS, type StackRef, type StackStatus} from './types.ts';

const FAILURE_LOG_LINES = 20;
/** Stops shorter than this are never worth a look: the shortest timeout that kills is 1 s. */
const SLOW_STOP_MS = 900;
/** The engine's stop timeout when a container sets none. */
const DOCKER_STOP_TIMEOUT_S = 10;

/**
 * The container whose network a `network_mode: service:x` replica joins, found by the stack's
 * labels (never by name, which another stack could hold): a running replica first, lowest
 * replica number first.
 */
async function networkContainer(env: DockerEnv, ref: StackRef, name: string, target: string): Promise<string> {
  const found = (await stackContainers(env, ref, target)).filter((c) => c.Labels[LABELS.service] === target);
  const rank = (c: Docker.ContainerInfo) => (c.State === 'running' ? 0 : 1);
  const proper = (c: Docker.ContainerInfo) => (c.Names?.[0] === `/${containerName(ref, target, Number(c.Labels[LABELS.replica]))}` ? 0 : 1);
  found.sort((a, b) => rank(a) - rank(b) || Number(a.Labels[LABELS.replica]) - Number(b.Labels[LABELS.replica]) || proper(a) - proper(b));
  if (found.length === 0) {
    throw new InvalidInputError(`service "${name}" joins the network of service "${target}" (network_mode: service:${target}), but stack "${ref.project}/${ref.stack}" has no container of "${target}"`, {
      hint: `deploy "${target}" with at least one replica in this stack, or remove network_mode from "${name}"`,
    });
  }
  return found[0].Id;
}

export class DockerDeployOps implements DeployOps {
  private events?: ContainerEvents;
  /** Per service, where its secret and config files are on the host. */
  private readonly mounts = new Map<string, {source: string; target: string}[]>();
  /** Per service joining another's network, the container it joins (resolved on its first replica). */
  private readonly joined = new Map<string, Promise<string>>();
  /** Services whose slow stop this deploy reported already. */
  private readonly slowStops = new Set<string>();

  private readonly env: DockerEnv;
  private readonly stack: DockerStack;
  private readonly revision: number;
  private readonly emit: Emit;

  constructor(env: DockerEnv, stack: DockerStack, revision: number, emit: Emit) {
    this.env = env;
    this.stack = stack;
    this.revision = revision;
    this.emit = emit;
  }

  private get ref(): StackRef {
    return this.stack.ref;
  }

  private service(name: string): DockerService {
    return this.stack.services.get(name) as DockerService;
  }

  existing(): Promise<ExistingContainer[]> {
    return existingContainers(this.env, this.ref);
  }

  missingResources(): Promise<{networks: string[]; volumes: string[]}> {
    return missingResources(this.env, this.stack);
  }

  async createResources(): Promise<void> {
    const {plan} = this.stack;
    for (const n of this.stack.networks) {
      const options = n.create;
      if (!options || !plan.create.networks.includes(n.name)) continue;
      await engineCall(`create network "${n.name}"`, () => this.env.docker.createNetwork(options));
    }
    for (const v of this.stack.volumes) {
      const options = v.create;
      if (!options || !plan.create.volumes.includes(v.name)) continue;
      await engineCall(`create volume "${v.name}"`, () => this.env.docker.createVolume(options));
    }
  }

  async open(): Promise<void> {
    this.events = await ContainerEvents.open(this.env.docker, this.ref);
  }

  close(): void {
    this.events?.close();
  }

  async prepareService(name: string): Promise<void> {
    const {secretsDir} = this.env;
    const mounts = await writeServiceFiles(secretsDir, this.ref, name, this.service(name).files).catch((err: unknown) => {
      throw new OperationError(`cannot write the secret files of service "${name}" under "${secretsDir}": ${(err as Error).message}`, {
        hint: 'check that the agent can write to its data folder',
        cause: err,
      });
    });
    this.mounts.set(name, mounts);
  }

  async createReplica(name: string, replica: number, as?: string): Promise<{id: string; name: string}> {
    const s = this.service(name);
    const shared = sharedNetworkService(name, s.service);
    let joins: string | undefined;
    if (shared !== undefined) {
      let found = this.joined.get(name);
      if (!found) {
        found = networkContainer(this.env, this.ref, name, shared);
        this.joined.set(name, found);
      }
      joins = await found;
    }
    const spec = containerSpec(s.service, {...specContext(this.env, this.ref, s, replica, this.revision, this.stack.volumeNames, this.mounts.get(name) ?? []), ...(joins ? {networkContainer: joins} : {})});
    const cname = as ?? spec.name;
    const id = await this.createContainer(cname, {...spec.options, name: cname});
    try {
      for (const c of spec.connect) {
        await engineCall(`connect container "${cname}" to network "${c.network}"`, () => this.env.docker.getNetwork(c.network).connect({Container: id, EndpointConfig: c.endpoint}));
      }
    } catch (err) {
      // Its config hash says it is on every network: a later deploy would start it as it is.
      await removeContainer(this.env, {id, name: cname}).catch(() => undefined);
      throw err;
    }
    return {id, name: cname};
  }

  private async createContainer(name: string, options: Docker.ContainerCreateOptions): Promise<string> {
    const {docker} = this.env;
    for (let attempt = 0; ; attempt++) {
      try {
        return (await docker.createContainer(options)).id;
      } catch (err) {
        if (statusOf(err) !== 409 || attempt > 0) throw engineError(err, `create container "${name}"`);
        const other = await inspectOrUndefined(() => docker.getContainer(name).inspect(), `inspect container "${name}"`);
        if (other && !ownedBy(other.Config.Labels, this.ref.project, this.ref.stack)) throw nameTaken(name, other.Config.Labels);
        // Ours but not in the listing (a deploy interrupted mid-way): replace it.
        if (other) await removeContainer(this.env, {id: other.Id, name});
      }
    }
  }

  startReplica(id: string, name: string): Promise<void> {
    return startContainer(this.env, id, name);
  }

  async stopReplica(c: Replica): Promise<void> {
    const {clock} = this.env;
    const stopping = clock.now();
    await stopContainer(this.env, c);
    const tookMs = clock.now() - stopping;
    if (tookMs >= SLOW_STOP_MS) await this.reportSlowStop(c, tookMs);
  }

  /**
   * A stop that took the whole timeout because the main process ignored the signal: said once per
   * service and deploy (a `log` event, so it stays on screen), with the fix.
   */
  private async reportSlowStop(c: Replica, tookMs: number): Promise<void> {
    if (this.slowStops.has(c.service)) return;
    const info = await this.env.docker.getContainer(c.id).inspect().catch(() => undefined);
    if (!info) return;
    const config = info.Config as Docker.ContainerInspectInfo['Config'] & {StopTimeout?: number; StopSignal?: string};
    const hint = slowStopHint({
      replica: replicaAlias(c.service, c.replica),
      tookMs,
      timeoutSeconds: config.StopTimeout ?? DOCKER_STOP_TIMEOUT_S,
      exitCode: info.State?.ExitCode,
      init: (info.HostConfig as {Init?: boolean | null}).Init === true,
      signal: config.StopSignal,
    });
    if (hint === undefined) return;
    this.slowStops.add(c.service);
    this.emit('log', hint);
  }

  removeReplica(c: Replica): Promise<void> {
    return deleteContainer(this.env, c);
  }

  async renameReplica(id: string, name: string): Promise<void> {
    await engineCall(`rename a container to "${name}"`, () => this.env.docker.getContainer(id).rename({name}));
  }

  async waitReplica(name: string, c: Pick<Tracked, 'id' | 'fresh'>, want: 'healthy' | 'completed', signal: AbortSignal) {
    const s = this.service(name);
    const {env} = this;
    const events = this.events ?? {changed: async () => undefined, lastExitCode: () => undefined};
    try {
      return await waitContainer((id) => env.docker.getContainer(id).inspect(), events, c.id, {
        oneShot: s.oneShot,
        monitorMs: s.monitorMs,
        want,
        pollMs: env.pollMs,
        now: () => env.clock.now(),
        signal,
        ...(c.fresh ? {restartBaseline: 0} : {}),
        // Behind the ingress, traffic follows the engine's own health status: wait for it there.
        ...(s.ingress === undefined ? probeOf(env, c.id, s.service) : {}),
      });
    } catch (err) {
      return {state: 'failed' as const, reason: `could not be inspected: ${engineError(err, 'inspect').message}`};
    }
  }

  async lastLogs(id: string): Promise<string[]> {
    const {docker} = this.env;
    try {
      const info = await docker.getContainer(id).inspect();
      const raw = (await docker.getContainer(id).logs({stdout: true, stderr: true, tail: FAILURE_LOG_LINES, follow: false})) as unknown as Buffer;
      const lines: string[] = [];
      for await (const l of containerLines(raw, info.Config.Tty === true)) lines.push(l.line);
      return lines.slice(-FAILURE_LOG_LINES);
    } catch {
      return [];
    }
  }

  async saveState(): Promise<void> {
    const {secretsDir} = this.env;
    const services = [...this.stack.services.values()];
    await saveDesired(secretsDir, this.ref, Object.fromEntries(services.map((s) => [s.name, s.replicas])));
    await saveVolumeChoices(secretsDir, this.ref, this.stack.volumes);
    await pruneServiceDirs(secretsDir, this.ref, new Set(this.stack.services.keys()));
  }

  /** The stack as the engine has it now: re-read, since this deploy just changed it. */
  async status(): Promise<StackStatus> {
    await this.env.watch.resync(this.ref);
    return stackStatus(this.env, this.ref);
  }
}
