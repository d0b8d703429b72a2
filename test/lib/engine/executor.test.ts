// The shared deploy executor driven by a fake engine (DeployOps): order, waits, rollouts, the
// ingress hold, the outcome, and the refusal to run a plan the engine no longer matches.

import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import type {Service} from '../../../src/lib/compose/types.ts';
import {EngineError} from '../../../src/lib/engine/errors.ts';
import {executePlan} from '../../../src/lib/engine/executor.ts';
import type {Verdict} from '../../../src/lib/engine/health.ts';
import {emitter, type DeployOps, type PreparedService, type PreparedStack, type Replica} from '../../../src/lib/engine/ops.ts';
import {planStack, type ExistingContainer} from '../../../src/lib/engine/plan.ts';
import type {RolloutSettings} from '../../../src/lib/engine/rollout.ts';
import type {DeployEvent, StackRef} from '../../../src/lib/engine/types.ts';
import type {IngressHooks} from '../../../src/lib/ingress/types.ts';

const ref: StackRef = {project: 'demo', stack: 'web'};
const rollout: RolloutSettings = {parallelism: 1, delayMs: 0, order: 'start-first', why: 'the default', failureAction: 'rollback', monitorMs: 0, maxFailureRatio: 0};

function service(extra: Partial<Service> = {}): Service {
  return {environment: {}, ports: [], volumes: [], depends_on: {}, networks: {default: null}, secrets: [], configs: [], cap_add: [], cap_drop: [], security_opt: [], devices: [], ...extra} as Service;
}

function prepared(name: string, extra: Partial<PreparedService> = {}): PreparedService {
  return {name, service: service(), replicas: 1, digest: `${name}@sha256:1`, configHash: `${name}-new`, oneShot: false, monitorMs: 0, rollout, ...extra};
}

function existing(service: string, replica: number, configHash = `${service}-new`): ExistingContainer {
  return {id: `${service}-old-${replica}`, name: `demo.web.${service}.${replica}`, service, replica, configHash, imageId: 'img', state: 'running', oneShot: false};
}

function stackOf(services: PreparedService[], running: ExistingContainer[] = []): PreparedStack {
  const wanted = services.map((s) => ({service: s.name, replicas: s.replicas, configHash: s.configHash, imageId: 'img'}));
  return {ref, services: new Map(services.map((s) => [s.name, s])), plan: planStack(wanted, running, {networks: [], volumes: []})};
}

/** An engine in memory that logs each step; `verdicts` scripts a service's health. */
class FakeOps implements DeployOps {
  readonly log: string[] = [];
  containers: ExistingContainer[];
  verdicts: Record<string, Exclude<Verdict, {state: 'pending'}> | undefined> = {};
  private serial = 0;

  constructor(containers: ExistingContainer[] = []) {
    this.containers = containers;
  }

  async existing() {
    return this.containers;
  }
  async missingResources() {
    return {networks: [], volumes: []};
  }
  async createResources() {
    this.log.push('resources');
  }
  async open() {}
  close() {
    this.log.push('close');
  }
  async prepareService(name: string) {
    this.log.push(`files ${name}`);
  }
  async createReplica(name: string, replica: number, as?: string) {
    const id = `${name}-new-${++this.serial}`;
    this.log.push(`create ${as ?? `${name}-${replica}`}`);
    return {id, name: as ?? `demo.web.${name}.${replica}`};
  }
  async startReplica(_id: string, name: string) {
    this.log.push(`start ${name}`);
  }
  async stopReplica(c: Replica) {
    this.log.push(`stop ${c.name}`);
  }
  async removeReplica(c: Replica) {
    this.log.push(`remove ${c.name}`);
  }
  async renameReplica(_id: string, name: string) {
    this.log.push(`rename ${name}`);
  }
  async waitReplica(name: string, _c: unknown, want: 'healthy' | 'completed', signal: AbortSignal) {
    this.log.push(`wait ${name} ${want}`);
    if (Object.hasOwn(this.verdicts, name) && this.verdicts[name] === undefined) {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, {once: true}));
      return undefined;
    }
    return this.verdicts[name] ?? {state: 'healthy' as const};
  }
  async lastLogs() {
    return ['last words'];
  }
  async saveState() {
    this.log.push('save');
  }
  async status() {
    return {ref, services: []};
  }
}

function run(stack: PreparedStack, ops: FakeOps, extra: {ingress?: IngressHooks; timeoutMs?: number; noWait?: boolean} = {}) {
  const events: DeployEvent[] = [];
  const result = executePlan(stack, ops, {emit: emitter(() => 0, (e) => events.push(e)), timeoutMs: extra.timeoutMs ?? 10_000, noWait: extra.noWait ?? false, ...(extra.ingress ? {ingress: extra.ingress} : {})});
  return {events, result};
}

