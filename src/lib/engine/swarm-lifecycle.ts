// stop, start and restart of a stack's services on a Swarm cluster. Swarm has no stopped service:
// stop scales a replicated service to 0 and keeps the count it had in a label of the service, start
// scales it back to that count. A global service (one task on every eligible node) has no count to
// scale: stop gives it a placement constraint no node meets, so Swarm removes its tasks, and start
// takes that constraint away again. restart bumps ForceUpdate so Swarm replaces every task under the
// service's own update_config (a rolling restart, health-gated like a deploy). A one-shot (a Swarm
// job) is run again by start and restart, as a single host starts a one-shot's exited container
// again; stop leaves an ended one alone and refuses one still running (Swarm cannot stop a job's
// tasks short of removing it). Every changed spec
// goes through the orchestrator's one way to the cluster (`send`: the stack's labels and the
// project's node pool checked and added again), and each command waits until the cluster did it,
// so it returns with the change made.

import {OperationError, TimeoutError} from '../errors.ts';
import {checkRef} from './naming.ts';
import {isJob, selectedServices, taskEnded, type SwarmStackView} from './swarm-logs.ts';
import type {EngineService, EngineTask} from './swarm.ts';
import type {StackRef} from './types.ts';

/** The replica count a stopped service had, so start can put it back. */
export const STOPPED_REPLICAS = 'org.spin.stopped-replicas';
/** Marks a global service stopped by Spin (its tasks kept off every node by NO_NODE). */
export const STOPPED_GLOBAL = 'org.spin.stopped-global';
/**
 * A constraint no node meets: a node ID is 25 lower-case letters and digits, never with dashes.
 * Swarm keeps a global service's tasks off nodes its constraints exclude, so none runs.
 */
export const NO_NODE = 'node.id==spin-stopped';

export interface LifecycleOptions {
  clock: {now(): number};
  pollMs: number;
  /** How long to wait for the cluster to carry the change out. */
  timeoutMs: number;
  /** Sends a changed spec of one of the stack's services: the orchestrator's guarded path. */
  send(ref: StackRef, service: string, spec: Spec, old: EngineService): Promise<void>;
}

type Spec = EngineService['Spec'];

function template(s: EngineService): {ForceUpdate?: number; ContainerSpec?: unknown} {
  return (s.Spec.TaskTemplate ?? {}) as {ForceUpdate?: number};
}

/** Whether a stop of Spin's keeps this global service's tasks off every node. */
export function stoppedGlobal(s: EngineService): boolean {
  return Boolean(s.Spec.Mode?.Global) && s.Spec.Labels?.[STOPPED_GLOBAL] === 'true';
}

function constraintsOf(spec: Spec): string[] {
  return (spec.TaskTemplate as {Placement?: {Constraints?: string[]}} | undefined)?.Placement?.Constraints ?? [];
}

function withConstraints(spec: Spec, constraints: string[]): Spec {
  const task = (spec.TaskTemplate ?? {}) as {Placement?: object};
  return {...spec, TaskTemplate: {...task, Placement: {...task.Placement, Constraints: constraints}} as Spec['TaskTemplate']};
}

/** Waits until `done` holds for the stack's tasks, or fails after the timeout saying what it waited for. */
async function waitFor(view: SwarmStackView, ref: StackRef, what: string, options: LifecycleOptions, done: (tasks: Map<string, EngineTask[]>) => boolean): Promise<void> {
  const deadline = options.clock.now() + options.timeoutMs;
  for (;;) {
    if (done(await view.tasks(ref))) return;
    if (options.clock.now() >= deadline) {
      throw new TimeoutError(`the cluster did not ${what} within ${Math.round(options.timeoutMs / 1000)} s`, {hint: 'see where the tasks are with `spin ps`; the change stays requested, and Swarm keeps carrying it out'});
    }
    await new Promise((r) => setTimeout(r, options.pollMs));
  }
}

const running = (t: EngineTask) => t.DesiredState === 'running' && t.Status.State === 'running';

/** How many tasks one run of a job has: its completions, or at least one on some node for a global job. */
function jobTasks(s: EngineService): number {
  return s.Spec.Mode?.ReplicatedJob?.TotalCompletions ?? 1;
}

/** Sends the spec again with ForceUpdate bumped: Swarm replaces every task (a job runs again). Returns the new ForceUpdate. */
async function force(ref: StackRef, name: string, s: EngineService, options: LifecycleOptions): Promise<number> {
  const next = (template(s).ForceUpdate ?? 0) + 1;
  await options.send(ref, name, {...s.Spec, TaskTemplate: {...s.Spec.TaskTemplate, ForceUpdate: next} as Spec['TaskTemplate']}, s);
  return next;
}

const forcedBy = (next: number) => (t: EngineTask) => (t.Spec as {ForceUpdate?: number}).ForceUpdate === next;

/** A job run again: done once each of its new tasks runs or has ended (a one-shot is started, not waited for, as on one host). */
function jobRerun(tasks: EngineTask[], next: number, want: number): boolean {
  const fresh = tasks.filter(forcedBy(next));
  return fresh.length >= want && fresh.every((t) => t.Status.State === 'running' || taskEnded(t));
}

/**
 * A job's tasks cannot be stopped short of removing the service (a changed spec runs it again): a
 * job still running is refused, one that has ended has nothing to stop.
 */
