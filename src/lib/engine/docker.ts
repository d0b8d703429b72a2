// The Docker Engine backend: one host, driven through its API with dockerode. Every object it
// creates carries Spin's labels, and it only ever reads or changes objects whose labels name the
// stack (or project) it was asked about, so stacks of other projects and foreign containers on the
// same engine are never touched.

import Docker from 'dockerode';
import {mkdir, readdir, readFile, rename, rm, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

import type {Project, Service, UpdateConfig} from '../compose/types.ts';
import {InvalidInputError, OperationError, SpinError, UnreachableError} from '../errors.ts';
import {containerSpec, desiredReplicas, healthConfig, isOneShot, sharedNetworkService, type SpecContext} from './container-spec.ts';
import {ENGINE_HINT, EngineError, engineCall, engineError, engineMessage, hostPortInUse, hostPortMessage, isNotFound, statusOf} from './errors.ts';
import {startExec} from './exec.ts';
import {fileDigests, pruneServiceDirs, removeStackFiles, serviceFiles, stackFilesDir, STATE_FILE, writeServiceFiles, type ServiceFile} from './files.ts';
import {configHash} from './hash.ts';
import {ContainerEvents, waitContainer} from './health.ts';
import {digestOf, inspectImage, inspectNamedImage, pullImage, type RegistryAuth} from './images.ts';
import {containerLines, mergeByTime, mergeSources} from './logs.ts';
import {checkRef, checkServiceName, chooseVolume, DNS_LABEL, containerName, containerPrefix, describeOwner, labelFilter, legacyVolumeName, networkName, ownedBy, replicaAlias, volumeName} from './naming.ts';
import {dependencyOrder, planStack, publicPlan, rejoinSharedNetworks, serviceDependencies, type DetailedPlan, type ExistingContainer} from './plan.ts';
import {checkExisting, networkCreateOptions, volumeCreateOptions} from './resources.ts';
import {rollOut, rolloutPlan, rolloutSettings, slowStopHint, type RolloutSettings} from './rollout.ts';
import {defaultHost, ingressRequest} from '../ingress/model.ts';
import {formatPortRange, suggestPortRange, type PortRange} from '../policy/values.ts';
import type {IngressHooks, IngressRequest} from '../ingress/types.ts';
import {
  LABELS,
  type DeployEvent,
  type DeployEventType,
  type DeployRequest,
  type DeployResult,
  type ExecOptions,
  type ExecSession,
  type FailureDetail,
  type LogLine,
  type LogOptions,
  type Orchestrator,
  type Plan,
  type RemoveReport,
  type ReplicaStatus,
  type ServiceStatus,
  type StackRef,
  type StackStatus,
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

/** Healthy without a healthcheck means running this long, unless update_config.monitor says otherwise. */
const DEFAULT_MONITOR_MS = 1000;
const FAILURE_LOG_LINES = 20;
const PING_TIMEOUT_MS = 5000;
/** Stops shorter than this are never worth a look: the shortest timeout that kills is 1 s. */
const SLOW_STOP_MS = 900;
/** The engine's stop timeout when a container sets none. */
const DOCKER_STOP_TIMEOUT_S = 10;

interface NetworkUse {
  key: string;
  name: string;
  external: boolean;
  /** What creating it takes (absent for an external network). */
  create?: Docker.NetworkCreateOptions;
}

interface VolumeUse {
  key: string;
  name: string;
  external: boolean;
  /** What creating it takes (absent for an external volume). */
  create?: Docker.VolumeCreateOptions;
  /** The name Spin used before volumes were scoped per stack, when it differs (legacyVolumeName). */
  legacy?: string;
  /** `name` is the legacy one: the stack keeps the volume it used before (chooseVolume). */
  keptLegacy?: boolean;
}

/** A folder no stack can be named after (stack names are DNS labels). */
const VOLUME_CHOICES_DIR = '.volumes';

/** Where a stack's choice of legacy volumes is kept: outside the stack's folder, so `spin rm` keeps it with the volumes. */
function volumeChoicesFile(root: string, ref: StackRef): string {
  return join(root, ref.project, VOLUME_CHOICES_DIR, `${ref.stack}.json`);
}

interface PreparedService {
  name: string;
  service: Service;
  replicas: number;
  image: string;
  imageId: string;
  digest: string;
  files: ServiceFile[];
  networks: Record<string, string>;
  configHash: string;
  oneShot: boolean;
  monitorMs: number;
  ingress?: IngressRequest;
  /** How its replicas are replaced, from update_config (or the rollback_config given for this deploy). */
  rollout: RolloutSettings;
}

interface PrepareOptions {
  updateConfigs?: Record<string, UpdateConfig | undefined>;
  /** Services whose images are pulled again although present. */
  pull?: ReadonlySet<string>;
}

/** What applying a service needs from the deploy around it. */
interface ApplyContext {
  events: ContainerEvents;
  signal: AbortSignal;
  noWait: boolean;
  fail: (detail: FailureDetail) => void;
  /** Containers held out of the ingress until found healthy; released when the deploy ends. */
  held: Set<string>;
}

interface Prepared {
  ref: StackRef;
  model: Project;
  services: Map<string, PreparedService>;
  networks: NetworkUse[];
  volumes: VolumeUse[];
  volumeNames: Record<string, string>;
}

/** A container this deploy has to wait for, and whether it started it (restart count starts at 0). */
interface Tracked {
  id: string;
  replica: number;
  fresh: boolean;
  /** Already found healthy by a rollout: the final wait does not announce it again. */
  proven?: boolean;
}

/** A container this deploy created and started. */
type Started = Tracked & {name: string};

type Emit = (type: DeployEventType, message: string, service?: string, replica?: number) => void;

/**
 * How a replica that passed is announced: "healthy" only when a healthcheck says so; one without
 * is "running" (which a deploy takes as success all the same).
 */
function passed(verdict: {state: 'healthy' | 'running' | 'done'}, alias: string): [DeployEventType, string] {
  if (verdict.state === 'done') return ['done', `${alias} completed`];
  if (verdict.state === 'running') return ['running', `${alias} is running (no healthcheck)`];
  return ['healthy', `${alias} is healthy`];
}

function isSpinFailure(err: unknown): err is SpinError {
  return err instanceof SpinError && !(err instanceof UnreachableError) && !(err instanceof InvalidInputError);
}

/**
 * A replica that ran to its end (a one-shot that exited): replacing it means running the new one,
 * with nothing to keep serving meanwhile. A running one is rolled like any replica, whatever its
 * restart policy.
 */
function finishedRun(s: PreparedService, c: ExistingContainer): boolean {
  return s.oneShot && c.state !== 'running' && c.state !== 'restarting';
}

/**
 * How to give each replica a host port: a range with one port per replica, within the policy's
 * allowed ports when known (a random port, which the policy refuses, only when it is not).
 */
function replicaPortsHint(replicas: number, target: number, allowed: readonly PortRange[] | undefined): string {
  if (!allowed) return `drop \`published\` so the engine picks a port per replica, publish a range of ${replicas} host ports (\`FIRST-LAST:${target}\`), or run one replica`;
  const range = suggestPortRange(allowed, replicas);
  if (!range) return `run one replica: the platform allows no range of ${replicas} host ports (allowed: ${allowed.map(formatPortRange).join(', ')})`;
  return `publish a range of ${replicas} allowed host ports, one per replica (e.g. "${range}:${target}"), or run one replica`;
}

/**
 * The loopback binding the ingress proxy reaches a replica on (container-spec adds it after the
 * service's own ports, with a port the engine picks): internal, never a URL for people. It is the
 * one the ingress controller routes to, the first on 127.0.0.1 that the service did not ask for.
 */
function proxyBinding(info: Docker.ContainerInspectInfo): {HostIp: string; HostPort: string} | undefined {
  const port = info.Config.Labels?.[LABELS.ingressPort];
  if (!port) return undefined;
  const key = `${port}/tcp`;
  const asked = new Set((info.HostConfig.PortBindings?.[key] ?? []).map((b: {HostPort?: string}) => b.HostPort).filter(Boolean));
  return (info.NetworkSettings.Ports?.[key] ?? []).find((b) => b.HostIp === '127.0.0.1' && !asked.has(b.HostPort));
}

function toExisting(c: Docker.ContainerInfo): ExistingContainer {
  const labels = c.Labels ?? {};
  const exit = /^Exited \((-?\d+)\)/.exec(c.Status ?? '');
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    service: labels[LABELS.service] ?? '',
    replica: Number(labels[LABELS.replica] ?? 0),
    configHash: labels[LABELS.configHash] ?? '',
    imageId: c.ImageID,
    state: c.State,
    ...(exit ? {exitCode: Number(exit[1])} : {}),
    oneShot: labels[LABELS.oneShot] === 'true',
    ...(labels[LABELS.ingressPort] ? {ingress: true} : {}),
    ...(c.HostConfig?.NetworkMode?.startsWith('container:') ? {networkContainer: c.HostConfig.NetworkMode.slice('container:'.length)} : {}),
  };
}

/**
 * The service's healthcheck run once by exec, as the engine would run it (the container's user,
 * `CMD` as given, `CMD-SHELL` through /bin/sh), bounded by its timeout. None without a check.
 */
function healthProbe(docker: Docker, id: string, service: Service): (() => Promise<boolean>) | undefined {
  const config = healthConfig(service.healthcheck);
  const test = config?.Test;
  if (!test || test.length < 2 || (test[0] !== 'CMD' && test[0] !== 'CMD-SHELL')) return undefined;
  const cmd = test[0] === 'CMD' ? test.slice(1) : ['/bin/sh', '-c', test.slice(1).join(' ')];
  const timeoutMs = Math.min(30_000, config?.Timeout ? config.Timeout / 1e6 : 30_000);
  return async () => {
    const container = docker.getContainer(id);
    const exec = await container.exec({Cmd: cmd, AttachStdout: true, AttachStderr: true});
    const stream = (await exec.start({hijack: true, stdin: false})) as NodeJS.ReadableStream & {destroy?: () => void};
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve).on('close', resolve).on('error', () => resolve());
      stream.resume();
    });
    const cancel = new AbortController();
    const timer = sleep(timeoutMs, 'timeout' as const, {signal: cancel.signal}).catch(() => undefined);
    const outcome = await Promise.race([ended, timer]);
    cancel.abort();
    if (outcome === 'timeout') {
      stream.destroy?.();
      return false;
    }
    const info = await exec.inspect();
    return info.Running === false && info.ExitCode === 0;
  };
}

