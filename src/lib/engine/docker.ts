// The Docker Engine backend: one host, driven through its API with dockerode. Every object it
// creates carries Spin's labels, and it only ever reads or changes objects whose labels name the
// stack (or project) it was asked about, so stacks of other projects and foreign containers on the
// same engine are never touched. The work is split by job: preparing and planning a deploy
// (docker-prepare.ts), the engine steps of a deploy (docker-ops.ts, driven by the shared
// executor.ts), status (docker-status.ts), lifecycle (docker-lifecycle.ts), logs and exec
// (docker-logs.ts), volumes (docker-volumes.ts).

import Docker from 'dockerode';

import {OperationError, UnreachableError} from '../errors.ts';
import type {IngressHooks} from '../ingress/types.ts';
import type {PortRange} from '../policy/values.ts';
import type {DockerEnv} from './docker-env.ts';
import {restartServices, removeStack, startServices, stopServices} from './docker-lifecycle.ts';
import {execInReplica, stackLogChunks} from './docker-logs.ts';
import {DockerDeployOps} from './docker-ops.ts';
import {prepareStack, type DockerStack} from './docker-prepare.ts';
import {listStacks, stackStatus} from './docker-status.ts';
import {ContainerWatch} from './docker-watch.ts';
import {projectVolumes, removeProjectVolume} from './docker-volumes.ts';
import {ENGINE_HINT, engineMessage} from './errors.ts';
import {executePlan} from './executor.ts';
import type {RegistryAuth} from './images.ts';
import {emitter} from './ops.ts';
import {publicPlan} from './plan.ts';
import type {
  DeployResult,
  ExecOptions,
  ExecSession,
  ExecuteOptions,
  LogOptions,
  LogStream,
  Orchestrator,
  PrepareRequest,
  PreparedDeploy,
  RemoveReport,
  StackRef,
  StackStatus,
  VolumeListing,
} from './types.ts';

export interface DockerOrchestratorOptions {
  /** Default: DOCKER_HOST, else the local socket. */
  docker?: Docker;
  /** Folder under the agent's data dir where secret and config files are written. */
  secretsDir: string;
  /** Host address for published ports that name none. Default 0.0.0.0. */
  publishHostIp?: string;
  /** Credentials per registry host (`registry.example.org:5000`). */
  registryAuth?: RegistryAuth;
  clock?: {now(): number};
  /** Fallback inspect interval while waiting for health (events usually answer first). Default 1000. */
  pollMs?: number;
  /**
   * The ingress proxy, when the agent runs one: deploys hold new replicas out and drain old ones.
   * `port` is where it listens, for the URLs status reports (`http://<host>:<port>`).
   */
  ingress?: {hooks: IngressHooks; domain: string; port?: number};
  /** The host ports the platform's policy allows, so hints suggest ports it accepts. */
  allowedPorts?: readonly PortRange[];
}

const PING_TIMEOUT_MS = 5000;

export class DockerOrchestrator implements Orchestrator {
  readonly name = 'docker';
  private readonly env: DockerEnv;
  /** Deploys prepared here and not run yet: what `execute` runs, out of the caller's reach. */
  private readonly prepared = new WeakMap<PreparedDeploy, DockerStack>();

  constructor(options: DockerOrchestratorOptions) {
    const docker = options.docker ?? new Docker();
    this.env = {
      docker,
      secretsDir: options.secretsDir,
      publishHostIp: options.publishHostIp ?? '0.0.0.0',
      ...(options.registryAuth ? {registryAuth: options.registryAuth} : {}),
      clock: options.clock ?? Date,
      pollMs: options.pollMs ?? 1000,
      ...(options.ingress ? {ingress: options.ingress} : {}),
      ...(options.allowedPorts ? {allowedPorts: options.allowedPorts} : {}),
      probedHealthy: new Set(),
      probes: {running: 0},
      watch: new ContainerWatch(docker),
    };
  }

