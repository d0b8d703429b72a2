// Image names from content: the default tag is a digest of what the image is built from, so it
// is the same in any command, order or folder for the same content, and differs for any change
// that reaches the image. Real compose files and build contexts in temporary folders, no engine.

import assert from 'node:assert/strict';
import {chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';

import {planImages, planPush, type PlanImagesOptions} from '../../../src/lib/images/plan.ts';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, {recursive: true, force: true})));

const COMPOSE = `name: demo
services:
  web:
    build: ./web
  db:
    build:
      context: ./db
      args: {VERSION: "1"}
  cache:
    image: redis:7
`;

/** A two-service project (plus one that only runs an image) in a fresh folder. */
function project(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'spin-plan-'));
  roots.push(root);
  const all: Record<string, string> = {
    'compose.yaml': COMPOSE,
    'web/Dockerfile': 'FROM scratch\nCOPY www /www\n',
    'web/www/index.html': 'hello\n',
    'web/.dockerignore': '*.log\n',
    'db/Dockerfile': 'FROM scratch\nARG VERSION\nCOPY schema.sql /schema.sql\n',
    'db/schema.sql': 'create table t (id int);\n',
    ...files,
  };
  for (const [name, text] of Object.entries(all)) {
    mkdirSync(join(root, name, '..'), {recursive: true});
    writeFileSync(join(root, name), text);
  }
  return root;
}

async function names(dir: string, options: Partial<PlanImagesOptions> = {}): Promise<Record<string, string>> {
  const plan = await planImages({workingDir: dir, env: {}, ...options});
  return Object.fromEntries(plan.targets.map((t) => [t.service, t.image]));
}

describe('image names from content', () => {
  test('the default tag is a content digest: the same twice, never a clock or a commit', async () => {
    const dir = project();
    const first = await names(dir);
    assert.match(first.web, /^demo\/web:[0-9a-f]{16}$/);
    assert.match(first.db, /^demo\/db:[0-9a-f]{16}$/);
    assert.notEqual(first.web.split(':')[1], first.db.split(':')[1]);
    await new Promise((r) => setTimeout(r, 1100));
    assert.deepEqual(await names(dir), first, 'a second later, the same names');
  });

  test('another folder with the same content: the same names; a service without build: is skipped', async () => {
    const a = project();
    const b = mkdtempSync(join(tmpdir(), 'spin-plan-copy-'));
    roots.push(b);
    cpSync(a, b, {recursive: true});
    // A fresh copy has other modification times: they are not content.
    utimesSync(join(b, 'web', 'www', 'index.html'), new Date(0), new Date(0));
    assert.deepEqual(await names(b), await names(a));
    const plan = await planImages({workingDir: a, env: {}});
    assert.deepEqual(plan.skipped, [{service: 'cache', image: 'redis:7'}]);
  });

  test('a change to one service renames only that service', async () => {
    const base = await names(project());
    const edited = await names(project({'web/www/index.html': 'hello, edited\n'}));
    assert.notEqual(edited.web, base.web);
    assert.equal(edited.db, base.db);
  });

  test('what changes the image changes the tag: Dockerfile, build args (compose and --build-arg), target, mode', async () => {
    const base = await names(project());
    assert.notEqual((await names(project({'web/Dockerfile': 'FROM scratch\nCOPY www /www\nUSER 1000\n'}))).web, base.web);
    assert.notEqual((await names(project({'compose.yaml': COMPOSE.replace('VERSION: "1"', 'VERSION: "2"')}))).db, base.db);
    assert.notEqual((await names(project(), {buildArgs: {VERSION: '3'}})).db, base.db);
    const targeted = COMPOSE.replace('build: ./web', 'build: {context: ./web, target: final}');
    assert.notEqual((await names(project({'compose.yaml': targeted}))).web, base.web);
    const dir = project();
    chmodSync(join(dir, 'web', 'www', 'index.html'), 0o600);
    assert.notEqual((await names(dir)).web, base.web);
  });

  test('what the build never sees does not: files excluded by .dockerignore', async () => {
    const base = await names(project());
    assert.deepEqual(await names(project({'web/debug.log': 'noise\n'})), base);
  });

  test('a service built FROM another service\'s image takes its content in', async () => {
    const compose = `name: demo
services:
  base:
    image: demo-base:dev
    build: ./base
  app:
    build: ./app
`;
    const files = {'compose.yaml': compose, 'base/Dockerfile': 'FROM scratch\nCOPY lib /lib\n', 'base/lib': 'v1\n', 'app/Dockerfile': 'FROM demo-base:dev\nCOPY main /main\n', 'app/main': 'main\n'};
    const one = await names(project(files));
    const two = await names(project({...files, 'base/lib': 'v2\n'}));
    assert.equal(one.base, 'demo-base:dev', 'an `image:` name is kept as written');
    assert.notEqual(two.app, one.app, 'app builds on the changed base');
    await assert.rejects(
      names(project({...files, 'base/Dockerfile': 'FROM demo/app:x\n'})),
      /services build FROM each other: (base -> app -> base|app -> base -> app)/,
    );
  });

  test('--tag, --registry and --project name images as asked', async () => {
    const dir = project();
    assert.deepEqual(await names(dir, {tag: 'v1', registry: 'registry.example.org', project: 'team'}), {web: 'registry.example.org/team/web:v1', db: 'registry.example.org/team/db:v1'});
  });

  test('push: a Spin name needs a registry; the targets are the planned ones', async () => {
    const dir = project();
    const local = await planImages({workingDir: dir, env: {}});
    assert.throws(() => planPush(local), /no registry to push "demo\/web:[0-9a-f]{16}", "demo\/db:[0-9a-f]{16}" to/);
    const withRegistry = await planImages({workingDir: dir, env: {}, registry: '127.0.0.1:5000'});
    assert.deepEqual(planPush(withRegistry), withRegistry.targets);
  });
});
