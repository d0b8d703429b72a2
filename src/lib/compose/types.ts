// Types shared by the loader phases, the policy engine and the commands.

/** Where a value came from: 1-based line and column, as editors show them. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** A path into the model: `['services', 'web', 'cap_add', 1]`. */
export type PathSegment = string | number;
export type ModelPath = readonly PathSegment[];

export type Severity = 'error' | 'warning';

/**
 * One problem found while loading or checking a stack. `source` says which phase or policy found
 * it: `yaml`, `interpolation`, `dotenv`, `include`, `extends`, `merge`, `schema`, `semantic`, or
 * `policy`. For policy diagnostics `rule` is the rule id (`privileged`, `ports`, ...).
 */
export interface Diagnostic {
  severity: Severity;
  source: string;
  rule?: string;
  message: string;
  /** Dotted path of the offending value, e.g. `services.web.cap_add[1]`. */
  path?: string;
  location?: SourceLocation;
  hint?: string;
}

/**
 * A duration in the normalized model: nanoseconds, whatever unit the file used (`1m30s`, `90s`).
 * Compose documents (`spin config`, the deploy request) write it as text again (render.ts).
 */
export type DurationNs = number;

/** A size in the normalized model: bytes, whatever unit the file used (`512m`, `1g`). */
export type Bytes = number;

/** A mapping as it comes out of YAML and interpolation, before normalization. */
export type RawMap = Record<string, unknown>;

export interface PortConfig {
  name?: string;
  target: number;
  /** Host port or range (`"8080"`, `"8000-8010"`); absent when the engine picks one. */
  published?: string;
  host_ip?: string;
  protocol: string;
  app_protocol?: string;
  mode: 'ingress' | 'host' | string;
}

export interface ServiceVolume {
  type: 'volume' | 'bind' | 'tmpfs' | 'npipe' | 'cluster' | 'image' | string;
  /** Named volume name, or an absolute host path for binds (relative paths are resolved). */
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: {propagation?: string; create_host_path?: boolean; selinux?: string; recursive?: string};
  volume?: {nocopy?: boolean; subpath?: string};
  tmpfs?: {size?: Bytes; mode?: number};
  image?: {subpath?: string};
}

export interface DependsOn {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully' | string;
  required: boolean;
  restart?: boolean;
}

export interface FileReference {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface Healthcheck {
  /** Canonical form: `['CMD', ...]`, `['CMD-SHELL', 'cmd']` or `['NONE']`. */
  test?: string[];
  interval?: DurationNs;
  timeout?: DurationNs;
  start_period?: DurationNs;
  start_interval?: DurationNs;
  retries?: number;
  disable?: boolean;
}

export interface Resources {
  /** CPUs as a number (`0.5`). */
  cpus?: number;
  memory?: Bytes;
  pids?: number;
}

/** What a rollout may do when replicas fail (`update_config.failure_action`); rollback is the default. */
export const FAILURE_ACTIONS: readonly string[] = ['rollback', 'pause', 'continue'];
/** How replicas are replaced (`update_config.order`). */
export const UPDATE_ORDERS: readonly string[] = ['start-first', 'stop-first'];

export interface UpdateConfig {
  parallelism?: number;
  delay?: DurationNs;
  failure_action?: string;
  monitor?: DurationNs;
  max_failure_ratio?: number;
  order?: 'start-first' | 'stop-first' | string;
}

export interface Deploy {
  mode?: string;
  replicas?: number;
  labels?: Record<string, string>;
  resources?: {limits?: Resources; reservations?: Resources & {devices?: unknown[]}};
  restart_policy?: {condition?: string; delay?: DurationNs; max_attempts?: number; window?: DurationNs};
  update_config?: UpdateConfig;
  rollback_config?: UpdateConfig;
  placement?: unknown;
  endpoint_mode?: string;
  [extension: string]: unknown;
}

/**
 * A service in canonical long form: every short syntax expanded, env files folded into
 * `environment`, relative paths resolved, YAML 1.1 booleans and interpolated numbers cast.
 * Fields the platform does not interpret are kept as they came (index signature).
 */
export interface Service {
  image?: string;
  build?: {context: string; dockerfile?: string; dockerfile_inline?: string; args?: Record<string, string | null>; target?: string; [k: string]: unknown};
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment: Record<string, string | null>;
  labels?: Record<string, string>;
  ports: PortConfig[];
  expose?: string[];
  volumes: ServiceVolume[];
  tmpfs?: string[];
  depends_on: Record<string, DependsOn>;
  networks: Record<string, {aliases?: string[]; ipv4_address?: string; ipv6_address?: string; priority?: number; [k: string]: unknown} | null>;
  secrets: FileReference[];
  configs: FileReference[];
  cap_add: string[];
  cap_drop: string[];
  privileged?: boolean;
  read_only?: boolean;
  init?: boolean;
  user?: string;
  working_dir?: string;
  network_mode?: string;
  pid?: string | null;
  ipc?: string;
  uts?: string;
  userns_mode?: string;
  cgroup?: string;
  cgroup_parent?: string;
  security_opt: string[];
  devices: {source: string; target: string; permissions?: string}[];
  device_cgroup_rules: string[];
  gpus?: unknown;
  container_name?: string;
  volumes_from: string[];
  sysctls: Record<string, string>;
  mem_limit?: Bytes;
  mem_reservation?: Bytes;
  memswap_limit?: Bytes;
  shm_size?: Bytes;
  stop_grace_period?: DurationNs;
  cpus?: number;
  pids_limit?: number;
  healthcheck?: Healthcheck;
  deploy?: Deploy;
  restart?: string;
  profiles?: string[];
  extends?: never;
  [field: string]: unknown;
}

export interface NetworkDef {
  name?: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
  [field: string]: unknown;
}

export interface VolumeDef {
  name?: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
  [field: string]: unknown;
}

export interface FileObjectDef {
  name?: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
  labels?: Record<string, string>;
  [field: string]: unknown;
}

/**
 * The deploy request's `modelFormat` for a compose document that is already resolved: values
 * interpolated (a `$` is a `$`), `include`, `extends` and env files folded in. The number goes up
 * when the document changes in a way an older agent would misread.
 */
export const RESOLVED_MODEL_FORMAT = 'compose-resolved/1';

/**
 * The normalized compose model: what `spin config` prints and what policy, engine and the agent
 * see. Not a platform project (a team), which the API calls `project`.
 */
export interface ComposeModel {
  name: string;
  services: Record<string, Service>;
  networks: Record<string, NetworkDef>;
  volumes: Record<string, VolumeDef>;
  secrets: Record<string, FileObjectDef>;
  configs: Record<string, FileObjectDef>;
  [field: string]: unknown;
}
