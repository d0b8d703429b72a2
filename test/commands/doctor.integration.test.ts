// `spin doctor` as a user runs it, against the real engine of this machine (hence an integration test) and a context whose
// agent does not answer (the lessons' integration test runs it against a real agent).

import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';

import {runSpin} from '../helpers/cli.ts';
import {freePort} from '../helpers/ports.ts';

const temp = mkdtempSync(join(tmpdir(), 'spin-doctor-'));
after(() => rmSync(temp, {recursive: true, force: true}));
const home = {HOME: temp, XDG_CONFIG_HOME: join(temp, '.config'), DOCKER_CONFIG: join(temp, 'docker'), SPIN_URL: undefined, SPIN_TOKEN: undefined, SPIN_CONTEXT: undefined};

describe('spin doctor', () => {
  test('an agent that does not answer: its check fails with the fix, exit 1; the rest is still checked', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await runSpin(['doctor', '--json'], {env: {...home, SPIN_URL: url, SPIN_TOKEN: 't0ken', SPIN_REGISTRY: '127.0.0.1:1'}});
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, false);
    const byId = Object.fromEntries(report.checks.map((c: {id: string}) => [c.id, c]));
    assert.deepEqual(Object.keys(byId), ['node', 'engine', 'context', 'agent', 'registry', 'ports']);
    assert.equal(byId.agent.status, 'fail');
    assert.match(byId.agent.message, new RegExp(`cannot reach the Spin agent at ${url}`));
    assert.match(byId.agent.fix, /check that the agent is running/);
    assert.equal(byId.registry.status, 'fail');
    assert.equal(byId.registry.fix, 'spin registry login 127.0.0.1:1 -u USER --password-stdin < password.txt');
    assert.equal(byId.node.status, 'ok');
  });

  test('no context: ready for lesson 1; one line per check on stdout, the verdict on stderr', async () => {
    const r = await runSpin(['doctor'], {env: home});
    // The engine runs for the tests; 8080 may be taken by another test's stack: a warning only.
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok {4}node {5}Node \d+\.\d+\.\d+$/m);
    assert.match(r.stdout, /^ok {4}engine {3}Docker Engine \S+ \(API \d+\.\d+\)$/m);
    assert.match(r.stdout, /^ok {4}context {2}no platform context: `spin up` runs stacks on this machine/m);
    assert.match(r.stdout, /^(ok {4}|warn {2})ports {4}/m);
    assert.equal(r.stderr, 'ready\n');
  });

  test('a logged-out context: the context check fails with how to log in again', async () => {
    const {writeFileSync, mkdirSync} = await import('node:fs');
    mkdirSync(join(temp, '.config', 'spin'), {recursive: true});
    writeFileSync(join(temp, '.config', 'spin', 'config.json'), JSON.stringify({current: 'prod', contexts: {prod: {url: 'https://spin.example.org'}}}), {mode: 0o600});
    const r = await runSpin(['doctor'], {env: home});
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^FAIL {2}context {2}logged out of context "prod" \(https:\/\/spin\.example\.org\)\n {15}fix: log in again with `spin login https:\/\/spin\.example\.org --context prod/m);
    assert.equal(r.stderr, '1 check failed: fix it and run spin doctor again\n');
  });
});
