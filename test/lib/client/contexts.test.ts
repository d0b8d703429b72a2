import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {listContexts, logout, removeContext, useContext} from '../../../src/lib/client/contexts.ts';
import {ExitCode, UsageError} from '../../../src/lib/errors.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spin-contexts-'));
});
after(async () => {
  await rm(dir, {recursive: true, force: true});
});

const SAMPLE = {
  current: 'prod',
  contexts: {
    prod: {url: 'https://spin.example.org', token: 'secret-prod-token', user: 'alice', project: 'genomics'},
    dev: {url: 'http://127.0.0.1:7878', token: 'secret-dev-token', user: 'alice'},
  },
};

async function configFile(name: string, content: object = SAMPLE): Promise<{file: string; env: NodeJS.ProcessEnv}> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(content), {mode: 0o644});
  return {file, env: {SPIN_CONFIG: file}};
}

const read = async (file: string) => JSON.parse(await readFile(file, 'utf8'));

describe('contexts', () => {
  test('ls: sorted, current marked, tokens never included', async () => {
    const {env, file} = await configFile('ls');
    const list = await listContexts(env);
    assert.deepEqual(list, {
      contexts: [
        {name: 'dev', url: 'http://127.0.0.1:7878', user: 'alice', current: false},
        {name: 'prod', url: 'https://spin.example.org', user: 'alice', project: 'genomics', current: true},
      ],
      current: 'prod',
      configFile: file,
    });
    assert.doesNotMatch(JSON.stringify(list), /token/);
  });

  test('ls: SPIN_CONTEXT and SPIN_URL override the file', async () => {
    const {env} = await configFile('ls-env');
    const byName = await listContexts({...env, SPIN_CONTEXT: 'dev'});
    assert.equal(byName.current, 'dev');
    assert.equal(byName.overriddenBy, 'SPIN_CONTEXT');
    assert.deepEqual(byName.contexts.map((c) => c.current), [true, false]);
    const byUrl = await listContexts({...env, SPIN_URL: 'http://x', SPIN_TOKEN: 't'});
    assert.equal(byUrl.current, 'env');
    assert.equal(byUrl.overriddenBy, 'SPIN_URL');
    assert.ok(byUrl.contexts.every((c) => !c.current));
  });

  test('ls: no file means no contexts', async () => {
    const list = await listContexts({SPIN_CONFIG: join(dir, 'missing.json')});
    assert.deepEqual(list.contexts, []);
    assert.equal(list.current, undefined);
  });

  test('use: switches current and keeps the file 0600', async () => {
    const {env, file} = await configFile('use');
    assert.deepEqual(await useContext('dev', env), {context: 'dev', url: 'http://127.0.0.1:7878'});
    assert.equal((await read(file)).current, 'dev');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  test('use: an unknown context is a usage error listing the known ones', async () => {
    const {env} = await configFile('use-unknown');
    await assert.rejects(useContext('staging', env), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.message, 'context "staging" does not exist');
      assert.equal(err.hint, 'choose one of: dev, prod');
      return true;
    });
  });

  test('logout: removes the current context and its token, unsets current, mode 0600', async () => {
    const {env, file} = await configFile('logout');
    const result = await logout(undefined, env);
    assert.deepEqual(result, {context: 'prod', url: 'https://spin.example.org', wasCurrent: true, configFile: file});
    const after = await read(file);
    assert.equal(after.current, undefined);
    assert.deepEqual(Object.keys(after.contexts), ['dev']);
    assert.doesNotMatch(await readFile(file, 'utf8'), /secret-prod-token/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  test('logout --context: another context; current stays', async () => {
    const {env, file} = await configFile('logout-other');
    const result = await logout('dev', env);
    assert.equal(result.wasCurrent, false);
    const after = await read(file);
    assert.equal(after.current, 'prod');
    assert.deepEqual(Object.keys(after.contexts), ['prod']);
  });

  test('logout: follows SPIN_CONTEXT; refuses env credentials; fails when nobody is logged in', async () => {
    const {env, file} = await configFile('logout-env');
    assert.equal((await logout(undefined, {...env, SPIN_CONTEXT: 'dev'})).context, 'dev');
    assert.equal((await read(file)).current, 'prod');
    await assert.rejects(logout(undefined, {...env, SPIN_URL: 'http://x', SPIN_TOKEN: 't'}), /SPIN_URL and SPIN_TOKEN/);
    const empty = await configFile('logout-none', {contexts: {}});
    await assert.rejects(logout(undefined, empty.env), (err: UsageError) => err.exitCode === ExitCode.usage && err.message === 'not logged in: there is no current context');
  });

  test('rm: a bad or unknown name is a usage error', async () => {
    const {env} = await configFile('rm');
    await assert.rejects(removeContext('../etc', env), /invalid context name "\.\.\/etc"/);
    await assert.rejects(removeContext('nope', env), /context "nope" does not exist/);
    assert.equal((await removeContext('prod', env)).wasCurrent, true);
  });
});