export class DockerOrchestrator implements Orchestrator {
  readonly name = 'docker';
  private readonly docker: Docker;
  private readonly secretsDir: string;
  private readonly publishHostIp: string;
  private readonly registryAuth?: RegistryAuth;
  private readonly clock: {now(): number};
  private readonly pollMs: number;
  private readonly ingress?: {hooks: IngressHooks; domain: string; port?: number};
  private readonly allowedPorts?: readonly PortRange[];
  /** Services whose slow stop a deploy (known by its emit function) has reported already. */
  private readonly slowStops = new WeakMap<Emit, Set<string>>();
  /**
   * Containers whose healthcheck passed when Spin ran it (see healthProbe) while the engine still
   * said `starting`: status shows them healthy until the engine's own first check reports.
   */
  private readonly probedHealthy = new Set<string>();

  constructor(options: DockerOrchestratorOptions) {
    this.docker = options.docker ?? new Docker();
    this.secretsDir = options.secretsDir;
    this.publishHostIp = options.publishHostIp ?? '0.0.0.0';
    this.registryAuth = options.registryAuth;
    this.clock = options.clock ?? Date;
    this.pollMs = options.pollMs ?? 1000;
    this.ingress = options.ingress;
    this.allowedPorts = options.allowedPorts;
  }

