// The Docker Swarm backend: the agent drives a Swarm manager's Engine API (services, tasks, nodes,
// networks) with dockerode; it never shells out to `docker stack deploy`. Each compose service is
// a Swarm service (swarm-spec.ts), each stack network an attachable overlay network, tasks are
// addressed by DNS round robin (no VIPs: the nodes here have no IPVS). The plan is the shared one
// (plan.ts), and Spin judges convergence itself: only tasks of the new spec count, running (which
// Swarm reports only once a healthcheck passes), with Spin's deadline, and no task of an older
// spec still running. Swarm's own verdicts are not trusted: its update monitor reports success
// after rolling back by itself, and "converged" comes before the old tasks stop.

import type Docker from 'dockerode';

import type {ComposeModel} from '../compose/types.ts';
import {InvalidInputError, OperationError, UnreachableError} from '../errors.ts';
import {ENGINE_HINT, EngineError, engineCall, engineMessage, isNotFound} from './errors.ts';
import {desiredReplicas} from './container-spec.ts';
import {configHash} from './hash.ts';
import {digestOf, inspectNamedImage, pullImage, type RegistryAuth} from './images.ts';
import {checkRef, checkServiceName, labelFilter, ownedBy, stackRefsOf} from './naming.ts';
import {emitter, type Emit} from './ops.ts';
import {dependencyOrder, planDrift, planStack, publicPlan, type DetailedPlan, type ExistingContainer} from './plan.ts';
import {rolloutPlan, rolloutSettings, type RolloutSettings} from './rollout.ts';
import {checkSwarmService, isSwarmJob, notSupported, overlayNetworkSpec, swarmNetworkName, swarmServiceSpec} from './swarm-spec.ts';
import {swarmExec, type NodeEngines} from './swarm-exec.ts';
import {clusterVolumes} from './swarm-volume-list.ts';
import {restartSwarmServices, startSwarmServices, stopSwarmServices, stoppedGlobal, type LifecycleOptions} from './swarm-lifecycle.ts';
import {isJob, replicaTasks, swarmLogs, type SwarmStackView} from './swarm-logs.ts';
import {guardSpec, poolConstraints, unschedulable, withPool, type PlacementPools} from './swarm-guard.ts';
import {ensureFiles, fileReferences, pruneFiles, removeStackFiles, swarmFiles, type SwarmFile} from './swarm-secrets.ts';
import {checkSwarmVolumes, swarmMounts, type SwarmVolumePolicy} from './swarm-volumes.ts';
import {fileDigests, removeStackFiles as removeFileCopies, writeServiceFiles} from './files.ts';
import {clusterNodes, nodeAddresses} from './swarm-nodes.ts';
import {ingressAddress, ingressRequest} from '../ingress/model.ts';
import type {IngressRequest} from '../ingress/types.ts';
import {
  LABELS,
  type ClusterNode,
  type DeployResult,
  type ExecOptions,
  type ExecSession,
  type ExecuteOptions,
  type FailureDetail,
  type LogStream,
  type LogOptions,
  type Orchestrator,
  type PrepareRequest,
  type PreparedDeploy,
  type RemoveReport,
  type ReplicaStatus,
  type ServiceStatus,
  type StackRef,
  type StackStatus,
  type VolumeListing,
} from './types.ts';

export interface SwarmOrchestratorOptions {
  /** A Swarm manager's engine. */
  docker: Docker;
  /** Credentials per registry host; sent with every service create and update so nodes can pull. */
  registryAuth?: RegistryAuth;
  clock?: {now(): number};
  /** How often tasks are listed while waiting for convergence. Default 500. */
  pollMs?: number;
  /** The engines of the other nodes, for exec (swarm-exec.ts). */
  nodeEngines?: NodeEngines;
  /** How long stop, start and restart wait for the cluster. Default 120 s. */
  lifecycleTimeoutMs?: number;
  /**
   * Where the agent keeps a copy of each stack's secret values (as the single-host backend does):
   * a Swarm secret cannot be read back, and scale, rollback and reconcile redeploy without the client.
   */
  secretsDir?: string;
  /** The policy's node pools: constraints added to every spec of a project. */
  placement?: PlacementPools;
  /** The policy's volume drivers that reach every node, and node labels that name one node. */
  volumes?: SwarmVolumePolicy;
  /** The cluster ingress, when the agent runs one: status shows each service's address on it. */
  ingress?: {domain: string; port?: number};
  /**
   * The key of the secret and config objects' names (swarm-secrets.ts): the same across the
   * agent's restarts, or every deploy after one would roll every service that mounts a file.
   */
  nameKey: Buffer;
}

