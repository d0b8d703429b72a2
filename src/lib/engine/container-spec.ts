// The normalized service, turned into the Docker Engine API's container create body (API 1.41).
// Pure: every engine name and host path is resolved by the caller, so this can be tested alone and
// the config hash can be computed without touching the engine.

import type Dockerode from 'dockerode';
import {BlockList, isIP} from 'node:net';

import {InvalidInputError} from '../errors.ts';
import {isMap} from '../compose/merge.ts';
import type {DurationNs, Healthcheck, Service} from '../compose/types.ts';
import type {IngressRequest} from '../ingress/types.ts';
import {containerName, objectLabels, replicaAlias} from './naming.ts';
import {LABELS, type StackRef} from './types.ts';

export interface SpecContext {
  ref: StackRef;
  service: string;
  replica: number;
  /** Replicas the deploy wants, recorded in a label for status. */
  replicas: number;
  revision: number;
  configHash: string;
  /** Image reference as the model wrote it (resolved and present on the engine). */
  image: string;
  /** Engine network name per network key the service joins, in the model's order. */
  networks: Record<string, string>;
  /** Engine volume name per top-level volume key. */
  volumes: Record<string, string>;
  /** Host files bind-mounted read-only (secrets, inline configs). */
  files: {source: string; target: string}[];
  /** Host address for published ports; a port's own `host_ip` may only narrow it to loopback. */
  publishHostIp: string;
  /**
   * For `network_mode: service:<name>`: the ID of the replica container of that service, in the
   * same stack, whose network the service joins. The caller finds it by labels (see docker.ts).
   */
  networkContainer?: string;
  /**
   * The service is behind the ingress: its port is also published on 127.0.0.1 at a port the
   * engine picks, which only the proxy uses (not a port the user published).
   */
  ingress?: IngressRequest;
}

export interface ContainerSpec {
  name: string;
  options: Dockerode.ContainerCreateOptions;
  /** Networks to connect before start: API 1.41 takes one network in the create call. */
  connect: {network: string; endpoint: Dockerode.EndpointSettings}[];
}

type RestartName = 'no' | 'always' | 'on-failure' | 'unless-stopped';

/** `restart` wins; otherwise `deploy.restart_policy` (compose's `any` means always); default no. */
export function restartPolicy(service: Service): {Name: RestartName; MaximumRetryCount?: number} {
  if (typeof service.restart === 'string' && service.restart !== '') {
    const [name, count] = service.restart.split(':');
    if (name === 'on-failure') return count ? {Name: 'on-failure', MaximumRetryCount: Number(count)} : {Name: 'on-failure'};
    if (name === 'always' || name === 'unless-stopped' || name === 'no') return {Name: name};
    throw new InvalidInputError(`restart policy "${service.restart}" is not known`, {hint: 'use no, always, on-failure[:N] or unless-stopped'});
  }
  const policy = service.deploy?.restart_policy;
  switch (policy?.condition) {
    case undefined:
    case 'none':
      return {Name: 'no'};
    case 'on-failure':
      return policy.max_attempts !== undefined ? {Name: 'on-failure', MaximumRetryCount: policy.max_attempts} : {Name: 'on-failure'};
    case 'any':
      return {Name: 'always'};
    default:
      throw new InvalidInputError(`deploy.restart_policy.condition "${policy?.condition}" is not known`, {hint: 'use none, on-failure or any'});
  }
}

/** A service that may finish: exiting 0 means done, not failed. */
export function isOneShot(service: Service): boolean {
  const name = restartPolicy(service).Name;
  return name === 'no' || name === 'on-failure';
}

export function desiredReplicas(service: Service): number {
  if (service.deploy?.mode === 'global') return 1;
  const n = service.deploy?.replicas ?? (typeof service.scale === 'number' ? service.scale : 1);
  return Number.isSafeInteger(n) && n >= 0 ? n : 1;
}

export function healthConfig(check: Healthcheck | undefined): Dockerode.HealthConfig | undefined {
  if (!check) return undefined;
  if (check.disable === true || check.test?.[0] === 'NONE') return {Test: ['NONE']};
  const out: Dockerode.HealthConfig = {};
  if (check.test) out.Test = check.test;
  const fields = [['Interval', 'interval'], ['Timeout', 'timeout'], ['StartPeriod', 'start_period']] as const;
  for (const [key, field] of fields) {
    const ns = check[field];
    if (ns !== undefined) out[key] = ns;
  }
  if (check.retries !== undefined) out.Retries = check.retries;
  return out;
}

/** Engine time for a graceful stop, in whole seconds (Docker's StopTimeout is an integer). */
function stopTimeout(ns: DurationNs | undefined): number | undefined {
  return ns === undefined || ns === null ? undefined : Math.ceil(ns / 1e9);
}

