// The orchestrator interface the agent drives. One implementation per backend: the Docker
// Engine on one host (docker.ts) now, Docker Swarm later. The agent owns users, policy and
// revisions; a backend only turns a checked model into running containers and reports on them.

import type {ComposeModel, UpdateConfig} from '../compose/types.ts';

import type {LogSource} from '../api/log-frames.ts';
import type {LogChunk} from './logs.ts';
import type {NodeInfo} from './swarm-nodes.ts';

export interface StackRef {
  /** The platform project (team), e.g. `genomics`. */
  project: string;
  /** The stack name inside the project, e.g. `portal`. */
  stack: string;
}

/** Labels on every engine object Spin creates; they let the agent reconcile after a crash. */
export const LABELS = {
  managed: 'org.spin.managed',
  project: 'org.spin.project',
  stack: 'org.spin.stack',
  service: 'org.spin.service',
  replica: 'org.spin.replica',
  revision: 'org.spin.revision',
  configHash: 'org.spin.config-hash',
  oneShot: 'org.spin.one-shot',
  /** The replica count the deploy asked for, so status can report `desired` from the engine alone. */
  replicas: 'org.spin.replicas',
  /** The container port the ingress proxy routes to (set when the service asks for ingress). */
  ingressPort: 'org.spin.ingress.port',
  /** The host name the service asked for; empty means the agent's default name. */
  ingressHost: 'org.spin.ingress.host',
} as const;

export type ServiceAction = 'create' | 'recreate' | 'keep' | 'scale' | 'remove';

export interface ServicePlan {
  service: string;
  action: ServiceAction;
  /** Replicas running now → replicas wanted. */
  replicas: {from: number; to: number};
  configHash: string;
  /** Why, in words: "image changed", "new service", "2 → 3 replicas". */
  reason: string;
  /** How running replicas are replaced (set for `recreate`). */
  rollout?: ServiceRollout;
}

/** A service's rollout as the plan shows it (see engine/rollout.ts). */
export interface ServiceRollout {
  order: 'start-first' | 'stop-first';
  /** Why that order: "behind the ingress", "publishes host port 8080", "a one-shot". */
  why: string;
  /** Replicas replaced at once; 0 means all. */
  parallelism: number;
  delayMs: number;
  monitorMs: number;
  failureAction: 'rollback' | 'pause' | 'continue';
  maxFailureRatio: number;
  /** The above in one line. */
  summary: string;
}

export interface Plan {
  services: ServicePlan[];
  /** Networks and volumes to create (names as on the engine). */
  create: {networks: string[]; volumes: string[]};
  /** True when applying the plan changes nothing. */
  noop: boolean;
}

/**
 * `healthy`: its healthcheck passes; `running`: no healthcheck, and it kept running for the monitor
 * period (which a deploy also takes as success); `done`: a one-shot exited 0.
 */
export type DeployEventType = 'plan' | 'pull' | 'create' | 'start' | 'stop' | 'remove' | 'waiting' | 'healthy' | 'running' | 'done' | 'failed' | 'log' | 'drain';

export interface DeployEvent {
  type: DeployEventType;
  time: string;
  service?: string;
  replica?: number;
  message: string;
}

/** What a deploy is planned from. */
export interface PrepareRequest {
  ref: StackRef;
  /** Normalized, validated and policy-checked; policy defaults applied. */
  model: ComposeModel;
  /**
   * Secret values by the name the model uses (the agent resolves them); never logged. Without
   * them (a plan only), missing values are no error and services using secrets show as changed.
   */
  secrets?: Record<string, Buffer>;
  /**
   * Plan only (`spin deploy --dry-run`): nothing is pulled, an image the engine lacks shows its
   * service as changed, and the result cannot be executed.
   */
  dryRun?: boolean;
  /**
   * Replaces a service's update_config for this deploy: going back to an earlier revision rolls
   * out under the rollback_config of the revision being left.
   */
  updateConfigs?: Record<string, UpdateConfig | undefined>;
  /** Services whose images are pulled again even when the engine has them (a moved tag). */
  pull?: string[];
  /** Pull progress while preparing. */
  onEvent?: (event: DeployEvent) => void;
}

/**
 * A deploy planned and ready to run: `plan` is what `execute` does, no more. The backend keeps
 * what it needs to run it (resolved images, file contents, per-replica steps) out of sight; only
 * the orchestrator that prepared it can execute it, and only once.
 */
export interface PreparedDeploy {
  readonly ref: StackRef;
  readonly plan: Plan;
}

export interface ExecuteOptions {
  revision: number;
  /** How long to wait for everything to be healthy. */
  timeoutMs: number;
  /** Do not wait for health (`spin deploy --no-wait`). */
  noWait?: boolean;
  onEvent?: (event: DeployEvent) => void;
  signal?: AbortSignal;
}

/** A whole deploy in one request: prepare and execute (engine/deploy.ts). */
export type DeployRequest = Omit<PrepareRequest, 'dryRun' | 'secrets'> & ExecuteOptions & {secrets: Record<string, Buffer>};

export interface ReplicaStatus {
  replica: number;
  container: string;
  id: string;
  /** Docker's state: created, running, exited, restarting, dead, paused. */
  state: string;
  /** healthy, unhealthy, starting, or none when no healthcheck. */
  health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  exitCode?: number;
  startedAt?: string;
  revision?: number;
  configHash?: string;
  /** The cluster node it runs on, by address (Swarm); absent on a single host. */
  node?: string;
}