interface SwarmService {
  name: string;
  model: ComposeModel['services'][string];
  replicas: number;
  global: boolean;
  /** Runs to completion (a one-shot): a Swarm job, done when its tasks complete. */
  job: boolean;
  /** `repo@sha256:…`. */
  digest: string;
  configHash: string;
  rollout: RolloutSettings;
  /** Secrets and configs it mounts, with their values. */
  files: SwarmFile[];
  ingress?: IngressRequest;
}

interface SwarmStack {
  ref: StackRef;
  model: ComposeModel;
  services: Map<string, SwarmService>;
  /** Network key → whether it must be created. */
  networks: string[];
  plan: DetailedPlan;
  dryRun: boolean;
}

/** A Swarm service as the engine lists it (the fields read here). */
export interface EngineService {
  ID: string;
  Version: {Index: number};
  Spec: Docker.ServiceSpec & {Labels?: Record<string, string>; Mode?: Docker.ServiceMode};
}

/** A task as the engine lists it (the fields read here). */
export interface EngineTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState: string;
  CreatedAt?: string;
  Spec: {ForceUpdate?: number; ContainerSpec?: {Labels?: Record<string, string>; Image?: string; Healthcheck?: {Test?: string[]}}};
  Status: {State: string; Err?: string; Timestamp?: string; ContainerStatus?: {ContainerID?: string; ExitCode?: number}};
}

/** dockerode's (auth, options) call form, which its types do not declare with an optional auth. */
type WithAuth<M extends string> = Record<M, (auth: {username: string; password: string; serveraddress: string} | undefined, options: object) => Promise<unknown>>;

const PING_TIMEOUT_MS = 5000;
/** New-spec task failures that end a rollout as failed: Swarm would otherwise retry forever. */
const FAILED_TASKS_LIMIT = 3;
/** Why `spin rm --volumes` and `spin volume rm` stop short on a cluster. */
const NODE_LOCAL_REMOVAL = 'removing volumes (each node keeps its own, and the manager reaches only its own node\'s)';
/** How long a new task may wait for a node its constraints allow before the rollout fails. */
const UNPLACEABLE_MS = 5000;

/** The image a service's tasks run (`repo@sha256:…` for the services Spin made). */
function imageOf(s: EngineService): string {
  return s.Spec.TaskTemplate && 'ContainerSpec' in s.Spec.TaskTemplate ? (s.Spec.TaskTemplate.ContainerSpec?.Image ?? '') : '';
}

export class SwarmOrchestrator implements Orchestrator {
  readonly name = 'swarm';
  private readonly docker: Docker;
  private readonly registryAuth: RegistryAuth | undefined;
  private readonly clock: {now(): number};
  private readonly pollMs: number;
  private readonly secretsDir: string | undefined;
  private readonly placement: PlacementPools | undefined;
  private readonly volumePolicy: SwarmVolumePolicy;
  private readonly ingress: SwarmOrchestratorOptions['ingress'];
  private readonly prepared = new WeakMap<PreparedDeploy, SwarmStack>();
  private readonly nodeEngines: NodeEngines | undefined;
  private readonly lifecycleTimeoutMs: number;
  private readonly nameKey: Buffer;

  constructor(options: SwarmOrchestratorOptions) {
    this.docker = options.docker;
    this.registryAuth = options.registryAuth;
    this.clock = options.clock ?? Date;
    this.pollMs = options.pollMs ?? 500;
    this.secretsDir = options.secretsDir;
    this.placement = options.placement;
    this.volumePolicy = options.volumes ?? {sharedDrivers: [], pinLabels: []};
    this.nodeEngines = options.nodeEngines;
    this.lifecycleTimeoutMs = options.lifecycleTimeoutMs ?? 120_000;
    this.ingress = options.ingress;
    this.nameKey = options.nameKey;
  }

  /** What the logs, exec and lifecycle modules read of a stack. */
  private view(): SwarmStackView {
    return {docker: this.docker, services: (ref, service) => this.stackServices(ref, service), tasks: (ref) => this.stackTasks(ref)};
  }

  private lifecycle(): LifecycleOptions {
    return {clock: this.clock, pollMs: this.pollMs, timeoutMs: this.lifecycleTimeoutMs, send: (ref, service, spec, old) => this.sendSpec(ref, service, spec, old, imageOf(old))};
  }

  nodes(): Promise<ClusterNode[]> {
    return clusterNodes(this.docker);
  }

