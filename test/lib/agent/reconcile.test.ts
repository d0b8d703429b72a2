// Agent start-up reconciliation with the real store and the in-memory orchestrator.

import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, before, beforeEach, test} from 'node:test';

import {INTERRUPTED_MESSAGE, reconcile} from '../../../src/lib/agent/reconcile.ts';
import {openStore} from '../../../src/lib/agent/store.ts';
import type {Store} from '../../../src/lib/agent/types.ts';
import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {ComposeModel} from '../../../src/lib/compose/types.ts';
import {loadPolicy, type Policy} from '../../../src/lib/policy/index.ts';
import {FakeOrchestrator} from '../../helpers/fake-orchestrator.ts';

let dir: string;
let store: Store;
let fake: FakeOrchestrator;
let policy: Policy;

async function model(command: string, extra: Record<string, unknown> = {}): Promise<ComposeModel> {
  const {project} = await loadDocument({services: {web: {image: 'busybox', cap_drop: ['ALL'], command: [command], ...extra}}}, 'web');
  assert.ok(project);
  return project;
}

before(async () => {
  policy = await loadPolicy();
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spin-reconcile-'));
  store = openStore(dir);
  fake = new FakeOrchestrator();
});

afterEach(() => {
  store.close();
  rmSync(dir, {recursive: true, force: true});
});

test('a deploy cut short goes back to the last good revision; a second run changes nothing', async () => {
  const ref = {project: 'demo', stack: 'web'};
  const good = store.addRevision(ref, {model: await model('good'), images: {}, user: 'alice'});
  store.finishRevision(ref, good.number, 'healthy');
  const cut = store.addRevision(ref, {model: await model('new'), images: {}, user: 'alice'});
  assert.ok(store.lockStack(ref, 'alice#1'));

  const report = await reconcile({store, orchestrator: fake, policy});
  assert.deepEqual(report.interrupted, [{...ref, revision: cut.number}]);
  assert.deepEqual(report.restored, [{...ref, revision: good.number}]);
  assert.deepEqual([report.refused, report.removed, report.unknown, report.errors], [[], [], [], []]);
  const rev = store.revision(ref, cut.number);
  assert.deepEqual([rev?.outcome, rev?.message], ['interrupted', INTERRUPTED_MESSAGE]);
  assert.equal(fake.stacksByKey.get('demo/web')?.revision, good.number);
  assert.deepEqual(fake.stacksByKey.get('demo/web')?.model.services.web.command, ['good']);
  assert.ok(store.lockStack(ref, 'bob#2'), 'the stale lock was cleared');
  store.unlockStack(ref, 'bob#2');

  const again = await reconcile({store, orchestrator: fake, policy});
  assert.deepEqual(again, {interrupted: [], restored: [], refused: [], removed: [], unknown: [], errors: []});
  assert.equal(fake.callsOf('deploy').length, 1);
});

test('a stack that never became healthy is emptied; unknown engine stacks are only reported', async () => {
  const ref = {project: 'demo', stack: 'api'};
  store.addRevision(ref, {model: await model('x'), images: {}, user: 'alice'});
  fake.extraStacks = [ref, {project: 'demo', stack: 'stray'}];
  const logs: string[] = [];
  const report = await reconcile({store, orchestrator: fake, policy, log: (level, message) => logs.push(`${level}: ${message}`)});
  assert.deepEqual(report.removed, [ref]);
  assert.deepEqual(report.unknown, [{project: 'demo', stack: 'stray'}]);
  assert.deepEqual(fake.callsOf('remove').map((c) => c.ref), [ref]);
  assert.ok(logs.some((l) => l.startsWith('warn: the engine has containers of stack "stray" in project "demo"')), logs.join('\n'));
});

