// stop, start and restart of a stack's services on a Swarm cluster. Swarm has no stopped service:
// stop scales a service to 0 and keeps the count it had in a label of the service, start scales it
// back to that count, restart bumps ForceUpdate so Swarm replaces every task under the service's
// own update_config (a rolling restart, health-gated like a deploy). Each waits until the cluster
// did it, so the command returns with the change made. A global service runs one task on every
// eligible node and has no count: it cannot be stopped (Swarm cannot scale it to 0), so stop and
// start refuse it before changing anything; restart works on it like on any other.

import {InvalidInputError, TimeoutError} from '../errors.ts';
import {engineCall} from './errors.ts';
import {checkRef} from './naming.ts';
import {selectedServices, type SwarmStackView} from './swarm-logs.ts';
import type {EngineService, EngineTask} from './swarm.ts';
import type {StackRef} from './types.ts';

/** The replica count a stopped service had, so start can put it back. */
export const STOPPED_REPLICAS = 'org.spin.stopped-replicas';

export interface LifecycleOptions {
  clock: {now(): number};
  pollMs: number;
  /** How long to wait for the cluster to carry the change out. */
  timeoutMs: number;
}

/** dockerode's (auth, options) call form: with one argument it would send the spec as the registry auth header. */
type Updatable = {update(auth: undefined, options: object): Promise<unknown>};

type Spec = EngineService['Spec'];

function template(s: EngineService): {ForceUpdate?: number; ContainerSpec?: unknown} {
  return (s.Spec.TaskTemplate ?? {}) as {ForceUpdate?: number};
}

async function update(view: SwarmStackView, s: EngineService, spec: Spec): Promise<void> {
  // No auth header: the engine keeps the registry credentials the deploy stored with the spec.
  await engineCall(`update service "${s.Spec.Name}"`, () => (view.docker.getService(s.ID) as unknown as Updatable).update(undefined, {...spec, version: s.Version.Index}));
}

function refuseGlobal(list: [string, EngineService][], verb: 'stop' | 'start'): void {
  const global = list.filter(([, s]) => s.Spec.Mode?.Global).map(([name]) => `"${name}"`);
  if (global.length === 0) return;
  const them = global.length === 1 ? `service ${global[0]} is` : `services ${global.join(', ')} are`;
  throw new InvalidInputError(`${them} global (one task on every node), which Swarm cannot scale to 0: it cannot ${verb}; nothing was changed`, {
    hint: `${verb} the other services by name (\`spin ${verb} SERVICE…\`), or remove the stack (\`spin rm\`); \`spin restart\` works on a global service`,
  });
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

export async function stopSwarmServices(view: SwarmStackView, ref: StackRef, services: string[] | undefined, options: LifecycleOptions): Promise<void> {
  checkRef(ref);
  const list = [...(await selectedServices(view, ref, services))];
  refuseGlobal(list, 'stop');
  for (const [, s] of list) {
    const replicas = s.Spec.Mode?.Replicated?.Replicas ?? 0;
    if (replicas === 0) continue;
    await update(view, s, {...s.Spec, Mode: {Replicated: {Replicas: 0}}, Labels: {...s.Spec.Labels, [STOPPED_REPLICAS]: String(replicas)}});
  }
  const names = list.map(([name]) => name);
  await waitFor(view, ref, `stop ${names.join(', ')}`, options, (tasks) => names.every((n) => !(tasks.get(n) ?? []).some((t) => t.Status.State === 'running')));
}

export async function startSwarmServices(view: SwarmStackView, ref: StackRef, services: string[] | undefined, options: LifecycleOptions): Promise<void> {
  checkRef(ref);
  const list = [...(await selectedServices(view, ref, services))];
  refuseGlobal(list, 'start');
  const want = new Map<string, number>();
  for (const [name, s] of list) {
    const replicas = s.Spec.Mode?.Replicated?.Replicas ?? 0;
    const stopped = Number(s.Spec.Labels?.[STOPPED_REPLICAS]);
    if (replicas > 0 || !Number.isSafeInteger(stopped) || stopped <= 0) {
      // Running already, or scaled to 0 by a deploy: start leaves it as it is.
      want.set(name, replicas);
      continue;
    }
    const labels = {...s.Spec.Labels};
    delete labels[STOPPED_REPLICAS];
    await update(view, s, {...s.Spec, Mode: {Replicated: {Replicas: stopped}}, Labels: labels});
    want.set(name, stopped);
  }
  await waitFor(view, ref, `start ${[...want.keys()].join(', ')}`, options, (tasks) => [...want].every(([n, count]) => (tasks.get(n) ?? []).filter(running).length >= count));
}

export async function restartSwarmServices(view: SwarmStackView, ref: StackRef, services: string[] | undefined, options: LifecycleOptions): Promise<void> {
  checkRef(ref);
  const list = [...(await selectedServices(view, ref, services))];
  const forced = new Map<string, number>();
  for (const [name, s] of list) {
    const next = (template(s).ForceUpdate ?? 0) + 1;
    await update(view, s, {...s.Spec, TaskTemplate: {...s.Spec.TaskTemplate, ForceUpdate: next} as Spec['TaskTemplate']});
    forced.set(name, next);
  }
  // Done when every task Swarm means to run is of the forced spec and running, and no older one runs.
  await waitFor(view, ref, `restart ${[...forced.keys()].join(', ')}`, options, (tasks) =>
    [...forced].every(([n, next]) => {
      const all = tasks.get(n) ?? [];
      const current = all.filter((t) => t.DesiredState === 'running');
      const fresh = (t: EngineTask) => (t.Spec as {ForceUpdate?: number}).ForceUpdate === next;
      return current.every((t) => fresh(t) && t.Status.State === 'running') && !all.some((t) => !fresh(t) && t.Status.State === 'running');
    }),
  );
}
