// Running a prepared plan: services in dependency order (each after the services it depends on
// started, were found healthy or completed, as depends_on asks), per service its steps (remove,
// rename back, create, restart, roll out), then the wait until everything is healthy, and the
// outcome. Backend-neutral: the engine work goes through DeployOps.

import {InvalidInputError, OperationError, SpinError, UnreachableError} from '../errors.ts';
import type {IngressHooks} from '../ingress/types.ts';
import {EngineError} from './errors.ts';
import {passed} from './health.ts';
import {IngressGate} from './ingress-gate.ts';
import {containerName, replicaAlias} from './naming.ts';
import type {DeployOps, Emit, PreparedService, PreparedStack, Replica, Started, Tracked} from './ops.ts';
import {dependencyOrder, planDrift, publicPlan, serviceDependencies, type ExistingContainer} from './plan.ts';
import {rollService, type RolloutHost} from './service-rollout.ts';
import type {DeployResult, FailureDetail} from './types.ts';

export interface ExecuteSettings {
  emit: Emit;
  /** The proxy's hooks, when the agent runs an ingress. */
  ingress?: IngressHooks;
  timeoutMs: number;
  noWait: boolean;
  signal?: AbortSignal;
}

/** A failure the deploy reports as its outcome; anything else (engine down, bad input) is thrown. */
function isSpinFailure(err: unknown): err is SpinError {
  return err instanceof SpinError && !(err instanceof UnreachableError) && !(err instanceof InvalidInputError);
}

/**
 * A replica that ran to its end (a one-shot that exited): replacing it means running the new one,
 * with nothing to keep serving meanwhile. A running one is rolled like any replica, whatever its
 * restart policy.
 */
export function finishedRun(s: Pick<PreparedService, 'oneShot'>, c: Pick<ExistingContainer, 'state'>): boolean {
  return s.oneShot && c.state !== 'running' && c.state !== 'restarting';
}

/** Runs the plan of `stack` once; see the file comment. */
export async function executePlan(stack: PreparedStack, ops: DeployOps, settings: ExecuteSettings): Promise<DeployResult> {
  return new DeployRun(stack, ops, settings).run();
}

class DeployRun implements RolloutHost {
  readonly gate: IngressGate;
  readonly emit: Emit;
  /** Aborts on the first failure, the timeout, or the caller's signal: every wait ends then. */
  readonly signal: AbortSignal;
  private readonly failCtl = new AbortController();
  private failure?: FailureDetail;
  /** Per service, the replicas the final wait waits for. */
  private readonly tracked = new Map<string, Tracked[]>();
  /** Per service and condition, the one wait every dependent shares. */
  private readonly waits = new Map<string, Promise<boolean>>();
  /** Per service, whether it was applied (false: it or a dependency failed). */
  private readonly applied = new Map<string, Promise<boolean>>();
  /** Services found healthy by the final wait. */
  private readonly ready = new Set<string>();

  private readonly stack: PreparedStack;
  private readonly ops: DeployOps;
  private readonly settings: ExecuteSettings;

  constructor(stack: PreparedStack, ops: DeployOps, settings: ExecuteSettings) {
    this.stack = stack;
    this.ops = ops;
    this.settings = settings;
    this.emit = settings.emit;
    this.gate = new IngressGate(settings.ingress, settings.emit);
    const signals = [this.failCtl.signal, AbortSignal.timeout(Math.max(0, settings.timeoutMs))];
    if (settings.signal) signals.push(settings.signal);
    this.signal = AbortSignal.any(signals);
  }

  get ref() {
    return this.stack.ref;
  }

  get noWait(): boolean {
    return this.settings.noWait;
  }

  async run(): Promise<DeployResult> {
    this.settings.signal?.throwIfAborted();
    this.announce();
    await this.checkPlanHolds();
    await this.ops.createResources();
    await this.ops.open();
    try {
      await this.removeGone();
      const order = dependencyOrder({services: Object.fromEntries([...this.stack.services].map(([name, s]) => [name, s.service]))});
      await Promise.all(order.map((name) => this.applyInOrder(name)));
      if (!this.failure && !this.noWait && !this.signal.aborted) await this.waitAll(order);
      await this.ops.saveState();
    } finally {
      this.ops.close();
      await this.gate.releaseAll();
    }
    if (this.settings.signal?.aborted) throw this.settings.signal.reason ?? new OperationError('the deploy was interrupted');
    return this.result();
  }