test('a failure to restore one stack is reported and does not stop the others', async () => {
  const a = {project: 'demo', stack: 'a'};
  const b = {project: 'demo', stack: 'b'};
  for (const ref of [a, b]) {
    const r = store.addRevision(ref, {model: await model('ok'), images: {}, user: 'alice'});
    store.finishRevision(ref, r.number, 'healthy');
    store.addRevision(ref, {model: await model('next'), images: {}, user: 'alice'});
  }
  fake.deployError = new Error('engine went away');
  const report = await reconcile({store, orchestrator: fake, policy});
  assert.deepEqual(report.errors.map((e) => [e.stack, e.message]), [['a', 'engine went away'], ['b', 'engine went away']]);
  assert.equal(report.interrupted.length, 2);
});

/** A healthy revision followed by one a crash left pending, both by `user`. */
async function cutShort(ref: {project: string; stack: string}, good: ComposeModel, user = 'alice') {
  const r = store.addRevision(ref, {model: good, images: {}, user});
  store.finishRevision(ref, r.number, 'healthy');
  store.addRevision(ref, {model: await model('next'), images: {}, user});
  return r.number;
}

test("a last good revision that today's policy refuses is reported, not recreated, and its containers are left alone", async () => {
  const ref = {project: 'demo', stack: 'web'};
  // Recorded before the policy tightened: the store holds what was accepted then.
  const good = await cutShort(ref, await model('old', {privileged: true, ports: ['9000:80']}));
  const logs: string[] = [];
  const report = await reconcile({store, orchestrator: fake, policy, log: (level, message) => logs.push(`${level}: ${message}`)});
  assert.equal(report.refused.length, 1);
  assert.deepEqual({...report.refused[0], messages: undefined}, {...ref, revision: good, messages: undefined});
  assert.equal(report.refused[0].messages.length, 2);
  assert.match(report.refused[0].messages.join('\n'), /service "web" sets privileged: true/);
  assert.match(report.refused[0].messages.join('\n'), /publishes host port 9000/);
  assert.deepEqual([report.restored, report.removed, report.errors], [[], [], []]);
  assert.equal(report.interrupted.length, 1, 'the cut-short revision is still marked');
  assert.equal(fake.callsOf('deploy').length, 0);
  assert.equal(fake.callsOf('remove').length, 0);
  assert.ok(
    logs.some((l) => l.startsWith(`warn: stack "web" in project "demo" was not put back on revision ${good}, which the current policy refuses: service "web" sets privileged: true`)),
    logs.join('\n'),
  );
});

test('in warn mode (a laptop agent) a refused revision is restored anyway, with a warning', async () => {
  const ref = {project: 'demo', stack: 'web'};
  const good = await cutShort(ref, await model('old', {privileged: true}));
  const logs: string[] = [];
  const report = await reconcile({store, orchestrator: fake, policy, policyMode: 'warn', log: (level, message) => logs.push(`${level}: ${message}`)});
  assert.deepEqual(report.restored, [{...ref, revision: good}]);
  assert.deepEqual(report.refused, []);
  assert.equal(fake.stacksByKey.get('demo/web')?.revision, good);
  assert.ok(logs.some((l) => /^warn: .*the platform would refuse this because service "web" sets privileged: true/.test(l)), logs.join('\n'));
});

test("the global-fs rule compares with the identity of the revision's author", async () => {
  store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']});
  store.addUser({name: 'mallory', uid: 2000, gid: 2000, projects: ['demo']});
  const onGlobal = await model('x', {user: '1000:1000', volumes: ['/global/cfs/cdirs/demo/www:/www']});
  const mine = {project: 'demo', stack: 'mine'};
  const theirs = {project: 'demo', stack: 'theirs'};
  await cutShort(mine, onGlobal, 'alice');
  const refusedRevision = await cutShort(theirs, onGlobal, 'mallory');
  const report = await reconcile({store, orchestrator: fake, policy});
  assert.deepEqual(report.restored.map((r) => r.stack), ['mine']);
  assert.deepEqual(report.refused.map((r) => [r.stack, r.revision]), [['theirs', refusedRevision]]);
  assert.match(report.refused[0].messages[0], /runs as user "1000:1000", not as your identity "2000:2000"/);
});
