// Waiting for containers to be healthy. The engine's event stream (filtered to the stack's labels)
// wakes a waiter as soon as something happens to its container; a periodic inspect covers events
// missed while the stream (re)connects. The verdict itself is a pure function of an inspect. The
// wait is backend-neutral: a backend hands in how to inspect a replica and its event source
// (ContainerEvents for the Docker engine).

import type Dockerode from 'dockerode';
import {setTimeout as sleep} from 'node:timers/promises';

import {labelFilter} from './naming.ts';
import {jsonLines} from '../ndjson.ts';
import type {DeployEventType, StackRef} from './types.ts';

/**
 * `healthy`: its healthcheck passes. `running`: it has none, and kept running for the monitor
 * period; a deploy takes that as success too (DESIGN: "healthcheck passing where one is defined,
 * else running for the monitor period"), but it is not called healthy. `done`: a one-shot exited 0.
 */
export type Verdict =
  | {state: 'pending'; /** When waiting longer could change the verdict without an event (ms). */ recheckInMs?: number}
  | {state: 'healthy'}
  | {state: 'running'}
  | {state: 'done'}
  | {state: 'failed'; reason: string};

/**
 * How a replica that passed is announced: "healthy" only when a healthcheck says so; one without
 * is "running" (which a deploy takes as success all the same).
 */
export function passed(verdict: {state: 'healthy' | 'running' | 'done'}, alias: string): [DeployEventType, string] {
  if (verdict.state === 'done') return ['done', `${alias} completed`];
  if (verdict.state === 'running') return ['running', `${alias} is running (no healthcheck)`];
  return ['healthy', `${alias} is healthy`];
}

export interface JudgeOptions {
  /** A one-shot may exit 0 and be done. */
  oneShot: boolean;
  /** A container without a healthcheck passes after running this long. */
  monitorMs: number;
  /** Restarts seen when the wait began; more means it crashed since. */
  restartBaseline: number;
  /** `completed`: only an exit 0 will do (depends_on service_completed_successfully). */
  want: 'healthy' | 'completed';
  now: number;
  /** The exit code of the last `die` event: once restarted, the state no longer has it. */
  lastExitCode?: number;
}

type Inspect = Pick<Dockerode.ContainerInspectInfo, 'State' | 'RestartCount'>;

/** A replica as a backend reports it, in the shape of the Docker engine's inspect. */
export type ReplicaInspect = Inspect & Pick<Dockerode.ContainerInspectInfo, 'Id'>;

/** What wakes a waiter early: the backend's events about a replica. */
export interface ReplicaEvents {
  /** Resolves on the replica's next event, after `ms`, or when the signal aborts (never rejects). */
  changed(id: string, ms: number, signal: AbortSignal): Promise<void>;
  /** The exit code of the replica's last `die` event: once restarted, its state no longer has it. */
  lastExitCode(id: string): number | undefined;
}

function exitReason(state: Inspect['State']): string {
  if (state.OOMKilled) return `was killed for using more memory than its limit (exit code ${state.ExitCode})`;
  return `exited with code ${state.ExitCode}${state.Error ? `: ${state.Error}` : ''}`;
}

export function judge(info: Inspect, opts: JudgeOptions): Verdict {
  const state = info.State;
  if (info.RestartCount > opts.restartBaseline || state.Restarting) {
    const code = state.Restarting || state.Status !== 'running' ? state.ExitCode : opts.lastExitCode;
    const how = code === undefined ? 'exited' : exitReason({...state, ExitCode: code, Error: state.Restarting ? state.Error : ''});
    return {state: 'failed', reason: `keeps restarting: it ${how} and the engine restarted it`};
  }
  switch (state.Status) {
    case 'exited':
    case 'dead':
      if (state.ExitCode === 0 && (opts.oneShot || opts.want === 'completed')) return {state: 'done'};
      if (state.ExitCode === 0) return {state: 'failed', reason: 'exited with code 0, but its restart policy says it should keep running'};
      return {state: 'failed', reason: exitReason(state)};
    case 'running': {
      if (opts.want === 'completed') return {state: 'pending'};
      const health = (state as {Health?: {Status?: string; Log?: {Output?: string; ExitCode?: number}[]}}).Health;
      if (health && health.Status && health.Status !== 'none') {
        if (health.Status === 'healthy') return {state: 'healthy'};
        if (health.Status === 'unhealthy') {
          const last = health.Log?.at(-1);
          const output = last?.Output?.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
          return {state: 'failed', reason: `turned unhealthy: its healthcheck failed${last ? ` (exit code ${last.ExitCode}${output ? `: ${output}` : ''})` : ''}`};
        }
        return {state: 'pending'};
      }
      const started = Date.parse(state.StartedAt);
      const ranMs = Number.isFinite(started) ? opts.now - started : 0;
      return ranMs >= opts.monitorMs ? {state: 'running'} : {state: 'pending', recheckInMs: opts.monitorMs - ranMs};
    }
    default:
      // created, paused, removing: nothing to decide yet.
      return {state: 'pending'};
  }
}

/**
 * One event subscription for a stack, shared by every waiter. `changed(id)` resolves the next time
 * the engine reports anything about that container.
 */
