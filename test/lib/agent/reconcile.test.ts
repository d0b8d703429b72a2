// Agent start-up reconciliation with the real store and the in-memory orchestrator.

import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, beforeEach, test} from 'node:test';

import {INTERRUPTED_MESSAGE, reconcile} from '../../../src/lib/agent/reconcile.ts';
import {openStore} from '../../../src/lib/agent/store.ts';
import type {Store} from '../../../src/lib/agent/types.ts';
import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {Project} from '../../../src/lib/compose/types.ts';
import {FakeOrchestrator} from '../../helpers/fake-orchestrator.ts';

let dir: string;
let store: Store;
let fake: FakeOrchestrator;

async function model(command: string): Promise<Project> {
  const {project} = await loadDocument({services: {web: {image: 'busybox', command: [command]}}}, 'web');
  assert.ok(project);
  return project;
}

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

  const report = await reconcile({store, orchestrator: fake});
  assert.deepEqual(report.interrupted, [{...ref, revision: cut.number}]);
  assert.deepEqual(report.restored, [{...ref, revision: good.number}]);
  assert.deepEqual([report.removed, report.unknown, report.errors], [[], [], []]);
  const rev = store.revision(ref, cut.number);
  assert.deepEqual([rev?.outcome, rev?.message], ['interrupted', INTERRUPTED_MESSAGE]);
  assert.equal(fake.stacksByKey.get('demo/web')?.revision, good.number);
  assert.deepEqual(fake.stacksByKey.get('demo/web')?.model.services.web.command, ['good']);
  assert.ok(store.lockStack(ref, 'bob#2'), 'the stale lock was cleared');
  store.unlockStack(ref, 'bob#2');

  const again = await reconcile({store, orchestrator: fake});
  assert.deepEqual(again, {interrupted: [], restored: [], removed: [], unknown: [], errors: []});
  assert.equal(fake.callsOf('deploy').length, 1);
});

test('a stack that never became healthy is emptied; unknown engine stacks are only reported', async () => {
  const ref = {project: 'demo', stack: 'api'};
  store.addRevision(ref, {model: await model('x'), images: {}, user: 'alice'});
  fake.extraStacks = [ref, {project: 'demo', stack: 'stray'}];
  const logs: string[] = [];
  const report = await reconcile({store, orchestrator: fake, log: (level, message) => logs.push(`${level}: ${message}`)});
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
  const report = await reconcile({store, orchestrator: fake});
  assert.deepEqual(report.errors.map((e) => [e.stack, e.message]), [['a', 'engine went away'], ['b', 'engine went away']]);
  assert.equal(report.interrupted.length, 2);
});