  async ping(): Promise<void> {
    let info: {Swarm?: {LocalNodeState?: string; ControlAvailable?: boolean}};
    try {
      await (this.docker as unknown as {ping(o: {abortSignal: AbortSignal}): Promise<unknown>}).ping({abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS)});
      info = await this.docker.info();
    } catch (err) {
      throw new UnreachableError(`the Docker engine does not answer: ${engineMessage(err)}`, {hint: ENGINE_HINT, cause: err});
    }
    if (info.Swarm?.LocalNodeState !== 'active' || info.Swarm.ControlAvailable !== true) {
      throw new OperationError(`the Docker engine is not a Swarm manager (swarm state "${info.Swarm?.LocalNodeState ?? 'unknown'}")`, {
        hint: 'point the agent at a manager of the cluster (--docker-host), or start it with `--orchestrator docker`',
      });
    }
  }

  async prepare(request: PrepareRequest): Promise<PreparedDeploy> {
    const {ref, model} = request;
    checkRef(ref);
    const emit = emitter(() => this.clock.now(), request.onEvent);
    const dryRun = request.dryRun === true;
    const networks = stackNetworks(ref, model);
    const services = new Map<string, SwarmService>();
    for (const name of Object.keys(model.services).sort()) {
      checkServiceName(name);
      checkSwarmService(name, model.services[name]);
      checkSwarmVolumes(name, model.services[name], model, this.volumePolicy);
    }
    await Promise.all(
      Object.keys(model.services).map(async (name) => {
        const service = model.services[name];
        const pull = !dryRun && request.pull?.includes(name) === true;
        const digest = await this.resolveDigest(name, service.image, {dryRun, pull}, emit);
        const override = request.updateConfigs && Object.hasOwn(request.updateConfigs, name);
        const ingress = ingressRequest(service, name);
        const rollout = override
          ? rolloutSettings(name, service, request.updateConfigs?.[name], ingress !== undefined, 'rollback_config')
          : rolloutSettings(name, service, service.deploy?.update_config, ingress !== undefined);
        const global = service.deploy?.mode === 'global';
        const files = swarmFiles(ref, model, name, request.secrets ?? {}, request.secrets !== undefined, this.nameKey);
        const pool = poolConstraints(this.placement, ref.project);
        services.set(name, {
          name,
          model: service,
          replicas: desiredReplicas(service),
          global,
          job: isSwarmJob(service),
          digest,
          configHash: configHash(withPool(service, pool), {imageId: digest, files: fileDigests(files), networks: Object.keys(service.networks).map((k) => swarmNetworkName(ref, k)), volumes: []}),
          rollout,
          files,
          ...(ingress ? {ingress} : {}),
        });
      }),
    );
    const [existing, missing] = await Promise.all([this.existing(ref), this.missingNetworks(ref, networks)]);
    const plan = planStack(
      [...services.values()].map((s) => ({service: s.name, replicas: s.replicas, configHash: s.configHash, imageId: s.digest})),
      existing,
      {networks: missing, volumes: []},
    );
    for (const sp of plan.services) {
      const s = services.get(sp.service);
      if (sp.action === 'recreate' && s) sp.rollout = rolloutPlan(s.rollout);
    }
    const stack: SwarmStack = {ref, model, services, networks, plan, dryRun};
    const prepared: PreparedDeploy = {ref, plan: publicPlan(plan)};
    this.prepared.set(prepared, stack);
    return prepared;
  }

  /**
   * The digest nodes pull: tasks by tag would ask Docker Hub at every start. The image comes from
   * the manager's engine (pulled with the agent's credentials when missing), and must have come
   * from a registry: the other nodes cannot pull what only the manager has.
   */
  private async resolveDigest(service: string, image: string | undefined, how: {dryRun: boolean; pull: boolean}, emit: Emit): Promise<string> {
    if (!image) throw new InvalidInputError(`service "${service}" has no image`, {hint: 'build and push it (`spin build`, `spin push`), then deploy the image reference'});
    let info = how.pull ? undefined : await inspectNamedImage(this.docker, image);
    if (!info) {
      if (how.dryRun) return image;
      emit('pull', `pulling ${image}`, service);
      await pullImage(this.docker, image, this.registryAuth, (m) => emit('pull', m, service));
      info = await inspectNamedImage(this.docker, image);
    }
    const digest = info ? digestOf(info, image) : undefined;
    if (!digest?.includes('@')) {
      throw new InvalidInputError(`service "${service}": image "${image}" has no registry digest, so the cluster's other nodes cannot pull it`, {
        hint: 'push the image to a registry (`spin push`) and deploy it by that registry\'s name',
      });
    }
    return digest;
  }

  /** The stack's Swarm services, as the plan sees them: one entry per wanted replica. */
  private async existing(ref: StackRef): Promise<ExistingContainer[]> {
    const out: ExistingContainer[] = [];
    for (const s of await this.stackServices(ref)) {
      const labels = s.Spec.Labels ?? {};
      // A stopped service runs nothing, so a deploy of the same model starts it again.
      const replicas = s.Spec.Mode?.Global ? (stoppedGlobal(s) ? 0 : 1) : (wantedCount(s) ?? 1);
      const job = isJob(s);
      for (let n = 1; n <= replicas; n++) {
        out.push({id: `${s.ID}/${n}`, name: `${s.Spec.Name}.${n}`, service: labels[LABELS.service] ?? '', replica: n, configHash: labels[LABELS.configHash] ?? '', imageId: imageOf(s), state: 'running', oneShot: job});
      }
    }
    return out;
  }

  private async stackServices(ref: StackRef, service?: string): Promise<EngineService[]> {
    const list = (await engineCall(`list the services of stack "${ref.project}/${ref.stack}"`, () => this.docker.listServices({filters: {label: labelFilter(ref.project, ref.stack, service)}}))) as EngineService[];
    return list.filter((s) => ownedBy(s.Spec.Labels, ref.project, ref.stack));
  }

  private async missingNetworks(ref: StackRef, keys: string[]): Promise<string[]> {
    const have = (await engineCall('list networks', () => this.docker.listNetworks({filters: {label: labelFilter(ref.project, ref.stack)}}))) as {Name: string; Labels?: Record<string, string>}[];
    const names = new Set(have.filter((n) => ownedBy(n.Labels, ref.project, ref.stack)).map((n) => n.Name));
    return keys.map((k) => swarmNetworkName(ref, k)).filter((n) => !names.has(n));
  }

  async execute(prepared: PreparedDeploy, options: ExecuteOptions): Promise<DeployResult> {
    const stack = this.prepared.get(prepared);
    if (!stack) throw new OperationError('this deploy was not prepared by this orchestrator, or it ran already', {hint: 'prepare the deploy again, then execute what prepare returned'});
    if (stack.dryRun) throw new OperationError('a dry run\'s plan cannot be executed: its images were not pulled', {hint: 'prepare the deploy without dryRun'});
    this.prepared.delete(prepared);
    const {ref, plan} = stack;
    const emit = emitter(() => this.clock.now(), options.onEvent);
    const drift = planDrift(plan, await this.existing(ref), {networks: await this.missingNetworks(ref, stack.networks), volumes: []});
    if (drift !== undefined) {
      throw new EngineError('engine.conflict', `stack "${ref.project}/${ref.stack}" changed on the cluster since this deploy was planned (${drift}); nothing was changed`, {hint: 'deploy again: the new plan starts from what the cluster has now'});
    }
    emit('plan', plan.noop ? 'nothing to change' : plan.services.filter((s) => s.action !== 'keep').map((s) => `${s.service}: ${s.action} (${s.reason})`).join('; '));
    for (const key of stack.networks) {
      const name = swarmNetworkName(ref, key);
      if (!plan.create.networks.includes(name)) continue;
      await engineCall(`create network "${name}"`, () => this.docker.createNetwork(overlayNetworkSpec(ref, key, stack.model.networks[key]?.labels)));
      emit('create', `network ${name}`);
    }
    const current = new Map((await this.stackServices(ref)).map((s) => [s.Spec.Labels?.[LABELS.service] ?? '', s]));
    const fileIds = await ensureFiles(this.docker, ref, [...stack.services.values()].flatMap((s) => s.files));
    if (this.secretsDir !== undefined) {
      for (const s of stack.services.values()) await writeServiceFiles(this.secretsDir, ref, s.name, s.files.filter((f) => f.kind === 'secret'));
    }
    const changed: SwarmService[] = [];
    for (const name of dependencyOrder(stack.model)) {
      const s = stack.services.get(name)!;
      const action = plan.services.find((p) => p.service === name)?.action;
      if (action === 'keep') continue;
      const old = current.get(name);
      const spec =
        // A job's count is its number of completions: a new count runs it again, as a new spec does.
        action === 'scale' && old && !s.job
          ? // The count only: a new task template would replace every running task.
            {...old.Spec, Mode: {Replicated: {Replicas: s.replicas}}, Labels: {...old.Spec.Labels, [LABELS.revision]: String(options.revision)}}
          : withTaskExtras(swarmServiceSpec(s.model, {ref, service: name, revision: options.revision, configHash: s.configHash, image: s.digest, rollout: s.rollout, ...(s.ingress ? {ingress: s.ingress} : {})}), {
              Mounts: swarmMounts(ref, stack.model, s.model),
              ...fileReferences(s.files, fileIds),
            });
      await this.sendSpec(ref, name, spec, old, s.digest);
      emit('create', old ? `updated (${action})` : 'created', name);
      changed.push(s);
    }
    for (const sp of plan.services) {
      const old = current.get(sp.service);
      if (sp.action !== 'remove' || !old) continue;
      await this.removeService(old.ID, old.Spec.Name ?? sp.service);
      emit('remove', 'removed', sp.service);
    }
    const images = Object.fromEntries([...stack.services.values()].map((s) => [s.name, s.digest]));
    if (options.noWait) return {plan: publicPlan(plan), outcome: 'started', status: await this.status(ref), images};
    const verdict = await this.converge(ref, [...stack.services.values()], options, emit);
    // Converged: no task mounts a secret or config the specs no longer name (never before: a
    // rollback of a failed rollout needs the old ones).
    if (verdict.outcome === 'healthy') for (const what of await pruneFiles(this.docker, ref, await this.stackServices(ref))) emit('remove', `${what}, used no more`);
    const status = await this.status(ref);
    return {plan: publicPlan(plan), outcome: verdict.outcome, status, images, ...(verdict.failure ? {failure: verdict.failure} : {})};
  }

  /**
   * The only way a service spec reaches the cluster: create, update, scale and rollback alike pass
   * guardSpec (the stack's name and labels, the project's node pool) on the way.
   */
  private async sendSpec(ref: StackRef, service: string, spec: Docker.ServiceSpec, old: EngineService | undefined, image: string): Promise<void> {
    const checked = guardSpec(spec, ref, service, this.placement);
    const auth = await this.authFor(image);
    if (old) {
      // Two arguments: with one, dockerode would send the whole spec as the registry auth header.
      await engineCall(`update service "${checked.Name}"`, () => (this.docker.getService(old.ID) as unknown as WithAuth<'update'>).update(auth, {...checked, version: old.Version.Index}));
    } else {
      await engineCall(`create service "${checked.Name}"`, () => (this.docker as unknown as WithAuth<'createService'>).createService(auth, checked));
    }
  }

  private async authFor(image: string): Promise<{username: string; password: string; serveraddress: string} | undefined> {
    const registry = image.includes('/') ? image.slice(0, image.indexOf('/')) : undefined;
    if (!registry || !this.registryAuth || !/[.:]/.test(registry)) return undefined;
    const entry = typeof this.registryAuth === 'function' ? await this.registryAuth(registry) : this.registryAuth[registry];
    return entry ? {username: entry.username, password: entry.password, serveraddress: registry} : undefined;
  }

  /** Waits until every service runs its wanted count of new-spec tasks and no old one; Spin's verdict, not Swarm's. */
  private async converge(ref: StackRef, services: SwarmService[], options: ExecuteOptions, emit: Emit): Promise<{outcome: DeployResult['outcome']; failure?: FailureDetail}> {
    const deadline = this.clock.now() + options.timeoutMs;
    const done = new Set<string>();
    /** When each new-spec task was first seen with no node to run it. */
    const homeless = new Map<string, number>();
    for (;;) {
      options.signal?.throwIfAborted();
      const byService = await this.stackTasks(ref);
      const nodes = services.some((s) => s.global) ? await this.eligibleNodes() : 0;
      for (const s of services) {
        if (done.has(s.name)) continue;
        const tasks = byService.get(s.name) ?? [];
        const fresh = tasks.filter((t) => t.Spec.ContainerSpec?.Labels?.[LABELS.configHash] === s.configHash);
        const failed = fresh.filter((t) => t.Status.State === 'failed' || t.Status.State === 'rejected');
        // A one-shot is not started again: its first failed task is the verdict.
        if (failed.length >= (s.job ? 1 : FAILED_TASKS_LIMIT)) {
          const last = failed.sort((a, b) => (b.Status.Timestamp ?? '').localeCompare(a.Status.Timestamp ?? ''))[0];
          const reason = `its tasks keep failing: ${last.Status.Err || `task ${last.Status.State}`}`;
          emit('failed', reason, s.name);
          return {outcome: 'failed', failure: {service: s.name, reason, logs: [], ...(/No such image|pull access denied|manifest unknown/i.test(last.Status.Err ?? '') ? {hint: 'the nodes cannot pull the image: check that it is in the registry and that the agent has credentials for it'} : {})}};
        }
        const stuck = this.unplaceable(fresh, homeless);
        if (stuck) {
          const reason = `no node of the cluster may run its tasks: ${stuck}`;
          emit('failed', reason, s.name);
          return {outcome: 'failed', failure: {service: s.name, reason, logs: [], hint: 'the service\'s deploy.placement.constraints, together with the project\'s node pool (the agent policy\'s placement), match no available node: check them against `spin agent node ls`'}};
        }
        const want = s.global ? nodes : s.replicas;
        // A one-shot's task counts once it runs, as on a single host, and stays counted once it completed.
        const running = fresh.filter((t) => (t.DesiredState === 'running' && t.Status.State === 'running') || (s.job && t.Status.State === 'complete')).length;
        const oldRunning = tasks.some((t) => t.Spec.ContainerSpec?.Labels?.[LABELS.configHash] !== s.configHash && t.Status.State === 'running');
        if (running >= want && !oldRunning) {
          done.add(s.name);
          emit(s.model.healthcheck && s.model.healthcheck.disable !== true ? 'healthy' : 'running', `${running} of ${want} task${want === 1 ? '' : 's'} running`, s.name);
        }
      }
      if (done.size === services.length) return {outcome: 'healthy'};
      if (this.clock.now() >= deadline) {
        const waiting = services.filter((s) => !done.has(s.name)).map((s) => s.name);
        emit('failed', `timed out waiting for ${waiting.join(', ')}`);
        return {outcome: 'timeout'};
      }
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
  }

  /**
   * Swarm's reason when a new-spec task has waited UNPLACEABLE_MS with no node allowed to run it.
   * Swarm would keep it pending for ever; a moment's grace lets a node that is just joining count.
   */
  private unplaceable(tasks: EngineTask[], since: Map<string, number>): string | undefined {
    const now = this.clock.now();
    for (const t of tasks) {
      const why = t.DesiredState === 'running' ? unschedulable(t) : undefined;
      if (why === undefined) {
        since.delete(t.ID);
        continue;
      }
      if (!since.has(t.ID)) since.set(t.ID, now);
      if (now - since.get(t.ID)! >= UNPLACEABLE_MS) return why;
    }
    return undefined;
  }

  private async eligibleNodes(): Promise<number> {
    const nodes = (await engineCall('list nodes', () => this.docker.listNodes())) as {Spec?: {Availability?: string}; Status?: {State?: string}}[];
    return nodes.filter((n) => n.Spec?.Availability === 'active' && n.Status?.State === 'ready').length;
  }

  /** The stack's tasks by Spin service name. */
  private async stackTasks(ref: StackRef): Promise<Map<string, EngineTask[]>> {
    const tasks = (await engineCall(`list the tasks of stack "${ref.project}/${ref.stack}"`, () => this.docker.listTasks({filters: {label: labelFilter(ref.project, ref.stack)}}))) as EngineTask[];
    const out = new Map<string, EngineTask[]>();
    for (const t of tasks) {
      const labels = t.Spec.ContainerSpec?.Labels;
      if (!ownedBy(labels, ref.project, ref.stack)) continue;
      const name = labels?.[LABELS.service] ?? '';
      out.set(name, [...(out.get(name) ?? []), t]);
    }
    return out;
  }

  async status(ref: StackRef): Promise<StackStatus> {
    checkRef(ref);
    const [services, tasks, addresses] = await Promise.all([this.stackServices(ref), this.stackTasks(ref), nodeAddresses(this.docker)]);
    let revision: number | undefined;
    const out: ServiceStatus[] = [];
    for (const s of services.sort((a, b) => (a.Spec.Name ?? '').localeCompare(b.Spec.Name ?? ''))) {
      const labels = s.Spec.Labels ?? {};
      const name = labels[LABELS.service] ?? '';
      // The tasks Swarm means to run: a task on its way out (replaced, drained, scaled away) is
      // no replica any more, and a crashed one is shown by the task that takes its slot. A job's
      // tasks are meant to finish: its replicas are the newest task of each slot of its spec, run or done.
      const live = isJob(s)
        ? replicaTasks((tasks.get(name) ?? []).filter((t) => t.Spec.ContainerSpec?.Labels?.[LABELS.configHash] === labels[LABELS.configHash]), s.Spec.Mode)
        : (tasks.get(name) ?? []).filter((t) => t.DesiredState === 'running').map((task, i) => ({replica: task.Slot ?? i + 1, task}));
      const replicas = live.map(({replica, task}) => replicaStatus(s, task, replica, addresses)).sort((a, b) => a.replica - b.replica);
      // The revision its replicas run, as on a single host: a scale records a revision and
      // relabels the service, but leaves its tasks (and what they run) as they were. Only a
      // service with no task (stopped) falls back to its own label.
      const taskRevisions = replicas.map((r) => r.revision).filter((n): n is number => n !== undefined);
      const rev = taskRevisions.length > 0 ? Math.max(...taskRevisions) : Number(labels[LABELS.revision]);
      if (Number.isSafeInteger(rev)) revision = Math.max(revision ?? rev, rev);
      const image = imageOf(s);
      const running = replicas.filter((r) => r.state === 'running').length;
      out.push({
        service: name,
        image,
        ...(image.includes('@') ? {imageDigest: image} : {}),
        desired: wantedCount(s) ?? live.length,
        running,
        healthy: replicas.filter((r) => r.health === 'healthy').length,
        ports: [],
        replicas,
        ...(this.ingress && labels[LABELS.ingressPort] ? {ingress: ingressAddress(this.ingress, ref, name, labels)} : {}),
      });
    }
    return {ref, services: out, ...(revision !== undefined ? {revision} : {})};
  }

  async stacks(project?: string): Promise<StackRef[]> {
    const label = [`${LABELS.managed}=true`, ...(project !== undefined ? [`${LABELS.project}=${project}`] : [])];
    const [services, networks] = await Promise.all([
      engineCall('list services', () => this.docker.listServices({filters: {label}})) as Promise<EngineService[]>,
      engineCall('list networks', () => this.docker.listNetworks({filters: {label}})) as Promise<{Labels?: Record<string, string>}[]>,
    ]);
    return stackRefsOf([...services.map((s) => s.Spec.Labels), ...networks.map((n) => n.Labels)], project);
  }

  private async removeService(id: string, name: string): Promise<void> {
    try {
      await this.docker.getService(id).remove();
    } catch (err) {
      if (!isNotFound(err)) throw new OperationError(`cannot remove service "${name}": ${engineMessage(err)}`, {cause: err});
    }
  }

  /** Removes the stack's services, then its secrets, configs and networks (a network stays busy until its tasks are gone). */
  async remove(ref: StackRef, options: {volumes?: boolean} = {}): Promise<RemoveReport> {
    checkRef(ref);
    if (options.volumes) throw notSupported(NODE_LOCAL_REMOVAL);
    for (const s of await this.stackServices(ref)) await this.removeService(s.ID, s.Spec.Name ?? s.ID);
    const filters = {label: labelFilter(ref.project, ref.stack)};
    await removeStackFiles(this.docker, ref);
    if (this.secretsDir !== undefined) await removeFileCopies(this.secretsDir, ref);
    const networks = ((await engineCall('list networks', () => this.docker.listNetworks({filters}))) as {Id: string; Name: string; Labels?: Record<string, string>}[]).filter((n) => ownedBy(n.Labels, ref.project, ref.stack));
    const deadline = this.clock.now() + 60_000;
    for (const n of networks) {
      for (;;) {
        try {
          await this.docker.getNetwork(n.Id).remove();
          break;
        } catch (err) {
          if (isNotFound(err)) break;
          // The manager keeps a network in use until every node has reported its tasks gone.
          if (this.clock.now() > deadline) throw new OperationError(`cannot remove network "${n.Name}": ${engineMessage(err)}`, {hint: 'the stack\'s tasks may still be stopping: run the removal again', cause: err});
          await new Promise((r) => setTimeout(r, this.pollMs));
        }
      }
    }
    // The manager takes a removed network out of its list only once every node let go of it:
    // the stack is gone when nothing of it is listed any more.
    for (;;) {
      const left = ((await engineCall('list networks', () => this.docker.listNetworks({filters}))) as {Labels?: Record<string, string>}[]).filter((n) => ownedBy(n.Labels, ref.project, ref.stack));
      if (left.length === 0) break;
      if (this.clock.now() > deadline) throw new OperationError(`the networks of stack "${ref.project}/${ref.stack}" are still listed after their removal`, {hint: 'run the removal again in a moment'});
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
    return {volumes: {removed: [], kept: []}};
  }

  stop(ref: StackRef, services?: string[]): Promise<void> {
    return stopSwarmServices(this.view(), ref, services, this.lifecycle());
  }

  start(ref: StackRef, services?: string[]): Promise<void> {
    return startSwarmServices(this.view(), ref, services, this.lifecycle());
  }

  restart(ref: StackRef, services?: string[]): Promise<void> {
    return restartSwarmServices(this.view(), ref, services, this.lifecycle());
  }

  logs(ref: StackRef, options: LogOptions): Promise<LogStream> {
    return swarmLogs(this.view(), ref, options);
  }

  exec(ref: StackRef, options: ExecOptions): Promise<ExecSession> {
    return swarmExec(this.view(), this.nodeEngines, ref, options);
  }

  /** Every node's volumes the agent can read, each with its node, and the nodes it cannot read. */
  volumes(project: string): Promise<VolumeListing> {
    return clusterVolumes(this.docker, this.nodeEngines, this.secretsDir ?? '', project);
  }

  // A removal is refused: a name can exist on several nodes, some out of the agent's reach, and
  // removing the copies it reaches would pass for removing the volume.
  removeVolume(): Promise<void> {
    return Promise.reject(notSupported(NODE_LOCAL_REMOVAL));
  }
}

/** How many replicas the service asks for; undefined for a global one (one per eligible node). */
function wantedCount(s: EngineService): number | undefined {
  const mode = s.Spec.Mode;
  if (mode?.Global || mode?.GlobalJob) return undefined;
  return mode?.ReplicatedJob ? (mode.ReplicatedJob.TotalCompletions ?? 1) : (mode?.Replicated?.Replicas ?? 0);
}

/** The spec with more for its containers: mounts go before the ones it has (its `tmpfs:` entries). */
function withTaskExtras(spec: Docker.ServiceSpec, extra: Pick<Docker.ContainerSpec, 'Mounts' | 'Secrets' | 'Configs'>): Docker.ServiceSpec {
  const template = spec.TaskTemplate as Docker.ContainerTaskSpec;
  const container = template.ContainerSpec ?? {};
  const mounts = [...(extra.Mounts ?? []), ...(container.Mounts ?? [])];
  return {...spec, TaskTemplate: {...template, ContainerSpec: {...container, ...extra, ...(mounts.length ? {Mounts: mounts} : {Mounts: undefined})}}};
}

/** Network keys the stack's services join; external networks are not built for the cluster yet. */
function stackNetworks(ref: StackRef, model: ComposeModel): string[] {
  const keys = new Set<string>();
  for (const s of Object.values(model.services)) for (const k of Object.keys(s.networks)) keys.add(k);
  for (const key of keys) {
    const def = model.networks[key] ?? {};
    if (def.external === true) throw notSupported(`network "${key}": an external network`);
    if (def.driver !== undefined && def.driver !== 'overlay') {
      throw new InvalidInputError(`network "${key}" has driver "${def.driver}", which a Swarm cluster cannot use for a stack network`, {hint: `remove the driver (the stack gets an overlay network "${swarmNetworkName(ref, key)}")`});
    }
  }
  return [...keys].sort();
}

const TASK_STATES: Record<string, string> = {running: 'running', complete: 'exited', failed: 'exited', shutdown: 'exited', rejected: 'dead', orphaned: 'dead', remove: 'exited'};

function replicaStatus(s: EngineService, t: EngineTask, slot: number, addresses: Map<string, string>): ReplicaStatus {
  // The engine writes the key as `Healthcheck`, whatever case the spec was sent in.
  const checked = (t.Spec.ContainerSpec?.Healthcheck?.Test ?? ['NONE'])[0] !== 'NONE';
  const state = TASK_STATES[t.Status.State] ?? 'created';
  const r: ReplicaStatus = {
    replica: slot,
    container: `${s.Spec.Name}.${slot}`,
    id: t.Status.ContainerStatus?.ContainerID ?? t.ID,
    state,
    // Swarm reports a task running only once its healthcheck passed; until then it is "starting".
    health: !checked ? 'none' : state === 'running' ? 'healthy' : t.Status.State === 'starting' ? 'starting' : 'unhealthy',
  };
  if (state !== 'running' && state !== 'created' && t.Status.ContainerStatus?.ExitCode !== undefined) r.exitCode = t.Status.ContainerStatus.ExitCode;
  if (state === 'running' && t.Status.Timestamp) r.startedAt = t.Status.Timestamp;
  const labels = t.Spec.ContainerSpec?.Labels ?? {};
  const rev = Number(labels[LABELS.revision]);
  if (Number.isSafeInteger(rev)) r.revision = rev;
  if (labels[LABELS.configHash]) r.configHash = labels[LABELS.configHash];
  if (t.NodeID) r.node = addresses.get(t.NodeID) ?? t.NodeID;
  return r;
}
