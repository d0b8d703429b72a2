import assert from 'node:assert/strict';
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';

import {credentialKey, engineAuth, getCredentials, removeCredentials, storeCredentials} from '../../../src/lib/images/credentials.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, {recursive: true, force: true})));

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'spin-cred-'));
  dirs.push(d);
  return d;
}

/** A fake `docker-credential-<name>` on PATH that logs its calls and serves one secret. */
function fakeHelper(name: string): {env: Record<string, string>; log: string} {
  const bin = tempDir();
  const log = join(bin, 'calls.log');
  writeFileSync(
    join(bin, `docker-credential-${name}`),
    `#!/bin/sh
input=$(cat)
printf '%s %s\\n' "$1" "$input" >> "${log}"
case "$1" in
  get)
    if [ "$input" = "reg.example.org" ]; then printf '{"ServerURL":"reg.example.org","Username":"alice","Secret":"s3cret"}'; exit 0; fi
    if [ "$input" = "tok.example.org" ]; then printf '{"ServerURL":"tok.example.org","Username":"<token>","Secret":"refresh"}'; exit 0; fi
    echo "credentials not found in native keychain"; exit 1;;
  store|erase) exit 0;;
esac
`,
  );
  chmodSync(join(bin, `docker-credential-${name}`), 0o755);
  return {env: {PATH: `${bin}:${process.env.PATH}`}, log};
}

describe('docker credentials', () => {
  test('login stores base64 user:pass in a new 0700 folder, file 0600; other settings kept', async () => {
    const home = tempDir();
    const config = join(home, 'docker');
    const env = {DOCKER_CONFIG: config};
    const stored = await storeCredentials('127.0.0.1:5000', {username: 'bob', password: 'p:w'}, {env});
    assert.deepEqual(stored, {path: join(config, 'config.json'), helper: undefined});
    assert.equal(statSync(config).mode & 0o777, 0o700);
    assert.equal(statSync(stored.path).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(stored.path, 'utf8')), {auths: {'127.0.0.1:5000': {auth: Buffer.from('bob:p:w').toString('base64')}}});
    assert.deepEqual(await getCredentials('127.0.0.1:5000', {env}), {username: 'bob', password: 'p:w'});

    writeFileSync(stored.path, JSON.stringify({auths: {'https://127.0.0.1:5000/v1/': {auth: Buffer.from('old:x').toString('base64')}}, detachKeys: 'ctrl-q'}));
    await storeCredentials('127.0.0.1:5000', {username: 'bob', password: 'new'}, {env});
    assert.deepEqual(JSON.parse(readFileSync(stored.path, 'utf8')), {auths: {'127.0.0.1:5000': {auth: Buffer.from('bob:new').toString('base64')}}, detachKeys: 'ctrl-q'});

    assert.equal(await removeCredentials('127.0.0.1:5000', {env}), true);
    assert.equal(await getCredentials('127.0.0.1:5000', {env}), undefined);
    assert.equal(await removeCredentials('127.0.0.1:5000', {env}), false);
  });

  test('keys written by any Docker version match; Docker Hub has its historic key', async () => {
    const config = tempDir();
    writeFileSync(join(config, 'config.json'), JSON.stringify({auths: {'https://index.docker.io/v1/': {auth: Buffer.from('hub:pw').toString('base64')}, 'http://reg.local:5000': {username: 'u', password: 'p'}}}));
    const env = {DOCKER_CONFIG: config};
    assert.equal(credentialKey('docker.io'), 'https://index.docker.io/v1/');
    assert.deepEqual(await getCredentials('docker.io', {env}), {username: 'hub', password: 'pw'});
    assert.deepEqual(await getCredentials('reg.local:5000', {env}), {username: 'u', password: 'p'});
    assert.equal(await getCredentials('other.example.org', {env}), undefined);
  });

  test('credHelpers and credsStore: the helper gets the server on stdin and answers JSON', async () => {
    const config = tempDir();
    const helper = fakeHelper('spintest');
    writeFileSync(join(config, 'config.json'), JSON.stringify({credHelpers: {'reg.example.org': 'spintest'}}));
    const env = {...helper.env, DOCKER_CONFIG: config};
    assert.deepEqual(await getCredentials('reg.example.org', {env}), {username: 'alice', password: 's3cret'});
    assert.equal(await getCredentials('elsewhere.example.org', {env}), undefined, 'no helper for it and no auths entry');

    writeFileSync(join(config, 'config.json'), JSON.stringify({credsStore: 'spintest'}));
    assert.deepEqual(await getCredentials('tok.example.org', {env}), {identityToken: 'refresh'});
    assert.equal(await getCredentials('missing.example.org', {env}), undefined, '"credentials not found" is no credentials');
    const stored = await storeCredentials('new.example.org', {username: 'carol', password: 'pw'}, {env});
    assert.equal(stored.helper, 'spintest');
    assert.deepEqual(JSON.parse(readFileSync(stored.path, 'utf8')), {credsStore: 'spintest', auths: {'new.example.org': {}}}, 'the secret stays in the helper');
    assert.equal(await removeCredentials('new.example.org', {env}), true);
    assert.deepEqual(readFileSync(helper.log, 'utf8').split('\n'), [
      'get reg.example.org',
      'get tok.example.org',
      'get missing.example.org',
      'store {"ServerURL":"new.example.org","Username":"carol","Secret":"pw"}',
      'erase new.example.org',
      '',
    ]);
  });

  test('a missing or broken helper is a clear error', async () => {
    const config = tempDir();
    writeFileSync(join(config, 'config.json'), JSON.stringify({credsStore: 'does-not-exist-spin'}));
    await assert.rejects(getCredentials('reg.example.org', {env: {DOCKER_CONFIG: config, PATH: '/nonexistent'}}), {
      exitCode: 1,
      message: 'credential helper "docker-credential-does-not-exist-spin" is not installed',
    });
    writeFileSync(join(config, 'config.json'), JSON.stringify({credsStore: '../../bin/sh'}));
    await assert.rejects(getCredentials('reg.example.org', {env: {DOCKER_CONFIG: config}}), {exitCode: 3, message: 'Docker config names an invalid credential helper "../../bin/sh"'});
    writeFileSync(join(config, 'config.json'), '{nope');
    await assert.rejects(getCredentials('reg.example.org', {env: {DOCKER_CONFIG: config}}), {exitCode: 3, message: `Docker config "${join(config, 'config.json')}" is not valid JSON`});
    mkdirSync(join(config, 'empty'));
    assert.equal(await getCredentials('reg.example.org', {env: {DOCKER_CONFIG: join(config, 'empty')}}), undefined);
  });

  test("the engine's auth body", () => {
    assert.deepEqual(engineAuth('127.0.0.1:5000', {username: 'u', password: 'p'}), {username: 'u', password: 'p', serveraddress: '127.0.0.1:5000'});
    assert.deepEqual(engineAuth('docker.io', {identityToken: 't'}), {identitytoken: 't', serveraddress: 'https://index.docker.io/v1/'});
    assert.deepEqual(engineAuth('r.io', undefined), {serveraddress: 'r.io'});
  });
});
