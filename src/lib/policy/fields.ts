// The allow-list under the policy: every field of the compose model, with the platform's decision
// about it. A field reaches an orchestrator only when it is listed here as harmless or as bounded
// by a named rule; a listed field that is refused, and any field that is not listed at all
// (compose grows: a field added to the spec later is refused until someone decides), is reported
// by the `fields` rule with its path and a hint. Fields only the CLI or the loader reads (build,
// profiles, env_file, ...) never reach the agent's engine calls and are accepted as such.
//
// test/lib/policy/fields.test.ts walks schemas/compose-spec.json and fails when the spec has a
// field this table neither accepts nor refuses, so a schema update forces a decision here.

import {formatPath} from '../compose/locations.ts';
import type {ModelPath} from '../compose/types.ts';
import type {RuleId} from './types.ts';

export type Decision =
  /** Passed to the engine as written; it only changes the caller's own containers. */
  | {kind: 'harmless'; why: string}
  /** Passed to the engine after the named rule bounded its value. */
  | {kind: 'rule'; rule: RuleId}
  /** Read on the client or by the loader; never part of what an orchestrator is asked to run. */
  | {kind: 'client'; why: string}
  /** Never reaches the engine on a single host; the decision is the backend's that would use it. */
  | {kind: 'unused'; why: string}
  /** Refused whenever it is set (to anything other than an empty or false value). */
  | {kind: 'refused'; hint: string};

export interface Field {
  decision: Decision;
  /** The shape of the value when it is a mapping (or of each item, with `each`). */
  shape?: Shape;
  /** `list`: the value is a list of `shape`; `map`: a mapping of names to `shape`. */
  each?: 'list' | 'map';
}

export type Shape = Readonly<Record<string, Field>>;

const harmless = (why: string, shape?: Shape, each?: Field['each']): Field => ({decision: {kind: 'harmless', why}, ...(shape ? {shape} : {}), ...(each ? {each} : {})});
const rule = (id: RuleId, shape?: Shape, each?: Field['each']): Field => ({decision: {kind: 'rule', rule: id}, ...(shape ? {shape} : {}), ...(each ? {each} : {})});
const client = (why: string): Field => ({decision: {kind: 'client', why}});
const unused = (why: string): Field => ({decision: {kind: 'unused', why}});
const refused = (hint: string): Field => ({decision: {kind: 'refused', hint}});

const OWN = "only the caller's own containers";
const NOT_NEEDED = 'the platform does not pass it to the engine';

const UPDATE_CONFIG: Shape = {
  parallelism: harmless("pace of the stack's own rollout"),
  delay: harmless("pace of the stack's own rollout"),
  failure_action: harmless("what the stack's own rollout does on failure"),
  monitor: harmless("how long the stack's own rollout watches a replica"),
  max_failure_ratio: harmless("the stack's own rollout"),
  order: harmless("the stack's own rollout"),
};

const LIMITS: Shape = {
  cpus: rule('resources'),
  memory: rule('resources'),
  pids: rule('resources'),
};

const DEPLOY: Shape = {
  mode: harmless('replicated or global: how many of the caller\'s own replicas run'),
  endpoint_mode: harmless("how the stack's own replicas are addressed"),
  replicas: rule('resources'),
  labels: harmless("labels on the caller's own containers (org.spin.* labels are the platform's and are dropped)"),
  rollback_config: harmless("the stack's own rollback", UPDATE_CONFIG),
  update_config: harmless("the stack's own rollout", UPDATE_CONFIG),
  resources: harmless('limits and reservations, each checked below', {
    limits: harmless('each limit is bounded by the resources rule', LIMITS),
    reservations: harmless('reservations are soft', {
      cpus: harmless('a reservation is a scheduling hint, never more than the limit'),
      memory: harmless('a soft limit under the hard limit'),
      generic_resources: refused('remove generic_resources: the platform has no such resources to reserve'),
      devices: rule('devices'),
    }),
  }),
  restart_policy: harmless("when the caller's own containers restart", {
    condition: harmless(OWN),
    delay: harmless(OWN),
    max_attempts: harmless(OWN),
    window: harmless(OWN),
  }),
  placement: unused('one engine has no placement; a cluster backend must bound it to the project\'s nodes before using it'),
};