function refuseRunningJobs(ref: StackRef, list: [string, EngineService][], tasks: Map<string, EngineTask[]>): void {
  const busy = list.filter(([name, s]) => isJob(s) && (tasks.get(name) ?? []).some((t) => t.Status.State === 'running')).map(([name]) => `"${name}"`);
  if (busy.length === 0) return;
  throw new OperationError(`${busy.length === 1 ? `one-shot service ${busy[0]} is` : `one-shot services ${busy.join(', ')} are`} still running, and Swarm cannot stop a job's tasks without removing it; nothing was changed`, {
    hint: `wait until it has ended (\`spin ps\`), then stop; or remove the stack (\`spin rm --stack ${ref.stack}\`)`,
  });
}

export async function stopSwarmServices(view: SwarmStackView, ref: StackRef, services: string[] | undefined, options: LifecycleOptions): Promise<void> {
  checkRef(ref);
  const list = [...(await selectedServices(view, ref, services))];
  refuseRunningJobs(ref, list, await view.tasks(ref));
  for (const [name, s] of list) {
    if (isJob(s)) continue;
    if (s.Spec.Mode?.Global) {
      if (stoppedGlobal(s)) continue;
      const spec = withConstraints(s.Spec, [...constraintsOf(s.Spec), NO_NODE]);
      await options.send(ref, name, {...spec, Labels: {...s.Spec.Labels, [STOPPED_GLOBAL]: 'true'}}, s);
      continue;
    }
    const replicas = s.Spec.Mode?.Replicated?.Replicas ?? 0;
    if (replicas === 0) continue;
    await options.send(ref, name, {...s.Spec, Mode: {Replicated: {Replicas: 0}}, Labels: {...s.Spec.Labels, [STOPPED_REPLICAS]: String(replicas)}}, s);
  }
  const names = list.map(([name]) => name);
  await waitFor(view, ref, `stop ${names.join(', ')}`, options, (tasks) => names.every((n) => !(tasks.get(n) ?? []).some((t) => t.Status.State === 'running')));
}

export async function startSwarmServices(view: SwarmStackView, ref: StackRef, services: string[] | undefined, options: LifecycleOptions): Promise<void> {
  checkRef(ref);
  const list = [...(await selectedServices(view, ref, services))];
  const tasksNow = await view.tasks(ref);
  /** Replicated services: the count to wait for. */
  const want = new Map<string, number>();
  const globals: string[] = [];
  /** Jobs run again, as a single host starts a one-shot's exited container again: their new ForceUpdate. */
  const jobs = new Map<string, {next: number; want: number}>();
  for (const [name, s] of list) {
    if (isJob(s)) {
      if ((tasksNow.get(name) ?? []).some((t) => t.Status.State === 'running')) continue;
      jobs.set(name, {next: await force(ref, name, s, options), want: jobTasks(s)});
      continue;
    }
    if (s.Spec.Mode?.Global) {
      globals.push(name);
      if (!stoppedGlobal(s)) continue;
      const labels = {...s.Spec.Labels};
      delete labels[STOPPED_GLOBAL];
      await options.send(ref, name, {...withConstraints(s.Spec, constraintsOf(s.Spec).filter((c) => c !== NO_NODE)), Labels: labels}, s);
      continue;
    }
    const replicas = s.Spec.Mode?.Replicated?.Replicas ?? 0;
    const stopped = Number(s.Spec.Labels?.[STOPPED_REPLICAS]);
    if (replicas > 0 || !Number.isSafeInteger(stopped) || stopped <= 0) {
      // Running already, or scaled to 0 by a deploy: start leaves it as it is.
      want.set(name, replicas);
      continue;
    }
    const labels = {...s.Spec.Labels};
    delete labels[STOPPED_REPLICAS];
    await options.send(ref, name, {...s.Spec, Mode: {Replicated: {Replicas: stopped}}, Labels: labels}, s);
    want.set(name, stopped);
  }
  // A global service has no count: Swarm makes one task per eligible node at once, so it is
  // started when it has tasks and every one of them runs.
  const names = [...want.keys(), ...globals, ...jobs.keys()];
  await waitFor(view, ref, `start ${names.join(', ')}`, options, (tasks) => {
    const live = (n: string) => (tasks.get(n) ?? []).filter((t) => t.DesiredState === 'running');
    return (
      [...want].every(([n, count]) => live(n).filter(running).length >= count) &&
      globals.every((n) => live(n).length > 0 && live(n).every(running)) &&
      [...jobs].every(([n, j]) => jobRerun(tasks.get(n) ?? [], j.next, j.want))
    );
  });
}

export async function restartSwarmServices(view: SwarmStackView, ref: StackRef, services: string[] | undefined, options: LifecycleOptions): Promise<void> {
  checkRef(ref);
  const list = [...(await selectedServices(view, ref, services))];
  const forced = new Map<string, {next: number; job?: number}>();
  for (const [name, s] of list) forced.set(name, {next: await force(ref, name, s, options), ...(isJob(s) ? {job: jobTasks(s)} : {})});
  // Done when every task Swarm means to run is of the forced spec and running, and no older one
  // runs; a job, when its new run has started (or already ended).
  await waitFor(view, ref, `restart ${[...forced.keys()].join(', ')}`, options, (tasks) =>
    [...forced].every(([n, {next, job}]) => {
      const all = tasks.get(n) ?? [];
      if (job !== undefined) return jobRerun(all, next, job);
      const current = all.filter((t) => t.DesiredState === 'running');
      const fresh = forcedBy(next);
      return current.every((t) => fresh(t) && t.Status.State === 'running') && !all.some((t) => !fresh(t) && t.Status.State === 'running');
    }),
  );
}
