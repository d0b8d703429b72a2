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

/** Pure: the routes a set of containers gives. */
export function desiredRoutes(containers: ListedContainer[], inputs: RouteInputs): DesiredRoutes {
  const byHost = new Map<string, Map<string, string[]>>();
  for (const c of containers) {
    const labels = c.Labels ?? {};
    const port = Number(labels[LABELS.ingressPort]);
    const {[LABELS.project]: project, [LABELS.stack]: stack, [LABELS.service]: service} = labels;
    if (labels[LABELS.managed] !== 'true' || !Number.isInteger(port) || port <= 0 || !project || !stack || !service) continue;
    const host = labels[LABELS.ingressHost] || defaultHost(project, stack, service, inputs.domain);
    const owner = `${project}/${stack}/${service}`;
    const owners = byHost.get(host) ?? new Map<string, string[]>();
    byHost.set(host, owners);
    const upstreams = owners.get(owner) ?? [];
    owners.set(owner, upstreams);
    const health = healthOf(c.Status);
    const routable = c.State === 'running' && !inputs.draining.has(c.Id) && (health === 'healthy' || (health === 'none' && !inputs.held.has(c.Id)));
    if (!routable) continue;
    const binding = (c.Ports ?? []).find((p) => p.PrivatePort === port && p.Type === 'tcp' && p.IP === '127.0.0.1' && p.PublicPort);
    if (binding) upstreams.push(`127.0.0.1:${binding.PublicPort}`);
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

export interface IngressControllerOptions {
  docker: Dockerode;
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
  private readonly docker: Dockerode;
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
  private events?: NodeJS.ReadableStream & {destroy?: () => void};
  private closed = false;
  private reported = '';

  constructor(options: IngressControllerOptions) {
    this.docker = options.docker;
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
        const stream = (await this.docker.getEvents({filters: {type: ['container'], label: [`${LABELS.managed}=true`, LABELS.ingressPort]}})) as NodeJS.ReadableStream & {destroy?: () => void};
        this.events = stream;
        if (this.closed) stream.destroy?.();
        for await (const event of jsonLines(stream as AsyncIterable<Buffer>)) {
          const action = String(event.Action ?? '');
          if (action.startsWith('health_status') || ['start', 'die', 'stop', 'destroy', 'kill', 'pause', 'unpause'].includes(action)) {
            void this.sync().catch((err: Error) => this.log('warn', `ingress: ${err.message}`));
          }
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
      const list = await this.docker.listContainers({filters: {label: [`${LABELS.managed}=true`, LABELS.ingressPort]}});
      const present = new Set(list.map((c) => c.Id));
      for (const set of [this.held, this.draining]) for (const id of set) if (!present.has(id)) set.delete(id);
      const {routes, conflicts} = desiredRoutes(list, {domain: this.domain, held: this.held, draining: this.draining});
      const report = JSON.stringify(conflicts);
      if (report !== this.reported && conflicts.length > 0) {
        for (const c of conflicts) this.log('warn', `ingress: host "${c.host}" is claimed by ${c.owners.map((o) => `"${o}"`).join(' and ')}; "${c.owners[0]}" keeps it`);
      }
      this.reported = report;
      await this.driver.apply(routes);
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
    this.events?.destroy?.();
    await this.queue;
    await this.driver.close();
  }
}