export interface ServiceStatus {
  service: string;
  image: string;
  imageDigest?: string;
  desired: number;
  running: number;
  /** Running replicas whose healthcheck passes; a replica without a healthcheck is never counted. */
  healthy: number;
  /** Published host ports; the loopback port the ingress proxy reaches a replica on is not one. */
  ports: {published: string; target: number; protocol: string; hostIp?: string}[];
  /** Where the service answers through the agent's ingress, when it asks for it and the agent runs one. */
  ingress?: {host: string; url: string};
  replicas: ReplicaStatus[];
}

export interface StackStatus {
  ref: StackRef;
  services: ServiceStatus[];
  /** The revision label found on the containers (highest), if any. */
  revision?: number;
}

export interface FailureDetail {
  service: string;
  replica?: number;
  reason: string;
  /** How to fix it, when the cause is known (a host port in use: which to pick instead). */
  hint?: string;
  /** The failing container's last log lines. */
  logs: string[];
}

export interface DeployResult {
  plan: Plan;
  outcome: 'healthy' | 'failed' | 'timeout' | 'started';
  status: StackStatus;
  /** Image digests in use per service (`repo@sha256:…` or image id when local only). */
  images: Record<string, string>;
  failure?: FailureDetail;
}

/** A volume of a project, with the stacks that use it. */
export interface ProjectVolume {
  name: string;
  driver: string;
  createdAt?: string;
  stacks: string[];
  /** On a cluster: the address of the node that holds it (a name can exist on several nodes). */
  node?: string;
}

export interface VolumeListing {
  volumes: ProjectVolume[];
  /** On a cluster: the nodes whose volumes are missing from the list, and why. */
  unlisted?: {node: string; reason: string}[];
}

/** What `remove` did with the stack's volumes (nothing without `volumes`). */
export interface RemoveReport {
  volumes: {
    removed: string[];
    /** Each with why it stayed: another stack still uses it, or it is not the stack's own. */
    kept: {name: string; reason: string}[];
  };
}

export interface LogOptions {
  services?: string[];
  follow?: boolean;
  /** Unix seconds. */
  since?: number;
  tail?: number;
  timestamps?: boolean;
  signal?: AbortSignal;
}

/** A stack's logs as they travel: the replicas they come from, then chunks of whole lines. */
export interface LogStream {
  sources: LogSource[];
  chunks: AsyncIterable<LogChunk>;
}

export interface LogLine {
  service: string;
  replica: number;
  stream: 'stdout' | 'stderr';
  timestamp: string;
  line: string;
}

export interface ExecOptions {
  service: string;
  /** 1-based replica index. */
  index?: number;
  cmd: string[];
  tty?: boolean;
  stdin?: boolean;
  user?: string;
  workdir?: string;
  env?: string[];
}

export interface ExecSession {
  /** Duplex stream: write stdin; read stdout (and stderr when tty). */
  stdin: NodeJS.WritableStream;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream;
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the exit code when the process ends. */
  wait(): Promise<number>;
  kill(): void;
}

export interface ClusterNode extends NodeInfo {
  /** Spin replicas the cluster means to run on the node now (desired state running). */
  replicas: number;
}

export interface Orchestrator {
  readonly name: string;
  /** Checks the engine answers; throws UnreachableError when it does not. */
  ping(): Promise<void>;
  /** Plans a deploy against what the engine has now (pulling what it lacks unless a dry run). */
  prepare(request: PrepareRequest): Promise<PreparedDeploy>;
  /**
   * Runs exactly the prepared plan. When the engine no longer matches it (a container of the
   * stack gone or added, a network or volume appeared or vanished since), it changes nothing and
   * throws an `engine.conflict` EngineError: deploying again plans from what is there now.
   */
  execute(prepared: PreparedDeploy, options: ExecuteOptions): Promise<DeployResult>;
  status(ref: StackRef): Promise<StackStatus>;
  /** Every stack that has engine objects, optionally in one project. */
  stacks(project?: string): Promise<StackRef[]>;
  stop(ref: StackRef, services?: string[]): Promise<void>;
  start(ref: StackRef, services?: string[]): Promise<void>;
  restart(ref: StackRef, services?: string[]): Promise<void>;
  /** Removes the stack's containers and networks, and with `volumes` the volumes it owns; says which volumes went and which stayed. */
  remove(ref: StackRef, options?: {volumes?: boolean}): Promise<RemoveReport>;
  /** The logs as bytes (what `spin logs` reads); `logLines` (engine/logs.ts) makes lines of them. */
  logs(ref: StackRef, options: LogOptions): Promise<LogStream>;
  exec(ref: StackRef, options: ExecOptions): Promise<ExecSession>;
  /** The project's volumes: the engine's, or on a cluster those of every node the agent reaches. */
  volumes(project: string): Promise<VolumeListing>;
  removeVolume(project: string, name: string): Promise<void>;
  /** A cluster's nodes with the number of Spin replicas each runs; absent on a single host. */
  nodes?(): Promise<ClusterNode[]>;
  /** Lets go of what the backend follows (the engine's event stream), when the agent stops. */
  close?(): void;
}
