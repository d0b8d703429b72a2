// Changes started from the dashboard (a rollback) run in the background of the request that
// started them: the browser is sent to a progress page at once, which shows the events so far and
// follows the rest as server-sent events. Kept in memory, the newest few per agent.

import {EventEmitter} from 'node:events';

import type {DeployResultJson} from '../api/types.ts';
import type {DeployEvent, StackRef} from '../engine/types.ts';
import {randomId} from './sessions.ts';
import type {OperationView} from './views.ts';

export interface Operation extends OperationView {
  ref: StackRef;
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

  constructor(now: () => Date = () => new Date()) {
    this.now = now;
  }

  start(ref: StackRef, user: string, action: string, run: (onEvent: (e: DeployEvent) => void) => Promise<DeployResultJson>): Operation {
    this.prune();
    const op: Operation = {id: randomId(), ref, action, user, startedAt: this.now().toISOString(), events: [], done: false, emitter: new EventEmitter()};
    op.emitter.setMaxListeners(100);
    this.byId.set(op.id, op);
    const onEvent = (e: DeployEvent) => {
      op.events.push(e);
      if (op.events.length > MAX_EVENTS) op.events.shift();
      op.emitter.emit('event', e);
    };
    run(onEvent).then(
      (result) => {
        op.result = result;
      },
      (err: unknown) => {
        op.error = err instanceof Error ? err.message : String(err);
      },
    ).finally(() => {
      op.done = true;
      op.emitter.emit('done');
    });
    return op;
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
