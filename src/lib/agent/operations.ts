// Every change of a stack in flight (deploy, upgrade, rollback, scale), wherever it started: the
// CLI through the API, or the dashboard. Each keeps its events so far and passes on new ones, so
// the dashboard can show any of them live, from its first event. Kept in memory, the newest few
// hundred per agent.

import {randomBytes} from 'node:crypto';
import {EventEmitter} from 'node:events';

import type {DeployResultJson} from '../api/types.ts';
import type {DeployEvent, StackRef} from '../engine/types.ts';

export interface Operation {
  id: string;
  ref: StackRef;
  action: string;
  user: string;
  startedAt: string;
  events: DeployEvent[];
  done: boolean;
  result?: DeployResultJson;
  error?: string;
  /** 'event' (DeployEvent) for each event, 'done' once. */
  emitter: EventEmitter;
}

/** Events kept per operation; a huge rollout's first ones are dropped from the page, never from the audit log. */
const MAX_EVENTS = 2000;
/** Operations kept; the oldest finished ones go first. */
const MAX_OPERATIONS = 200;

export class Operations {
  private readonly byId = new Map<string, Operation>();
  private readonly now: () => Date;
  private readonly stopping = new AbortController();
  private readonly running = new Set<Promise<unknown>>();

  constructor(now: () => Date = () => new Date()) {
    this.now = now;
  }

  /** Starts a change and returns it at once (the dashboard's rollback, which the browser follows). */
  start(ref: StackRef, user: string, action: string, run: (onEvent: (e: DeployEvent) => void) => Promise<DeployResultJson>): Operation {
    return this.begin(ref, user, action, run).op;
  }

  /** Runs a change to its end, as a request that waits for it does (the API's deploy). */
  run(ref: StackRef, user: string, action: string, run: (onEvent: (e: DeployEvent) => void) => Promise<DeployResultJson>): Promise<DeployResultJson> {
    return this.begin(ref, user, action, run).result;
  }

  /** Aborts when the agent stops: every rollout in flight ends where it is (see stop). */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /**
   * The agent is stopping: changes in flight get `graceMs` to end; then each ends where it is,
   * its revision left pending, so the next start reconciles it as after a crash (marked
   * interrupted, the stack put back on its last good revision). Resolves once they have all
   * ended, or `graceMs` after the abort.
   */
  async stop(graceMs: number): Promise<void> {
    if (!(await this.settled(graceMs))) {
      this.stopping.abort(new Error('the agent is stopping'));
      await this.settled(graceMs);
    }
  }

  /** Whether every change in flight ended within `ms`. */
  private async settled(ms: number): Promise<boolean> {
    if (this.running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([Promise.allSettled(this.running).then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)))]);
    clearTimeout(timer);
    return ended;
  }

  /** The newest change of the stack still running, if any. */
  current(ref: StackRef): Operation | undefined {
    let found: Operation | undefined;
    for (const op of this.byId.values()) if (!op.done && op.ref.project === ref.project && op.ref.stack === ref.stack) found = op;
    return found;
  }

  private begin(ref: StackRef, user: string, action: string, run: (onEvent: (e: DeployEvent) => void) => Promise<DeployResultJson>): {op: Operation; result: Promise<DeployResultJson>} {
    this.prune();
    const op: Operation = {id: randomBytes(32).toString('base64url'), ref, action, user, startedAt: this.now().toISOString(), events: [], done: false, emitter: new EventEmitter()};
    op.emitter.setMaxListeners(100);
    this.byId.set(op.id, op);
    const onEvent = (e: DeployEvent) => {
      op.events.push(e);
      if (op.events.length > MAX_EVENTS) op.events.shift();
      op.emitter.emit('event', e);
    };
    const result = run(onEvent);
    const settled = result
      .then(
        (r) => {
          op.result = r;
        },
        (err: unknown) => {
          op.error = err instanceof Error ? err.message : String(err);
        },
      )
      .finally(() => {
        op.done = true;
        op.emitter.emit('done');
        this.running.delete(settled);
      });
    this.running.add(settled);
    return {op, result};
  }

  /** The operation, only when it belongs to this stack (ids of other projects' stacks read as unknown). */
  get(ref: StackRef, id: string): Operation | undefined {
    const op = this.byId.get(id);
    return op && op.ref.project === ref.project && op.ref.stack === ref.stack ? op : undefined;
  }

  private prune(): void {
    for (const [id, op] of this.byId) {
      if (this.byId.size < MAX_OPERATIONS) break;
      if (op.done) this.byId.delete(id);
    }
  }
}