describe('executePlan', () => {
  test('applies services in dependency order, waiting for a service_healthy dependency first', async () => {
    const db = prepared('db');
    const app = prepared('app', {service: service({depends_on: {db: {condition: 'service_healthy', required: true}}})});
    const ops = new FakeOps();
    const {events, result} = run(stackOf([app, db]), ops);
    const r = await result;
    assert.equal(r.outcome, 'healthy');
    assert.deepEqual(r.images, {app: 'app@sha256:1', db: 'db@sha256:1'});
    const log = ops.log;
    assert.ok(log.indexOf('wait db healthy') < log.indexOf('create app-1'), log.join('\n'));
    assert.ok(log.indexOf('start demo.web.db.1') < log.indexOf('wait db healthy'));
    assert.equal(log.at(-2), 'save');
    assert.equal(log.at(-1), 'close');
    assert.deepEqual(
      events.filter((e) => e.type === 'waiting').map((e) => e.message),
      ['waiting for "db" to be healthy', 'waiting for "db" to be healthy', 'waiting for "app" to be healthy'],
    );
    assert.equal(events[0].type, 'plan');
    assert.match(events[0].message, /app: create \(new service\); db: create \(new service\)/);
  });

  test('a failing dependency fails the deploy with its logs; its dependents are never created', async () => {
    const db = prepared('db');
    const app = prepared('app', {service: service({depends_on: {db: {condition: 'service_healthy', required: true}}})});
    const ops = new FakeOps();
    ops.verdicts.db = {state: 'failed', reason: 'exited with code 3'};
    const r = await run(stackOf([app, db]), ops).result;
    assert.equal(r.outcome, 'failed');
    assert.deepEqual(r.failure, {service: 'db', replica: 1, reason: 'exited with code 3', logs: ['last words']});
    assert.ok(!ops.log.some((l) => l.startsWith('create app')));
  });

  test('a replica still starting when time runs out ends in a timeout', async () => {
    const ops = new FakeOps();
    ops.verdicts.web = undefined;
    const r = await run(stackOf([prepared('web')]), ops, {timeoutMs: 50}).result;
    assert.equal(r.outcome, 'timeout');
    assert.equal(r.failure?.service, 'web');
    assert.match(r.failure?.reason ?? '', /not healthy within 0s: "web" still starting or waiting/);
  });

  test('a timeout in a rollout names only what is not healthy, not the dependency it found healthy', async () => {
    const db = prepared('db');
    const app = prepared('app', {service: service({depends_on: {db: {condition: 'service_healthy', required: true}}})});
    const running = [existing('db', 1), existing('app', 1, 'app-old')];
    const ops = new FakeOps(running);
    ops.verdicts.app = undefined;
    const r = await run(stackOf([db, app], running), ops, {timeoutMs: 50}).result;
    assert.equal(r.outcome, 'timeout');
    assert.equal(r.failure?.service, 'app');
    assert.match(r.failure?.reason ?? '', /: "app" still starting or waiting$/);
  });

  test('a changed replica rolls out start-first: beside, healthy, old one retired, new one renamed', async () => {
    const old = existing('web', 1, 'web-old');
    const ops = new FakeOps([old]);
    const {events, result} = run(stackOf([prepared('web')], [old]), ops);
    const r = await result;
    assert.equal(r.outcome, 'healthy');
    assert.deepEqual(
      events.filter((e) => e.type === 'healthy').map((e) => e.message),
      ['web-1 is healthy'],
    );
    assert.deepEqual(
      ops.log.filter((l) => !l.startsWith('files')),
      // The final wait looks at the replica again, without announcing it twice.
      ['resources', 'create demo.web.web.1_next', 'start demo.web.web.1_next', 'wait web healthy', 'stop demo.web.web.1', 'remove demo.web.web.1', 'rename demo.web.web.1', 'wait web healthy', 'save', 'close'],
    );
  });

  test('a fresh replica behind the ingress is held out of it until healthy; every hold is released at the end', async () => {
    const calls: string[] = [];
    const hooks: IngressHooks = {
      hold: (id) => void calls.push(`hold ${id}`),
      release: async (id) => void calls.push(`release ${id}`),
      drain: async (id) => void calls.push(`drain ${id}`),
      sync: async () => void calls.push('sync'),
    };
    const ops = new FakeOps();
    const r = await run(stackOf([prepared('web', {ingress: {port: 80}} as Partial<PreparedService>)]), ops, {ingress: hooks}).result;
    assert.equal(r.outcome, 'healthy');
    assert.deepEqual(calls, ['hold web-new-1', 'release web-new-1', 'sync']);
  });

  test('runs no plan the engine no longer matches: a container gone since is a conflict, and nothing changes', async () => {
    const old = existing('web', 1, 'web-old');
    const ops = new FakeOps([]);
    await assert.rejects(run(stackOf([prepared('web')], [old]), ops).result, (err: unknown) => {
      assert.ok(err instanceof EngineError);
      assert.equal(err.code, 'engine.conflict');
      assert.match(err.message, /stack "demo\/web" changed on the engine since this deploy was planned \(container "demo.web.web.1" is gone\); nothing was changed/);
      return true;
    });
    assert.deepEqual(ops.log, []);
  });

  test('a replica that stopped meanwhile is no change to the plan', async () => {
    const old = existing('web', 1);
    const ops = new FakeOps([{...old, state: 'exited', exitCode: 1}]);
    const r = await run(stackOf([prepared('web')], [old]), ops).result;
    assert.equal(r.outcome, 'healthy');
  });
});