  private announce(): void {
    const {plan} = this.stack;
    const line = (s: (typeof plan.services)[number]) => `${s.service}: ${s.action} (${s.reason}${s.rollout ? `; ${s.rollout.summary}` : ''})`;
    this.emit('plan', plan.noop ? 'nothing to change' : plan.services.filter((s) => s.action !== 'keep' || s.reason !== 'unchanged').map(line).join('; '));
    if (this.gate.enabled) return;
    const asking = [...this.stack.services.values()].filter((s) => s.ingress).map((s) => `"${s.name}"`);
    if (asking.length > 0) {
      this.emit('log', `${asking.join(', ')} ask${asking.length === 1 ? 's' : ''} for the ingress, but this agent runs without one: reach ${asking.length === 1 ? 'it' : 'them'} through published ports (an admin starts the agent with --ingress-listen)`);
    }
  }

  /** The plan runs as it was made and stored, or not at all (planDrift says why). */
  private async checkPlanHolds(): Promise<void> {
    const [existing, missing] = await Promise.all([this.ops.existing(), this.ops.missingResources()]);
    const drift = planDrift(this.stack.plan, existing, missing);
    if (drift === undefined) return;
    const {project, stack} = this.ref;
    throw new EngineError('engine.conflict', `stack "${project}/${stack}" changed on the engine since this deploy was planned (${drift}); nothing was changed`, {
      hint: 'deploy again: the new plan starts from what the engine has now',
    });
  }

  fail(detail: FailureDetail): void {
    if (this.failure) return;
    this.failure = detail;
    this.emit('failed', `${detail.service}${detail.replica ? ` replica ${detail.replica}` : ''} ${detail.reason}`, detail.service, detail.replica);
    this.failCtl.abort();
  }

  /** Services no longer in the stack go first. */
  private async removeGone(): Promise<void> {
    const {plan} = this.stack;
    const gone = plan.services.filter((s) => s.action === 'remove').map((s) => s.service);
    await Promise.all(gone.flatMap((name) => plan.steps[name].remove.map((c) => this.retire(c))));
  }

  private applyInOrder(name: string): Promise<boolean> {
    let task = this.applied.get(name);
    if (!task) {
      task = this.applyAfterDependencies(name);
      this.applied.set(name, task);
    }
    return task;
  }

  private async applyAfterDependencies(name: string): Promise<boolean> {
    const s = this.stack.services.get(name) as PreparedService;
    for (const [dep, d] of Object.entries(serviceDependencies(name, s.service))) {
      if (!this.stack.services.has(dep)) continue;
      if (!(await this.applyInOrder(dep))) return false;
      if (d.condition === 'service_healthy' || d.condition === 'service_completed_successfully') {
        const want = d.condition === 'service_healthy' ? 'healthy' : 'completed';
        this.emit('waiting', `waiting for "${dep}" to be ${want}`, name);
        if (!(await this.waitService(dep, want))) return false;
      }
    }
    if (this.signal.aborted) return false;
    try {
      this.tracked.set(name, await this.applyService(s));
      return true;
    } catch (err) {
      if (!isSpinFailure(err)) throw err;
      this.fail({service: name, reason: `could not be started: ${err.message}`, ...(err.hint ? {hint: err.hint} : {}), logs: []});
      return false;
    }
  }

  private async applyService(s: PreparedService): Promise<Tracked[]> {
    const steps = this.stack.plan.steps[s.name];
    await this.ops.prepareService(s.name);
    await Promise.all(steps.remove.map((c) => this.retire(c)));
    // A replica left under its temporary name by an interrupted rollout gets its own name back.
    for (const c of [...steps.keep, ...steps.start]) {
      const proper = containerName(this.ref, s.name, c.replica);
      if (c.name !== proper) await this.ops.renameReplica(c.id, proper);
    }
    const results = await Promise.all([
      ...steps.create.map((n) => this.start(s, n)),
      ...steps.recreate
        .filter((c) => finishedRun(s, c))
        .map(async (c) => {
          await this.retire(c);
          return this.start(s, c.replica);
        }),
      ...steps.start.map(async (c) => {
        this.gate.hold(s, c.id);
        await this.ops.startReplica(c.id, c.name);
        this.emit('start', `started ${c.name}`, s.name, c.replica);
        return {id: c.id, replica: c.replica, fresh: true};
      }),
    ]);
    const rolling = steps.recreate.filter((c) => !finishedRun(s, c));
    const rolled = rolling.length > 0 ? await rollService(this, s, rolling) : [];
    const kept = steps.keep.map((c) => ({id: c.id, replica: c.replica, fresh: false}));
    return [...kept, ...results.map(({id, replica, fresh}) => ({id, replica, fresh})), ...rolled].sort((a, b) => a.replica - b.replica);
  }

