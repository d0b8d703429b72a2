import assert from 'node:assert/strict';
import {mkdtemp, readdir, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {ComposeModel} from '../../../src/lib/compose/types.ts';
import {fileDigests, NOBODY, serviceFiles, writeServiceFiles} from '../../../src/lib/engine/files.ts';

const ref = {project: 'genomics', stack: 'portal'};
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'spin-files-'));
});
after(async () => {
  await rm(root, {recursive: true, force: true});
});

async function model(service: Record<string, unknown>): Promise<ComposeModel> {
  const {project} = await loadDocument({services: {web: {image: 'x', ...service}}, secrets: {token: {file: '/t'}, other: {file: '/o'}}, configs: {conf: {content: 'a=1\n'}, disk: {file: '/c'}}}, 'portal');
  assert.ok(project);
  return project;
}

test('files take targets, owners and modes from the model', async () => {
  const files = serviceFiles(await model({user: '1000:2000', secrets: ['token', {source: 'other', target: 'renamed', mode: 0o440}], configs: ['conf']}), 'web', {token: Buffer.from('t'), other: Buffer.from('o')});
  assert.deepEqual(
    files.map((f) => [f.kind, f.name, f.target, f.uid, f.gid, f.mode.toString(8), f.content.toString()]),
    [
      ['secret', 'token', '/run/secrets/token', 1000, 2000, '400', 't'],
      ['secret', 'other', '/run/secrets/renamed', 1000, 2000, '440', 'o'],
      ['config', 'conf', '/conf', 1000, 2000, '444', 'a=1\n'],
    ],
  );
  assert.deepEqual(Object.keys(fileDigests(files)), ['secret:token', 'secret:other', 'config:conf']);
});

test('a missing secret value or a config from a file is refused', async () => {
  const withSecret = await model({secrets: ['token']});
  assert.throws(() => serviceFiles(withSecret, 'web', {}), /secret "token" used by service "web" has no value/);
  assert.equal(serviceFiles(withSecret, 'web', {}, false).length, 1);
  const withConfig = await model({configs: ['disk']});
  assert.throws(() => serviceFiles(withConfig, 'web', {}), /config "disk" used by service "web" has no inline content/);
});

test('written files: 0700 folders, owner and mode, pruned when no longer used', async () => {
  const m = await model({user: '1000', secrets: ['token', 'other']});
  const mounts = await writeServiceFiles(root, ref, 'web', serviceFiles(m, 'web', {token: Buffer.from('one'), other: Buffer.from('two')}));
  const dir = join(root, 'genomics', 'portal', 'web');
  assert.deepEqual(mounts, [
    {source: join(dir, 'token'), target: '/run/secrets/token'},
    {source: join(dir, 'other'), target: '/run/secrets/other'},
  ]);
  const info = await stat(join(dir, 'token'));
  // No group in `user`: the file takes the user's id as group, never root's.
  if (process.getuid?.() === 0) assert.deepEqual([info.uid, info.gid], [1000, 1000]);
  assert.equal(info.mode & 0o777, process.getuid?.() === 0 ? 0o400 : 0o444);
  for (const d of [root, join(root, 'genomics'), join(root, 'genomics', 'portal'), dir]) assert.equal((await stat(d)).mode & 0o777, 0o700);

  await writeServiceFiles(root, ref, 'web', serviceFiles(await model({user: 'nginx', secrets: ['token']}), 'web', {token: Buffer.from('new')}));
  assert.deepEqual((await readdir(dir)).sort(), ['.configs', 'token']);
  assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'new');
  // A named user's uid is unknown: the file is readable by all, behind the 0700 folders, and
  // belongs to nobody rather than to a root agent.
  const named = await stat(join(dir, 'token'));
  assert.equal(named.mode & 0o777, 0o444);
  if (process.getuid?.() === 0) assert.deepEqual([named.uid, named.gid], [NOBODY, NOBODY]);

  await writeServiceFiles(root, ref, 'web', []);
  await assert.rejects(stat(dir), /ENOENT/);
});