const HEALTHCHECK: Shape = {
  disable: harmless(OWN),
  interval: harmless(OWN),
  retries: harmless(OWN),
  test: harmless('a command run inside the container'),
  timeout: harmless(OWN),
  start_period: harmless(OWN),
  start_interval: harmless(OWN),
};

const PORT: Shape = {
  name: harmless('a label for the port'),
  mode: harmless('ingress or host: the same on one engine'),
  host_ip: rule('ports'),
  target: harmless('a port inside the container'),
  published: rule('ports'),
  protocol: harmless('tcp or udp'),
  app_protocol: harmless('a hint for proxies'),
};

const SERVICE_VOLUME: Shape = {
  type: rule('bind-mounts'),
  source: rule('bind-mounts'),
  target: harmless('a path inside the container'),
  read_only: harmless('only narrows the mount'),
  consistency: harmless('a Docker Desktop hint, ignored on Linux'),
  bind: harmless('bind options, each checked', {
    propagation: rule('bind-mounts'),
    create_host_path: harmless('creates a missing folder under an allowed root'),
    recursive: harmless('read-only recursion of the same mount'),
    selinux: harmless("relabels the caller's own allowed folder"),
  }),
  volume: harmless('volume options, each checked', {
    nocopy: harmless('skips copying image content into a new volume'),
    labels: harmless("labels on the stack's own volume"),
    subpath: refused('mount the whole volume and use a folder inside it: the engine here cannot mount part of a volume safely'),
  }),
  tmpfs: harmless('an in-memory folder, charged to the container\'s memory limit', {
    size: harmless('charged to the memory limit'),
    mode: harmless('permissions inside the container'),
  }),
  image: refused('build the files into the service\'s own image: mounting another image is not allowed'),
};

const SERVICE_NETWORK: Shape = {
  aliases: harmless("names on the stack's own network"),
  interface_name: refused('remove interface_name: the platform names interfaces itself'),
  ipv4_address: harmless("an address on the stack's own network"),
  ipv6_address: harmless("an address on the stack's own network"),
  link_local_ips: refused('remove link_local_ips: link-local addresses reach outside the stack network'),
  mac_address: refused('remove mac_address: the engine assigns MAC addresses'),
  driver_opts: refused('remove driver_opts from the service\'s network: endpoint options are the platform\'s'),
  priority: harmless('order in which networks are connected'),
  gw_priority: harmless('which network is the default route'),
};

const FILE_REFERENCE: Shape = {
  source: harmless('a secret or config of the stack or project'),
  target: harmless('a path inside the container'),
  uid: rule('files'),
  gid: rule('files'),
  mode: rule('files'),
};

const LOGGING: Shape = {
  driver: rule('logging'),
  options: rule('logging'),
};

const HOOK = refused('run the command in the container\'s entrypoint instead: lifecycle hooks can run as another user or privileged');

