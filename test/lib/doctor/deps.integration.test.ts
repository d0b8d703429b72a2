// `spin doctor`'s registry check against a real registry (Docker Distribution with htpasswd auth):
// a stored login is tried on the registry, so a wrong or outdated password is found before a push.

import assert from 'node:assert/strict';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {runDoctor} from '../../../src/lib/doctor/checks.ts';
import {doctorDeps} from '../../../src/lib/doctor/deps.ts';
import {AuthError, UnreachableError} from '../../../src/lib/errors.ts';
import {freePort} from '../../helpers/ports.ts';
import {startRegistry, type TestRegistry} from '../../helpers/registry.ts';

describe('spin doctor: the stored registry login, tried on the registry', () => {
  let registry: TestRegistry;
  const home = mkdtempSync(join(tmpdir(), 'spin-doctor-'));

  /** An environment whose Docker config stores `password` (or nothing) for the registry at `host`. */
  function storing(name: string, password?: string, host = registry.host): NodeJS.ProcessEnv {
    const dir = join(home, name);
    mkdirSync(dir, {recursive: true});
    const auths = password === undefined ? {} : {[host]: {auth: Buffer.from(`${registry.username}:${password}`).toString('base64')}};
    writeFileSync(join(dir, 'config.json'), JSON.stringify({auths}), {mode: 0o600});
    return {DOCKER_CONFIG: dir, HOME: home};
  }

  before(async () => {
    registry = await startRegistry();
  });
  after(async () => {
    await registry?.stop();
    rmSync(home, {recursive: true, force: true});
  });

  test('the right password: the registry accepts it', async () => {
    const deps = await doctorDeps(storing('right', registry.password));
    assert.equal(await deps.registryLogin(registry.host), 'ok');
  });

  test('nothing stored: no call, "none"', async () => {
    const deps = await doctorDeps(storing('none'));
    assert.equal(await deps.registryLogin(registry.host), 'none');
  });

  test('a password that changed: the registry refuses it, and the report says to log in again', async () => {
    const deps = await doctorDeps(storing('wrong', `${registry.password}-old`));
    await assert.rejects(deps.registryLogin(registry.host), (err: unknown) => err instanceof AuthError && /rejected the credentials \(HTTP 401\)/.test(err.message));
    const report = await runDoctor({...deps, context: async () => ({name: 'platform', url: 'http://127.0.0.1:1', registry: registry.host}), agent: async () => ({user: 'ada', projects: []})});
    const check = report.checks.find((c) => c.id === 'registry');
    assert.equal(check?.status, 'fail');
    assert.match(check!.message, /the login stored for registry 127\.0\.0\.1:\d+ does not work/);
    assert.match(check!.fix!, /log in again .*spin registry login 127\.0\.0\.1:\d+ -u USER --password-stdin/);
    assert.equal(report.ok, false);
  });

  test('a registry that is not there: unreachable, not refused', async () => {
    const gone = `127.0.0.1:${await freePort()}`;
    const deps = await doctorDeps(storing('gone', 'pw', gone));
    await assert.rejects(deps.registryLogin(gone), (err: unknown) => err instanceof UnreachableError);
  });
});
