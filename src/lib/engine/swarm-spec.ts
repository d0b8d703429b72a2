// The normalized service, turned into a Docker Swarm service spec (Engine API 1.41). Pure, like
// container-spec.ts, whose pieces it shares (healthcheck, labels, environment). The model is
// read field by field against a table: a field is mapped, or refused because Swarm cannot express
// it (exit 3, naming the key: `docker stack deploy` drops such keys in silence and the service
// then runs without what the file asked for), or refused as not built yet for this backend. A
// field the table does not know is refused too, so nothing reaches the cluster unread.

import type Dockerode from 'dockerode';

import {isMap} from '../compose/merge.ts';
import type {Service} from '../compose/types.ts';
import {InvalidInputError} from '../errors.ts';
import {containerLabels, desiredReplicas, healthConfig} from './container-spec.ts';
import {EngineError} from './errors.ts';
import {objectLabels} from './naming.ts';
import type {IngressRequest} from '../ingress/types.ts';
import type {RolloutSettings} from './rollout.ts';
import {LABELS, type StackRef} from './types.ts';

export const SWARM_UNSUPPORTED = 'engine.unsupported';

/** What the Swarm backend does not do yet: its own error code, so clients can tell it from a bad file. */
export function notSupported(what: string): EngineError {
  return new EngineError(SWARM_UNSUPPORTED, `${what} is not supported with the swarm orchestrator yet`, {
    hint: 'run this stack on an agent started with `--orchestrator docker`, or leave it out of the stack for now',
  });
}

type Mapping = 'mapped' | 'ignored' | {cannot: string};

const CANNOT = (why: string): Mapping => ({cannot: why});

/** Every service field the loader can produce, and what this backend does with it. */
const FIELDS: Record<string, Mapping> = {
  image: 'mapped',
  command: 'mapped',
  entrypoint: 'mapped',
  environment: 'mapped',
  labels: 'mapped',
  user: 'mapped',
  working_dir: 'mapped',
  cap_add: 'mapped',
  cap_drop: 'mapped',
  read_only: 'mapped',
  init: 'mapped',
  healthcheck: 'mapped',
  deploy: 'mapped',
  restart: 'mapped',
  networks: 'mapped',
  hostname: 'mapped',
  stop_signal: 'mapped',
  stop_grace_period: 'mapped',
  tmpfs: 'mapped',
  sysctls: 'mapped',
  ulimits: 'mapped',
  extra_hosts: 'mapped',
  dns: 'mapped',
  dns_search: 'mapped',
  dns_opt: 'mapped',
  group_add: 'mapped',
  tty: 'mapped',
  stdin_open: 'mapped',
  mem_limit: 'mapped',
  mem_reservation: 'mapped',
  cpus: 'mapped',
  pids_limit: 'mapped',
  scale: 'mapped',
  logging: 'mapped',
  // Read by the loader, the client or the plan; nothing of them reaches a task.
  build: 'ignored',
  develop: 'ignored',
  profiles: 'ignored',
  expose: 'ignored',
  pull_policy: 'ignored',
  depends_on: 'ignored',
  env_file: 'ignored',
  label_file: 'ignored',
  x_: 'ignored',
  privileged: CANNOT('a Swarm task cannot run privileged'),
  devices: CANNOT('a Swarm task cannot be given host devices'),
  device_cgroup_rules: CANNOT('a Swarm task cannot be given device cgroup rules'),
  gpus: CANNOT('a Swarm task cannot be given GPUs this way'),
  pid: CANNOT('a Swarm task cannot share a PID namespace'),
  ipc: CANNOT('a Swarm task cannot share an IPC namespace'),
  uts: CANNOT('a Swarm task cannot share a UTS namespace'),
  userns_mode: CANNOT('a Swarm task cannot choose its user namespace'),
  cgroup: CANNOT('a Swarm task cannot choose its cgroup namespace'),
  cgroup_parent: CANNOT('a Swarm task cannot choose its cgroup parent'),
  security_opt: CANNOT('a Swarm service spec has no security options of that kind'),
  network_mode: CANNOT('a Swarm task joins networks, not another container\'s or the host\'s network'),
  container_name: CANNOT('Swarm names its tasks itself'),
  volumes_from: CANNOT('a Swarm task cannot mount another container\'s volumes'),
  links: CANNOT('Swarm has no links: services find each other by name on the stack network'),
  external_links: CANNOT('Swarm has no links'),
  shm_size: CANNOT('a Swarm task cannot set its /dev/shm size (mount a tmpfs at /dev/shm instead)'),
  memswap_limit: CANNOT('a Swarm task cannot set a swap limit'),
  oom_score_adj: CANNOT('a Swarm task cannot set its OOM score'),
  oom_kill_disable: CANNOT('a Swarm task cannot disable the OOM killer'),
  mac_address: CANNOT('Swarm assigns task addresses'),
  domainname: CANNOT('a Swarm task has no domain name setting'),
  storage_opt: CANNOT('a Swarm task has no storage options'),
  blkio_config: CANNOT('a Swarm task has no block I/O settings'),
  cpu_shares: CANNOT('a Swarm task has no CPU shares (use deploy.resources)'),
  cpu_quota: CANNOT('a Swarm task has no CPU quota (use deploy.resources.limits.cpus)'),
  cpu_period: CANNOT('a Swarm task has no CPU period (use deploy.resources.limits.cpus)'),
  cpuset: CANNOT('a Swarm task cannot be pinned to CPUs'),
  cpu_count: CANNOT('a Swarm task has no CPU count (use deploy.resources.limits.cpus)'),
  cpu_percent: CANNOT('a Swarm task has no CPU percent (use deploy.resources.limits.cpus)'),
  cpu_rt_runtime: CANNOT('a Swarm task has no real-time CPU settings'),
  cpu_rt_period: CANNOT('a Swarm task has no real-time CPU settings'),
  mem_swappiness: CANNOT('a Swarm task has no swappiness setting'),
  runtime: CANNOT('a Swarm task cannot choose its runtime'),
  isolation: CANNOT('isolation is a Windows setting'),
  platform: CANNOT('Swarm places tasks by node, not by a platform key (use deploy.placement)'),
  // Decided: a port published in ingress mode needs the routing mesh (IPVS, absent here), and one in
  // host mode answers every project's tasks on every node. The cluster ingress replaces both.
  ports: CANNOT('a published port would need the routing mesh, or a host-mode port that other projects\' tasks can reach; put the service behind the cluster ingress with `x-spin: {ingress: {port: N}}` instead'),
  // Checked and mounted by swarm-volumes.ts and swarm-secrets.ts.
  volumes: 'mapped',
  secrets: 'mapped',
  configs: 'mapped',
};

