// Keeps the proxy's routes equal to what the engine runs: every running container that carries
// Spin's ingress label and is healthy (or has no healthcheck) is an upstream of its service's host
// name. The engine is the source of truth, so routes survive an agent restart and follow replicas
// that turn unhealthy on their own; deploys add what only they know: replicas still proving
// themselves (held) and replicas about to stop (drained).

import type Dockerode from 'dockerode';
import {setTimeout as sleep} from 'node:timers/promises';

import {jsonLines} from '../ndjson.ts';
import {LABELS} from '../engine/types.ts';
import {defaultHost} from './model.ts';
import type {IngressDriver, IngressHooks, IngressRoute} from './types.ts';

/** The part of a container listing the routes are computed from. */
export type ListedContainer = Pick<Dockerode.ContainerInfo, 'Id' | 'Labels' | 'State' | 'Status' | 'Ports'>;

export interface RouteInputs {
  domain: string;
  held: ReadonlySet<string>;
  draining: ReadonlySet<string>;
}

export interface DesiredRoutes {
  routes: IngressRoute[];
  /** Host names claimed by more than one service; the first owner (by name) keeps it. */
  conflicts: {host: string; owners: string[]}[];
}

/** `(healthy)`, `(unhealthy)`, `(health: starting)` in the engine's status text, else none. */
function healthOf(status: string | undefined): 'healthy' | 'unhealthy' | 'starting' | 'none' {
  if (!status) return 'none';
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return 'none';
}

/** One replica of a service behind the ingress: its service's host name and owner, and where it answers when it may be routed to. */
export interface RouteCandidate {
  host: string;
  /** `project/stack/service`. */
  owner: string;
  upstream?: string;
}

/**
 * Pure: replicas grouped into routes, one per host name. A service with no routable replica keeps
 * its route (the proxy answers 503, not another service's 404); a host name claimed by two
 * services goes to the first by name, and the clash is reported.
 */
