// Rolling updates: replacing a service's replicas a batch at a time under compose's
// `deploy.update_config` (or `rollback_config` on the way back), each new replica health-gated
// before the old one leaves. The settings and the order of steps are decided here, without the
// engine: docker.ts supplies the steps (start, wait, drain, stop) as `ReplicaSteps`.

import {fixedHostPort} from '../compose/semantic.ts';
import type {Service, UpdateConfig} from '../compose/types.ts';

export type RolloutOrder = 'start-first' | 'stop-first';
export type FailureAction = 'rollback' | 'pause' | 'continue';

export interface RolloutSettings {
  /** Replicas replaced at once; 0 means all of them. */
  parallelism: number;
  /** Pause between batches. */
  delayMs: number;
  order: RolloutOrder;
  /** Why this order, in words, for the plan: "behind the ingress", "publishes host port 8080". */
  why: string;
  failureAction: FailureAction;
  /** After a batch is healthy, how long it must stay so before the next one starts. */
  monitorMs: number;
  /** Share of the service's replicas that may fail before `failureAction` applies. */
  maxFailureRatio: number;
}

/** What the plan shows about a service's rollout. */
export interface RolloutPlan extends RolloutSettings {
  /** One line: "start-first (behind the ingress), 1 at a time, on failure rollback". */
  summary: string;
}

/**
 * The settings a service's replicas are replaced with. `config` is update_config, or
 * rollback_config when the stack goes back. `ingress` says the service is behind the proxy.
 * The loader's semantic phase has refused every value the rollout could not use, with its line
 * in the file, so the model is read as it is.
 */
export function rolloutSettings(_name: string, service: Service, config: UpdateConfig | undefined, ingress: boolean, which: 'update_config' | 'rollback_config' = 'update_config'): RolloutSettings {
  const c = config ?? {};
  const parallelism = c.parallelism ?? 1;
  const failureAction = (c.failure_action ?? 'rollback') as FailureAction;
  const ratio = c.max_failure_ratio ?? 0;
  const fixed = fixedHostPort(service);
  let order: RolloutOrder;
  let why: string;
  if (fixed !== undefined) {
    order = 'stop-first';
    why = `publishes host port ${fixed}, which one container at a time can bind${c.order === 'start-first' ? '; start-first was asked for but cannot work' : ''}`;
  } else if (c.order !== undefined) {
    order = c.order as RolloutOrder;
    why = `${which}.order`;
  } else {
    order = 'start-first';
    why = ingress ? 'behind the ingress' : 'the default';
  }
  return {parallelism, delayMs: (c.delay ?? 0) / 1e6, order, why, failureAction, monitorMs: (c.monitor ?? 0) / 1e6, maxFailureRatio: ratio};
}

export function describeRollout(s: RolloutSettings): string {
  const parts = [`${s.order} (${s.why})`, s.parallelism === 0 ? 'all at once' : `${s.parallelism} at a time`];
  if (s.delayMs > 0) parts.push(`${s.delayMs / 1000}s between batches`);
  if (s.monitorMs > 0) parts.push(`monitored ${s.monitorMs / 1000}s`);
  parts.push(`on failure ${s.failureAction}${s.maxFailureRatio > 0 ? ` beyond ${Math.round(s.maxFailureRatio * 100)}% failed` : ''}`);
  return parts.join(', ');
}

export function rolloutPlan(s: RolloutSettings): RolloutPlan {
  return {...s, summary: describeRollout(s)};
}