const DEPLOY_FIELDS = new Set(['mode', 'replicas', 'labels', 'resources', 'restart_policy', 'update_config', 'rollback_config', 'placement', 'endpoint_mode']);

/** Unset, or set to a value that asks for nothing (`false`, empty list or mapping). */
function isUnset(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  return isMap(value) && Object.keys(value).length === 0;
}

function cannot(name: string, path: string, why: string): InvalidInputError {
  return new InvalidInputError(`service "${name}": ${path} cannot run on a Swarm cluster: ${why}`, {hint: `remove ${path} from service "${name}", or deploy the stack to an agent started with \`--orchestrator docker\``});
}

/** Refuses every field of the service that this backend would not turn into the spec as written. */
export function checkSwarmService(name: string, service: Service): void {
  for (const [key, value] of Object.entries(service)) {
    if (isUnset(value)) continue;
    const mapping = FIELDS[key] ?? (key.startsWith('x-') ? 'ignored' : undefined);
    if (mapping === undefined) throw cannot(name, key, 'the swarm orchestrator does not know this field');
    if (typeof mapping === 'object' && 'cannot' in mapping) throw cannot(name, key, mapping.cannot);
  }
  for (const [key, value] of Object.entries(service.deploy ?? {})) {
    if (!isUnset(value) && !DEPLOY_FIELDS.has(key)) throw cannot(name, `deploy.${key}`, 'the swarm orchestrator does not know this field');
  }
  const mode = service.deploy?.mode;
  if (mode !== undefined && mode !== 'replicated' && mode !== 'global') throw cannot(name, 'deploy.mode', `mode "${mode}" is not one this backend runs (replicated or global)`);
  if (service.deploy?.endpoint_mode !== undefined && service.deploy.endpoint_mode !== 'dnsrr') {
    throw cannot(name, 'deploy.endpoint_mode', 'the cluster routes to task addresses (dnsrr); VIP load balancing needs IPVS, which these nodes lack');
  }
  if (service.deploy?.resources?.reservations?.devices?.length) throw cannot(name, 'deploy.resources.reservations.devices', 'a Swarm task cannot reserve devices');
}

