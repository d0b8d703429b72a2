// The ingress on a Swarm cluster: routes go to task addresses on the stacks' overlay networks
// (endpoint mode dnsrr; no VIP, no routing mesh: these nodes have no IPVS). The proxy runs attached
// to those networks (swarm-proxy.ts), since an overlay address cannot be reached from a host or a
// node's own namespace. The cluster is the source of truth, read through the manager: a task is
// routed while Swarm means it to run and reports it running (a task with a healthcheck stays
// `starting` until it passes, and leaves `running` when it fails), on a node that is not leaving,
// and not superseded: in a start-first update Swarm stops a slot's old task the moment its
// replacement runs, so the old one leaves the proxy as soon as the replacement exists, and
// requests in flight on it end while the replacement starts (a request no proxy may send again,
// a POST, would otherwise be cut).

import type Dockerode from 'dockerode';

import {NODE_LEAVING_LABEL} from '../engine/swarm-nodes.ts';
import {LABELS} from '../engine/types.ts';
import {engineCall} from '../engine/errors.ts';
import {ownedBy} from '../engine/naming.ts';
import {routesOf, type DesiredRoutes, type RouteCandidate, type RouteInputs, type RouteSource} from './controller.ts';
import {defaultHost} from './model.ts';

/** A Swarm service as the manager lists it (the fields read here). */
export interface ListedService {
  ID: string;
  Spec?: {Labels?: Record<string, string>};
  UpdateStatus?: {State?: string};
}

/** A task as the manager lists it (the fields read here). */
export interface ListedTask {
  ID: string;
  ServiceID: string;
  /** A replicated service's slot; a global service's tasks are told apart by node. */
  Slot?: number;
  NodeID?: string;
  CreatedAt?: string;
  DesiredState: string;
  Status: {State: string};
  NetworksAttachments?: {Network: {ID: string; Spec?: {Name?: string; Labels?: Record<string, string>}}; Addresses?: string[]}[];
}

export interface ListedNode {
  ID: string;
  Spec?: {Labels?: Record<string, string>};
}

export interface SwarmRoutes extends DesiredRoutes {
  /** Overlay networks (IDs) the proxy must be attached to, to reach the routed tasks and those on their way. */
  networks: string[];
  /** Task IDs. */
  present: ReadonlySet<string>;
}

