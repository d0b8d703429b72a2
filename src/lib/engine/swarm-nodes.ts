// A Swarm cluster's nodes, for the platform's admins: list them, drain one, activate it again.
// Nodes are named by ID (or a unique prefix of it) or by address, never by hostname: nodes made
// from one image, or several engines on one machine, share a hostname.

import type Docker from 'dockerode';

import {InvalidInputError, TimeoutError} from '../errors.ts';
import {EngineError, engineCall, engineError, engineMessage} from './errors.ts';
import {LABELS, type ClusterNode} from './types.ts';

/**
 * Set on a node while a Spin drain takes it out of service: the cluster ingress stops routing to
 * the node's tasks before Swarm stops them. A label, so the agent's proxy reads it from the
 * cluster like everything else it routes by (the drain may run in another process).
 */
export const NODE_LEAVING_LABEL = 'org.spin.node.leaving';
/** How long a drain waits after labelling a node for the proxy to route around it and for requests in flight on it to end. */
const LEAVING_GRACE_MS = 2000;

export interface NodeInfo {
  id: string;
  /** The address the node reaches the cluster on (Swarm's `Status.Addr`). */
  address: string;
  role: 'manager' | 'worker';
  /** `active`, `pause` (keeps its tasks, takes no new ones) or `drain`. */
  availability: string;
  /** `ready`, `down`, `disconnected`, `unknown`. */
  state: string;
  /** The manager that leads the cluster's Raft group. */
  leader: boolean;
  labels: Record<string, string>;
}

interface EngineNode {
  ID: string;
  Version: {Index: number};
  Spec: {Role?: string; Availability?: string; Labels?: Record<string, string>; Name?: string};
  Status?: {State?: string; Addr?: string};
  ManagerStatus?: {Leader?: boolean; Addr?: string};
}

/** How long a node's own engine may take to answer before it counts as not answering. */
const NODE_ANSWER_MS = 5000;

/**
 * A call to a node's own engine, or an error after 5 s: a node that is down must not hold up what
 * asks every node (the start-up check of node engines, the cluster's volume list).
 */
