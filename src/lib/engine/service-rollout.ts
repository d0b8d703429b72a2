// Rolling out one service's changed replicas during a deploy: the steps rollOut (rollout.ts)
// drives, made of the deploy's own (start, wait, retire) and the ingress gate. Start-first
// replacements run under a temporary name beside the replica they replace, and take its name once
// it is gone; a crash in between leaves both, and the next deploy keeps the one with the
// replica's own name.

import {setTimeout as sleep} from 'node:timers/promises';

import {passed, type Verdict} from './health.ts';
import type {IngressGate} from './ingress-gate.ts';
import {containerName, replicaAlias} from './naming.ts';
import type {Emit, PreparedService, Replica, Started, Tracked} from './ops.ts';
import type {ExistingContainer} from './plan.ts';
import {rollOut} from './rollout.ts';
import type {FailureDetail, StackRef} from './types.ts';

/** What a rollout needs from the deploy around it (executor.ts). */
export interface RolloutHost {
  readonly ref: StackRef;
  readonly emit: Emit;
  readonly gate: IngressGate;
  /** Aborts when the deploy gives up (timeout, another failure). */
  readonly signal: AbortSignal;
  readonly noWait: boolean;
  start(s: PreparedService, replica: number, as?: string): Promise<Started>;
  verdict(s: PreparedService, c: Pick<Tracked, 'id' | 'fresh'>, want: 'healthy'): Promise<Exclude<Verdict, {state: 'pending'}> | undefined>;
  /** Drains, stops and removes a replica. */
  retire(c: Replica): Promise<void>;
  /** Stops and removes a replica that never took traffic. */
  remove(c: Replica): Promise<void>;
  renameReplica(id: string, name: string): Promise<void>;
  lastLogs(id: string): Promise<string[]>;
  fail(detail: FailureDetail): void;
}

/** Replaces running replicas under the service's rollout settings; returns the replicas that run now. */
export async function rollService(host: RolloutHost, s: PreparedService, olds: ExistingContainer[]): Promise<Tracked[]> {
  const {ref, emit, gate, signal} = host;
  const settings = s.rollout;
  const current = new Map<number, Tracked>(olds.map((c) => [c.replica, {id: c.id, replica: c.replica, fresh: false}]));
  const alias = (replica: number) => replicaAlias(s.name, replica);
  await rollOut<ExistingContainer, Started>(olds, settings, {
    start: async (old, beside) => {
      const started = await host.start(s, old.replica, beside ? `${containerName(ref, s.name, old.replica)}_next` : undefined);
      if (!beside) current.set(old.replica, {id: started.id, replica: old.replica, fresh: true});
      return started;
    },
    healthy: async (n) => {
      if (host.noWait) return {ok: true};
      emit('waiting', `waiting for ${alias(n.replica)} to be healthy`, s.name, n.replica);
      const verdict = await host.verdict(s, n, 'healthy');
      if (!verdict) return {ok: false, reason: 'was not healthy when the deploy stopped waiting'};
      if (verdict.state === 'failed') return {ok: false, reason: verdict.reason};
      emit(...passed(verdict, alias(n.replica)), s.name, n.replica);
      return {ok: true};
    },
    monitor: async (list, ms) => {
      const broke = new Map<Started, string>();
      emit('waiting', `monitoring ${list.map((n) => alias(n.replica)).join(', ')} for ${ms / 1000}s`, s.name);
      const watched = await sleep(ms, true, {signal}).catch(() => false);
      if (!watched) return broke;
      await Promise.all(
        list.map(async (n) => {
          const verdict = await host.verdict(s, n, 'healthy');
          if (verdict?.state === 'failed') broke.set(n, verdict.reason);
        }),
      );
      return broke;
    },
    admit: async (n) => {
      await gate.admit(n.id);
      if (current.get(n.replica)?.id === n.id) current.set(n.replica, {id: n.id, replica: n.replica, fresh: true, proven: true});
    },
    retire: (old) => host.retire(old),
    discard: async (n) => {
      gate.forget(n.id);
      await host.remove({id: n.id, name: n.name, service: s.name, replica: n.replica});
    },
    promote: async (n) => {
      await host.renameReplica(n.id, containerName(ref, s.name, n.replica));
      current.set(n.replica, {id: n.id, replica: n.replica, fresh: true, proven: true});
    },
    failed: async (old, reason, {replacement, halts, hint}) => {
      // A deploy that already gave up (timeout, another failure) reports that instead.
      if (signal.aborted) return;
      const logs = replacement ? await host.lastLogs(replacement.id) : [];
      if (halts) {
        host.fail({service: s.name, replica: old.replica, reason, ...(hint ? {hint} : {}), logs});
        return;
      }
      emit('failed', `${alias(old.replica)} ${reason}; the rollout goes on (failure_action ${settings.failureAction}, max_failure_ratio ${settings.maxFailureRatio})`, s.name, old.replica);
    },
    wait: (ms) => sleep(ms, undefined, {signal}).catch(() => undefined),
    aborted: () => signal.aborted,
  });
  return [...current.values()];
}