/** What the spec is made from, besides the service: every engine name is resolved by the caller. */
export interface SwarmSpecContext {
  ref: StackRef;
  service: string;
  revision: number;
  configHash: string;
  /** `repo@sha256:…`: nodes pull exactly this, and never ask Docker Hub to resolve a tag. */
  image: string;
  rollout: RolloutSettings;
  /** The service is behind the cluster ingress: its labels say on which port and host name. */
  ingress?: IngressRequest;
}

/** `project_stack_service`: DNS labels hold no `_`, so no two (project, stack, service) share a name. */
export function swarmServiceName(ref: StackRef, service: string): string {
  return `${ref.project}_${ref.stack}_${service}`;
}

function restartPolicy(service: Service): Dockerode.TaskRestartPolicy {
  const legacy = typeof service.restart === 'string' && service.restart !== '' ? service.restart.split(':') : undefined;
  if (legacy) {
    const [name, count] = legacy;
    if (name === 'no') return {Condition: 'none'};
    if (name === 'on-failure') return count ? {Condition: 'on-failure', MaxAttempts: Number(count)} : {Condition: 'on-failure'};
    return {Condition: 'any'};
  }
  const p = service.deploy?.restart_policy;
  // A service is meant to keep running: Swarm's own default, and what `docker stack deploy` gives.
  const out: Dockerode.TaskRestartPolicy = {Condition: (p?.condition ?? 'any') as Dockerode.TaskRestartPolicy['Condition']};
  if (p?.delay !== undefined) out.Delay = p.delay;
  if (p?.max_attempts !== undefined) out.MaxAttempts = p.max_attempts;
  if (p?.window !== undefined) out.Window = p.window;
  return out;
}

/**
 * A one-shot (`restart: "no"`, or `deploy.restart_policy.condition: none`): a Swarm job, which
 * runs its tasks to completion. As a replicated service, a task that exited 0 would be a replica
 * lost for good, and the deploy could only time out. `on-failure` stays a replicated service: in
 * compose files for Swarm it is the usual policy of long-running services (their update_config
 * and a lost node's rescheduling apply), even though a single host counts its exit 0 as done.
 */
export function isSwarmJob(service: Service): boolean {
  return restartPolicy(service).Condition === 'none';
}

function serviceMode(service: Service): Dockerode.ServiceMode {
  const global = service.deploy?.mode === 'global';
  if (isSwarmJob(service)) return global ? {GlobalJob: {}} : {ReplicatedJob: {MaxConcurrent: desiredReplicas(service), TotalCompletions: desiredReplicas(service)}};
  return global ? {Global: {}} : {Replicated: {Replicas: desiredReplicas(service)}};
}

function placement(name: string, value: unknown): Dockerode.Placement | undefined {
  if (value === undefined) return undefined;
  if (!isMap(value)) throw cannot(name, 'deploy.placement', 'it must be a mapping');
  const out: Dockerode.Placement = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'constraints' && Array.isArray(v)) out.Constraints = v.map(String);
    else if (key === 'preferences' && Array.isArray(v)) {
      out.Preferences = v.map((p) => {
        const spread = isMap(p) ? p.spread : undefined;
        if (typeof spread !== 'string') throw cannot(name, 'deploy.placement.preferences', 'each preference is `spread: node.labels.NAME`');
        return {Spread: {SpreadDescriptor: spread}};
      });
    } else if (key === 'max_replicas_per_node' && typeof v === 'number') out.MaxReplicas = v;
    else throw cannot(name, `deploy.placement.${key}`, 'the swarm orchestrator does not know this field');
  }
  return out;
}