  /** Stops following the engine's events. */
  close(): void {
    this.env.watch.close();
  }

  async ping(): Promise<void> {
    const where = process.env.DOCKER_HOST || 'the local socket /var/run/docker.sock';
    try {
      // dockerode takes an abort signal here although its types do not say so.
      await (this.env.docker as unknown as {ping(o: {abortSignal: AbortSignal}): Promise<unknown>}).ping({abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS)});
    } catch (err) {
      throw new UnreachableError(`the Docker engine at ${where} does not answer: ${engineMessage(err)}`, {hint: ENGINE_HINT, cause: err});
    }
  }

  async prepare(request: PrepareRequest): Promise<PreparedDeploy> {
    const {ref, model} = request;
    const stack = await prepareStack(this.env, ref, model, {
      dryRun: request.dryRun === true,
      emit: emitter(() => this.env.clock.now(), request.onEvent),
      ...(request.secrets ? {secrets: request.secrets} : {}),
      ...(request.updateConfigs ? {updateConfigs: request.updateConfigs} : {}),
      ...(request.pull ? {pull: new Set(request.pull)} : {}),
    });
    const prepared: PreparedDeploy = {ref, plan: publicPlan(stack.plan)};
    this.prepared.set(prepared, stack);
    return prepared;
  }

  async execute(prepared: PreparedDeploy, options: ExecuteOptions): Promise<DeployResult> {
    const stack = this.prepared.get(prepared);
    if (!stack) throw new OperationError('this deploy was not prepared by this orchestrator, or it ran already', {hint: 'prepare the deploy again, then execute what prepare returned'});
    if (stack.dryRun) throw new OperationError('a dry run\'s plan cannot be executed: its images were not pulled', {hint: 'prepare the deploy without dryRun'});
    this.prepared.delete(prepared);
    const emit = emitter(() => this.env.clock.now(), options.onEvent);
    const ops = new DockerDeployOps(this.env, stack, options.revision, emit);
    return this.changing(prepared.ref, () => executePlan(stack, ops, {
      emit,
      timeoutMs: options.timeoutMs,
      noWait: options.noWait === true,
      ...(this.env.ingress ? {ingress: this.env.ingress.hooks} : {}),
      ...(options.signal ? {signal: options.signal} : {}),
    }));
  }

  status(ref: StackRef): Promise<StackStatus> {
    return stackStatus(this.env, ref);
  }

  stacks(project?: string): Promise<StackRef[]> {
    return listStacks(this.env, project);
  }

  stop(ref: StackRef, services?: string[]): Promise<void> {
    return this.changing(ref, () => stopServices(this.env, ref, services));
  }

  start(ref: StackRef, services?: string[]): Promise<void> {
    return this.changing(ref, () => startServices(this.env, ref, services));
  }

  restart(ref: StackRef, services?: string[]): Promise<void> {
    return this.changing(ref, () => restartServices(this.env, ref, services));
  }

  remove(ref: StackRef, options: {volumes?: boolean} = {}): Promise<RemoveReport> {
    return this.changing(ref, () => removeStack(this.env, ref, options));
  }

  /** Runs a change of the stack, then re-reads it, so the next status read shows the change. */
  private async changing<T>(ref: StackRef, change: () => Promise<T>): Promise<T> {
    try {
      return await change();
    } finally {
      await this.env.watch.resync(ref).catch(() => undefined);
    }
  }

  logs(ref: StackRef, options: LogOptions): Promise<LogStream> {
    return stackLogChunks(this.env, ref, options);
  }

  exec(ref: StackRef, options: ExecOptions): Promise<ExecSession> {
    return execInReplica(this.env, ref, options);
  }

  async volumes(project: string): Promise<VolumeListing> {
    return {volumes: await projectVolumes(this.env, project)};
  }

  removeVolume(project: string, name: string): Promise<void> {
    return removeProjectVolume(this.env, project, name);
  }
}
