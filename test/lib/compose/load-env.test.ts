// Which .env files the loader reads, as docker compose decides: the first -f file's folder (else
// the working dir) first, since it may set COMPOSE_FILE; then the project folder's, the first
// compose file's, when that is elsewhere. What is set already wins; --env-file replaces both.

import assert from 'node:assert/strict';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {loadProject} from '../../../src/lib/compose/load.ts';

let root: string;
const COMPOSE = 'services:\n  web:\n    image: "busybox:${TAG:-none}"\n    environment:\n      GREETING: ${GREETING:-none}\n';

async function files(tree: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(tree)) {
    await mkdir(join(root, path, '..'), {recursive: true});
    await writeFile(join(root, path), text);
  }
}

async function load(cwd: string, options: {files?: string[]; envFiles?: string[]; env?: Record<string, string>} = {}) {
  const r = await loadProject({workingDir: join(root, cwd), env: options.env ?? {}, files: options.files, envFiles: options.envFiles});
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  const web = r.project?.services.web;
  return {image: web?.image, greeting: web?.environment.GREETING, workingDir: r.workingDir, name: r.project?.name};
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'spin-env-'));
  await files({
    'app/compose.yaml': COMPOSE,
    'app/.env': 'TAG=from-app\nGREETING=hello from app\n',
    'here/.env': 'COMPOSE_FILE=../app/compose.yaml\nGREETING=hello from here\n',
    'empty/.keep': '',
  });
});

after(async () => {
  if (root) await rm(root, {recursive: true, force: true});
});

describe('the .env files of a project in another folder', () => {
  test('COMPOSE_FILE from .env: the project folder\'s .env is read too; the first .env wins', async () => {
    assert.deepEqual(await load('here'), {image: 'busybox:from-app', greeting: 'hello from here', workingDir: join(root, 'app'), name: 'app'});
  });

  test('COMPOSE_FILE from the environment: the project folder\'s .env, under the environment', async () => {
    const env = {COMPOSE_FILE: '../app/compose.yaml', GREETING: 'hello from the shell'};
    assert.deepEqual(await load('empty', {env}), {image: 'busybox:from-app', greeting: 'hello from the shell', workingDir: join(root, 'app'), name: 'app'});
  });

  test('-f into another folder: that folder\'s .env, not the working dir\'s', async () => {
    assert.deepEqual(await load('here', {files: ['../app/compose.yaml']}), {image: 'busybox:from-app', greeting: 'hello from app', workingDir: join(root, 'app'), name: 'app'});
  });

  test('a compose file found in a parent folder: that folder\'s .env too', async () => {
    await files({'app/sub/.keep': ''});
    assert.deepEqual(await load('app/sub'), {image: 'busybox:from-app', greeting: 'hello from app', workingDir: join(root, 'app'), name: 'app'});
  });

  test('--env-file replaces every .env', async () => {
    await files({'vars.env': 'TAG=from-flag\n'});
    assert.deepEqual(await load('here', {files: ['../app/compose.yaml'], envFiles: ['../vars.env']}), {image: 'busybox:from-flag', greeting: 'none', workingDir: join(root, 'app'), name: 'app'});
    const viaCompose = await load('empty', {env: {COMPOSE_FILE: '../app/compose.yaml'}, envFiles: ['../vars.env']});
    assert.equal(viaCompose.image, 'busybox:from-flag');
  });
});
