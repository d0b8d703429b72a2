// The event-fed view of the engine, over a small fake of the three engine calls it makes: what
// it asks the engine, and when; the real engine is exercised by the status integration tests.

import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import {setImmediate as tick} from 'node:timers/promises';
import {test} from 'node:test';

import type Docker from 'dockerode';

import {ContainerWatch} from '../../../src/lib/engine/docker-watch.ts';
import {LABELS} from '../../../src/lib/engine/types.ts';

const ref = {project: 'p', stack: 's'};

function labels(service: string, stack = 's') {
  return {[LABELS.managed]: 'true', [LABELS.project]: 'p', [LABELS.stack]: stack, [LABELS.service]: service, [LABELS.replica]: '1'};
}

/** An engine with containers by id; counts calls; its event streams are PassThroughs the test writes to. */
class FakeEngine {
  containers = new Map<string, {labels: Record<string, string>; status: string}>();
  calls = {list: 0, inspect: 0, events: 0};
  streams: PassThrough[] = [];
  failInspect = 0;
  /** Inspects wait for this before answering, when set. */
  gate?: Promise<void>;

  docker(): Docker {
    return {
      listContainers: async () => {
        this.calls.list++;
        return [...this.containers.entries()].map(([Id, c]) => ({Id, Labels: c.labels}));
      },
      getEvents: async () => {
        this.calls.events++;
        const stream = new PassThrough();
        this.streams.push(stream);
        return stream;
      },
      getContainer: (id: string) => ({
        inspect: async () => {
          this.calls.inspect++;
          await this.gate;
          if (this.failInspect > 0) {
            this.failInspect--;
            throw Object.assign(new Error('engine hiccup'), {statusCode: 500});
          }
          const c = this.containers.get(id);
          if (!c) throw Object.assign(new Error('no such container'), {statusCode: 404});
          return {Id: id, Name: `/${id}`, Created: '2026-01-01T00:00:00Z', Image: 'sha256:1', Config: {Labels: c.labels, Image: 'img'}, State: {Status: c.status, ExitCode: 0, StartedAt: ''}, HostConfig: {}, NetworkSettings: {}};
        },
      }),
    } as unknown as Docker;
  }

  event(id: string, action: string): void {
    this.streams.at(-1)!.write(`${JSON.stringify({Type: 'container', Action: action, Actor: {ID: id}})}\n`);
  }
}

const states = async (watch: ContainerWatch) => Object.fromEntries((await watch.stack(ref)).map((c) => [c.Id, c.State.Status]));

test('the first read follows events and reads every managed container once; later reads ask the engine nothing', async () => {
  const engine = new FakeEngine();
  engine.containers.set('a', {labels: labels('web'), status: 'running'});
  engine.containers.set('b', {labels: labels('db', 'other'), status: 'running'});
  const watch = new ContainerWatch(engine.docker());
  assert.deepEqual(await states(watch), {a: 'running'});
  assert.deepEqual(engine.calls, {list: 1, inspect: 2, events: 1});
  for (let i = 0; i < 5; i++) await watch.stack(ref);
  assert.deepEqual(engine.calls, {list: 1, inspect: 2, events: 1});
  watch.close();
});

test('an event re-reads its container: a stop shows, a new container appears, a removed one goes', async () => {
  const engine = new FakeEngine();
  engine.containers.set('a', {labels: labels('web'), status: 'running'});
  const watch = new ContainerWatch(engine.docker());
  await watch.stack(ref);
  engine.containers.get('a')!.status = 'exited';
  engine.event('a', 'die');
  engine.containers.set('c', {labels: labels('api'), status: 'created'});
  engine.event('c', 'create');
  await tick();
  assert.deepEqual(await states(watch), {a: 'exited', c: 'created'});
  engine.containers.delete('a');
  engine.event('a', 'destroy');
  await tick();
  assert.deepEqual(await states(watch), {c: 'created'});
  assert.equal(engine.calls.list, 1, 'events alone kept the state: no listing');
  watch.close();
});

test('a burst of events for one container costs at most two inspects, and the last one wins', async () => {
  const engine = new FakeEngine();
  engine.containers.set('a', {labels: labels('web'), status: 'running'});
  const watch = new ContainerWatch(engine.docker());
  await watch.stack(ref);
  let open!: () => void;
  engine.gate = new Promise((resolve) => (open = resolve));
  const before = engine.calls.inspect;
  for (const action of ['die', 'start', 'health_status: healthy', 'die', 'start']) engine.event('a', action);
  await tick();
  engine.containers.get('a')!.status = 'restarting';
  open();
  assert.deepEqual(await states(watch), {a: 'restarting'});
  assert.ok(engine.calls.inspect - before <= 2, `${engine.calls.inspect - before} inspects`);
  watch.close();
});

test('a broken event stream is a gap: the next read follows again and re-reads everything', async () => {
  const engine = new FakeEngine();
  engine.containers.set('a', {labels: labels('web'), status: 'running'});
  const watch = new ContainerWatch(engine.docker());
  await watch.stack(ref);
  engine.streams[0].end();
  await tick();
  // Changed while nobody was listening: only a full read can know.
  engine.containers.get('a')!.status = 'exited';
  engine.containers.set('d', {labels: labels('new'), status: 'running'});
  assert.deepEqual(await states(watch), {a: 'exited', d: 'running'});
  assert.deepEqual([engine.calls.events, engine.calls.list], [2, 2]);
  watch.close();
});

test('resync after the agent changed a stack reads that stack now, before any event arrives', async () => {
  const engine = new FakeEngine();
  engine.containers.set('a', {labels: labels('web'), status: 'running'});
  const watch = new ContainerWatch(engine.docker());
  await watch.stack(ref);
  engine.containers.delete('a');
  engine.containers.set('e', {labels: labels('web'), status: 'running'});
  await watch.resync(ref);
  assert.deepEqual(await states(watch), {e: 'running'});
  watch.close();
});

test('an inspect that fails distrusts the state; an engine that keeps failing is an error, not a loop', async () => {
  const engine = new FakeEngine();
  engine.containers.set('a', {labels: labels('web'), status: 'running'});
  const watch = new ContainerWatch(engine.docker());
  engine.failInspect = 1;
  assert.deepEqual(await states(watch), {a: 'running'}, 'one failure: read again');
  engine.failInspect = 100;
  engine.event('a', 'die');
  await tick();
  await assert.rejects(watch.stack(ref), /engine hiccup/);
  watch.close();
});

test('image digests: one inspect for concurrent asks; a digest found is kept; "none yet" is believed for 5 s', async (t) => {
  t.mock.timers.enable({apis: ['Date']});
  let asked = 0;
  let digests: string[] = [];
  const docker = {getImage: () => ({inspect: async () => (asked++, {Id: 'sha256:abc', RepoDigests: digests})})} as unknown as Docker;
  const watch = new ContainerWatch(docker);
  const ask = () => watch.imageDigest('sha256:abc', 'reg/app:1');
  assert.deepEqual(await Promise.all([ask(), ask(), ask()]), ['sha256:abc', 'sha256:abc', 'sha256:abc']);
  digests = ['reg/app@sha256:def'];
  assert.equal(await ask(), 'sha256:abc', 'within 5 s the answer stands');
  assert.equal(asked, 1);
  t.mock.timers.tick(5001);
  assert.equal(await ask(), 'reg/app@sha256:def', 'then it is asked again: the push added a digest');
  t.mock.timers.tick(60_000);
  assert.equal(await ask(), 'reg/app@sha256:def');
  assert.equal(asked, 2, 'a digest found is never asked again');
});
