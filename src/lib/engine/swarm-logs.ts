// Logs of a stack's replicas on a Swarm cluster, wherever they run: the manager serves every task's
// log (`GET /tasks/{id}/logs`, which it fetches from the task's node), so no node's own engine is
// needed. The stream is the one the Docker backend builds (docker-logs.ts readLogs): a sources
// frame, then whole lines per replica, merged by time or as they come when following.

import type Docker from 'dockerode';

import {InvalidInputError} from '../errors.ts';
import {readLogs} from './docker-logs.ts';
import {isNotFound} from './errors.ts';
import {checkRef} from './naming.ts';
import type {EngineService, EngineTask} from './swarm.ts';
import {LABELS, type LogOptions, type LogStream, type StackRef} from './types.ts';

/** Task states no task leaves: its container has exited, or never ran. */
const ENDED = new Set(['complete', 'failed', 'shutdown', 'rejected', 'orphaned', 'remove']);

export function taskEnded(t: EngineTask): boolean {
  return ENDED.has(t.Status.State);
}

/** A one-shot (swarm-spec.ts's isSwarmJob): a Swarm job, whose tasks run to completion. */
export function isJob(s: EngineService): boolean {
  return Boolean(s.Spec.Mode?.ReplicatedJob || s.Spec.Mode?.GlobalJob);
}

/** What the swarm modules read of a stack: its services, and its tasks by Spin service name. */
export interface SwarmStackView {
  docker: Docker;
  services(ref: StackRef, service?: string): Promise<EngineService[]>;
  tasks(ref: StackRef): Promise<Map<string, EngineTask[]>>;
}

export interface ReplicaTask {
  /** The replica number Spin shows (`web-2`): the task's slot, or for a global service its place among the nodes. */
  replica: number;
  task: EngineTask;
}

/**
 * The task that stands for each replica of a service: per slot (a global service's per node) the
 * newest task that got a container, so a replica replaced after a crash or a lost node shows its
 * replacement, and a stopped replica still shows its last log.
 */
export function replicaTasks(tasks: EngineTask[], mode: EngineService['Spec']['Mode']): ReplicaTask[] {
  const global = Boolean(mode?.Global || mode?.GlobalJob);
  const job = Boolean(mode?.ReplicatedJob);
  const newest = new Map<string, EngineTask>();
  for (const t of tasks) {
    if (!t.Status.ContainerStatus?.ContainerID) continue;
    const key = global ? (t.NodeID ?? t.ID) : String(t.Slot ?? t.ID);
    const had = newest.get(key);
    if (!had || (t.CreatedAt ?? '') > (had.CreatedAt ?? '')) newest.set(key, t);
  }
  const list = [...newest.values()];
  if (global) return list.sort((a, b) => (a.NodeID ?? '').localeCompare(b.NodeID ?? '')).map((task, i) => ({replica: i + 1, task}));
  // A job numbers its tasks' slots from 0, a replicated service from 1: replicas are 1, 2, … either way.
  return list.map((task) => ({replica: (task.Slot ?? 0) + (job ? 1 : 0), task})).sort((a, b) => a.replica - b.replica);
}

/** The stack's Swarm services by Spin service name, refusing names the stack does not have. */
export async function selectedServices(view: SwarmStackView, ref: StackRef, names?: string[]): Promise<Map<string, EngineService>> {
  const all = new Map((await view.services(ref)).map((s) => [s.Spec.Labels?.[LABELS.service] ?? '', s]));
  if (!names?.length) return all;
  for (const name of names) {
    if (!all.has(name)) throw new InvalidInputError(`service "${name}" has no tasks in stack "${ref.project}/${ref.stack}"`, {hint: 'list the services with `spin ps`'});
  }
  return new Map([...all].filter(([name]) => names.includes(name)));
}

export async function swarmLogs(view: SwarmStackView, ref: StackRef, options: LogOptions): Promise<LogStream> {
  checkRef(ref);
  const [services, tasks] = await Promise.all([selectedServices(view, ref, options.services), view.tasks(ref)]);
  const targets = [...services]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([name, s]) => {
      // The manager sends a TTY service's log raw, like a container's.
      const tty = Boolean(s.Spec.TaskTemplate && 'ContainerSpec' in s.Spec.TaskTemplate && s.Spec.TaskTemplate.ContainerSpec?.TTY === true);
      return replicaTasks(tasks.get(name) ?? [], s.Spec.Mode).map(({replica, task}) => ({
        service: name,
        replica,
        what: `task "${s.Spec.Name}.${replica}"`,
        path: `/tasks/${task.ID}/logs`,
        finished: taskEnded(task),
        // A task removed meanwhile (its service updated away or removed) has ended too.
        ended: () => view.docker.getTask(task.ID).inspect().then((t: EngineTask) => taskEnded(t), (err: unknown) => isNotFound(err)),
        tty: () => Promise.resolve(tty),
      }));
    });
  return readLogs(view.docker, targets, options);
}
