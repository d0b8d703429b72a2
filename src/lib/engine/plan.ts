// Deciding what a deploy changes, from the model's config hashes and the containers the engine has,
// and in which order services are applied. Pure, so `spin deploy --dry-run` and the real deploy
// always agree. Containers are matched by their labels (service, replica), never by their names.

import type {DependsOn, ComposeModel, Service} from '../compose/types.ts';
import {InvalidInputError} from '../errors.ts';
import {sharedNetworkService} from './container-spec.ts';
import type {Plan, ServicePlan} from './types.ts';

export interface ExistingContainer {
  id: string;
  name: string;
  service: string;
  replica: number;
  configHash: string;
  imageId: string;
  /** Docker's state: running, exited, created, … */
  state: string;
  exitCode?: number;
  oneShot: boolean;
  /** Behind the ingress: drained out of the proxy before it stops. */
  ingress?: boolean;
  /** The container whose network namespace it joined (`network_mode: service:x`, run as `container:<id>`). */
  networkContainer?: string;
}

export interface WantedService {
  service: string;
  replicas: number;
  configHash: string;
  imageId: string;
}

/** What applying a service means, replica by replica. */
export interface ServiceSteps {
  create: number[];
  recreate: ExistingContainer[];
  remove: ExistingContainer[];
  /** Containers that match but are not running (a finished one-shot is left alone). */
  start: ExistingContainer[];
  keep: ExistingContainer[];
}

export interface DetailedPlan extends Plan {
  steps: Record<string, ServiceSteps>;
}

function needsStart(c: ExistingContainer): boolean {
  if (c.state === 'running' || c.state === 'restarting') return false;
  return !(c.oneShot && c.state === 'exited' && c.exitCode === 0);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function serviceSteps(wanted: WantedService | undefined, existing: ExistingContainer[]): ServiceSteps {
  const steps: ServiceSteps = {create: [], recreate: [], remove: [], start: [], keep: []};
  const want = wanted?.replicas ?? 0;
  const byReplica = new Map<number, ExistingContainer>();
  for (const c of [...existing].sort((a, b) => a.replica - b.replica || a.name.localeCompare(b.name))) {
    // A second container claiming the same replica (or a replica beyond the count) goes.
    if (c.replica < 1 || c.replica > want || byReplica.has(c.replica)) steps.remove.push(c);
    else byReplica.set(c.replica, c);
  }
  for (let n = 1; n <= want; n++) {
    const c = byReplica.get(n);
    if (!c) steps.create.push(n);
    else if (c.configHash !== wanted?.configHash) steps.recreate.push(c);
    else if (needsStart(c)) steps.start.push(c);
    else steps.keep.push(c);
  }
  return steps;
}

function describe(wanted: WantedService | undefined, existing: ExistingContainer[], steps: ServiceSteps): Omit<ServicePlan, 'service' | 'configHash'> {
  const from = existing.length;
  const to = wanted?.replicas ?? 0;
  const replicas = {from, to};
  if (!wanted) return {action: 'remove', replicas, reason: 'no longer in the stack'};
  if (from === 0) return {action: to === 0 ? 'keep' : 'create', replicas, reason: to === 0 ? 'scaled to 0 replicas' : 'new service'};
  if (steps.recreate.length > 0) {
    const imageChanged = steps.recreate.some((c) => c.imageId !== wanted.imageId);
    const why = imageChanged ? 'image changed' : 'configuration changed';
    return {action: 'recreate', replicas, reason: from !== to ? `${why}, ${from} → ${to} replicas` : why};
  }
  if (steps.create.length > 0 || steps.remove.length > 0) return {action: 'scale', replicas, reason: `${from} → ${to} replicas`};
  if (steps.start.length > 0) return {action: 'keep', replicas, reason: `unchanged; ${plural(steps.start.length, 'stopped replica')} will be started`};
  return {action: 'keep', replicas, reason: 'unchanged'};
}

/**
 * The plan for a stack: per wanted service, and `remove` for services that have containers but are
 * no longer wanted. `missing` lists networks and volumes the engine does not have yet.
 */
export function planStack(wanted: WantedService[], existing: ExistingContainer[], missing: {networks: string[]; volumes: string[]}): DetailedPlan {
  const services: ServicePlan[] = [];
  const steps: Record<string, ServiceSteps> = {};
  const names = new Set(wanted.map((w) => w.service));
  const gone = [...new Set(existing.map((c) => c.service))].filter((s) => !names.has(s)).sort();
  for (const w of wanted) {
    const mine = existing.filter((c) => c.service === w.service);
    steps[w.service] = serviceSteps(w, mine);
    services.push({service: w.service, configHash: w.configHash, ...describe(w, mine, steps[w.service])});
  }
  for (const service of gone) {
    const mine = existing.filter((c) => c.service === service);
    steps[service] = serviceSteps(undefined, mine);
    services.push({service, configHash: mine[0]?.configHash ?? '', ...describe(undefined, mine, steps[service])});
  }
  const untouched = Object.values(steps).every((s) => s.create.length + s.recreate.length + s.remove.length + s.start.length === 0);
  return {services, create: missing, noop: untouched && missing.networks.length === 0 && missing.volumes.length === 0, steps};
}

/**
 * A replica that joins another service's network (`network_mode: service:x`) is inside the network
 * namespace of the one container of x it joined, not of the service. When that container goes (x
 * is recreated, restarted from stopped, scaled down, or it went in an earlier deploy), the replica
 * keeps running with a loopback interface only: off the stack's network and out of its DNS, while
 * it still counts as running. Such replicas are recreated in the same deploy; x is among their
 * dependencies, so they are applied once x runs its new container and join that one.
 */
export function rejoinSharedNetworks(plan: DetailedPlan, services: Record<string, Service>): void {
  for (const sp of plan.services) {
    const service = services[sp.service];
    const target = service ? sharedNetworkService(sp.service, service) : undefined;
    const steps = plan.steps[sp.service];
    const targetSteps = target === undefined ? undefined : plan.steps[target];
    if (!targetSteps || !steps) continue;
    // Only a container of x this deploy leaves alone keeps its namespace.
    const staying = new Set(targetSteps.keep.map((c) => c.id));
    const stale = [...steps.keep, ...steps.start].filter((c) => c.networkContainer === undefined || !staying.has(c.networkContainer));
    if (stale.length === 0) continue;
    const replaced = new Set([...targetSteps.recreate, ...targetSteps.remove, ...targetSteps.start].map((c) => c.id));
    steps.keep = steps.keep.filter((c) => !stale.includes(c));
    steps.start = steps.start.filter((c) => !stale.includes(c));
    steps.recreate = [...steps.recreate, ...stale].sort((a, b) => a.replica - b.replica);
    const why = stale.some((c) => c.networkContainer !== undefined && replaced.has(c.networkContainer))
      ? `the "${target}" container whose network it joins is replaced`
      : `the "${target}" container whose network it joined is gone`;
    sp.action = 'recreate';
    sp.reason = sp.reason === 'unchanged' || sp.reason.startsWith('unchanged;') ? why : `${sp.reason}; ${why}`;
    plan.noop = false;
  }
}

/** The plan as the interface returns it: per-replica steps stay internal. */
export function publicPlan(plan: DetailedPlan): Plan {
  return {services: plan.services, create: plan.create, noop: plan.noop};
}

/**
 * The services a service waits for: its depends_on, and the service whose network it joins
 * (`network_mode: service:x`, which the loader adds to depends_on; a model sent straight to the
 * API may not have it).
 */
export function serviceDependencies(name: string, service: Service): Record<string, DependsOn> {
  const out: Record<string, DependsOn> = {...(service.depends_on ?? {})};
  const shared = sharedNetworkService(name, service);
  if (shared !== undefined && !Object.hasOwn(out, shared)) out[shared] = {condition: 'service_started', required: true};
  return out;
}

/** The order services start in: dependencies first; a cycle is refused (the loader should have). */
export function dependencyOrder(model: Pick<ComposeModel, 'services'>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new InvalidInputError(`services depend on each other in a cycle: ${[...path, name].join(' → ')}`, {hint: 'remove one of the depends_on entries'});
    }
    state.set(name, 'visiting');
    for (const dep of Object.keys(serviceDependencies(name, model.services[name]))) if (Object.hasOwn(model.services, dep)) visit(dep, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of Object.keys(model.services).sort()) visit(name, []);
  return order;
}