/** Replicas in the order they are replaced, cut into batches. */
export function batches<T>(items: T[], parallelism: number): T[][] {
  const size = parallelism === 0 ? Math.max(1, items.length) : parallelism;
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export type Verdict = {ok: true} | {ok: false; reason: string};

/**
 * The engine work a rollout is made of, for one service. `Old` is a running replica, `New` its
 * replacement. Every step may throw; a throw ends the rollout as a failure of that replica.
 */
export interface ReplicaSteps<Old, New> {
  /** Creates and starts the replacement: beside the old one (start-first), or in its place. */
  start(old: Old, beside: boolean): Promise<New>;
  /** Resolves when the new replica is healthy, or says why it is not. */
  healthy(replica: New): Promise<Verdict>;
  /** Watches healthy replicas for `ms`; a replica that fails meanwhile is reported. */
  monitor(replicas: New[], ms: number): Promise<Map<New, string>>;
  /** Lets a healthy replacement take traffic (the ingress routes to it from now on). */
  admit(replica: New): Promise<void>;
  /** Drains the old replica out of the ingress, stops and removes it. */
  retire(old: Old): Promise<void>;
  /** Removes a replacement that failed, leaving its old replica serving (start-first); after `failed`. */
  discard(replica: New): Promise<void>;
  /** Gives a replacement started beside its old replica the old one's name. */
  promote(replica: New): Promise<void>;
  /** A replica failed: `halts` is true when this failure stops the rollout; `hint` says how to fix it, when the error knew. */
  failed(replica: Old, reason: string, detail: {replacement?: New; halts: boolean; hint?: string}): Promise<void>;
  wait(ms: number): Promise<void>;
  /** True once the deploy gave up (timeout, another service failed): no new batch starts. */
  aborted(): boolean;
}

export interface RolloutOutcome<Old, New> {
  /** Replacements that run now, by the old replica they replaced. */
  replaced: Map<Old, New>;
  /** Old replicas still running because their replacement failed (start-first). */
  kept: Old[];
  failures: number;
  /** The rollout stopped before the last batch because of a failure (or an abort). */
  halted: boolean;
}

/** Replaces `olds` batch by batch; see ReplicaSteps for what each step does. */
export async function rollOut<Old, New>(olds: Old[], settings: RolloutSettings, steps: ReplicaSteps<Old, New>): Promise<RolloutOutcome<Old, New>> {
  const outcome: RolloutOutcome<Old, New> = {replaced: new Map(), kept: [], failures: 0, halted: false};
  const allowed = Math.floor(settings.maxFailureRatio * olds.length + 1e-9);
  const beside = settings.order === 'start-first';
  const groups = batches(olds, settings.parallelism);
  for (const [index, group] of groups.entries()) {
    if (steps.aborted()) {
      outcome.halted = true;
      break;
    }
    const failedHere: {old: Old; reason: string; replacement?: New; hint?: string}[] = [];
    const healthy: {old: Old; replacement: New}[] = [];
    await Promise.all(
      group.map(async (old) => {
        let replacement: New | undefined;
        try {
          if (!beside) await steps.retire(old);
          replacement = await steps.start(old, beside);
          const verdict = await steps.healthy(replacement);
          if (!verdict.ok) {
            failedHere.push({old, reason: verdict.reason, replacement});
            return;
          }
          healthy.push({old, replacement});
        } catch (err) {
          const hint = (err as {hint?: unknown} | null)?.hint;
          failedHere.push({old, reason: err instanceof Error ? err.message : String(err), ...(replacement !== undefined ? {replacement} : {}), ...(typeof hint === 'string' ? {hint} : {})});
        }
      }),
    );
    // Traffic moves only to replacements proven healthy; their old replicas go after.
    await Promise.all(
      healthy.map(async ({old, replacement}) => {
        try {
          await steps.admit(replacement);
          if (beside) {
            await steps.retire(old);
            await steps.promote(replacement);
          }
          outcome.replaced.set(old, replacement);
        } catch (err) {
          failedHere.push({old, reason: err instanceof Error ? err.message : String(err), replacement});
        }
      }),
    );
    const watched = healthy.filter((h) => outcome.replaced.get(h.old) === h.replacement);
    if (settings.monitorMs > 0 && watched.length > 0 && !steps.aborted()) {
      const broke = await steps.monitor(watched.map((h) => h.replacement), settings.monitorMs);
      for (const h of watched) {
        const reason = broke.get(h.replacement);
        if (reason !== undefined) failedHere.push({old: h.old, reason: `failed during the ${settings.monitorMs / 1000}s monitor window: ${reason}`, replacement: h.replacement});
      }
    }
    for (const f of failedHere) {
      outcome.failures++;
      const halts = outcome.failures > allowed && settings.failureAction !== 'continue';
      await steps.failed(f.old, f.reason, {...(f.replacement !== undefined ? {replacement: f.replacement} : {}), halts, ...(f.hint !== undefined ? {hint: f.hint} : {})});
      // A replacement that never took over is removed (after its logs were read), so its old replica keeps serving.
      if (beside && f.replacement !== undefined && !outcome.replaced.has(f.old)) {
        await steps.discard(f.replacement).catch(() => undefined);
        outcome.kept.push(f.old);
      }
    }
    if (outcome.failures > allowed && settings.failureAction !== 'continue') {
      outcome.halted = true;
      break;
    }
    if (index < groups.length - 1 && settings.delayMs > 0) await steps.wait(settings.delayMs);
  }
  return outcome;
}

/** How a replica's stop went, as the engine reports it afterwards. */
export interface StopReport {
  /** `web-1`. */
  replica: string;
  tookMs: number;
  /** The container's stop timeout in seconds (Docker's default is 10). */
  timeoutSeconds: number;
  exitCode?: number;
  /** Whether it runs under an init process (`init: true`). */
  init: boolean;
  /** The container's stop signal; SIGTERM when unset. */
  signal?: string;
}

/**
 * A replica that needed its whole stop timeout and was then killed (exit code 137: SIGKILL) had a
 * main process that ignored the stop signal, typically a program running as PID 1 without a
 * handler, which the kernel shields from default signal actions. Each such stop costs the whole
 * timeout on every redeploy; the message says so and how to fix it. Undefined for a stop that
 * went as it should.
 */
export function slowStopHint(r: StopReport): string | undefined {
  if (r.exitCode !== 137 || r.timeoutSeconds <= 0 || r.tookMs < r.timeoutSeconds * 1000 * 0.9) return undefined;
  const given = (r.signal ?? '').trim().toUpperCase();
  const signal = given === '' ? 'SIGTERM' : /^\d+$/.test(given) ? `signal ${given}` : given.startsWith('SIG') ? given : `SIG${given}`;
  const took = `${r.replica} took ${Math.round(r.tookMs / 1000)} s to stop: its main process ignores ${signal}`;
  return r.init ? `${took} (even under init); handle ${signal} in it, or shorten stop_grace_period` : `${took}; add "init: true" to the service or handle ${signal}`;
}