export async function nodeAnswer<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${NODE_ANSWER_MS / 1000} s`)), NODE_ANSWER_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function engineNodes(docker: Docker): Promise<EngineNode[]> {
  return (await engineCall('list the cluster\'s nodes', () => docker.listNodes())) as EngineNode[];
}

/** A manager reports `0.0.0.0` as its own Status.Addr on some versions: its Raft address says where it is. */
function addressOf(n: EngineNode): string {
  const addr = n.Status?.Addr;
  if (addr && addr !== '0.0.0.0') return addr;
  return n.ManagerStatus?.Addr?.replace(/:\d+$/, '') ?? addr ?? '';
}

export async function listNodes(docker: Docker): Promise<NodeInfo[]> {
  return (await engineNodes(docker))
    .map((n) => ({
      id: n.ID,
      address: addressOf(n),
      role: n.Spec.Role === 'manager' ? ('manager' as const) : ('worker' as const),
      availability: n.Spec.Availability ?? 'active',
      state: n.Status?.State ?? 'unknown',
      leader: n.ManagerStatus?.Leader === true,
      labels: n.Spec.Labels ?? {},
    }))
    .sort((a, b) => a.address.localeCompare(b.address, undefined, {numeric: true}) || a.id.localeCompare(b.id));
}

/** Every node with the number of Spin replicas it is meant to run now (the dashboard's nodes page). */
export async function clusterNodes(docker: Docker): Promise<ClusterNode[]> {
  const [nodes, tasks] = await Promise.all([
    listNodes(docker),
    engineCall('list the cluster\'s tasks', () => docker.listTasks({filters: {label: [`${LABELS.managed}=true`], 'desired-state': ['running']}})) as Promise<{NodeID?: string}[]>,
  ]);
  const counts = new Map<string, number>();
  for (const t of tasks) if (t.NodeID) counts.set(t.NodeID, (counts.get(t.NodeID) ?? 0) + 1);
  return nodes.map((n) => ({...n, replicas: counts.get(n.id) ?? 0}));
}

/** Node ID → address, for status (`spin ps` shows the address). */
export async function nodeAddresses(docker: Docker): Promise<Map<string, string>> {
  return new Map((await engineNodes(docker)).map((n) => [n.ID, addressOf(n)]));
}

/** The one node `name` means: its full ID, its address, or a prefix of its ID that no other node shares. */
export async function findNode(docker: Docker, name: string): Promise<EngineNode> {
  if (!/^[0-9A-Za-z.:-]{1,64}$/.test(name)) throw new InvalidInputError(`"${name}" is not a node ID or address`, {hint: 'use an ID or address from `spin agent node ls`'});
  const nodes = await engineNodes(docker);
  const exact = nodes.filter((n) => n.ID === name || addressOf(n) === name);
  const found = exact.length > 0 ? exact : nodes.filter((n) => n.ID.startsWith(name));
  if (found.length === 1) return found[0];
  if (found.length === 0) throw new EngineError('node.not_found', `the cluster has no node "${name}"`, {hint: 'use an ID or address from `spin agent node ls`'});
  throw new InvalidInputError(`"${name}" names ${found.length} nodes`, {hint: 'give more of the ID, or the address'});
}

/**
 * Changes a node's spec from its current version. The manager bumps a node's version on its own
 * too (status reports), so an update that lost that race ("update out of sequence") is made
 * again from a fresh read.
 */
async function updateNode(docker: Docker, id: string, doing: (address: string) => string, change: (spec: EngineNode['Spec']) => EngineNode['Spec'] | undefined): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const node = (await engineCall('inspect a node', () => docker.getNode(id).inspect())) as EngineNode;
    const spec = change(node.Spec);
    if (spec === undefined) return;
    try {
      await docker.getNode(id).update({version: node.Version.Index, ...spec});
      return;
    } catch (err) {
      if (attempt >= 5 || !/out of sequence/i.test(engineMessage(err))) throw engineError(err, doing(addressOf(node)));
    }
  }
}

/** The spec with the leaving label set or cleared. */
function leavingSpec(spec: EngineNode['Spec'], leaving: boolean): EngineNode['Spec'] {
  const labels = {...(spec.Labels ?? {})};
  if (leaving) labels[NODE_LEAVING_LABEL] = 'true';
  else delete labels[NODE_LEAVING_LABEL];
  return {...spec, Labels: labels};
}

/**
 * Sets a node's availability; returns the node as it is now. A node set to work again (active)
 * or drained loses the leaving label: a drained node's tasks are no longer meant to run, so the
 * ingress skips them anyway, and a node put back to work is routed to again.
 */
export async function setAvailability(docker: Docker, name: string, availability: 'active' | 'pause' | 'drain'): Promise<NodeInfo> {
  const node = await findNode(docker, name);
  const clear = availability !== 'pause';
  await updateNode(docker, node.ID, (address) => `set node "${address}" to ${availability}`, (spec) =>
    spec.Availability === availability && (!clear || spec.Labels?.[NODE_LEAVING_LABEL] === undefined) ? undefined : {...(clear ? leavingSpec(spec, false) : spec), Availability: availability},
  );
  return (await listNodes(docker)).find((n) => n.id === node.ID)!;
}

/** Sets or clears the leaving label. */
async function setLeaving(docker: Docker, id: string, leaving: boolean): Promise<void> {
  await updateNode(docker, id, (address) => `label node "${address}"`, (spec) => ((spec.Labels?.[NODE_LEAVING_LABEL] === 'true') === leaving ? undefined : leavingSpec(spec, leaving)));
}

/** A task as drain reads it. */
interface NodeTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  DesiredState: string;
  Status: {State: string};
}

interface ReplicatedService {
  ID: string;
  Version: {Index: number};
  Spec: Docker.ServiceSpec & {Labels?: Record<string, string>; Mode?: {Replicated?: {Replicas?: number}}};
}

export interface DrainOptions {
  timeoutMs: number;
  /** A line per step, for the admin's terminal. */
  onProgress?: (message: string) => void;
  clock?: {now(): number};
  pollMs?: number;
}

export interface DrainReport {
  node: NodeInfo;
  /** Spin services whose replicas on the node were replaced elsewhere before it was drained, with how many. */
  moved: {service: string; replicas: number}[];
}

async function runningTasks(docker: Docker, filters: Record<string, string[]>): Promise<NodeTask[]> {
  const tasks = (await engineCall('list tasks', () => docker.listTasks({filters: {...filters, 'desired-state': ['running']}}))) as NodeTask[];
  return tasks.filter((t) => t.Status.State === 'running');
}

async function setReplicas(docker: Docker, id: string, replicas: number): Promise<void> {
  const s = (await engineCall('inspect a service', () => docker.getService(id).inspect())) as ReplicatedService;
  await engineCall(`scale service "${s.Spec.Name}" to ${replicas}`, () => docker.getService(id).update({...s.Spec, version: s.Version.Index, Mode: {Replicated: {Replicas: replicas}}}));
}

/**
 * Drains a node without a gap in service. Swarm's own drain stops a node's tasks at once and only
 * then starts replacements; here the node is paused first (it takes no new tasks), each Spin
 * service with replicas on it gets as many extra replicas elsewhere, and only once those run
 * (healthy: Swarm reports a task running after its healthcheck passes) is the node drained and
 * each service scaled back to its own count, which drops the replacements Swarm started for the
 * drained tasks before they run (a scale-down removes tasks that are not running first). Services
 * that are not Spin's, and global ones, get Swarm's own drain. On a timeout the node and the
 * counts are put back as they were.
 */
export async function drainNode(docker: Docker, name: string, options: DrainOptions): Promise<DrainReport> {
  const clock = options.clock ?? Date;
  const progress = options.onProgress ?? (() => {});
  const node = await findNode(docker, name);
  const label = addressOf(node);
  const before = node.Spec.Availability ?? 'active';
  if (before === 'drain') return {node: (await listNodes(docker)).find((n) => n.id === node.ID)!, moved: []};
  await setAvailability(docker, node.ID, 'pause');
  progress(`node ${label} paused: it takes no new tasks`);
  const onNode = await runningTasks(docker, {node: [node.ID]});
  const services = (await engineCall('list services', () => docker.listServices({filters: {label: ['org.spin.managed=true']}}))) as ReplicatedService[];
  const moves = services
    .filter((s) => s.Spec.Mode?.Replicated !== undefined)
    .map((s) => ({service: s, count: s.Spec.Mode?.Replicated?.Replicas ?? 0, here: onNode.filter((t) => t.ServiceID === s.ID).length}))
    .filter((m) => m.here > 0);
  const restore = async () => {
    for (const m of moves) await setReplicas(docker, m.service.ID, m.count).catch(() => undefined);
  };
  try {
    for (const m of moves) {
      await setReplicas(docker, m.service.ID, m.count + m.here);
      progress(`${m.service.Spec.Name}: starting ${m.here} replacement${m.here === 1 ? '' : 's'} on other nodes`);
    }
    const deadline = clock.now() + options.timeoutMs;
    for (const m of moves) {
      for (;;) {
        const elsewhere = (await runningTasks(docker, {service: [m.service.ID]})).filter((t) => t.NodeID !== node.ID).length;
        if (elsewhere >= m.count) break;
        if (clock.now() > deadline) {
          throw new TimeoutError(`the replacements of ${m.service.Spec.Name} did not run within ${Math.round(options.timeoutMs / 1000)}s (${elsewhere} of ${m.count} elsewhere)`, {
            hint: 'the other nodes may lack room or match no placement constraint: check `spin agent node ls`; node and services were put back as they were',
          });
        }
        await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
      }
    }
    // The replacements answer: the ingress routes around the node before Swarm stops its tasks.
    const behindIngress = moves.some((m) => m.service.Spec.Labels?.[LABELS.ingressPort] !== undefined);
    if (behindIngress) {
      await setLeaving(docker, node.ID, true);
      progress(`node ${label}: out of the ingress`);
      await new Promise((r) => setTimeout(r, LEAVING_GRACE_MS));
    }
  } catch (err) {
    await restore();
    await setLeaving(docker, node.ID, false).catch(() => undefined);
    await setAvailability(docker, node.ID, before as 'active' | 'pause').catch(() => undefined);
    throw err;
  }
  const drained = await setAvailability(docker, node.ID, 'drain');
  await restore();
  progress(`node ${label} drained`);
  return {node: drained, moved: moves.map((m) => ({service: m.service.Spec.Name ?? m.service.ID, replicas: m.here}))};
}