/**
 * What changed on the engine since `plan` was made, in words; undefined when the plan still holds.
 * Spin's own deploys of a stack are serialised by the stack lock, so a change here came from
 * outside (someone's `docker rm`, a crash-restarted agent's cleanup): the deploy then runs no
 * plan but the one it stored, and refuses instead. A replica's state (running, exited) is no
 * change: the deploy starts, waits for or reports it as it does any replica.
 */
export function planDrift(plan: DetailedPlan, existing: ExistingContainer[], missing: {networks: string[]; volumes: string[]}): string | undefined {
  const key = (c: ExistingContainer) => `${c.id}|${c.service}|${c.replica}|${c.configHash}`;
  const planned = new Map<string, ExistingContainer>();
  for (const steps of Object.values(plan.steps)) for (const c of [...steps.recreate, ...steps.remove, ...steps.start, ...steps.keep]) planned.set(key(c), c);
  const now = new Map(existing.map((c) => [key(c), c]));
  const changes: string[] = [];
  for (const [k, c] of planned) if (!now.has(k)) changes.push(`container "${c.name}" is gone`);
  for (const [k, c] of now) if (!planned.has(k)) changes.push(`container "${c.name}" appeared`);
  for (const kind of ['networks', 'volumes'] as const) {
    const before = new Set(plan.create[kind]);
    const after = new Set(missing[kind]);
    const noun = kind === 'networks' ? 'network' : 'volume';
    for (const name of before) if (!after.has(name)) changes.push(`${noun} "${name}" was created`);
    for (const name of after) if (!before.has(name)) changes.push(`${noun} "${name}" is gone`);
  }
  return changes.length === 0 ? undefined : changes.sort().join(', ');
}
