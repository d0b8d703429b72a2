// On a laptop a stack's secret is created before its first `spin up` (the database template
// says so): `spin secret create` starts the local agent as `up` would, instead of failing
// because it is not running yet.

import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';

import {runSpin} from '../helpers/cli.ts';
import {dockerClient, requireEngine, uniqueName} from '../helpers/docker.ts';

const temp = mkdtempSync(join(tmpdir(), 'spin-secret-local-'));
const env = {
  HOME: join(temp, 'home'),
  XDG_CONFIG_HOME: join(temp, 'home', '.config'),
  SPIN_LOCAL_DIR: join(temp, 'spin-local'),
  SPIN_PROJECT: uniqueName('seclocal'),
  SPIN_URL: undefined,
  SPIN_TOKEN: undefined,
  SPIN_CONTEXT: undefined,
  SPIN_CONFIG: undefined,
};

after(async () => {
  await runSpin(['agent', 'stop'], {env});
  rmSync(temp, {recursive: true, force: true});
});

test('spin secret create on a laptop starts the local agent, then the secret is listed', async () => {
  await requireEngine(dockerClient());
  const before = await runSpin(['secret', 'ls'], {env});
  assert.equal(before.code, 4, before.stderr);
  assert.match(before.stderr, /not logged in to a Spin agent/);

  const created = await runSpin(['secret', 'create', 'db_password', '-'], {env, input: 'a long random password'});
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stderr, /^started the local Spin agent at http:\/\/127\.0\.0\.1:\d+ /m);
  assert.match(created.stderr, /secret "db_password" stored in project ".+" \(22 bytes\)/);
  assert.doesNotMatch(created.stdout + created.stderr, /a long random password/);

  const listed = await runSpin(['secret', 'ls', '--json'], {env});
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /"db_password"/);
});