/** [kind, uid, gid, mode in octal] of each file the service mounts. */
async function owners(service: Record<string, unknown>): Promise<[string, number | undefined, number | undefined, string][]> {
  const files = serviceFiles(await model(service), 'web', {token: Buffer.from('t'), other: Buffer.from('o')});
  return files.map((f) => [f.kind, f.uid, f.gid, f.mode.toString(8)]);
}

test('modes lose setuid, setgid, sticky and execute bits', async () => {
  const secrets = [{source: 'token', mode: 0o4755}, {source: 'other', mode: 0o7777}];
  assert.deepEqual(await owners({user: '1000:1000', secrets, configs: [{source: 'conf', mode: 0o2711}]}), [
    ['secret', 1000, 1000, '644'],
    ['secret', 1000, 1000, '666'],
    ['config', 1000, 1000, '600'],
  ]);
  // Without a mode: 0400 secrets and 0444 configs, as before.
  assert.deepEqual(await owners({user: '1000:1000', secrets: ['token'], configs: ['conf']}), [
    ['secret', 1000, 1000, '400'],
    ['config', 1000, 1000, '444'],
  ]);
});

test('uid or gid 0 is kept only for a service that runs as root', async () => {
  const rooted = {secrets: [{source: 'token', uid: '0', gid: '0'}, {source: 'other', uid: '1000', gid: '2000'}]};
  // A non-root service: root falls back to the service's own user and group.
  assert.deepEqual(await owners({user: '1000:2000', ...rooted}), [
    ['secret', 1000, 2000, '400'],
    ['secret', 1000, 2000, '400'],
  ]);
  assert.deepEqual(await owners({user: '1000', secrets: [{source: 'token', uid: '0', gid: '0'}, {source: 'other', gid: '0'}]}), [
    ['secret', 1000, 1000, '400'],
    ['secret', 1000, 1000, '400'],
  ]);
  assert.deepEqual(await owners({user: '1000:0', secrets: ['token']}), [['secret', 1000, 1000, '400']]);
  // A named user (uid unknown here) with uid 0 asked: not root either.
  assert.deepEqual(await owners({user: 'nginx', secrets: [{source: 'token', uid: '0', gid: '0'}, {source: 'other', uid: '101'}]}), [
    ['secret', undefined, NOBODY, '400'],
    ['secret', 101, NOBODY, '400'],
  ]);
  // A service that runs as root (no user set, or root) may have root's files, as compose gives them.
  assert.deepEqual(await owners(rooted), [
    ['secret', 0, 0, '400'],
    ['secret', 1000, 2000, '400'],
  ]);
  assert.deepEqual(await owners({user: 'root', secrets: ['token']}), [['secret', 0, 0, '400']]);
  assert.deepEqual(await owners({user: '0:0', secrets: [{source: 'token', uid: '0'}]}), [['secret', 0, 0, '400']]);
});

test('a written file carries no setuid or exec bit and no root owner for a non-root service', {skip: process.getuid?.() !== 0 && 'needs root to give files away'}, async () => {
  const m = await model({user: '1000:1000', secrets: [{source: 'token', uid: '0', gid: '0', mode: 0o6755}], configs: [{source: 'conf', uid: '0', mode: 0o4777}]});
  const mounts = await writeServiceFiles(root, {project: 'genomics', stack: 'masked'}, 'web', serviceFiles(m, 'web', {token: Buffer.from('t')}));
  const found = await Promise.all(mounts.map(async (x) => {
    const info = await stat(x.source);
    return [x.target, (info.mode & 0o7777).toString(8), info.uid, info.gid];
  }));
  assert.deepEqual(found, [
    ['/run/secrets/token', '644', 1000, 1000],
    ['/conf', '666', 1000, 1000],
  ]);
});