function resources(service: Service): Dockerode.ResourceRequirements | undefined {
  const l = service.deploy?.resources?.limits;
  const r = service.deploy?.resources?.reservations;
  const cpus = l?.cpus ?? service.cpus;
  const memory = l?.memory ?? service.mem_limit;
  const pids = l?.pids ?? service.pids_limit;
  const reserveMemory = r?.memory ?? service.mem_reservation;
  const limits = {
    ...(cpus !== undefined ? {NanoCPUs: Math.round(cpus * 1e9)} : {}),
    ...(memory !== undefined ? {MemoryBytes: memory} : {}),
    ...(pids !== undefined ? {Pids: pids} : {}),
  };
  const reservations = {...(r?.cpus !== undefined ? {NanoCPUs: Math.round(r.cpus * 1e9)} : {}), ...(reserveMemory !== undefined ? {MemoryBytes: reserveMemory} : {})};
  if (Object.keys(limits).length === 0 && Object.keys(reservations).length === 0) return undefined;
  return {...(Object.keys(limits).length ? {Limits: limits} : {}), ...(Object.keys(reservations).length ? {Reservations: reservations} : {})};
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) && value.length > 0 ? value.map(String) : undefined;
}

function tmpfsMounts(service: Service): Dockerode.MountSettings[] | undefined {
  const list = stringList(service.tmpfs);
  return list?.map((entry) => ({Type: 'tmpfs' as const, Source: '', Target: entry.split(':')[0]}));
}

/** Swarm takes `IP host…` lines where compose writes `host:ip`. */
function hosts(value: unknown): string[] | undefined {
  const pairs: [string, string][] = [];
  if (Array.isArray(value)) {
    for (const e of value.map(String)) {
      const sep = e.includes('=') ? e.indexOf('=') : e.indexOf(':');
      pairs.push([e.slice(0, sep), e.slice(sep + 1)]);
    }
  } else if (isMap(value)) {
    for (const [host, ips] of Object.entries(value)) for (const ip of Array.isArray(ips) ? ips : [ips]) pairs.push([host, String(ip)]);
  }
  return pairs.length > 0 ? pairs.map(([host, ip]) => `${ip} ${host}`) : undefined;
}

function ulimits(value: unknown): Dockerode.Ulimit[] | undefined {
  if (!isMap(value)) return undefined;
  return Object.entries(value).map(([Name, v]) => (typeof v === 'number' ? {Name, Soft: v, Hard: v} : {Name, Soft: Number((v as {soft?: unknown}).soft), Hard: Number((v as {hard?: unknown}).hard)}));
}

function updateConfig(r: RolloutSettings): Dockerode.UpdateConfig {
  return {
    Parallelism: r.parallelism,
    Delay: Math.round(r.delayMs * 1e6),
    // Spin judges a rollout itself and rolls the whole stack back: Swarm must not flip a
    // service's spec behind it (its own rollback reports success all the same).
    FailureAction: 'pause',
    Monitor: Math.round(Math.max(r.monitorMs, 1000) * 1e6),
    MaxFailureRatio: r.maxFailureRatio,
    Order: r.order,
  };
}

