import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {deployTarget, requireContext, resolveContext} from '../../../src/lib/client/config.ts';
import {listContexts, logout, removeContext, useContext} from '../../../src/lib/client/contexts.ts';
import {localIdentity} from '../../../src/lib/local/embedded.ts';
import {AuthError, ExitCode, UsageError} from '../../../src/lib/errors.ts';

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
  // An empty state folder: no local agent runs for these tests, whatever runs on this machine.
  return {file, env: {SPIN_CONFIG: file, SPIN_LOCAL_DIR: join(dir, 'no-local-agent')}};
}

const read = async (file: string) => JSON.parse(await readFile(file, 'utf8'));

describe('contexts', () => {
  test('ls: sorted, current marked, tokens never included', async () => {
    const {env, file} = await configFile('ls');
    const list = await listContexts(env);
    assert.deepEqual(list, {
      contexts: [
        {name: 'dev', url: 'http://127.0.0.1:7878', user: 'alice', current: false},
        {name: 'local', url: '', user: 'local', project: 'local', current: false, local: true},
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
    assert.deepEqual(byName.contexts.map((c) => c.current), [true, false, false]);
    const byUrl = await listContexts({...env, SPIN_URL: 'http://x', SPIN_TOKEN: 't'});
    assert.equal(byUrl.current, 'env');
    assert.equal(byUrl.overriddenBy, 'SPIN_URL');
    assert.ok(byUrl.contexts.every((c) => !c.current));
  });

  test('ls: no file means only the local agent, which is current', async () => {
    const list = await listContexts({SPIN_CONFIG: join(dir, 'missing.json'), SPIN_LOCAL_DIR: join(dir, 'no-local-agent')});
    assert.deepEqual(list.contexts, [{name: 'local', url: '', user: 'local', project: 'local', current: true, local: true}]);
    assert.equal(list.current, 'local');
  });

  test('use local: the embedded agent is selectable by name after a login, and back', async () => {
    const {env, file} = await configFile('use-local');
    assert.deepEqual(await useContext('local', env), {context: 'local', url: '', local: true});
    assert.equal((await read(file)).current, 'local');
    assert.equal((await listContexts(env)).contexts.find((c) => c.name === 'local')?.current, true);
    // Selected but not running: commands say so instead of "not logged in" or "does not exist".
    assert.equal(await resolveContext(env), undefined);
    await assert.rejects(requireContext(env), (err: unknown) => err instanceof AuthError && err.message === 'the local Spin agent is not running' && /spin up/.test(err.hint ?? ''));
    await assert.rejects(requireContext({...env, SPIN_CONTEXT: 'local'}), /the local Spin agent is not running/);
    assert.deepEqual(await useContext('prod', env), {context: 'prod', url: 'https://spin.example.org'});
    assert.equal((await resolveContext(env))?.name, 'prod');
  });

  test('local cannot be removed or logged out of, nor taken by a login', async () => {
    const {env} = await configFile('local-builtin');
    await assert.rejects(removeContext('local', env), (err: unknown) => err instanceof UsageError && /built in/.test(err.message));
    await assert.rejects(logout('local', env), (err: unknown) => err instanceof UsageError && /no token to forget/.test(err.message));
    const {login} = await import('../../../src/lib/client/login.ts');
    await assert.rejects(login({url: 'http://127.0.0.1:9', token: 't', context: 'local'}, env), /reserved/);
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
      assert.equal(err.hint, 'choose one of: dev, local, prod; or log in with `spin login URL --context staging`');
      return true;
    });
  });

  test('logout: forgets only the token; the context (URL, project) stays current, mode 0600', async () => {
    const {env, file} = await configFile('logout');
    const result = await logout(undefined, env);
    assert.deepEqual(result, {context: 'prod', url: 'https://spin.example.org', hadToken: true, configFile: file});
    const after = await read(file);
    assert.equal(after.current, 'prod');
    assert.deepEqual(after.contexts.prod, {url: 'https://spin.example.org', user: 'alice', project: 'genomics'});
    assert.equal(after.contexts.dev.token, 'secret-dev-token');
    assert.doesNotMatch(await readFile(file, 'utf8'), /secret-prod-token/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    // Listed as logged out; commands refuse with how to log in again, never switch agent silently.
    assert.equal((await listContexts(env)).contexts.find((c) => c.name === 'prod')?.loggedOut, true);
    await assert.rejects(resolveContext(env), (err: unknown) => {
      assert.ok(err instanceof AuthError);
      assert.equal(err.message, 'logged out of context "prod" (https://spin.example.org)');
      assert.match(err.hint ?? '', /spin login https:\/\/spin\.example\.org --context prod --token-stdin/);
      return true;
    });
    // The project is still known, so validate checks for it without a token.
    assert.equal((await deployTarget({}, env)).project, 'genomics');
    // A second logout has nothing to forget.
    assert.equal((await logout(undefined, env)).hadToken, false);
  });

  test('logout --context: another context; current stays', async () => {
    const {env, file} = await configFile('logout-other');
    const result = await logout('dev', env);
    assert.equal(result.context, 'dev');
    const after = await read(file);
    assert.equal(after.current, 'prod');
    assert.deepEqual(Object.keys(after.contexts).sort(), ['dev', 'prod']);
    assert.equal(after.contexts.dev.token, undefined);
    assert.equal(after.contexts.prod.token, 'secret-prod-token');
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

  test('deployTarget: what deploy would use, from flags, SPIN_PROJECT, the context, or the local agent', async () => {
    const {env} = await configFile('target', {current: 'prod', contexts: {prod: {...SAMPLE.contexts.prod, uid: 41234, gid: 41000, registry: 'registry.example.org'}}});
    assert.deepEqual(await deployTarget({}, env), {context: 'prod', project: 'genomics', uid: 41234, gid: 41000, registry: 'registry.example.org', local: false});
    assert.equal((await deployTarget({}, {...env, SPIN_PROJECT: 'other'})).project, 'other');
    assert.equal((await deployTarget({project: 'flag'}, {...env, SPIN_PROJECT: 'other'})).project, 'flag');
    assert.deepEqual(await deployTarget({}, {...env, SPIN_URL: 'http://x', SPIN_TOKEN: 't', SPIN_PROJECT: 'ci'}), {context: 'env', project: 'ci', local: false});
    assert.deepEqual(await deployTarget({}, {...env, SPIN_CONTEXT: 'local'}), {context: 'local', project: 'local', ...localIdentity(), local: true});
  });
});