  async ping(): Promise<void> {
    const where = process.env.DOCKER_HOST || 'the local socket /var/run/docker.sock';
    try {
      // dockerode takes an abort signal here although its types do not say so.
      await (this.docker as unknown as {ping(o: {abortSignal: AbortSignal}): Promise<unknown>}).ping({abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS)});
    } catch (err) {
      throw new UnreachableError(`the Docker engine at ${where} does not answer: ${engineMessage(err)}`, {hint: ENGINE_HINT, cause: err});
    }
  }

  // ---- reading the engine

  private async containers(ref: StackRef, service?: string): Promise<Docker.ContainerInfo[]> {
    const list = await engineCall(`list the containers of stack "${ref.project}/${ref.stack}"`, () =>
      this.docker.listContainers({all: true, filters: {label: labelFilter(ref.project, ref.stack, service)}}),
    );
    // The filter already selects them; the check keeps a misbehaving filter from touching others.
    return list.filter((c) => ownedBy(c.Labels, ref.project, ref.stack));
  }

  private async existing(ref: StackRef): Promise<ExistingContainer[]> {
    return (await this.containers(ref)).map(toExisting).filter((c) => c.service !== '');
  }

  // ---- from model to what the engine needs

  private usedNetworks(ref: StackRef, model: Project): NetworkUse[] {
    const keys = new Set<string>();
    for (const s of Object.values(model.services)) if (!s.network_mode) for (const k of Object.keys(s.networks)) keys.add(k);
    return [...keys].sort().map((key) => {
      const def = model.networks[key] ?? {};
      if (def.external === true) return {key, name: def.name ?? key, external: true};
      const name = networkName(ref, key);
      return {key, name, external: false, create: networkCreateOptions(ref, key, name, def)};
    });
  }

  private usedVolumes(ref: StackRef, model: Project): VolumeUse[] {
    const keys = new Set<string>();
    for (const s of Object.values(model.services)) for (const v of s.volumes) if (v.type === 'volume' && v.source !== undefined) keys.add(v.source);
    return [...keys].sort().map((key) => {
      const def = model.volumes[key] ?? {};
      const name = volumeName(ref.project, model, key);
      if (def.external === true) return {key, name, external: true};
      const legacy = legacyVolumeName(ref.project, model, key);
      return {key, name, external: false, create: volumeCreateOptions(ref, key, name, def), ...(legacy !== undefined && legacy !== name ? {legacy} : {})};
    });
  }

  /**
   * Settles which engine volume each volume key means. A stack deployed before volumes were scoped
   * per stack keeps the volume it used, data and all (chooseVolume); the choice is recorded so
   * that it holds after `spin rm` too.
   */
  private async chooseVolumes(ref: StackRef, uses: VolumeUse[], emit: Emit): Promise<VolumeUse[]> {
    if (!uses.some((u) => u.legacy !== undefined)) return uses;
    const recorded = await this.volumeChoices(ref);
    let mounted: Promise<Set<string>> | undefined;
    const mountedByStack = (name: string) => {
      mounted ??= this.containers(ref).then((list) => new Set(list.flatMap((c) => (c.Mounts ?? []).map((m) => m.Name ?? ''))));
      return mounted.then((names) => names.has(name));
    };
    return Promise.all(
      uses.map(async (u) => {
        const legacy = u.legacy;
        if (legacy === undefined) return u;
        const old = await this.inspectOrUndefined(() => this.docker.getVolume(legacy).inspect(), `inspect volume "${legacy}"`);
        if (!old || old.Name !== legacy) return u;
        const current = await this.inspectOrUndefined(() => this.docker.getVolume(u.name).inspect(), `inspect volume "${u.name}"`);
        const choice = chooseVolume({
          ref,
          current: {name: u.name, exists: current !== undefined},
          legacy: {name: legacy, labels: old.Labels, mountedByStack: await mountedByStack(legacy)},
          ...(recorded[u.key] !== undefined ? {recorded: recorded[u.key]} : {}),
        });
        if (!choice.legacy) return u;
        if (recorded[u.key] !== legacy) {
          emit('log', `volume "${u.key}" keeps engine volume "${legacy}", which this stack used before volumes were named per stack (a new stack's would be "${u.name}")`);
        }
        return {...u, name: legacy, keptLegacy: true, ...(u.create ? {create: {...u.create, Name: legacy}} : {})};
      }),
    );
  }

  /** Volume key → legacy engine volume, as earlier deploys of the stack chose (chooseVolumes). */
  private async volumeChoices(ref: StackRef): Promise<Record<string, string>> {
    try {
      const saved = JSON.parse(await readFile(volumeChoicesFile(this.secretsDir, ref), 'utf8')) as {volumes?: Record<string, unknown>};
      return Object.fromEntries(Object.entries(saved.volumes ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch {
      return {};
    }
  }

  private async saveVolumeChoices(ref: StackRef, p: Prepared): Promise<void> {
    const file = volumeChoicesFile(this.secretsDir, ref);
    const kept = Object.fromEntries(p.volumes.filter((v) => v.keptLegacy).map((v) => [v.key, v.name]));
    if (Object.keys(kept).length === 0) {
      await rm(file, {force: true});
      return;
    }
    await mkdir(join(this.secretsDir, ref.project, VOLUME_CHOICES_DIR), {recursive: true, mode: 0o700});
    const tmp = `${file}.tmp`;
    await writeFile(tmp, JSON.stringify({volumes: kept}) + '\n', {mode: 0o600});
    await rename(tmp, file);
  }

  /** Stack → the legacy volumes it keeps, for every stack of the project that keeps one. */
  private async projectVolumeChoices(project: string): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    const dir = join(this.secretsDir, project, VOLUME_CHOICES_DIR);
    for (const entry of await readdir(dir).catch(() => [] as string[])) {
      const stack = entry.replace(/\.json$/, '');
      if (!entry.endsWith('.json') || !DNS_LABEL.test(stack)) continue;
      out.set(stack, Object.values(await this.volumeChoices({project, stack})));
    }
    return out;
  }

  /**
   * Resolves everything the hash and the create calls need. With `pull`, missing images are
   * pulled (a deploy); without, a missing image only marks the service as changed (a plan).
   */
  private async prepare(ref: StackRef, model: Project, secrets: Record<string, Buffer> | undefined, pull: boolean, emit: Emit, options: PrepareOptions = {}): Promise<Prepared> {
    checkRef(ref);
    const networks = this.usedNetworks(ref, model);
    const volumes = await this.chooseVolumes(ref, this.usedVolumes(ref, model), emit);
    const volumeNames = Object.fromEntries(volumes.map((v) => [v.key, v.name]));
    const images = new Map<string, Promise<{id: string; digest: string}>>();
    const resolve = (name: string, service: Service) => {
      const image = service.image;
      if (!image) {
        throw new InvalidInputError(`service "${name}" has no image`, {hint: 'build and push it (`spin build`, `spin push`), then deploy the image reference'});
      }
      const policy = pull && options.pull?.has(name) ? 'always' : typeof service.pull_policy === 'string' ? service.pull_policy : 'missing';
      let found = images.get(`${image}\n${policy}`);
      if (!found) {
        found = this.resolveImage(image, policy, pull, (msg) => emit('pull', msg, name));
        images.set(`${image}\n${policy}`, found);
      }
      return found;
    };
    const services = new Map<string, PreparedService>();
    const names = Object.keys(model.services).sort();
    for (const name of names) checkServiceName(name);
    for (const name of names) this.checkSharedNetwork(ref, model, name);
    await Promise.all(
      names.map(async (name) => {
        const service = model.services[name];
        const {id, digest} = await resolve(name, service);
        const files = serviceFiles(model, name, secrets ?? {}, secrets !== undefined);
        const serviceNetworks: Record<string, string> = {};
        if (!service.network_mode) for (const key of Object.keys(service.networks)) serviceNetworks[key] = networks.find((n) => n.key === key)?.name ?? networkName(ref, key);
        const usedVolumes = service.volumes.filter((v) => v.type === 'volume' && v.source !== undefined).map((v) => volumeNames[v.source as string]);
        const hash = configHash(service, {imageId: id, files: fileDigests(files), networks: Object.values(serviceNetworks), volumes: usedVolumes});
        const monitor = service.deploy?.update_config?.monitor;
        const ingress = ingressRequest(service, name);
        const override = options.updateConfigs && Object.hasOwn(options.updateConfigs, name);
        const rollout = override
          ? rolloutSettings(name, service, options.updateConfigs?.[name], ingress !== undefined, 'rollback_config')
          : rolloutSettings(name, service, service.deploy?.update_config, ingress !== undefined);
        const prepared: PreparedService = {
          name,
          service,
          replicas: desiredReplicas(service),
          image: service.image as string,
          imageId: id,
          digest,
          files,
          networks: serviceNetworks,
          configHash: hash,
          oneShot: isOneShot(service),
          monitorMs: monitor !== undefined && monitor > 0 ? monitor / 1e6 : DEFAULT_MONITOR_MS,
          rollout,
          ...(ingress ? {ingress} : {}),
        };
        const fixed = service.ports.find((port) => port.published !== undefined && !port.published.includes('-'));
        if (prepared.replicas > 1 && fixed) {
          throw new InvalidInputError(`service "${name}" publishes host port ${fixed.published} and wants ${prepared.replicas} replicas, but only one container can listen on a host port`, {
            hint: replicaPortsHint(prepared.replicas, fixed.target, this.allowedPorts),
          });
        }
        // Building one spec now reports a model the engine cannot run before anything changes. The
        // container whose network it may join is only known once its service is applied.
        containerSpec(service, {...this.specContext(ref, prepared, 1, 0, volumeNames, []), networkContainer: 'unresolved'});
        services.set(name, prepared);
      }),
    );
    return {ref, model, services, networks, volumes, volumeNames};
  }

  /**
   * `network_mode: service:x` joins a replica of service x of this stack: x must be one of the
   * stack's services and run at least one replica.
   */
  private checkSharedNetwork(ref: StackRef, model: Project, name: string): void {
    const target = sharedNetworkService(name, model.services[name]);
    if (target === undefined) return;
    const other = Object.hasOwn(model.services, target) && target !== name ? model.services[target] : undefined;
    if (!other || desiredReplicas(other) === 0) {
      throw new InvalidInputError(
        `service "${name}" joins the network of service "${target}" (network_mode: service:${target}), but ${other ? `"${target}" runs 0 replicas` : `stack "${ref.project}/${ref.stack}" has no other service "${target}"`}`,
        {hint: `give "${target}" at least one replica in this stack, or remove network_mode from "${name}"`},
      );
    }
  }

  /**
   * The container whose network a `network_mode: service:x` replica joins, found by the stack's
   * labels (never by name, which another stack could hold): a running replica first, lowest
   * replica number first.
   */
  private async networkContainer(ref: StackRef, name: string, target: string): Promise<string> {
    const found = (await this.containers(ref, target)).filter((c) => c.Labels[LABELS.service] === target);
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

  private async resolveImage(image: string, policy: string, pull: boolean, progress: (message: string) => void): Promise<{id: string; digest: string}> {
    // Only an image the reference names: never one the engine found by an ID or ID prefix.
    let info = policy === 'always' && pull ? undefined : await inspectNamedImage(this.docker, image);
    if (!info) {
      if (policy === 'never' || policy === 'build') {
        throw new OperationError(`image "${image}" is not on the engine and its pull_policy is "${policy}"`, {hint: 'push the image to a registry and remove pull_policy, or build it on the engine first'});
      }
      if (!pull) return {id: `absent:${image}`, digest: image};
      progress(`pulling ${image}`);
      await pullImage(this.docker, image, this.registryAuth, progress);
      info = await inspectNamedImage(this.docker, image);
      if (!info) throw new OperationError(`image "${image}" is not on the engine after pulling it`, {hint: 'pull it by hand (`docker pull`) to see what the registry answers'});
    }
    return {id: info.Id, digest: digestOf(info, image)};
  }

  private specContext(ref: StackRef, s: PreparedService, replica: number, revision: number, volumes: Record<string, string>, files: SpecContext['files']): SpecContext {
    return {
      ref,
      service: s.name,
      replica,
      replicas: s.replicas,
      revision,
      configHash: s.configHash,
      image: s.image,
      networks: s.networks,
      volumes,
      files,
      publishHostIp: this.publishHostIp,
      ...(s.ingress ? {ingress: s.ingress} : {}),
    };
  }

  /** Networks and volumes the engine does not have yet; refuses names owned by someone else. */
  private async missingResources(p: Prepared): Promise<{networks: string[]; volumes: string[]}> {
    const {ref} = p;
    const missing = {networks: [] as string[], volumes: [] as string[]};
    for (const n of p.networks) {
      const info = await this.inspectOrUndefined(() => this.docker.getNetwork(n.name).inspect() as Promise<{Name: string; Labels?: Record<string, string>}>, `inspect network "${n.name}"`);
      if (!info) {
        if (n.external) throw new InvalidInputError(`external network "${n.name}" does not exist`, {hint: 'external networks must be created by the project beforehand, or drop `external: true`'});
        missing.networks.push(n.name);
      } else {
        checkExisting('network', ref, n, info);
      }
    }
    for (const v of p.volumes) {
      const info = await this.inspectOrUndefined(() => this.docker.getVolume(v.name).inspect(), `inspect volume "${v.name}"`);
      if (!info) {
        if (v.external) throw new InvalidInputError(`external volume "${v.name}" does not exist`, {hint: `create it in project "${ref.project}" first, or drop \`external: true\``});
        missing.volumes.push(v.name);
      } else {
        checkExisting('volume', ref, v, info);
      }
    }
    return missing;
  }

  private async inspectOrUndefined<T>(fn: () => Promise<T>, doing: string): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw engineError(err, doing);
    }
  }

  /** Without `secrets`, missing secret values are not an error (and services using secrets show as changed). */
  async plan(ref: StackRef, model: Project, secrets?: Record<string, Buffer>): Promise<Plan> {
    return publicPlan(await this.detailedPlan(await this.prepare(ref, model, secrets, false, () => undefined)));
  }

  private async detailedPlan(p: Prepared): Promise<DetailedPlan> {
    const wanted = [...p.services.values()].map((s) => ({service: s.name, replicas: s.replicas, configHash: s.configHash, imageId: s.imageId}));
    const [existing, missing] = await Promise.all([this.existing(p.ref), this.missingResources(p)]);
    const plan = planStack(wanted, existing, missing);
    rejoinSharedNetworks(plan, p.model.services);
    await this.checkNamesFree(p.ref, plan);
    await this.checkHosts(p);
    for (const sp of plan.services) {
      const s = p.services.get(sp.service);
      if (sp.action !== 'recreate' || !s) continue;
      sp.rollout = plan.steps[sp.service].recreate.every((c) => finishedRun(s, c))
        ? rolloutPlan({...s.rollout, order: 'stop-first', why: 'a one-shot: the old run goes, the new one runs to completion', parallelism: 0, delayMs: 0, monitorMs: 0})
        : rolloutPlan(s.rollout);
    }
    return plan;
  }

  /**
   * A host name routes to one service only. Names under the agent's domain belong to the stack
   * whose default names they extend (`*.<stack>.<project>.<domain>`), so no project can take
   * another's; any other name goes to the first stack that asks for it.
   */
  private async checkHosts(p: Prepared): Promise<void> {
    if (!this.ingress) return;
    const {domain} = this.ingress;
    const {ref} = p;
    const mine = new Map<string, string>();
    for (const s of p.services.values()) {
      if (!s.ingress) continue;
      const host = s.ingress.host ?? defaultHost(ref.project, ref.stack, s.name, domain);
      const own = `${ref.stack}.${ref.project}.${domain}`;
      if (s.ingress.host && (host === domain || host.endsWith(`.${domain}`)) && host !== own && !host.endsWith(`.${own}`)) {
        throw new InvalidInputError(`service "${s.name}" asks for host name "${host}", which is outside its stack's names under "${domain}"`, {
          hint: `use a name ending in ".${own}", a name outside "${domain}", or leave the host out for "${defaultHost(ref.project, ref.stack, s.name, domain)}"`,
        });
      }
      const other = mine.get(host);
      if (other !== undefined) {
        throw new InvalidInputError(`services "${other}" and "${s.name}" both ask for host name "${host}"`, {hint: 'give each service its own host name'});
      }
      mine.set(host, s.name);
    }
    if (mine.size === 0) return;
    const list = await engineCall('list the ingress containers', () => this.docker.listContainers({all: true, filters: {label: [`${LABELS.managed}=true`, LABELS.ingressPort]}}));
    for (const c of list) {
      const labels = c.Labels ?? {};
      const [project, stack, service] = [labels[LABELS.project], labels[LABELS.stack], labels[LABELS.service]];
      if (!project || !stack || !service || (project === ref.project && stack === ref.stack)) continue;
      const host = labels[LABELS.ingressHost] || defaultHost(project, stack, service, domain);
      if (!mine.has(host)) continue;
      const owner = project === ref.project ? `stack "${stack}" of this project` : 'a stack of another project';
      throw new EngineError('engine.conflict', `host name "${host}" asked for by service "${mine.get(host)}" is already served by ${owner}`, {
        hint: 'choose another host name under x-spin.ingress.host, or remove the other stack first',
      });
    }
  }

  /** A container Spin would create must not have its name taken by someone else's container. */
  private async checkNamesFree(ref: StackRef, plan: DetailedPlan): Promise<void> {
    const wanted = new Set(Object.entries(plan.steps).flatMap(([service, steps]) => steps.create.map((n) => containerName(ref, service, n))));
    if (wanted.size === 0) return;
    // The engine's name filter is a regular expression: the dots are escaped.
    const prefix = `^/${containerPrefix(ref).replaceAll('.', '\\.')}`;
    const found = await engineCall('list containers', () => this.docker.listContainers({all: true, filters: {name: [prefix]}}));
    for (const c of found) {
      const name = (c.Names?.[0] ?? '').replace(/^\//, '');
      if (wanted.has(name) && !ownedBy(c.Labels, ref.project, ref.stack)) {
        throw new EngineError('engine.conflict', `container name "${name}" is taken by a container that ${describeOwner(c.Labels)}`, {
          hint: `remove or rename that container (docker rm -f ${name}), or deploy under another stack name`,
        });
      }
    }
  }

  // ---- deploy

  async deploy(request: DeployRequest): Promise<DeployResult> {
    const {ref, model} = request;
    const emit: Emit = (type, message, service, replica) => {
      const event: DeployEvent = {type, time: new Date(this.clock.now()).toISOString(), message};
      if (service !== undefined) event.service = service;
      if (replica !== undefined) event.replica = replica;
      request.onEvent?.(event);
    };
    request.signal?.throwIfAborted();
    const prepared = await this.prepare(ref, model, request.secrets, true, emit, {updateConfigs: request.updateConfigs, pull: new Set(request.pull ?? [])});
    const plan = await this.detailedPlan(prepared);
    const line = (s: DetailedPlan['services'][number]) => `${s.service}: ${s.action} (${s.reason}${s.rollout ? `; ${s.rollout.summary}` : ''})`;
    emit('plan', plan.noop ? 'nothing to change' : plan.services.filter((s) => s.action !== 'keep' || s.reason !== 'unchanged').map(line).join('; '));
    if (!this.ingress) {
      const asking = [...prepared.services.values()].filter((s) => s.ingress).map((s) => `"${s.name}"`);
      if (asking.length > 0) emit('log', `${asking.join(', ')} ask${asking.length === 1 ? 's' : ''} for the ingress, but this agent runs without one: reach ${asking.length === 1 ? 'it' : 'them'} through published ports (an admin starts the agent with --ingress-listen)`);
    }
    const images = Object.fromEntries([...prepared.services.values()].map((s) => [s.name, s.digest]));

    const failCtl = new AbortController();
    const signals = [failCtl.signal, AbortSignal.timeout(Math.max(0, request.timeoutMs))];
    if (request.signal) signals.push(request.signal);
    const waitSignal = AbortSignal.any(signals);
    let failure: FailureDetail | undefined;
    const fail = (detail: FailureDetail) => {
      if (failure) return;
      failure = detail;
      emit('failed', `${detail.service}${detail.replica ? ` replica ${detail.replica}` : ''} ${detail.reason}`, detail.service, detail.replica);
      failCtl.abort();
    };

    await this.createResources(prepared, plan);
    const events = await ContainerEvents.open(this.docker, ref);
    const ready = new Set<string>();
    const held = new Set<string>();
    const applyContext: ApplyContext = {events, signal: waitSignal, noWait: request.noWait === true, fail, held};
    try {
      await this.removeGone(plan, emit);
      const tracked = new Map<string, Tracked[]>();
      const waits = new Map<string, Promise<boolean>>();
      const waitService = (name: string, want: 'healthy' | 'completed'): Promise<boolean> => {
        const key = `${name}\n${want}`;
        let w = waits.get(key);
        if (!w) {
          w = this.waitService(prepared.services.get(name) as PreparedService, tracked.get(name) ?? [], want, events, waitSignal, emit, fail, held);
          waits.set(key, w);
        }
        return w;
      };
      const applied = new Map<string, Promise<boolean>>();
      const applyInOrder = (name: string): Promise<boolean> => {
        let task = applied.get(name);
        if (!task) {
          task = (async () => {
            for (const [dep, d] of Object.entries(serviceDependencies(name, model.services[name]))) {
              if (!prepared.services.has(dep)) continue;
              if (!(await applyInOrder(dep))) return false;
              if (d.condition === 'service_healthy' || d.condition === 'service_completed_successfully') {
                const want = d.condition === 'service_healthy' ? 'healthy' : 'completed';
                emit('waiting', `waiting for "${dep}" to be ${want === 'healthy' ? 'healthy' : 'completed'}`, name);
                if (!(await waitService(dep, want))) return false;
              }
            }
            if (waitSignal.aborted) return false;
            try {
              tracked.set(name, await this.applyService(prepared, plan, name, request.revision, emit, applyContext));
              return true;
            } catch (err) {
              if (!isSpinFailure(err)) throw err;
              fail({service: name, reason: `could not be started: ${err.message}`, ...(err.hint ? {hint: err.hint} : {}), logs: []});
              return false;
            }
          })();
          applied.set(name, task);
        }
        return task;
      };
      const order = dependencyOrder(model);
      await Promise.all(order.map((name) => applyInOrder(name)));
      if (!failure && !request.noWait && !waitSignal.aborted) {
        await Promise.all(
          order.map(async (name) => {
            // Replicas a rollout already found healthy are not waited for again (nor announced twice).
            if (tracked.get(name)?.some((c) => c.fresh && !c.proven)) emit('waiting', `waiting for "${name}" to be healthy`, name);
            if (await waitService(name, 'healthy')) ready.add(name);
          }),
        );
      }
      await this.saveDesired(ref, prepared);
      await this.saveVolumeChoices(ref, prepared);
      await pruneServiceDirs(this.secretsDir, ref, new Set(prepared.services.keys()));
    } finally {
      events.close();
      // Whatever the outcome, the proxy goes back to following the engine's health alone.
      if (this.ingress) {
        const hooks = this.ingress.hooks;
        await Promise.all([...held].map((id) => hooks.release(id))).catch(() => undefined);
        await hooks.sync().catch(() => undefined);
      }
    }
    if (request.signal?.aborted) throw request.signal.reason ?? new OperationError('the deploy was interrupted');

    const status = await this.status(ref);
    const result: DeployResult = {plan: publicPlan(plan), outcome: 'healthy', status, images};
    if (failure) {
      result.outcome = 'failed';
      result.failure = failure;
    } else if (request.noWait) {
      result.outcome = 'started';
    } else {
      const pending = [...prepared.services.values()].filter((s) => s.replicas > 0 && !ready.has(s.name)).map((s) => s.name);
      if (pending.length > 0) {
        result.outcome = 'timeout';
        const first = status.services.find((s) => s.service === pending[0])?.replicas.find((r) => r.health !== 'healthy');
        result.failure = {
          service: pending[0],
          ...(first ? {replica: first.replica} : {}),
          reason: `not healthy within ${Math.round(request.timeoutMs / 1000)}s: ${pending.map((n) => `"${n}"`).join(', ')} still starting or waiting`,
          logs: first ? await this.lastLogs(first.id) : [],
        };
      }
    }
    return result;
  }

  private async createResources(p: Prepared, plan: DetailedPlan): Promise<void> {
    for (const n of p.networks) {
      const options = n.create;
      if (!options || !plan.create.networks.includes(n.name)) continue;
      await engineCall(`create network "${n.name}"`, () => this.docker.createNetwork(options));
    }
    for (const v of p.volumes) {
      const options = v.create;
      if (!options || !plan.create.volumes.includes(v.name)) continue;
      await engineCall(`create volume "${v.name}"`, () => this.docker.createVolume(options));
    }
  }

  private async removeGone(plan: DetailedPlan, emit: Emit): Promise<void> {
    const gone = plan.services.filter((s) => s.action === 'remove').map((s) => s.service);
    await Promise.all(gone.flatMap((name) => plan.steps[name].remove.map((c) => this.retire(c, emit))));
  }

  /** Stops and removes a replica; one behind the ingress leaves the proxy first. */
  private async retire(c: Pick<ExistingContainer, 'id' | 'name' | 'service' | 'replica' | 'ingress'>, emit: Emit): Promise<void> {
    if (c.ingress && this.ingress) {
      emit('drain', `draining ${c.name}: out of the ingress before it stops`, c.service, c.replica);
      await this.ingress.hooks.drain(c.id);
    }
    await this.removeContainer(c, emit);
  }

  private async removeContainer(c: Pick<ExistingContainer, 'id' | 'name' | 'service' | 'replica'>, emit?: Emit): Promise<void> {
    const container = this.docker.getContainer(c.id);
    emit?.('stop', `stopping ${c.name}`, c.service, c.replica);
    const stopping = this.clock.now();
    await this.ignoring([304, 404], `stop container "${c.name}"`, () => container.stop());
    const tookMs = this.clock.now() - stopping;
    if (emit && tookMs >= SLOW_STOP_MS) await this.reportSlowStop(c, tookMs, emit);
    emit?.('remove', `removing ${c.name}`, c.service, c.replica);
    await this.ignoring([404], `remove container "${c.name}"`, () => container.remove({v: true, force: true}));
  }

  /**
   * A stop that took the whole timeout because the main process ignored the signal: said once per
   * service and deploy (a `log` event, so it stays on screen), with the fix.
   */
  private async reportSlowStop(c: Pick<ExistingContainer, 'id' | 'service' | 'replica'>, tookMs: number, emit: Emit): Promise<void> {
    const told = this.slowStops.get(emit) ?? new Set<string>();
    this.slowStops.set(emit, told);
    if (told.has(c.service)) return;
    const info = await this.docker.getContainer(c.id).inspect().catch(() => undefined);
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
    told.add(c.service);
    emit('log', hint);
  }

  /** Runs an engine call where some statuses mean "already so" (304 not modified, 404 gone). */
  private async ignoring(statuses: number[], doing: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      const status = statusOf(err);
      if (status === undefined || !statuses.includes(status)) throw engineError(err, doing);
    }
  }

  private async applyService(p: Prepared, plan: DetailedPlan, name: string, revision: number, emit: Emit, ctx: ApplyContext): Promise<Tracked[]> {
    const s = p.services.get(name) as PreparedService;
    const steps = plan.steps[name];
    const mounts = await writeServiceFiles(this.secretsDir, p.ref, name, s.files).catch((err: unknown) => {
      throw new OperationError(`cannot write the secret files of service "${name}" under "${this.secretsDir}": ${(err as Error).message}`, {
        hint: 'check that the agent can write to its data folder',
        cause: err,
      });
    });
    await Promise.all(steps.remove.map((c) => this.retire(c, emit)));
    const shared = sharedNetworkService(name, s.service);
    let networkContainer: string | undefined;
    const create = async (replica: number, as?: string): Promise<Started> => {
      if (shared !== undefined) networkContainer ??= await this.networkContainer(p.ref, name, shared);
      const spec = containerSpec(s.service, {...this.specContext(p.ref, s, replica, revision, p.volumeNames, mounts), ...(networkContainer ? {networkContainer} : {})});
      const cname = as ?? spec.name;
      const id = await this.createContainer(p.ref, cname, {...spec.options, name: cname});
      emit('create', `created ${cname}`, name, replica);
      try {
        for (const c of spec.connect) {
          await engineCall(`connect container "${cname}" to network "${c.network}"`, () => this.docker.getNetwork(c.network).connect({Container: id, EndpointConfig: c.endpoint}));
        }
      } catch (err) {
        // Its config hash says it is on every network: a later deploy would start it as it is.
        await this.removeContainer({id, name: cname, service: name, replica}).catch(() => undefined);
        throw err;
      }
      this.hold(s, id, ctx);
      await this.startContainer(id, cname);
      emit('start', `started ${cname}`, name, replica);
      return {id, replica, fresh: true, name: cname};
    };
    // A replica left under its temporary name by an interrupted rollout gets its own name back.
    for (const c of [...steps.keep, ...steps.start]) {
      const proper = containerName(p.ref, name, c.replica);
      if (c.name !== proper) await this.rename(c.id, proper);
    }
    const rolling = steps.recreate.filter((c) => !finishedRun(s, c));
    const results = await Promise.all([
      ...steps.create.map((n) => create(n)),
      ...steps.recreate
        .filter((c) => finishedRun(s, c))
        .map(async (c) => {
          await this.retire(c, emit);
          return create(c.replica);
        }),
      ...steps.start.map(async (c) => {
        this.hold(s, c.id, ctx);
        await this.startContainer(c.id, c.name);
        emit('start', `started ${c.name}`, name, c.replica);
        return {id: c.id, replica: c.replica, fresh: true};
      }),
    ]);
    const rolled = rolling.length > 0 ? await this.rollService(p.ref, s, rolling, create, emit, ctx) : [];
    const kept = steps.keep.map((c) => ({id: c.id, replica: c.replica, fresh: false}));
    return [...kept, ...results.map(({id, replica, fresh}) => ({id, replica, fresh})), ...rolled].sort((a, b) => a.replica - b.replica);
  }

  /** A fresh replica behind the ingress takes no traffic until the deploy finds it healthy. */
  private hold(s: PreparedService, id: string, ctx: ApplyContext): void {
    if (!s.ingress || !this.ingress) return;
    this.ingress.hooks.hold(id);
    ctx.held.add(id);
  }

  private async admit(id: string, ctx: ApplyContext): Promise<void> {
    if (!ctx.held.delete(id) || !this.ingress) return;
    await this.ingress.hooks.release(id);
  }

  private async rename(id: string, name: string): Promise<void> {
    await engineCall(`rename a container to "${name}"`, () => this.docker.getContainer(id).rename({name}));
  }

  /**
   * Replaces running replicas under the service's rollout settings (rollout.ts). Start-first
   * replacements run under a temporary name beside the replica they replace, and take its name
   * once it is gone; a crash in between leaves both, and the next deploy keeps the one with the
   * replica's own name.
   */
  private async rollService(ref: StackRef, s: PreparedService, olds: ExistingContainer[], create: (replica: number, as?: string) => Promise<Started>, emit: Emit, ctx: ApplyContext): Promise<Tracked[]> {
    const settings = s.rollout;
    const current = new Map<number, Tracked>(olds.map((c) => [c.replica, {id: c.id, replica: c.replica, fresh: false}]));
    const alias = (replica: number) => replicaAlias(s.name, replica);
    await rollOut<ExistingContainer, Started>(olds, settings, {
      start: async (old, beside) => {
        const started = await create(old.replica, beside ? `${containerName(ref, s.name, old.replica)}_next` : undefined);
        if (!beside) current.set(old.replica, {id: started.id, replica: old.replica, fresh: true});
        return started;
      },
      healthy: async (n) => {
        if (ctx.noWait) return {ok: true};
        emit('waiting', `waiting for ${alias(n.replica)} to be healthy`, s.name, n.replica);
        const verdict = await this.verdict(s, n, 'healthy', ctx.events, ctx.signal);
        if (!verdict) return {ok: false, reason: 'was not healthy when the deploy stopped waiting'};
        if (verdict.state === 'failed') return {ok: false, reason: verdict.reason};
        emit(...passed(verdict, alias(n.replica)), s.name, n.replica);
        return {ok: true};
      },
      monitor: async (list, ms) => {
        const broke = new Map<Started, string>();
        emit('waiting', `monitoring ${list.map((n) => alias(n.replica)).join(', ')} for ${ms / 1000}s`, s.name);
        const watched = await sleep(ms, true, {signal: ctx.signal}).catch(() => false);
        if (!watched) return broke;
        await Promise.all(
          list.map(async (n) => {
            const verdict = await this.verdict(s, n, 'healthy', ctx.events, ctx.signal);
            if (verdict?.state === 'failed') broke.set(n, verdict.reason);
          }),
        );
        return broke;
      },
      admit: async (n) => {
        await this.admit(n.id, ctx);
        if (current.get(n.replica)?.id === n.id) current.set(n.replica, {id: n.id, replica: n.replica, fresh: true, proven: true});
      },
      retire: (old) => this.retire(old, emit),
      discard: async (n) => {
        ctx.held.delete(n.id);
        await this.removeContainer({id: n.id, name: n.name, service: s.name, replica: n.replica}, emit);
      },
      promote: async (n) => {
        await this.rename(n.id, containerName(ref, s.name, n.replica));
        current.set(n.replica, {id: n.id, replica: n.replica, fresh: true, proven: true});
      },
      failed: async (old, reason, {replacement, halts, hint}) => {
        // A deploy that already gave up (timeout, another failure) reports that instead.
        if (ctx.signal.aborted) return;
        const logs = replacement ? await this.lastLogs(replacement.id) : [];
        if (halts) {
          ctx.fail({service: s.name, replica: old.replica, reason, ...(hint ? {hint} : {}), logs});
          return;
        }
        emit('failed', `${alias(old.replica)} ${reason}; the rollout goes on (failure_action ${settings.failureAction}, max_failure_ratio ${settings.maxFailureRatio})`, s.name, old.replica);
      },
      wait: (ms) => sleep(ms, undefined, {signal: ctx.signal}).catch(() => undefined),
      aborted: () => ctx.signal.aborted,
    });
    return [...current.values()];
  }

  private async createContainer(ref: StackRef, name: string, options: Docker.ContainerCreateOptions): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.docker.createContainer(options)).id;
      } catch (err) {
        if (statusOf(err) !== 409 || attempt > 0) throw engineError(err, `create container "${name}"`);
        const other = await this.inspectOrUndefined(() => this.docker.getContainer(name).inspect(), `inspect container "${name}"`);
        if (other && !ownedBy(other.Config.Labels, ref.project, ref.stack)) {
          throw new EngineError('engine.conflict', `container name "${name}" is taken by a container that ${describeOwner(other.Config.Labels)}`, {
            hint: `remove or rename that container (docker rm -f ${name}), or deploy under another stack name`,
          });
        }
        // Ours but not in the listing (a deploy interrupted mid-way): replace it.
        if (other) await this.removeContainer({id: other.Id, name, service: '', replica: 0});
      }
    }
  }

  private async startContainer(id: string, name: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      if (statusOf(err) === 304) return;
      const message = engineMessage(err);
      const clash = hostPortInUse(message);
      if (clash) {
        const words = hostPortMessage(clash);
        throw new OperationError(`cannot start container "${name}": ${words.message}`, {hint: words.hint, cause: err});
      }
      const hint = /no such file or directory|executable file not found/i.test(message) ? 'check the command and entrypoint: the program must exist in the image' : undefined;
      throw new OperationError(`cannot start container "${name}": ${message}`, {hint, cause: err});
    }
  }

  /** The healthcheck probe of a fresh replica; a pass is remembered for status. */
  private probeOf(id: string, service: Service): {probe?: () => Promise<boolean>} {
    const probe = healthProbe(this.docker, id, service);
    if (!probe) return {};
    return {
      probe: async () => {
        const ok = await probe();
        if (ok) {
          // Bounded: entries go when status sees the engine's verdict; a runaway set is dropped.
          if (this.probedHealthy.size >= 10_000) this.probedHealthy.clear();
          this.probedHealthy.add(id);
        }
        return ok;
      },
    };
  }

  private async verdict(s: PreparedService, c: Pick<Tracked, 'id' | 'fresh'>, want: 'healthy' | 'completed', events: ContainerEvents, signal: AbortSignal) {
    try {
      return await waitContainer(this.docker, events, c.id, {
        oneShot: s.oneShot,
        monitorMs: s.monitorMs,
        want,
        pollMs: this.pollMs,
        now: () => this.clock.now(),
        signal,
        ...(c.fresh ? {restartBaseline: 0} : {}),
        // Behind the ingress, traffic follows the engine's own health status: wait for it there.
        ...(s.ingress === undefined ? this.probeOf(c.id, s.service) : {}),
      });
    } catch (err) {
      return {state: 'failed' as const, reason: `could not be inspected: ${engineError(err, 'inspect').message}`};
    }
  }

  private async waitService(
    s: PreparedService,
    containers: Tracked[],
    want: 'healthy' | 'completed',
    events: ContainerEvents,
    signal: AbortSignal,
    emit: Emit,
    fail: (detail: FailureDetail) => void,
    held: Set<string>,
  ): Promise<boolean> {
    const verdicts = await Promise.all(
      containers.map(async (c) => {
        const verdict = await this.verdict(s, c, want, events, signal);
        if (!verdict) return false;
        if (verdict.state === 'failed') {
          fail({service: s.name, replica: c.replica, reason: verdict.reason, logs: await this.lastLogs(c.id)});
          return false;
        }
        if (verdict.state !== 'done' && this.ingress && held.delete(c.id)) await this.ingress.hooks.release(c.id);
        if (!c.proven) emit(...passed(verdict, replicaAlias(s.name, c.replica)), s.name, c.replica);
        return true;
      }),
    );
    return verdicts.every(Boolean);
  }

  private async lastLogs(id: string): Promise<string[]> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      const raw = (await this.docker.getContainer(id).logs({stdout: true, stderr: true, tail: FAILURE_LOG_LINES, follow: false})) as unknown as Buffer;
      const lines: string[] = [];
      for await (const l of containerLines(raw, info.Config.Tty === true)) lines.push(l.line);
      return lines.slice(-FAILURE_LOG_LINES);
    } catch {
      return [];
    }
  }

  // ---- desired replica counts

  private async saveDesired(ref: StackRef, p: Prepared): Promise<void> {
    const dir = stackFilesDir(this.secretsDir, ref);
    await mkdir(dir, {recursive: true, mode: 0o700});
    const replicas = Object.fromEntries([...p.services.values()].map((s) => [s.name, s.replicas]));
    const tmp = join(dir, `${STATE_FILE}.tmp`);
    await writeFile(tmp, JSON.stringify({replicas}) + '\n', {mode: 0o600});
    await rename(tmp, join(dir, STATE_FILE));
  }

  private async loadDesired(ref: StackRef): Promise<Record<string, number> | undefined> {
    try {
      const state = JSON.parse(await readFile(join(stackFilesDir(this.secretsDir, ref), STATE_FILE), 'utf8')) as {replicas?: Record<string, unknown>};
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(state.replicas ?? {})) if (typeof v === 'number') out[k] = v;
      return out;
    } catch {
      return undefined;
    }
  }

  // ---- status

  async status(ref: StackRef): Promise<StackStatus> {
    checkRef(ref);
    const list = await this.containers(ref);
    const infos = await Promise.all(list.map((c) => this.inspectOrUndefined(() => this.docker.getContainer(c.Id).inspect(), `inspect container "${c.Names?.[0] ?? c.Id}"`)));
    const desired = await this.loadDesired(ref);
    const digests = new Map<string, Promise<string | undefined>>();
    const digest = (imageId: string, image: string) => {
      let d = digests.get(imageId);
      if (!d) {
        d = inspectImage(this.docker, imageId).then((info) => (info ? digestOf(info, image) : undefined)).catch(() => undefined);
        digests.set(imageId, d);
      }
      return d;
    };
    const byService = new Map<string, Docker.ContainerInspectInfo[]>();
    for (const info of infos) {
      const service = info?.Config.Labels?.[LABELS.service];
      if (!info || !service) continue;
      byService.set(service, [...(byService.get(service) ?? []), info]);
    }
    for (const name of Object.keys(desired ?? {})) if (!byService.has(name)) byService.set(name, []);
    let revision: number | undefined;
    const services: ServiceStatus[] = [];
    for (const [name, containers] of [...byService.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      containers.sort((a, b) => Number(a.Config.Labels[LABELS.replica]) - Number(b.Config.Labels[LABELS.replica]));
      const replicas: ReplicaStatus[] = containers.map((info) => {
        const labels = info.Config.Labels;
        let health = (info.State as {Health?: {Status?: string}}).Health?.Status;
        if (health === 'starting' && info.State.Status === 'running' && this.probedHealthy.has(info.Id)) health = 'healthy';
        else this.probedHealthy.delete(info.Id);
        const r: ReplicaStatus = {
          replica: Number(labels[LABELS.replica]),
          container: info.Name.replace(/^\//, ''),
          id: info.Id,
          state: info.State.Status,
          health: health === 'healthy' || health === 'unhealthy' || health === 'starting' ? health : 'none',
        };
        if (info.State.Status !== 'running' && info.State.Status !== 'created') r.exitCode = info.State.ExitCode;
        if (info.State.StartedAt && !info.State.StartedAt.startsWith('0001-')) r.startedAt = info.State.StartedAt;
        const rev = Number(labels[LABELS.revision]);
        if (Number.isSafeInteger(rev)) {
          r.revision = rev;
          revision = Math.max(revision ?? rev, rev);
        }
        if (labels[LABELS.configHash]) r.configHash = labels[LABELS.configHash];
        return r;
      });
      const newest = containers.reduce<Docker.ContainerInspectInfo | undefined>((a, c) => (!a || c.Created > a.Created ? c : a), undefined);
      const ports = new Map<string, ServiceStatus['ports'][number]>();
      for (const info of containers) {
        const internal = proxyBinding(info);
        for (const [key, bindings] of Object.entries(info.NetworkSettings.Ports ?? {})) {
          const [target, protocol] = key.split('/');
          for (const b of bindings ?? []) {
            if (b === internal) continue;
            const port = {published: b.HostPort, target: Number(target), protocol, ...(b.HostIp ? {hostIp: b.HostIp} : {})};
            ports.set(`${port.hostIp}|${port.published}|${key}`, port);
          }
        }
      }
      const running = replicas.filter((r) => r.state === 'running').length;
      // Healthy only by a healthcheck that passes: a replica without one is running, no more.
      const healthy = replicas.filter((r) => r.health === 'healthy' && r.state === 'running').length;
      const status: ServiceStatus = {
        service: name,
        image: newest?.Config.Image ?? '',
        desired: desired?.[name] ?? (newest ? Number(newest.Config.Labels[LABELS.replicas] ?? containers.length) : 0),
        running,
        healthy,
        ports: [...ports.values()],
        replicas,
      };
      const ingress = newest ? this.ingressAddress(ref, name, newest.Config.Labels) : undefined;
      if (ingress) status.ingress = ingress;
      const d = newest ? await digest(newest.Image, newest.Config.Image) : undefined;
      if (d) status.imageDigest = d;
      services.push(status);
    }
    return {ref, services, ...(revision !== undefined ? {revision} : {})};
  }

  /** The host name and URL a service behind the ingress answers on, from its container's labels. */
  private ingressAddress(ref: StackRef, service: string, labels: Record<string, string>): ServiceStatus['ingress'] {
    if (!this.ingress || !labels[LABELS.ingressPort]) return undefined;
    const host = labels[LABELS.ingressHost] || defaultHost(ref.project, ref.stack, service, this.ingress.domain);
    const port = this.ingress.port;
    return {host, url: `http://${host}${port === undefined || port === 80 ? '' : `:${port}`}`};
  }

  async stacks(project?: string): Promise<StackRef[]> {
    const label = [`${LABELS.managed}=true`, ...(project !== undefined ? [`${LABELS.project}=${project}`] : [])];
    const [containers, networks] = await Promise.all([
      engineCall('list containers', () => this.docker.listContainers({all: true, filters: {label}})),
      engineCall('list networks', () => this.docker.listNetworks({filters: {label}})),
    ]);
    const refs = new Map<string, StackRef>();
    for (const labels of [...containers.map((c) => c.Labels), ...networks.map((n) => n.Labels)]) {
      const p = labels?.[LABELS.project];
      const s = labels?.[LABELS.stack];
      if (p && s && labels[LABELS.managed] === 'true' && (project === undefined || p === project)) refs.set(`${p}/${s}`, {project: p, stack: s});
    }
    return [...refs.values()].sort((a, b) => a.project.localeCompare(b.project) || a.stack.localeCompare(b.stack));
  }

  // ---- lifecycle

  /** The stack's containers of the given services (all when none), refusing unknown service names. */
  private async selected(ref: StackRef, services?: string[]): Promise<Docker.ContainerInfo[]> {
    checkRef(ref);
    const all = await this.containers(ref);
    if (!services?.length) return all;
    for (const name of services) {
      if (!all.some((c) => c.Labels[LABELS.service] === name)) {
        throw new InvalidInputError(`service "${name}" has no containers in stack "${ref.project}/${ref.stack}"`, {hint: 'list the services with `spin ps`'});
      }
    }
    return all.filter((c) => services.includes(c.Labels[LABELS.service]));
  }

  async stop(ref: StackRef, services?: string[]): Promise<void> {
    const list = await this.selected(ref, services);
    await Promise.all(list.map((c) => this.ignoring([304, 404], `stop container "${c.Names[0]}"`, () => this.docker.getContainer(c.Id).stop())));
  }

  async start(ref: StackRef, services?: string[]): Promise<void> {
    const list = await this.selected(ref, services);
    await Promise.all(list.map((c) => this.startContainer(c.Id, c.Names[0].replace(/^\//, ''))));
  }

  async restart(ref: StackRef, services?: string[]): Promise<void> {
    const list = await this.selected(ref, services);
    await Promise.all(list.map((c) => engineCall(`restart container "${c.Names[0]}"`, () => this.docker.getContainer(c.Id).restart())));
  }

  async remove(ref: StackRef, options: {volumes?: boolean} = {}): Promise<RemoveReport> {
    checkRef(ref);
    const containers = await this.containers(ref);
    const mounted = new Set(containers.flatMap((c) => (c.Mounts ?? []).flatMap((m) => (m.Type === 'volume' && m.Name ? [m.Name] : []))));
    const list = containers.map(toExisting);
    await Promise.all(list.map((c) => this.removeContainer(c)));
    const label = labelFilter(ref.project, ref.stack);
    const networks = await engineCall('list networks', () => this.docker.listNetworks({filters: {label}}));
    for (const n of networks.filter((n) => ownedBy(n.Labels, ref.project, ref.stack))) {
      await this.ignoring([404], `remove network "${n.Name}"`, () => this.docker.getNetwork(n.Id).remove());
    }
    await removeStackFiles(this.secretsDir, ref);
    const report: RemoveReport = {volumes: {removed: [], kept: []}};
    if (!options.volumes) return report;
    await rm(volumeChoicesFile(this.secretsDir, ref), {force: true});
    const volumes = await engineCall('list volumes', () => this.docker.listVolumes({filters: {label}}));
    const own = (volumes.Volumes ?? []).filter((v) => ownedBy(v.Labels, ref.project, ref.stack)).sort((a, b) => a.Name.localeCompare(b.Name));
    for (const v of own) {
      try {
        await this.docker.getVolume(v.Name).remove();
        report.volumes.removed.push(v.Name);
      } catch (err) {
        if (isNotFound(err)) continue;
        if (statusOf(err) !== 409) throw engineError(err, `remove volume "${v.Name}"`);
        report.volumes.kept.push({name: v.Name, reason: await this.volumeUsers(v.Name)});
      }
    }
    // Volumes the stack mounted but does not own (external ones, another stack's) are never removed.
    for (const name of [...mounted].filter((n) => !own.some((v) => v.Name === n)).sort()) {
      const info = await this.inspectOrUndefined(() => this.docker.getVolume(name).inspect(), `inspect volume "${name}"`);
      // Gone: an anonymous volume, removed with its container.
      if (info) report.volumes.kept.push({name, reason: `it is not this stack's: it ${describeOwner(info.Labels)}`});
    }
    return report;
  }

  /** Why a volume cannot go: the stacks (or containers) that still mount it. */
  private async volumeUsers(volume: string): Promise<string> {
    const users = await engineCall('list containers', () => this.docker.listContainers({all: true, filters: {volume: [volume]}}));
    const stacks = [...new Set(users.map((c) => c.Labels?.[LABELS.stack]).filter((x): x is string => Boolean(x)))].sort();
    if (stacks.length > 0) return `${stacks.length === 1 ? 'stack' : 'stacks'} ${stacks.map((x) => `"${x}"`).join(', ')} still ${stacks.length === 1 ? 'uses' : 'use'} it`;
    const names = users.map((c) => `"${(c.Names?.[0] ?? c.Id).replace(/^\//, '')}"`);
    return names.length > 0 ? `container ${names.join(', ')} still uses it` : 'the engine says it is in use';
  }

  // ---- logs and exec

  async *logs(ref: StackRef, options: LogOptions): AsyncGenerator<LogLine> {
    const list = (await this.selected(ref, options.services)).map(toExisting).sort((a, b) => a.service.localeCompare(b.service) || a.replica - b.replica);
    const streams: {destroy?: () => void}[] = [];
    const stopAll = () => {
      for (const s of streams) s.destroy?.();
    };
    options.signal?.addEventListener('abort', stopAll, {once: true});
    try {
      const sources = await Promise.all(
        list.map(async (c) => {
          const container = this.docker.getContainer(c.id);
          const info = await engineCall(`inspect container "${c.name}"`, () => container.inspect());
          const query = {
            stdout: true,
            stderr: true,
            timestamps: true,
            ...(options.tail !== undefined ? {tail: options.tail} : {}),
            ...(options.since !== undefined ? {since: options.since} : {}),
          };
          const raw = options.follow
            ? await engineCall(`read the logs of "${c.name}"`, () => container.logs({...query, follow: true}))
            : await engineCall(`read the logs of "${c.name}"`, () => container.logs({...query, follow: false}));
          if (!Buffer.isBuffer(raw)) streams.push(raw as {destroy?: () => void});
          if (options.signal?.aborted) stopAll();
          return (async function* () {
            try {
              for await (const l of containerLines(raw as AsyncIterable<Buffer> | Buffer, info.Config.Tty === true)) {
                yield {service: c.service, replica: c.replica, ...l};
              }
            } catch (err) {
              // A stream destroyed on purpose ends quietly.
              if (!options.signal?.aborted) throw engineError(err, `read the logs of "${c.name}"`);
            }
          })();
        }),
      );
      if (options.follow) {
        yield* mergeSources(sources);
        return;
      }
      for await (const l of mergeByTime(sources)) {
        if (options.signal?.aborted) return;
        yield l;
      }
    } finally {
      options.signal?.removeEventListener('abort', stopAll);
      stopAll();
    }
  }

  async exec(ref: StackRef, options: ExecOptions): Promise<ExecSession> {
    checkRef(ref);
    const index = options.index ?? 1;
    if (!Array.isArray(options.cmd) || options.cmd.length === 0) throw new InvalidInputError('no command to run', {hint: 'give the command after --, e.g. spin exec web -- ls /'});
    const name = containerName(ref, options.service, index);
    const c = (await this.containers(ref, options.service)).find((x) => Number(x.Labels[LABELS.replica]) === index);
    if (!c) {
      throw new InvalidInputError(`service "${options.service}" has no replica ${index} in stack "${ref.project}/${ref.stack}"`, {hint: 'list the replicas with `spin ps`'});
    }
    if (c.State !== 'running') {
      throw new OperationError(`container "${name}" is not running (${c.State})`, {hint: `start it with \`spin start ${options.service}\`, or look at \`spin logs ${options.service}\``});
    }
    return startExec(this.docker.getContainer(c.Id), options, `container "${name}"`);
  }

  // ---- volumes

  async volumes(project: string): Promise<{name: string; driver: string; createdAt?: string; stacks: string[]}[]> {
    checkRef({project, stack: 'x'});
    const label = labelFilter(project);
    const [volumes, containers, kept] = await Promise.all([
      engineCall('list volumes', () => this.docker.listVolumes({filters: {label}})),
      engineCall('list containers', () => this.docker.listContainers({all: true, filters: {label}})),
      this.projectVolumeChoices(project),
    ]);
    return (volumes.Volumes ?? [])
      .filter((v) => ownedBy(v.Labels, project))
      .map((v) => {
        const stacks = new Set<string>();
        if (v.Labels?.[LABELS.stack]) stacks.add(v.Labels[LABELS.stack]);
        for (const c of containers) if (c.Mounts?.some((m) => m.Name === v.Name) && c.Labels[LABELS.stack]) stacks.add(c.Labels[LABELS.stack]);
        for (const [stack, names] of kept) if (names.includes(v.Name)) stacks.add(stack);
        const createdAt = (v as {CreatedAt?: string}).CreatedAt;
        return {name: v.Name, driver: v.Driver, ...(createdAt ? {createdAt} : {}), stacks: [...stacks].sort()};
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async removeVolume(project: string, name: string): Promise<void> {
    checkRef({project, stack: 'x'});
    let found: {Name: string; Labels?: Record<string, string> | null} | undefined;
    for (const candidate of [`${project}.${name}`, name]) {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(candidate)) continue;
      const info = await this.inspectOrUndefined(() => this.docker.getVolume(candidate).inspect(), `inspect volume "${candidate}"`);
      if (info && ownedBy(info.Labels, project)) {
        found = info;
        break;
      }
    }
    if (!found) {
      throw new EngineError('volume.not_found', `volume "${name}" not found in project "${project}"`, {hint: 'list the project volumes with `spin volume ls`'});
    }
    const volume = found.Name;
    const users = await engineCall('list containers', () => this.docker.listContainers({all: true, filters: {volume: [volume]}}));
    const inUse = (names: string[]) =>
      new EngineError('volume.in_use', `volume "${volume}" is in use by ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'a container'}`, {
        hint: 'remove the stack that mounts it (`spin rm`), then remove the volume',
      });
    if (users.length > 0) throw inUse(users.map((c) => (c.Names?.[0] ?? c.Id).replace(/^\//, '')));
    try {
      await this.docker.getVolume(volume).remove();
    } catch (err) {
      if (statusOf(err) === 409) throw inUse([]);
      if (!isNotFound(err)) throw engineError(err, `remove volume "${volume}"`);
    }
  }
}