export class ContainerEvents implements ReplicaEvents {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly exits = new Map<string, number>();
  private stream?: NodeJS.ReadableStream & {destroy?: () => void};
  private closed = false;

  static async open(docker: Pick<Dockerode, 'getEvents'>, ref: StackRef): Promise<ContainerEvents> {
    const events = new ContainerEvents();
    try {
      const stream = (await docker.getEvents({filters: {type: ['container'], label: labelFilter(ref.project, ref.stack)}})) as NodeJS.ReadableStream & {destroy?: () => void};
      events.attach(stream);
    } catch {
      // No events: the inspect poll alone still reaches every verdict, only later.
    }
    return events;
  }

  private attach(stream: NodeJS.ReadableStream & {destroy?: () => void}): void {
    this.stream = stream;
    void (async () => {
      for await (const event of jsonLines(stream as AsyncIterable<Buffer>)) {
        const actor = event.Actor as {ID?: unknown} | undefined;
        const id = typeof actor?.ID === 'string' ? actor.ID : typeof event.id === 'string' ? event.id : undefined;
        if (!id) continue;
        const exitCode = (actor as {Attributes?: {exitCode?: unknown}} | undefined)?.Attributes?.exitCode;
        if (event.Action === 'die' && typeof exitCode === 'string' && /^\d+$/.test(exitCode)) this.exits.set(id, Number(exitCode));
        this.wake(id);
      }
    })().catch(() => undefined);
  }

  private wake(id: string): void {
    const set = this.waiters.get(id);
    if (!set) return;
    this.waiters.delete(id);
    for (const fn of set) fn();
  }

  /** Resolves on the container's next event, after `ms`, or when the signal aborts (never rejects). */
  async changed(id: string, ms: number, signal: AbortSignal): Promise<void> {
    if (this.closed || signal.aborted) return;
    const local = new AbortController();
    const stop = () => local.abort();
    signal.addEventListener('abort', stop, {once: true});
    const set = this.waiters.get(id) ?? new Set<() => void>();
    this.waiters.set(id, set);
    set.add(stop);
    try {
      await sleep(ms, undefined, {signal: local.signal});
    } catch {
      // woken early: by an event or the signal
    } finally {
      set.delete(stop);
      signal.removeEventListener('abort', stop);
    }
  }

  lastExitCode(id: string): number | undefined {
    return this.exits.get(id);
  }

  close(): void {
    this.closed = true;
    this.stream?.destroy?.();
    for (const id of [...this.waiters.keys()]) this.wake(id);
  }
}

export interface WaitOptions extends Omit<JudgeOptions, 'now' | 'restartBaseline'> {
  /** 0 for a container this deploy started; unset for one it kept (the first inspect sets it). */
  restartBaseline?: number;
  pollMs: number;
  now: () => number;
  signal: AbortSignal;
  /**
   * Runs the container's healthcheck once, true when it passes. While the engine still says
   * `starting`, a pass counts as healthy: engines before API 1.44 have no `start_interval` and
   * run the first check a whole `interval` after start. Only for replicas nothing routes by the
   * engine's own health status (the ingress does).
   */
  probe?: () => Promise<boolean>;
  /** Least time between two probes (ms). */
  probeEveryMs?: number;
}

/** The engine's health status of an inspect, when the container has a healthcheck. */
function healthStatus(info: Inspect): string | undefined {
  return (info.State as {Health?: {Status?: string}}).Health?.Status;
}

/**
 * Inspects a container until its verdict is no longer pending. Returns undefined when the signal
 * aborts first (timeout, another failure, or the caller gave up).
 */
export async function waitContainer(inspect: (id: string) => Promise<ReplicaInspect>, events: ReplicaEvents, id: string, opts: WaitOptions): Promise<Exclude<Verdict, {state: 'pending'}> | undefined> {
  let baseline = opts.restartBaseline;
  let nextProbe = 0;
  while (!opts.signal.aborted) {
    let info: ReplicaInspect;
    try {
      info = await inspect(id);
    } catch (err) {
      if ((err as {statusCode?: number}).statusCode === 404) return {state: 'failed', reason: 'was removed while Spin waited for it'};
      throw err;
    }
    baseline ??= info.RestartCount;
    const lastExitCode = events.lastExitCode(info.Id);
    const verdict = judge(info, {...opts, restartBaseline: baseline, now: opts.now(), ...(lastExitCode !== undefined ? {lastExitCode} : {})});
    if (verdict.state !== 'pending') return verdict;
    let waitMs = Math.max(10, Math.min(opts.pollMs, verdict.recheckInMs ?? opts.pollMs));
    if (opts.probe && opts.want === 'healthy' && info.State.Status === 'running' && healthStatus(info) === 'starting') {
      const every = opts.probeEveryMs ?? 250;
      if (opts.now() >= nextProbe) {
        nextProbe = opts.now() + every;
        // A failed or broken probe proves nothing: the engine's own checks still decide.
        if (await opts.probe().catch(() => false)) return {state: 'healthy'};
      }
      waitMs = Math.min(waitMs, every);
    }
    await events.changed(id, waitMs, opts.signal);
  }
  return undefined;
}