export const SERVICE_FIELDS: Shape = {
  develop: client('compose watch settings, used on the developer\'s machine'),
  deploy: harmless('each deploy setting is checked', DEPLOY),
  annotations: refused('remove annotations: they configure the container runtime, which is the platform\'s'),
  attach: client('whether `up` attaches to the logs'),
  build: client('built on the client; the agent runs the pushed image'),
  blkio_config: refused('remove blkio_config: the platform does not set block I/O weights or device limits'),
  cap_add: rule('capabilities'),
  cap_drop: rule('capabilities'),
  cgroup: rule('host-namespaces'),
  cgroup_parent: rule('isolation'),
  command: harmless('the program run inside the container'),
  configs: rule('files', FILE_REFERENCE, 'list'),
  container_name: rule('isolation'),
  cpu_count: refused('set deploy.resources.limits.cpus instead (cpu_count is for Windows)'),
  cpu_percent: refused('set deploy.resources.limits.cpus instead (cpu_percent is for Windows)'),
  cpu_shares: refused(`set deploy.resources.limits.cpus instead: ${NOT_NEEDED}`),
  cpu_quota: refused('set deploy.resources.limits.cpus instead'),
  cpu_period: refused('set deploy.resources.limits.cpus instead'),
  cpu_rt_period: refused('remove cpu_rt_period: real-time scheduling is not available on a shared host'),
  cpu_rt_runtime: refused('remove cpu_rt_runtime: real-time scheduling is not available on a shared host'),
  cpus: rule('resources'),
  cpuset: refused('remove cpuset: the platform places containers on CPUs itself; limit CPU time with deploy.resources.limits.cpus'),
  credential_spec: refused('remove credential_spec (Windows containers only)'),
  depends_on: harmless('start order within the stack'),
  device_cgroup_rules: rule('devices'),
  devices: rule('devices'),
  dns: harmless("the container's own resolver"),
  dns_opt: harmless("the container's own resolver"),
  dns_search: harmless("the container's own resolver"),
  domainname: harmless("the container's own name"),
  entrypoint: harmless('the program run inside the container'),
  env_file: client('read by the loader into environment'),
  label_file: client('read by the loader into labels'),
  environment: harmless('variables inside the container'),
  expose: harmless("ports on the stack's own network"),
  extends: client('resolved by the loader'),
  provider: refused('remove provider: provider services run a plugin on the machine that deploys'),
  external_links: refused('remove external_links: a stack reaches only its own services (use their names)'),
  extra_hosts: harmless("the container's own /etc/hosts"),
  gpus: rule('devices'),
  group_add: rule('global-fs'),
  healthcheck: harmless('a check run inside the container', HEALTHCHECK),
  hostname: harmless("the container's own name"),
  image: rule('registry'),
  init: harmless('a small init process as PID 1'),
  ipc: rule('host-namespaces'),
  isolation: refused('remove isolation (Windows containers only)'),
  labels: harmless("labels on the caller's own containers (org.spin.* labels are the platform's and are dropped)"),
  links: rule('isolation'),
  logging: rule('logging', LOGGING),
  mac_address: refused('remove mac_address: the engine assigns MAC addresses'),
  mem_limit: rule('resources'),
  mem_reservation: harmless('a soft limit under the hard limit'),
  mem_swappiness: refused(`remove mem_swappiness: ${NOT_NEEDED}`),
  memswap_limit: rule('resources'),
  network_mode: rule('host-namespaces'),
  models: refused('remove models: the platform does not run model providers'),
  networks: rule('networks', SERVICE_NETWORK, 'map'),
  oom_kill_disable: refused('remove oom_kill_disable: a container over its memory limit must be stoppable'),
  oom_score_adj: rule('resources'),
  pid: rule('host-namespaces'),
  pids_limit: rule('resources'),
  platform: harmless('which image variant to run'),
  ports: rule('ports', PORT, 'list'),
  post_start: HOOK,
  pre_start: HOOK,
  pre_stop: HOOK,
  privileged: rule('privileged'),
  profiles: client('chooses services on the client'),
  pull_policy: harmless('when the image is pulled'),
  pull_refresh_after: harmless('when the image is pulled'),
  read_only: harmless('only narrows what the container may write'),
  restart: harmless("when the caller's own containers restart"),
  runtime: refused('remove runtime: the platform chooses the container runtime'),
  scale: rule('resources'),
  security_opt: rule('security-opt'),
  shm_size: rule('resources'),
  secrets: rule('files', FILE_REFERENCE, 'list'),
  sysctls: rule('isolation'),
  stdin_open: harmless(OWN),
  stop_grace_period: harmless(OWN),
  stop_signal: harmless(OWN),
  storage_opt: refused('remove storage_opt: the platform sets storage options'),
  tmpfs: harmless("in-memory folders, charged to the container's memory limit"),
  tty: harmless(OWN),
  ulimits: rule('resources'),
  use_api_socket: refused('remove use_api_socket: the Docker socket gives control of the host'),
  user: rule('global-fs'),
  uts: rule('host-namespaces'),
  userns_mode: rule('host-namespaces'),
  volumes: rule('bind-mounts', SERVICE_VOLUME, 'list'),
  volumes_from: rule('isolation'),
  working_dir: harmless('a path inside the container'),
};