export function routesOf(candidates: RouteCandidate[]): DesiredRoutes {
  const byHost = new Map<string, Map<string, string[]>>();
  for (const c of candidates) {
    const owners = byHost.get(c.host) ?? new Map<string, string[]>();
    byHost.set(c.host, owners);
    const upstreams = owners.get(c.owner) ?? [];
    owners.set(c.owner, upstreams);
    if (c.upstream !== undefined) upstreams.push(c.upstream);
  }
  const routes: IngressRoute[] = [];
  const conflicts: DesiredRoutes['conflicts'] = [];
  for (const [host, owners] of [...byHost.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const names = [...owners.keys()].sort();
    if (names.length > 1) conflicts.push({host, owners: names});
    routes.push({host, owner: names[0], upstreams: [...new Set(owners.get(names[0]))].sort()});
  }
  return {routes, conflicts};
}

/** Pure: the routes a set of containers gives. */
export function desiredRoutes(containers: ListedContainer[], inputs: RouteInputs): DesiredRoutes {
  const candidates: RouteCandidate[] = [];
  for (const c of containers) {
    const labels = c.Labels ?? {};
    const port = Number(labels[LABELS.ingressPort]);
    const {[LABELS.project]: project, [LABELS.stack]: stack, [LABELS.service]: service} = labels;
    if (labels[LABELS.managed] !== 'true' || !Number.isInteger(port) || port <= 0 || !project || !stack || !service) continue;
    const host = labels[LABELS.ingressHost] || defaultHost(project, stack, service, inputs.domain);
    const health = healthOf(c.Status);
    const routable = c.State === 'running' && !inputs.draining.has(c.Id) && (health === 'healthy' || (health === 'none' && !inputs.held.has(c.Id)));
    const binding = routable ? (c.Ports ?? []).find((p) => p.PrivatePort === port && p.Type === 'tcp' && p.IP === '127.0.0.1' && p.PublicPort) : undefined;
    candidates.push({host, owner: `${project}/${stack}/${service}`, ...(binding ? {upstream: `127.0.0.1:${binding.PublicPort}`} : {})});
  }
  return routesOf(candidates);
}

/** Where routes come from: an engine's replicas, read on demand, and the events that say when to read again. */
export interface RouteSource {
  /** The routes the engine's replicas give now, and the replica ids it has (held and drained ids not among them are forgotten). */
  read(inputs: RouteInputs): Promise<DesiredRoutes & {present: ReadonlySet<string>}>;
  /** Called once the proxy serves the routes just read (the Swarm proxy then leaves networks no route uses). */
  applied?(): Promise<void>;
  /** A stream of the engine's events that may change the routes. */
  events(): Promise<NodeJS.ReadableStream & {destroy?: () => void}>;
  relevant(event: Record<string, unknown>): boolean;
  /** After a read, how soon to read again when sooner than the periodic re-read (the engine is changing in ways it sends no event for). */
  readAgainMs?(): number | undefined;
}

/** The single-host source: containers with Spin's ingress label, reached on their loopback port. */
export class ContainerSource implements RouteSource {
  private readonly docker: Dockerode;
  private readonly domain: string;

  constructor(docker: Dockerode, domain: string) {
    this.docker = docker;
    this.domain = domain;
  }

  async read(inputs: RouteInputs): Promise<DesiredRoutes & {present: ReadonlySet<string>}> {
    const list = await this.docker.listContainers({filters: {label: [`${LABELS.managed}=true`, LABELS.ingressPort]}});
    return {...desiredRoutes(list, {...inputs, domain: this.domain}), present: new Set(list.map((c) => c.Id))};
  }

  async events(): Promise<NodeJS.ReadableStream & {destroy?: () => void}> {
    return (await this.docker.getEvents({filters: {type: ['container'], label: [`${LABELS.managed}=true`, LABELS.ingressPort]}})) as NodeJS.ReadableStream & {destroy?: () => void};
  }

  relevant(event: Record<string, unknown>): boolean {
    const action = String(event.Action ?? '');
    return action.startsWith('health_status') || ['start', 'die', 'stop', 'destroy', 'kill', 'pause', 'unpause'].includes(action);
  }
}

export interface IngressControllerOptions {
  docker: Dockerode;
  /** Where routes come from; default: the containers of `docker` (one host). */
  source?: RouteSource;
  driver: IngressDriver;
  /** Default host names are `<service>.<stack>.<project>.<domain>`. */
  domain: string;
  /** How long a drained replica keeps running for requests already sent to it. Default 1000. */
  drainMs?: number;
  /** Re-read the engine this often even without events. Default 2000. */
  intervalMs?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export class IngressController implements IngressHooks {
  private readonly source: RouteSource;
  private readonly driver: IngressDriver;
  private readonly domain: string;
  private readonly drainMs: number;
  private readonly intervalMs: number;
  private readonly log: NonNullable<IngressControllerOptions['log']>;
  private readonly held = new Set<string>();
  private readonly draining = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private waiting?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private soon?: NodeJS.Timeout;
  private events?: NodeJS.ReadableStream & {destroy?: () => void};
  private closed = false;
  private reported = '';

  constructor(options: IngressControllerOptions) {
    this.source = options.source ?? new ContainerSource(options.docker, options.domain);
    this.driver = options.driver;
    this.domain = options.domain;
    this.drainMs = options.drainMs ?? 1000;
    this.intervalMs = options.intervalMs ?? 2000;
    this.log = options.log ?? (() => {});
  }

  /** First sync, then follows the engine's events and a periodic re-read until close(). */
  async start(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => void this.sync().catch((err: Error) => this.log('warn', `ingress: ${err.message}`)), this.intervalMs);
    this.timer.unref();
    void this.follow();
  }

  private async follow(): Promise<void> {
    while (!this.closed) {
      try {
        const stream = await this.source.events();
        this.events = stream;
        if (this.closed) stream.destroy?.();
        for await (const event of jsonLines(stream as AsyncIterable<Buffer>)) {
          if (this.source.relevant(event)) void this.sync().catch((err: Error) => this.log('warn', `ingress: ${err.message}`));
        }
      } catch {
        // the stream broke: the periodic re-read covers the gap until it is back
      }
      if (!this.closed) await sleep(1000);
    }
  }

  /**
   * Reads the engine and pushes the routes. Calls made while one runs share the next run, so a
   * burst of events costs two reads at most, and every caller sees a state read after its call.
   */
  sync(): Promise<void> {
    this.waiting ??= this.queue.then(async () => {
      this.waiting = undefined;
      if (this.closed) return;
      const {routes, conflicts, present} = await this.source.read({domain: this.domain, held: this.held, draining: this.draining});
      for (const set of [this.held, this.draining]) for (const id of set) if (!present.has(id)) set.delete(id);
      const report = JSON.stringify(conflicts);
      if (report !== this.reported && conflicts.length > 0) {
        for (const c of conflicts) this.log('warn', `ingress: host "${c.host}" is claimed by ${c.owners.map((o) => `"${o}"`).join(' and ')}; "${c.owners[0]}" keeps it`);
      }
      this.reported = report;
      await this.driver.apply(routes);
      await this.source.applied?.();
      const again = this.source.readAgainMs?.();
      if (again !== undefined && !this.closed) {
        clearTimeout(this.soon);
        this.soon = setTimeout(() => void this.sync().catch((err: Error) => this.log('warn', `ingress: ${err.message}`)), again);
        this.soon.unref();
      }
    });
    const run = this.waiting;
    this.queue = run.catch(() => undefined);
    return run;
  }

  hold(id: string): void {
    this.held.add(id);
  }

  async release(id: string): Promise<void> {
    if (!this.held.delete(id)) return;
    await this.sync();
  }

  async drain(id: string): Promise<void> {
    this.draining.add(id);
    this.held.delete(id);
    await this.sync();
    await sleep(this.drainMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    clearTimeout(this.soon);
    this.events?.destroy?.();
    await this.queue;
    await this.driver.close();
  }
}