function environment(env: Record<string, string | null>): string[] {
  return Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}=${v}`);
}

/** Spin's labels win, and a model cannot forge any `org.spin.` label. */
export function containerLabels(service: Service, ctx: SpecContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.labels ?? {})) if (!k.startsWith('org.spin.')) out[k] = v;
  return {
    ...out,
    ...objectLabels(ctx.ref),
    [LABELS.service]: ctx.service,
    [LABELS.replica]: String(ctx.replica),
    [LABELS.replicas]: String(ctx.replicas),
    [LABELS.revision]: String(ctx.revision),
    [LABELS.configHash]: ctx.configHash,
    [LABELS.oneShot]: String(isOneShot(service)),
    ...(ctx.ingress ? {[LABELS.ingressPort]: String(ctx.ingress.port), [LABELS.ingressHost]: ctx.ingress.host ?? ''} : {}),
  };
}

const BIND_ALL = new Set(['0.0.0.0', '::']);

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function isLoopback(ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && LOOPBACK.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The host address a published port binds to. The agent's address wins: on a shared host a stack
 * must not publish on an address the operator did not offer (another tenant's, or a public one
 * when the agent publishes on loopback). A port may name the agent's own address, or loopback
 * when the agent binds all addresses; "all addresses" (compose's default, often written out as
 * `0.0.0.0:8080:80`) means the agent's address. Any other address is refused.
 */
export function publishAddress(service: string, port: Service['ports'][number], publishHostIp: string): string {
  const wanted = port.host_ip;
  if (wanted === undefined || wanted === '' || wanted === publishHostIp || BIND_ALL.has(wanted)) return publishHostIp;
  if (BIND_ALL.has(publishHostIp) && isLoopback(wanted)) return wanted;
  const published = port.published !== undefined ? `${port.published}:${port.target}` : String(port.target);
  throw new InvalidInputError(`service "${service}" publishes port ${published} on host address "${wanted}", but this agent publishes on "${publishHostIp}"`, {
    hint: BIND_ALL.has(publishHostIp) ? 'drop the host address, or use a loopback address such as 127.0.0.1' : `drop the host address from the port (it is published on ${publishHostIp})`,
  });
}

function ports(service: Service, ctx: SpecContext): {exposed: Record<string, object>; bindings: Dockerode.PortMap} {
  const exposed: Record<string, object> = {};
  const bindings: Dockerode.PortMap = {};
  for (const p of service.ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({HostIp: publishAddress(ctx.service, p, ctx.publishHostIp), HostPort: p.published ?? ''});
  }
  const ingress = ctx.ingress;
  if (ingress) {
    const key = `${ingress.port}/tcp`;
    exposed[key] = {};
    (bindings[key] ??= []).push({HostIp: '127.0.0.1', HostPort: ''});
  }
  for (const e of service.expose ?? []) {
    const [range, protocol = 'tcp'] = String(e).split('/');
    const [from, to = from] = range.split('-').map(Number);
    for (let port = from; Number.isInteger(port) && port <= to && port - from < 65536; port++) exposed[`${port}/${protocol}`] = {};
  }
  return {exposed, bindings};
}

function bindOptions(v: Service['volumes'][number]): string {
  const opts = [v.read_only ? 'ro' : 'rw'];
  if (v.bind?.propagation) opts.push(v.bind.propagation);
  if (v.bind?.selinux) opts.push(v.bind.selinux);
  return opts.join(',');
}

function mounts(service: Service, ctx: SpecContext): {binds: string[]; mounts: Dockerode.MountSettings[]} {
  const binds: string[] = [];
  const out: Dockerode.MountSettings[] = [];
  service.volumes.forEach((v, i) => {
    const readOnly = v.read_only === true;
    switch (v.type) {
      case 'bind':
        // Only the legacy Binds form makes the engine create a missing host folder, as compose does.
        if (v.bind?.create_host_path !== false) binds.push(`${v.source}:${v.target}:${bindOptions(v)}`);
        else out.push({Type: 'bind', Source: v.source ?? '', Target: v.target, ReadOnly: readOnly, ...(v.bind?.propagation ? {BindOptions: {Propagation: v.bind.propagation as Dockerode.MountPropagation}} : {})});
        return;
      case 'volume': {
        const volumeOptions = {NoCopy: v.volume?.nocopy === true, Labels: v.source === undefined ? objectLabels(ctx.ref) : {}};
        if (v.source === undefined) {
          out.push({Type: 'volume', Source: '', Target: v.target, ReadOnly: readOnly, VolumeOptions: volumeOptions as Dockerode.MountSettings['VolumeOptions']});
          return;
        }
        const name = ctx.volumes[v.source];
        if (name === undefined) {
          throw new InvalidInputError(`service "${ctx.service}" mounts volume "${v.source}", which the stack does not define`, {
            hint: `add "${v.source}" under the top-level volumes, or use an absolute path for a bind mount`,
          });
        }
        out.push({Type: 'volume', Source: name, Target: v.target, ReadOnly: readOnly, ...(v.volume?.nocopy ? {VolumeOptions: volumeOptions as Dockerode.MountSettings['VolumeOptions']} : {})});
        return;
      }
      case 'tmpfs': {
        const tmpfs: Record<string, number> = {};
        if (typeof v.tmpfs?.size === 'number') tmpfs.SizeBytes = v.tmpfs.size;
        if (typeof v.tmpfs?.mode === 'number') tmpfs.Mode = v.tmpfs.mode;
        out.push({Type: 'tmpfs', Source: '', Target: v.target, ...(Object.keys(tmpfs).length ? {TmpfsOptions: tmpfs as {SizeBytes: number; Mode: number}} : {})});
        return;
      }
      default:
        throw new InvalidInputError(`service "${ctx.service}" volume ${i} has type "${v.type}", which a Docker engine host cannot mount`, {
          hint: 'use a named volume, a bind mount or tmpfs',
        });
    }
  });
  for (const f of ctx.files) out.push({Type: 'bind', Source: f.source, Target: f.target, ReadOnly: true});
  return {binds, mounts: out};
}

function tmpfsMap(list: string[] | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  const out: Record<string, string> = {};
  for (const entry of list) {
    const colon = entry.indexOf(':');
    if (colon === -1) out[entry] = '';
    else out[entry.slice(0, colon)] = entry.slice(colon + 1);
  }
  return out;
}

function ulimits(value: unknown): {Name: string; Soft: number; Hard: number}[] | undefined {
  if (!isMap(value)) return undefined;
  return Object.entries(value).map(([Name, v]) => {
    if (typeof v === 'number') return {Name, Soft: v, Hard: v};
    const limits = isMap(v) ? v : {};
    return {Name, Soft: Number(limits.soft), Hard: Number(limits.hard)};
  });
}

/** `host:ip`, `host=ip` or a map of host → ip(s), as Docker's `host:ip` list. */
function extraHosts(value: unknown): string[] | undefined {
  if (Array.isArray(value)) {
    return value.map((e) => {
      const text = String(e);
      const eq = text.indexOf('=');
      return eq === -1 ? text : `${text.slice(0, eq)}:${text.slice(eq + 1)}`;
    });
  }
  if (isMap(value)) return Object.entries(value).flatMap(([host, ips]) => (Array.isArray(ips) ? ips : [ips]).map((ip) => `${host}:${String(ip)}`));
  return undefined;
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.map(String) : undefined;
}

function endpoint(service: Service, key: string, ctx: SpecContext): Dockerode.EndpointSettings {
  const def = service.networks[key];
  const aliases = [ctx.service, replicaAlias(ctx.service, ctx.replica), ...(def?.aliases ?? [])];
  const out: Dockerode.EndpointSettings = {Aliases: [...new Set(aliases)]};
  if (def?.ipv4_address || def?.ipv6_address) {
    out.IPAMConfig = {...(def.ipv4_address ? {IPv4Address: def.ipv4_address} : {}), ...(def.ipv6_address ? {IPv6Address: def.ipv6_address} : {})};
  }
  return out;
}

/**
 * The service whose network `network_mode: service:<name>` joins, or undefined for `none` or no
 * network_mode. Any other mode (host, container:…, bridge, a network name) is refused: the policy
 * refuses them too, and the engine side must not pass through what it was not meant to see.
 */
export function sharedNetworkService(name: string, service: Service): string | undefined {
  const mode = service.network_mode;
  if (mode === undefined || mode === '' || mode === 'none') return undefined;
  if (typeof mode === 'string' && mode.startsWith('service:') && mode.length > 'service:'.length) return mode.slice('service:'.length);
  throw new InvalidInputError(`service "${name}" has network_mode ${JSON.stringify(mode)}, which Spin does not run`, {
    hint: 'use `network_mode: none`, `network_mode: service:<name>` with a service of the same stack, or drop network_mode and use networks',
  });
}

/** Drops undefined members, so the create body and its tests only hold what was set. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function containerSpec(service: Service, ctx: SpecContext): ContainerSpec {
  const limits = service.deploy?.resources?.limits;
  const reservations = service.deploy?.resources?.reservations;
  const cpus = limits?.cpus ?? service.cpus;
  const {exposed, bindings} = ports(service, ctx);
  const {binds, mounts: mountList} = mounts(service, ctx);
  const logging = isMap(service.logging) ? service.logging : undefined;

  let networkMode: string | undefined;
  const keys = Object.keys(ctx.networks);
  const connect: ContainerSpec['connect'] = [];
  let endpoints: Dockerode.EndpointsConfig | undefined;
  const shared = sharedNetworkService(ctx.service, service);
  if (shared !== undefined) {
    // An ID, never a name: a name could be another stack's container.
    if (!ctx.networkContainer) throw new Error(`service "${ctx.service}": the container of service "${shared}" was not resolved`);
    networkMode = `container:${ctx.networkContainer}`;
  } else if (service.network_mode === 'none') {
    networkMode = 'none';
  } else if (keys.length > 0) {
    networkMode = ctx.networks[keys[0]];
    endpoints = {[networkMode]: endpoint(service, keys[0], ctx)};
    for (const key of keys.slice(1)) connect.push({network: ctx.networks[key], endpoint: endpoint(service, key, ctx)});
  }

  const hostConfig: Dockerode.HostConfig = compact({
    Binds: binds.length ? binds : undefined,
    Mounts: mountList.length ? mountList : undefined,
    NetworkMode: networkMode,
    PortBindings: Object.keys(bindings).length ? bindings : undefined,
    RestartPolicy: restartPolicy(service),
    CapAdd: service.cap_add.length ? service.cap_add : undefined,
    CapDrop: service.cap_drop.length ? service.cap_drop : undefined,
    SecurityOpt: service.security_opt.length ? service.security_opt : undefined,
    Privileged: service.privileged === true,
    ReadonlyRootfs: service.read_only === true ? true : undefined,
    Init: service.init === true ? true : undefined,
    Tmpfs: tmpfsMap(stringList(service.tmpfs)),
    Sysctls: Object.keys(service.sysctls).length ? service.sysctls : undefined,
    Ulimits: ulimits(service.ulimits),
    ExtraHosts: extraHosts(service.extra_hosts),
    Dns: stringList(service.dns),
    DnsSearch: stringList(service.dns_search),
    DnsOptions: stringList(service.dns_opt),
    GroupAdd: stringList(service.group_add),
    Memory: limits?.memory ?? service.mem_limit,
    MemoryReservation: reservations?.memory ?? (typeof service.mem_reservation === 'number' ? service.mem_reservation : undefined),
    MemorySwap: service.memswap_limit,
    NanoCpus: cpus !== undefined ? Math.round(cpus * 1e9) : undefined,
    PidsLimit: limits?.pids ?? service.pids_limit,
    ShmSize: typeof service.shm_size === 'number' ? service.shm_size : undefined,
    OomScoreAdj: typeof service.oom_score_adj === 'number' ? service.oom_score_adj : undefined,
    Devices: service.devices.length ? service.devices.map((d) => ({PathOnHost: d.source, PathInContainer: d.target, CgroupPermissions: d.permissions ?? 'rwm'})) : undefined,
    DeviceCgroupRules: service.device_cgroup_rules.length ? service.device_cgroup_rules : undefined,
    PidMode: typeof service.pid === 'string' ? service.pid : undefined,
    IpcMode: service.ipc,
    UTSMode: service.uts,
    UsernsMode: service.userns_mode,
    CgroupnsMode: service.cgroup,
    CgroupParent: service.cgroup_parent,
    LogConfig: logging ? {Type: String(logging.driver ?? 'json-file'), Config: isMap(logging.options) ? logging.options : {}} : undefined,
  } as Dockerode.HostConfig);

  const options: Dockerode.ContainerCreateOptions = compact({
    name: containerName(ctx.ref, ctx.service, ctx.replica),
    Image: ctx.image,
    Cmd: service.command ?? undefined,
    Entrypoint: service.entrypoint ?? undefined,
    Env: environment(service.environment),
    User: service.user,
    WorkingDir: service.working_dir,
    Hostname: typeof service.hostname === 'string' ? service.hostname : undefined,
    Domainname: typeof service.domainname === 'string' ? service.domainname : undefined,
    Tty: service.tty === true ? true : undefined,
    OpenStdin: service.stdin_open === true ? true : undefined,
    Labels: containerLabels(service, ctx),
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    StopSignal: typeof service.stop_signal === 'string' ? service.stop_signal : undefined,
    StopTimeout: stopTimeout(service.stop_grace_period),
    Healthcheck: healthConfig(service.healthcheck),
    HostConfig: hostConfig,
    NetworkingConfig: endpoints ? {EndpointsConfig: endpoints} : undefined,
  });
  return {name: options.name as string, options, connect};
}
