import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {runDoctor, type DoctorDeps} from '../../../src/lib/doctor/checks.ts';
import {AuthError, UnreachableError} from '../../../src/lib/errors.ts';

const NOW = new Date('2026-05-01T12:00:00Z');

/** A machine where everything is fine; each test breaks one thing. */
function deps(over: Partial<DoctorDeps> = {}): DoctorDeps {
  return {
    nodeVersion: '24.1.0',
    requiredNode: '22.18',
    engineVersion: async () => ({version: '26.1.5', apiVersion: '1.45'}),
    context: async () => ({name: 'prod', url: 'https://spin.example.org', registry: 'registry.example.org', project: 'genomics'}),
    agent: async () => ({user: 'ada', projects: ['genomics'], date: new Date(NOW.getTime() - 2000)}),
    registryLogin: async () => 'ok',
    portFree: async () => true,
    ports: [8080],
    now: () => NOW,
    ...over,
  };
}

const byId = (report: Awaited<ReturnType<typeof runDoctor>>) => Object.fromEntries(report.checks.map((c) => [c.id, c]));

describe('spin doctor checks', () => {
  test('all well: every check ok, in a fixed order, no fixes', async () => {
    const report = await runDoctor(deps());
    assert.equal(report.ok, true);
    assert.deepEqual(report.checks.map((c) => [c.id, c.status]), [['node', 'ok'], ['engine', 'ok'], ['context', 'ok'], ['agent', 'ok'], ['registry', 'ok'], ['clock', 'ok'], ['ports', 'ok']]);
    assert.ok(report.checks.every((c) => c.fix === undefined));
    assert.equal(byId(report).agent.message, 'the agent knows your token: user "ada", projects "genomics"');
  });

  test('no context: fine for the laptop lessons; no agent, registry or clock checks', async () => {
    const report = await runDoctor(deps({context: async () => undefined}));
    assert.equal(report.ok, true);
    assert.deepEqual(report.checks.map((c) => c.id), ['node', 'engine', 'context', 'ports']);
  });

  const broken: [string, Partial<DoctorDeps>, string, RegExp, RegExp][] = [
    ['old Node', {nodeVersion: '20.11.0'}, 'node', /Node 20\.11\.0 is older than 22\.18/, /install Node\.js 22\.18 or newer/],
    ['no engine', {engineVersion: async () => Promise.reject(new Error('connect ENOENT /var/run/docker.sock'))}, 'engine', /does not answer \(connect ENOENT/, /start Docker/],
    ['logged out', {context: async () => Promise.reject(new AuthError('logged out of context "prod"', {hint: 'log in again with `spin login`'}))}, 'context', /logged out/, /spin login/],
    ['agent down', {agent: async () => Promise.reject(new UnreachableError('cannot reach the Spin agent at https://spin.example.org (ECONNREFUSED)', {hint: 'check that the agent is running'}))}, 'agent', /cannot reach/, /agent is running/],
    ['no registry login', {registryLogin: async () => 'none'}, 'registry', /not logged in to registry registry\.example\.org/, /^spin registry login registry\.example\.org/],
    [
      'a stored registry login the registry refuses',
      {registryLogin: async () => Promise.reject(new AuthError('registry "registry.example.org" rejected the credentials (HTTP 401)'))},
      'registry',
      /login stored for registry registry\.example\.org does not work \(registry "registry\.example\.org" rejected the credentials \(HTTP 401\)\): spin push/,
      /log in again with the current password .*: spin registry login registry\.example\.org -u USER --password-stdin/,
    ],
    [
      'a registry that does not answer',
      {registryLogin: async () => Promise.reject(new UnreachableError('cannot reach registry "registry.example.org" (https://registry.example.org): no answer within 5s', {hint: 'check the registry name and your network'}))},
      'registry',
      /could not try the login to registry registry\.example\.org: cannot reach .*no answer within 5s/,
      /check the registry name and your network/,
    ],
    ['clock behind', {agent: async () => ({user: 'ada', projects: [], date: new Date(NOW.getTime() + 300_000)})}, 'clock', /300s behind the agent's/, /timedatectl set-ntp true/],
  ];
  for (const [what, over, id, message, fix] of broken) {
    test(`${what}: the ${id} check fails with its fix, and the report is not ok`, async () => {
      const report = await runDoctor(deps(over));
      const check = byId(report)[id];
      assert.equal(check.status, 'fail');
      assert.match(check.message, message);
      assert.match(check.fix!, fix);
      assert.equal(report.ok, false);
    });
  }

  test('a taken port or an old engine warns, with the fix, and the report stays ok', async () => {
    const report = await runDoctor(deps({portFree: async (p) => p !== 8080, engineVersion: async () => ({version: '19.03.1', apiVersion: '1.40'})}));
    assert.equal(report.ok, true);
    assert.equal(byId(report).ports.status, 'warn');
    assert.match(byId(report).ports.fix!, /PORT=60001/);
    assert.equal(byId(report).engine.status, 'warn');
  });
});