/** The service spec the cluster is asked to run; `checkSwarmService` has passed. */
export function swarmServiceSpec(service: Service, ctx: SwarmSpecContext): Dockerode.ServiceSpec {
  const labels = containerLabels(service, {ref: ctx.ref, service: ctx.service, replica: 0, replicas: desiredReplicas(service), revision: ctx.revision, configHash: ctx.configHash, image: ctx.image, networks: {}, volumes: {}, files: [], publishHostIp: '', ...(ctx.ingress ? {ingress: ctx.ingress} : {})});
  // No replica number or count on a task: Swarm numbers tasks by slot, and the count lives in the
  // service's mode, so scaling leaves the task template (and every running task) as it is.
  delete labels[LABELS.replica];
  delete labels[LABELS.replicas];
  const serviceLabels: Record<string, string> = {...labels};
  for (const [k, v] of Object.entries(service.deploy?.labels ?? {})) if (!k.startsWith('org.spin.')) serviceLabels[k] = v;
  Object.assign(serviceLabels, labels);
  const logging = isMap(service.logging) ? service.logging : undefined;
  const containerSpec: Dockerode.ContainerSpec = {
    Image: ctx.image,
    Labels: labels,
    ...(service.entrypoint ? {Command: service.entrypoint} : {}),
    ...(service.command ? {Args: service.command} : {}),
    Env: Object.entries(service.environment).filter((e): e is [string, string] => e[1] !== null).map(([k, v]) => `${k}=${v}`),
    ...(service.user !== undefined ? {User: service.user} : {}),
    ...(service.working_dir !== undefined ? {Dir: service.working_dir} : {}),
    ...(typeof service.hostname === 'string' ? {Hostname: service.hostname} : {}),
    ...(service.cap_add.length ? {CapabilityAdd: service.cap_add} : {}),
    ...(service.cap_drop.length ? {CapabilityDrop: service.cap_drop} : {}),
    ...(service.read_only === true ? {ReadOnly: true} : {}),
    ...(service.init === true ? {Init: true} : {}),
    ...(service.tty === true ? {TTY: true} : {}),
    ...(service.stdin_open === true ? {OpenStdin: true} : {}),
    ...(typeof service.stop_signal === 'string' ? {StopSignal: service.stop_signal} : {}),
    ...(typeof service.stop_grace_period === 'number' ? {StopGracePeriod: service.stop_grace_period} : {}),
    ...(service.healthcheck ? {HealthCheck: healthConfig(service.healthcheck)} : {}),
    ...(Object.keys(service.sysctls).length ? {Sysctls: service.sysctls} : {}),
    ...(ulimits(service.ulimits) ? {Ulimits: ulimits(service.ulimits)} : {}),
    ...(hosts(service.extra_hosts) ? {Hosts: hosts(service.extra_hosts)} : {}),
    ...(stringList(service.group_add) ? {Groups: stringList(service.group_add)} : {}),
    ...(tmpfsMounts(service) ? {Mounts: tmpfsMounts(service)} : {}),
  };
  const dns = {Nameservers: stringList(service.dns), Search: stringList(service.dns_search), Options: stringList(service.dns_opt)};
  if (dns.Nameservers || dns.Search || dns.Options) containerSpec.DNSConfig = dns as Dockerode.DNSConfig;
  const networks = Object.entries(service.networks).map(([key, def]) => ({Target: swarmNetworkName(ctx.ref, key), Aliases: [...new Set([ctx.service, ...(def?.aliases ?? [])])]}));
  const res = resources(service);
  const place = placement(ctx.service, service.deploy?.placement);
  const taskTemplate: Dockerode.ContainerTaskSpec = {
    ContainerSpec: containerSpec,
    RestartPolicy: restartPolicy(service),
    Networks: networks,
    ...(res ? {Resources: res} : {}),
    ...(place ? {Placement: place} : {}),
    ...(logging ? {LogDriver: {Name: String(logging.driver ?? 'json-file'), Options: (isMap(logging.options) ? logging.options : {}) as Record<string, string>}} : {}),
  };
  return {
    Name: swarmServiceName(ctx.ref, ctx.service),
    Labels: serviceLabels,
    TaskTemplate: taskTemplate,
    Mode: serviceMode(service),
    // A job's new spec runs its tasks again from the start: there is nothing to roll out.
    ...(isSwarmJob(service) ? {} : {UpdateConfig: updateConfig(ctx.rollout), RollbackConfig: updateConfig(ctx.rollout)}),
    EndpointSpec: {Mode: 'dnsrr'},
  };
}

/**
 * The stack's overlay network for a compose network key: `project_stack` for `default`, else
 * `project_stack_key`. Swarm wants DNS name components (no dots, unlike a single host's names).
 */
export function swarmNetworkName(ref: StackRef, key: string): string {
  return key === 'default' ? `${ref.project}_${ref.stack}` : `${ref.project}_${ref.stack}_${key}`;
}

/** The stack's overlay network for a compose network key. */
export function overlayNetworkSpec(ref: StackRef, key: string, labels: Record<string, string> | undefined): Dockerode.NetworkCreateOptions {
  return {
    Name: swarmNetworkName(ref, key),
    Driver: 'overlay',
    // Attachable: the cluster ingress proxy joins the stack's network to reach task addresses.
    Attachable: true,
    CheckDuplicate: true,
    Labels: {...(labels ?? {}), ...objectLabels(ref)},
  };
}
