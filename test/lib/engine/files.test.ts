import assert from 'node:assert/strict';
import {mkdtemp, readdir, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {Project} from '../../../src/lib/compose/types.ts';
import {fileDigests, serviceFiles, writeServiceFiles} from '../../../src/lib/engine/files.ts';

const ref = {project: 'genomics', stack: 'portal'};
let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'spin-files-'));
});
after(async () => {
  await rm(root, {recursive: true, force: true});
});

async function model(service: Record<string, unknown>): Promise<Project> {
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
  if (process.getuid?.() === 0) assert.deepEqual([info.uid, info.gid], [1000, 0]);
  assert.equal(info.mode & 0o777, process.getuid?.() === 0 ? 0o400 : 0o444);
  for (const d of [root, join(root, 'genomics'), join(root, 'genomics', 'portal'), dir]) assert.equal((await stat(d)).mode & 0o777, 0o700);

  await writeServiceFiles(root, ref, 'web', serviceFiles(await model({user: 'nginx', secrets: ['token']}), 'web', {token: Buffer.from('new')}));
  assert.deepEqual((await readdir(dir)).sort(), ['.configs', 'token']);
  assert.equal(await readFile(join(dir, 'token'), 'utf8'), 'new');
  // A named user's uid is unknown: the file is readable by all, behind the 0700 folders.
  assert.equal((await stat(join(dir, 'token'))).mode & 0o777, 0o444);

  await writeServiceFiles(root, ref, 'web', []);
  await assert.rejects(stat(dir), /ENOENT/);
});