export const NETWORK_FIELDS: Shape = {
  name: rule('isolation'),
  driver: rule('networks'),
  driver_opts: rule('networks'),
  ipam: rule('networks'),
  external: rule('isolation'),
  internal: harmless("cuts the stack's own network off from the outside"),
  enable_ipv4: harmless("addressing of the stack's own network"),
  enable_ipv6: harmless("addressing of the stack's own network"),
  attachable: harmless("only the stack's own network"),
  labels: harmless("labels on the stack's own network"),
};

export const VOLUME_FIELDS: Shape = {
  name: harmless("the volume's name inside the project (the engine name is prefixed with the project)"),
  driver: rule('volumes'),
  driver_opts: rule('volumes'),
  external: rule('isolation'),
  labels: harmless("labels on the project's own volume"),
};

export const SECRET_FIELDS: Shape = {
  name: harmless('the secret\'s name'),
  environment: client('read from the client\'s environment'),
  file: client('read from the client\'s file'),
  content: harmless('the value, stored encrypted'),
  external: harmless("one of the project's own stored secrets"),
  labels: harmless('labels'),
  driver: refused('remove driver: secrets are stored by the platform'),
  driver_opts: refused('remove driver_opts: secrets are stored by the platform'),
  template_driver: refused('remove template_driver: secret values are used as given'),
};

export const CONFIG_FIELDS: Shape = {
  name: harmless("the config's name"),
  content: harmless('the value'),
  environment: client('read from the client\'s environment'),
  file: client('read from the client\'s file'),
  external: refused('write the config inline with content: the platform stores no configs of its own'),
  labels: harmless('labels'),
  template_driver: refused('remove template_driver: config values are used as given'),
};

/** Top-level sections: services and the objects they use are walked with their own shapes. */
export const PROJECT_FIELDS: Shape = {
  name: harmless('the project name the loader chose; the agent names the stack itself'),
  version: client('obsolete; ignored'),
  include: client('resolved by the loader'),
  services: harmless('each service is checked', SERVICE_FIELDS, 'map'),
  networks: harmless('each network is checked', NETWORK_FIELDS, 'map'),
  volumes: harmless('each volume is checked', VOLUME_FIELDS, 'map'),
  secrets: harmless('each secret is checked', SECRET_FIELDS, 'map'),
  configs: harmless('each config is checked', CONFIG_FIELDS, 'map'),
  models: refused('remove models: the platform does not run model providers'),
};

/** False, null, empty text, lists and mappings: what normalization writes for "not set". */
export function isUnset(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface FieldProblem {
  path: ModelPath;
  message: string;
  hint: string;
}

/**
 * Every field of `value` that the shape refuses or does not know. Extension fields (`x-…`) are
 * the user's own notes and Spin's `x-spin`, which only Spin reads. Client-only and unused subtrees
 * are not descended into: nothing in them reaches an engine call.
 */
export function fieldProblems(value: unknown, shape: Shape = PROJECT_FIELDS, path: ModelPath = []): FieldProblem[] {
  const out: FieldProblem[] = [];
  const walk = (v: unknown, s: Shape, at: ModelPath) => {
    if (!isMapping(v)) return;
    for (const [key, child] of Object.entries(v)) {
      if (key.startsWith('x-')) continue;
      const here = [...at, key];
      const field = Object.hasOwn(s, key) ? s[key] : undefined;
      if (!field) {
        if (isUnset(child)) continue;
        out.push({
          path: here,
          message: `${formatPath(here)} is not a field the platform accepts`,
          hint: `remove "${key}"; the platform passes only fields it has checked to the engine (a site operator can allow a new field in a new Spin release)`,
        });
        continue;
      }
      const d = field.decision;
      if (d.kind === 'refused') {
        if (!isUnset(child)) out.push({path: here, message: `${formatPath(here)} is not allowed on the platform`, hint: d.hint});
        continue;
      }
      if (d.kind === 'client' || d.kind === 'unused' || !field.shape) continue;
      if (field.each === 'list') {
        if (Array.isArray(child)) child.forEach((item, i) => walk(item, field.shape as Shape, [...here, i]));
      } else if (field.each === 'map') {
        if (isMapping(child)) for (const [k, item] of Object.entries(child)) walk(item, field.shape as Shape, [...here, k]);
      } else {
        walk(child, field.shape, here);
      }
    }
  };
  walk(value, shape, path);
  return out;
}
