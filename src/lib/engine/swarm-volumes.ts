// Mounts on a Swarm cluster. A named volume of the `local` driver lives on one node: Swarm creates
// it, empty, on whichever node a task lands, so a service that may run on several nodes (more than
// one replica, global, or no constraint holding it to one node) would find its data on one node
// and an empty volume on the next, and lose it for good the day a task moves. Such a stack is
// refused before anything runs (exit 3), unless its volume uses a driver the operator lists in
// the policy as reaching every node (`volumes.shared_drivers`: an NFS or cluster-storage plugin).
//
// Bind mounts are the single-host policy's (the bind-mounts rule has checked the model): a path
// under a global file system is the same on every node, anything else is the operator's to keep
// present. tmpfs mounts are per task by nature.

import type Dockerode from 'dockerode';

import type {ComposeModel, Service, ServiceVolume} from '../compose/types.ts';
import {InvalidInputError} from '../errors.ts';
import {desiredReplicas} from './container-spec.ts';
import {volumeName} from './naming.ts';
import {volumeCreateOptions} from './resources.ts';
import type {StackRef} from './types.ts';

export interface SwarmVolumePolicy {
  /** Volume drivers whose volumes every node reaches; a service using one may move between nodes. */
  sharedDrivers: string[];
  /** Node labels the operator keeps unique per node, so `node.labels.NAME==…` pins a task to one node. */
  pinLabels: string[];
}

const PIN = /^\s*node\.(id|hostname|labels\.([A-Za-z0-9_.-]+))\s*==\s*(\S+)\s*$/;

/** The constraint that holds the service to one node, if one does. */
export function pinningConstraint(constraints: string[] | undefined, pinLabels: string[]): string | undefined {
  return (constraints ?? []).find((c) => {
    const m = PIN.exec(c);
    return m !== null && (m[2] === undefined || pinLabels.includes(m[2]));
  });
}

function constraintsOf(service: Service): string[] | undefined {
  const c = (service.deploy?.placement as {constraints?: unknown} | undefined)?.constraints;
  return Array.isArray(c) ? c.map(String) : undefined;
}

/** Why the service may run on more than one node, or undefined when it stays on one. */
function mayMove(service: Service, pinLabels: string[]): string | undefined {
  if (service.deploy?.mode === 'global') return 'it runs on every node (mode: global)';
  const replicas = desiredReplicas(service);
  if (replicas > 1) return `it runs ${replicas} replicas, on as many nodes as Swarm likes`;
  if (!pinningConstraint(constraintsOf(service), pinLabels)) return 'no placement constraint holds it to one node, so Swarm may start it anywhere';
  return undefined;
}

function driverOf(model: ComposeModel, key: string): string {
  return model.volumes[key]?.driver ?? 'local';
}

/** Refuses mounts the cluster would run differently from what the file says, or lose data with. */
export function checkSwarmVolumes(name: string, service: Service, model: ComposeModel, policy: SwarmVolumePolicy): void {
  service.volumes.forEach((v, i) => {
    const at = `volumes[${i}]`;
    if (!['volume', 'bind', 'tmpfs'].includes(v.type)) {
      throw new InvalidInputError(`service "${name}": ${at} is a "${v.type}" mount, which the swarm orchestrator does not run`, {hint: 'use a named volume, a bind mount under an allowed root, or tmpfs'});
    }
    if (v.type === 'volume' && v.volume?.subpath !== undefined) {
      throw new InvalidInputError(`service "${name}": ${at}.volume.subpath is not supported on a Swarm cluster`, {hint: `mount the whole volume and use a folder inside it, or deploy to an agent started with \`--orchestrator docker\``});
    }
    if (v.type !== 'volume' || v.source === undefined) return;
    const driver = driverOf(model, v.source);
    if (policy.sharedDrivers.includes(driver)) return;
    const why = mayMove(service, policy.pinLabels);
    if (why === undefined) return;
    const pins = ['node.id==ID', 'node.hostname==NAME', ...policy.pinLabels.map((l) => `node.labels.${l}==VALUE`)].join(', ');
    throw new InvalidInputError(
      `service "${name}" mounts volume "${v.source}", which lives on one node of the cluster (driver "${driver}"), but ${why}: a task on another node would start with an empty volume and the data would stay behind`,
      {
        hint:
          `run one replica pinned to a node with deploy.placement.constraints (${pins}; \`spin agent node ls\` lists the nodes)` +
          (policy.sharedDrivers.length ? `, or use a volume driver every node reaches (${policy.sharedDrivers.join(', ')})` : ', or ask the operator for a volume driver every node reaches (policy volumes.shared_drivers)'),
      },
    );
  });
}

/** A mount as the Engine API takes it; dockerode's type makes optional keys required. */
type Mount = {Type: 'volume' | 'bind' | 'tmpfs'; Source: string; Target: string; ReadOnly?: boolean; [key: string]: unknown};

function mount(ref: StackRef, model: ComposeModel, v: ServiceVolume): Mount {
  const base = {Target: v.target, ...(v.read_only === true ? {ReadOnly: true} : {})};
  if (v.type === 'tmpfs') {
    const options = {...(v.tmpfs?.size !== undefined ? {SizeBytes: v.tmpfs.size} : {}), ...(v.tmpfs?.mode !== undefined ? {Mode: v.tmpfs.mode} : {})};
    return {Type: 'tmpfs', Source: '', ...base, ...(Object.keys(options).length ? {TmpfsOptions: options} : {})};
  }
  if (v.type === 'bind') {
    const propagation = v.bind?.propagation;
    return {Type: 'bind', Source: v.source ?? '', ...base, ...(propagation ? {BindOptions: {Propagation: propagation}} : {})};
  }
  const nocopy = v.volume?.nocopy === true ? {NoCopy: true} : {};
  const key = v.source;
  const def = key === undefined ? undefined : (model.volumes[key] ?? {});
  // Anonymous and external volumes: the node's engine has (or makes) them as they are.
  if (key === undefined || def === undefined || def.external === true) {
    return {Type: 'volume', Source: key === undefined ? '' : volumeName(ref.project, model, key), ...base, ...(v.volume?.nocopy ? {VolumeOptions: nocopy} : {})};
  }
  // Each node creates the volume the first time a task mounts it there, from these options. The
  // labels and the local driver's option checks are the single host's (its options may only bind).
  const name = volumeName(ref.project, model, key);
  const driver = def.driver ?? 'local';
  const create = volumeCreateOptions(ref, key, name, driver === 'local' ? def : {...def, driver: 'local', driver_opts: undefined});
  const options = driver === 'local' ? create.DriverOpts : def.driver_opts;
  return {
    Type: 'volume',
    Source: name,
    ...base,
    VolumeOptions: {...nocopy, Labels: create.Labels ?? {}, DriverConfig: {Name: driver, ...(options && Object.keys(options).length ? {Options: options} : {})}},
  };
}

/** The task's mounts for the service's `volumes:` (its `tmpfs:` entries are swarm-spec.ts's). */
export function swarmMounts(ref: StackRef, model: ComposeModel, service: Service): Dockerode.MountSettings[] {
  return service.volumes.map((v) => mount(ref, model, v) as unknown as Dockerode.MountSettings);
}
