// The policy as the rules see it. A policy file (policies/default.yaml, or a site's own file
// given to `spin agent start --policy`) has the same sections; the loader turns port lists into
// ranges and byte sizes into numbers, and fills sections a site file leaves out from the default.

import type {PortRange} from './values.ts';

export const RULE_IDS = [
  'registry',
  'privileged',
  'capabilities',
  'host-namespaces',
  'devices',
  'security-opt',
  'bind-mounts',
  'global-fs',
  'ports',
  'names',
  'isolation',
  'resources',
  'fields',
  'networks',
  'volumes',
  'logging',
  'files',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

export interface ResourceValues {
  /** Bytes. */
  memory?: number;
  cpus?: number;
  pids?: number;
}

export interface Policy {
  version: 1;
  /** Rules this site does not enforce, e.g. `[devices]` on a GPU partition. */
  disabled_rules: RuleId[];
  registry: {
    /**
     * `host[:port]` or `host[:port]/path-prefix`; `docker.io` covers Docker Hub and its aliases,
     * `{project}` in a path prefix is the caller's project. The platform registry
     * (PolicyContext.registry) is allowed in addition, so sites need not repeat it here.
     */
    allowed: string[];
    /**
     * Paths of the platform registry every project may pull from. Otherwise a project pulls only
     * under `{registry}/{project}/`, its own path.
     */
    shared: string[];
  };
  capabilities: {
    /** cap_drop must contain ALL, so a container starts from nothing and adds back. */
    require_drop_all: boolean;
    /** Capability names without the `CAP_` prefix, upper case. */
    allowed_add: string[];
  };
  devices: {
    /** When false, `devices`, `device_cgroup_rules`, `gpus` and device reservations are refused. */
    allowed: boolean;
  };
  security_opt: {
    /** The only options a service may set, `key=value` or a bare flag (`key:value` matches too). */
    allowed: string[];
    /** Options refused with a message that says they turn a protection off (all others are refused too). */
    refused: string[];
  };
  bind_mounts: {
    /** Absolute host paths a bind mount must be at or under; `{project}` is the caller's project. */
    allowed_roots: string[];
    /** Host paths never mounted, nor any path inside them, nor a folder that contains them. */
    forbidden_sources: string[];
  };
  global_fs: {
    /** Mount points of shared (global) file systems, where files are owned by real users. */
    roots: string[];
    /** The only capabilities a service that mounts a global file system may add. */
    allowed_cap_add: string[];
  };
  ports: {
    /** Host ports that may be published. */
    allowed: PortRange[];
    /** Host addresses a port may name in `host_ip` (the agent's own publish address is used otherwise). */
    host_ips: string[];
  };
  names: {
    /** Stack and service names must match this (a DNS label by default). */
    pattern: string;
  };
  isolation: {
    /** Sysctl names; a trailing `*` matches any suffix (`net.*`, `kernel.shm*`). */
    allowed_sysctls: string[];
  };
  resources: {
    /** Highest limit a service may ask for; an absent field is not capped. */
    max: ResourceValues;
    /** Limits given to a service that sets none. */
    defaults: ResourceValues;
  };
  limits: {
    /** Most replicas of one service. */
    replicas: number;
    /** Most services in one stack. */
    services: number;
    /** Largest /dev/shm, in bytes. */
    shm_size: number;
    /** The ulimits a service may set, each with its highest value; any other is refused. */
    ulimits: Record<string, number>;
  };
  networks: {
    /** Drivers a stack's own networks may use. */
    drivers: string[];
  };
  volumes: {
    /** Drivers a named volume may use; driver_opts are only ever a bind of an allowed host path. */
    drivers: string[];
    /** Swarm: drivers whose volumes every node reaches, so a service using one may move between nodes. */
    shared_drivers: string[];
  };
  /** Swarm: node pools, as placement constraints every task of a project must meet. */
  placement: {
    /** Constraints per project (`node.labels.pool==bio`). */
    projects: Record<string, string[]>;
    /** Constraints for the projects not listed. */
    default: string[];
    /** Node labels that name one node each: `node.labels.NAME==…` pins a service like `node.id==…`. */
    pin_labels: string[];
  };
  logging: {
    /** Log drivers a service may choose (kept on the host, never sent elsewhere). */
    drivers: string[];
    /** Largest max-size, in bytes, and most max-file. */
    max_size: number;
    max_file: number;
  };
}

/** Who is deploying what, as the agent knows it (the CLI passes what it knows locally). */
export interface PolicyContext {
  /** The caller's project; without it, `{project}` in a bind root matches any one folder. */
  project?: string;
  /** The caller's numeric identity, required of services that mount a global file system. */
  uid?: number;
  gid?: number;
  /** The stack name the model is deployed under. */
  stack?: string;
  /** The platform registry (`host[:port]`), always allowed in addition to the policy's list. */
  registry?: string;
}