/** `10.0.1.5/24` → a dial address for port; IPv6 in brackets. */
function dial(address: string, port: number): string {
  const ip = address.replace(/\/\d+$/, '');
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Tasks of one service that a newer task of their slot (or node, for a global service) replaces. */
function supersededTasks(tasks: ListedTask[]): Set<string> {
  const bySlot = new Map<string, ListedTask[]>();
  for (const t of tasks) {
    const key = t.Slot !== undefined && t.Slot > 0 ? `slot ${t.Slot}` : `node ${t.NodeID ?? ''}`;
    bySlot.set(key, [...(bySlot.get(key) ?? []), t]);
  }
  const out = new Set<string>();
  for (const group of bySlot.values()) {
    if (group.length < 2) continue;
    const newest = group.reduce((a, b) => ((b.CreatedAt ?? '') > (a.CreatedAt ?? '') ? b : a));
    for (const t of group) if (t !== newest) out.add(t.ID);
  }
  return out;
}

/** Pure: the routes and networks the cluster's services behind the ingress give. */
export function swarmRoutes(services: ListedService[], tasks: ListedTask[], nodes: ListedNode[], inputs: RouteInputs): SwarmRoutes {
  const leaving = new Set(nodes.filter((n) => n.Spec?.Labels?.[NODE_LEAVING_LABEL] === 'true').map((n) => n.ID));
  const byService = new Map<string, ListedTask[]>();
  for (const t of tasks) byService.set(t.ServiceID, [...(byService.get(t.ServiceID) ?? []), t]);
  const candidates: RouteCandidate[] = [];
  const networks = new Set<string>();
  for (const s of services) {
    const labels = s.Spec?.Labels ?? {};
    const port = Number(labels[LABELS.ingressPort]);
    const {[LABELS.project]: project, [LABELS.stack]: stack, [LABELS.service]: service} = labels;
    if (labels[LABELS.managed] !== 'true' || !Number.isInteger(port) || port <= 0 || port > 65535 || !project || !stack || !service) continue;
    const host = labels[LABELS.ingressHost] || defaultHost(project, stack, service, inputs.domain);
    const owner = `${project}/${stack}/${service}`;
    candidates.push({host, owner});
    const live = (byService.get(s.ID) ?? []).filter((t) => t.DesiredState === 'running');
    const superseded = supersededTasks(live);
    const routable: {task: ListedTask; upstream: string}[] = [];
    for (const t of live) {
      // The stack's own network, the same for every task of the service: a task may also be on
      // another project's network only if the policy let it, and the proxy never joins those.
      const attachment = (t.NetworksAttachments ?? [])
        .filter((a) => ownedBy(a.Network.Spec?.Labels, project, stack) && (a.Addresses ?? []).length > 0)
        .sort((a, b) => (a.Network.Spec?.Name ?? '').localeCompare(b.Network.Spec?.Name ?? ''))[0];
      if (!attachment) continue;
      networks.add(attachment.Network.ID);
      if (t.Status.State === 'running' && !leaving.has(t.NodeID ?? '') && !inputs.held.has(t.ID) && !inputs.draining.has(t.ID)) {
        routable.push({task: t, upstream: dial((attachment.Addresses as string[])[0], port)});
      }
    }
    // A superseded task keeps serving while nothing else can (one replica, or a failing update).
    const current = routable.filter((r) => !superseded.has(r.task.ID));
    for (const r of current.length > 0 ? current : routable) candidates.push({host, owner, upstream: r.upstream});
  }
  return {...routesOf(candidates), networks: [...networks].sort(), present: new Set(tasks.map((t) => t.ID))};
}

const UPDATING = new Set(['updating', 'rollback_started']);
const UPDATING_READ_MS = 200;

/** What the Swarm source needs of the proxy: to be on the networks its routes go through. */
export interface NetworkMember {
  /** Joins these overlay networks (the ones it is not on yet). */
  join(networks: string[]): Promise<void>;
  /** Leaves every stack network but these. */
  leaveAllBut(networks: string[]): Promise<void>;
}

/**
 * Reads the manager. Swarm's event stream has no task events: service and node events (a deploy,
 * a scale, a drain, a node's label) start a read at once, and the controller's periodic re-read
 * catches tasks that change on their own (a failed healthcheck, a crash).
 */
export class SwarmRouteSource implements RouteSource {
  private readonly docker: Dockerode;
  private readonly proxy: NetworkMember;
  private wanted: string[] = [];
  private updating = false;

  constructor(docker: Dockerode, proxy: NetworkMember) {
    this.docker = docker;
    this.proxy = proxy;
  }

  async read(inputs: RouteInputs): Promise<SwarmRoutes> {
    const services = (await engineCall('list the services behind the ingress', () => this.docker.listServices({filters: {label: [`${LABELS.managed}=true`, LABELS.ingressPort]}}))) as ListedService[];
    const [tasks, nodes] =
      services.length === 0
        ? [[], []]
        : await Promise.all([
            engineCall('list their tasks', () => this.docker.listTasks({filters: {service: services.map((s) => s.ID), 'desired-state': ['running']}})) as Promise<ListedTask[]>,
            engineCall('list the nodes', () => this.docker.listNodes()) as Promise<ListedNode[]>,
          ]);
    const out = swarmRoutes(services, tasks, nodes, inputs);
    this.updating = services.some((s) => UPDATING.has(s.UpdateStatus?.State ?? ''));
    // Joined before the routes reach the proxy: a route to a network it is not on would fail.
    await this.proxy.join(out.networks);
    this.wanted = out.networks;
    return out;
  }

  async applied(): Promise<void> {
    // Left only once no route goes through them, and so the stack's removal can take its network.
    await this.proxy.leaveAllBut(this.wanted);
  }

  async events(): Promise<NodeJS.ReadableStream & {destroy?: () => void}> {
    return (await this.docker.getEvents({filters: {type: ['service', 'node']}})) as NodeJS.ReadableStream & {destroy?: () => void};
  }

  relevant(): boolean {
    return true;
  }

  /** While a service rolls, each slot's new task must be seen before it runs, so its old one leaves the proxy first. */
  readAgainMs(): number | undefined {
    return this.updating ? UPDATING_READ_MS : undefined;
  }
}