  /** Creates and starts a replica, held out of the ingress until found healthy. */
  async start(s: PreparedService, replica: number, as?: string): Promise<Started> {
    const {id, name} = await this.ops.createReplica(s.name, replica, as);
    this.emit('create', `created ${name}`, s.name, replica);
    this.gate.hold(s, id);
    await this.ops.startReplica(id, name);
    this.emit('start', `started ${name}`, s.name, replica);
    return {id, replica, fresh: true, name};
  }

  /** Stops and removes a replica; one behind the ingress leaves the proxy first. */
  async retire(c: Replica): Promise<void> {
    await this.gate.drain(c);
    await this.remove(c);
  }

  async remove(c: Replica): Promise<void> {
    this.emit('stop', `stopping ${c.name}`, c.service, c.replica);
    await this.ops.stopReplica(c);
    this.emit('remove', `removing ${c.name}`, c.service, c.replica);
    await this.ops.removeReplica(c);
  }

  verdict(s: PreparedService, c: Pick<Tracked, 'id' | 'fresh'>, want: 'healthy' | 'completed') {
    return this.ops.waitReplica(s.name, c, want, this.signal);
  }

  lastLogs(id: string): Promise<string[]> {
    return this.ops.lastLogs(id);
  }

  renameReplica(id: string, name: string): Promise<void> {
    return this.ops.renameReplica(id, name);
  }

  /** True once every tracked replica of the service passed; shared by all who wait for it. */
  private waitService(name: string, want: 'healthy' | 'completed'): Promise<boolean> {
    const key = `${name}\n${want}`;
    let w = this.waits.get(key);
    if (!w) {
      // Ready as soon as found healthy, also as a dependency: a timeout later in another service's
      // rollout must not name this one as still starting.
      w = this.waitReplicas(this.stack.services.get(name) as PreparedService, this.tracked.get(name) ?? [], want).then((ok) => {
        if (ok && want === 'healthy') this.ready.add(name);
        return ok;
      });
      this.waits.set(key, w);
    }
    return w;
  }

  private async waitReplicas(s: PreparedService, containers: Tracked[], want: 'healthy' | 'completed'): Promise<boolean> {
    const verdicts = await Promise.all(
      containers.map(async (c) => {
        const verdict = await this.verdict(s, c, want);
        if (!verdict) return false;
        if (verdict.state === 'failed') {
          this.fail({service: s.name, replica: c.replica, reason: verdict.reason, logs: await this.lastLogs(c.id)});
          return false;
        }
        if (verdict.state !== 'done') await this.gate.admit(c.id);
        if (!c.proven) this.emit(...passed(verdict, replicaAlias(s.name, c.replica)), s.name, c.replica);
        return true;
      }),
    );
    return verdicts.every(Boolean);
  }

  private async waitAll(order: string[]): Promise<void> {
    await Promise.all(
      order.map(async (name) => {
        // Replicas a rollout already found healthy are not waited for again (nor announced twice).
        if (this.tracked.get(name)?.some((c) => c.fresh && !c.proven)) this.emit('waiting', `waiting for "${name}" to be healthy`, name);
        await this.waitService(name, 'healthy');
      }),
    );
  }

  private async result(): Promise<DeployResult> {
    const status = await this.ops.status();
    const services = [...this.stack.services.values()];
    const images = Object.fromEntries(services.map((s) => [s.name, s.digest]));
    const result: DeployResult = {plan: publicPlan(this.stack.plan), outcome: 'healthy', status, images};
    if (this.failure) {
      result.outcome = 'failed';
      result.failure = this.failure;
      return result;
    }
    if (this.noWait) {
      result.outcome = 'started';
      return result;
    }
    const pending = services.filter((s) => s.replicas > 0 && !this.ready.has(s.name)).map((s) => s.name);
    if (pending.length === 0) return result;
    result.outcome = 'timeout';
    const first = status.services.find((s) => s.service === pending[0])?.replicas.find((r) => r.health !== 'healthy');
    result.failure = {
      service: pending[0],
      ...(first ? {replica: first.replica} : {}),
      reason: `not healthy within ${Math.round(this.settings.timeoutMs / 1000)}s: ${pending.map((n) => `"${n}"`).join(', ')} still starting or waiting`,
      logs: first ? await this.lastLogs(first.id) : [],
    };
    return result;
  }
}
