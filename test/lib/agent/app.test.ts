// The agent's HTTP API through fastify's inject(), with the real SQLite store in a temporary
// folder, the real policy and loader, and a small in-memory orchestrator.

import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {after, before, beforeEach, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

import type {FastifyInstance, InjectOptions} from 'fastify';

import {buildApp} from '../../../src/lib/agent/app.ts';
import {LOG_FRAMES, LogFrameReader} from '../../../src/lib/api/log-frames.ts';
import {openStore} from '../../../src/lib/agent/store.ts';
import type {Store} from '../../../src/lib/agent/types.ts';
import {loadDocument, loadProject} from '../../../src/lib/compose/load.ts';
import {toComposeDocument} from '../../../src/lib/compose/render.ts';
import {loadPolicy, RULE_IDS, type Policy} from '../../../src/lib/policy/index.ts';
import {FakeOrchestrator} from '../../helpers/fake-orchestrator.ts';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/policy');

const WEB = {services: {web: {image: 'busybox', cap_drop: ['ALL'], user: '1000:1000', command: ['httpd', '-f'], ports: ['8080:80']}}};

let policy: Policy;
let dir: string;
let store: Store;
let fake: FakeOrchestrator;
let app: FastifyInstance;
const tokens: Record<string, string> = {};

before(async () => {
  policy = await loadPolicy();
});

beforeEach(async () => {
  await app?.close();
  store?.close();
  if (dir) rmSync(dir, {recursive: true, force: true});
  dir = mkdtempSync(join(tmpdir(), 'spin-agent-app-'));
  store = openStore(dir);
  tokens.alice = store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']}).token;
  tokens.bob = store.addUser({name: 'bob', uid: 2000, gid: 2000, projects: ['other']}).token;
  tokens.root = store.addUser({name: 'root', uid: 3000, gid: 3000, projects: [], admin: true}).token;
  fake = new FakeOrchestrator();
  app = buildApp({store, orchestrator: fake, policy, version: '0.1.0', registry: '127.0.0.1:5000'});
});

after(async () => {
  await app?.close();
  store?.close();
  rmSync(dir, {recursive: true, force: true});
});

type Call = Omit<InjectOptions, 'headers'> & {as?: string; headers?: Record<string, string>};

function call({as = 'alice', headers = {}, ...rest}: Call) {
  return app.inject({...rest, headers: {...(as ? {authorization: `Bearer ${tokens[as]}`} : {}), ...headers}} as InjectOptions);
}

const deploy = (body: Record<string, unknown>, options: Partial<Call> = {}) =>
  call({method: 'POST', url: '/v1/projects/demo/stacks/web/deploy', payload: body, ...options});

/** Opens an exec WebSocket as `as`, collecting frames from the start (binary as Buffers, text as strings). */
async function openExec(query: string, as = 'alice') {
  const frames: (string | Buffer)[] = [];
  let closed!: Promise<void>;
  const ws = await app.injectWS(`/v1/projects/demo/stacks/web/exec?${query}`, {headers: {authorization: `Bearer ${tokens[as]}`}}, {
    onInit: (socket) => {
      socket.on('message', (data: Buffer, isBinary: boolean) => frames.push(isBinary ? Buffer.from(data) : data.toString()));
      closed = new Promise((done) => socket.on('close', () => done()));
    },
  });
  return {ws, frames, closed};
}

const cmdQuery = (cmd: string[]) => `cmd=${encodeURIComponent(JSON.stringify(cmd))}`;

function assertEnvelope(res: {statusCode: number; json(): unknown; headers: Record<string, unknown>}, status: number, code: string): {code: string; message: string; hint?: string; diagnostics?: {rule?: string; path?: string; source: string}[]} {
  assert.equal(res.statusCode, status, JSON.stringify(res.json()));
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json() as {error: {code: string; message: string; hint?: string}};
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(!/\n\s+at /.test(JSON.stringify(body)), 'no stack trace in the answer');
  return body.error;
}

describe('authentication', () => {
  test('health answers without a token', async () => {
    const res = await call({as: '', method: 'GET', url: '/v1/health'});
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {ok: true, version: '0.1.0'});
  });

  test('a missing token is 401', async () => {
    const e = assertEnvelope(await call({as: '', method: 'GET', url: '/v1/whoami'}), 401, 'auth.unauthenticated');
    assert.equal(e.message, 'authentication required');
    assert.match(e.hint ?? '', /spin login/);
  });

  test('a wrong token and a malformed header are 401', async () => {
    assertEnvelope(await call({as: '', method: 'GET', url: '/v1/whoami', headers: {authorization: 'Bearer spin_nottherighttoken'}}), 401, 'auth.unauthenticated');
    const e = assertEnvelope(await call({as: '', method: 'GET', url: '/v1/whoami', headers: {authorization: `Basic ${tokens.alice}`}}), 401, 'auth.unauthenticated');
    assert.equal(e.message, 'the Authorization header is not "Bearer <token>"');
  });

  test('an address that keeps sending wrong tokens is refused with 429 and Retry-After, even with a good token then', async () => {
    const wrong = {as: '', method: 'GET', url: '/v1/whoami', headers: {authorization: 'Bearer spin_nottherighttoken'}} as const;
    for (let i = 0; i < 30; i++) assert.equal((await call(wrong)).statusCode, 401, `failure ${i + 1}`);
    const refused = await call(wrong);
    const e = assertEnvelope(refused, 429, 'auth.rate_limited');
    assert.match(e.message, /too many failed sign-ins/);
    assert.ok(Number(refused.headers['retry-after']) > 0, 'says when to try again');
    assertEnvelope(await call({method: 'GET', url: '/v1/whoami'}), 429, 'auth.rate_limited');
    assert.equal((await call({method: 'GET', url: '/v1/whoami', remoteAddress: '10.9.9.9'})).statusCode, 200, 'another address is not refused');
  });

  test('a revoked token is 401', async () => {
    assert.equal((await call({method: 'GET', url: '/v1/whoami'})).statusCode, 200);
    const [info] = store.tokens('alice');
    assert.equal(store.revokeToken(info.prefix), 1);
    const e = assertEnvelope(await call({method: 'GET', url: '/v1/whoami'}), 401, 'auth.unauthenticated');
    assert.equal(e.message, 'the token is invalid or was revoked');
  });

  test('whoami and info', async () => {
    assert.deepEqual((await call({method: 'GET', url: '/v1/whoami'})).json(), {name: 'alice', uid: 1000, gid: 1000, admin: false, projects: ['demo']});
    assert.deepEqual((await call({method: 'GET', url: '/v1/info'})).json(), {version: '0.1.0', registry: '127.0.0.1:5000', engine: {name: 'fake', version: null}, dashboard: null});
  });

  test('info names the dashboard by the host the client reached the API on', async () => {
    const {dashboardUrl} = await import('../../../src/lib/agent/server.ts');
    const withDashboard = buildApp({store, orchestrator: fake, policy, version: '0.1.0', dashboardUrl: (host) => dashboardUrl('0.0.0.0', 7879, true, host)});
    try {
      const res = await withDashboard.inject({method: 'GET', url: '/v1/info', headers: {authorization: `Bearer ${tokens.alice}`, host: 'agent.example.org:7878'}});
      assert.equal(res.json().dashboard, 'https://agent.example.org:7879');
    } finally {
      await withDashboard.close();
    }
    assert.equal(dashboardUrl('127.0.0.1', 7879, false, 'ignored'), 'http://127.0.0.1:7879');
    assert.equal(dashboardUrl('::1', 7879, false), 'http://[::1]:7879');
  });

  test('unknown routes are 404 route.not_found', async () => {
    const e = assertEnvelope(await call({method: 'GET', url: '/v1/nothing?x=1'}), 404, 'route.not_found');
    assert.equal(e.message, 'no route for GET /v1/nothing');
  });
});

describe('project isolation', () => {
  beforeEach(async () => {
    assert.equal((await deploy({model: WEB})).statusCode, 200);
    store.putSecret('demo', 'db-password', Buffer.from('hunter2'));
  });

  for (const [method, url] of [
    ['GET', '/v1/projects/demo/stacks'],
    ['GET', '/v1/projects/demo/stacks/web'],
    ['GET', '/v1/projects/demo/stacks/web/revisions'],
    ['GET', '/v1/projects/demo/stacks/web/logs'],
    ['POST', '/v1/projects/demo/stacks/web/stop'],
    ['DELETE', '/v1/projects/demo/stacks/web'],
    ['GET', '/v1/projects/demo/secrets'],
    ['DELETE', '/v1/projects/demo/secrets/db-password'],
    ['GET', '/v1/projects/demo/volumes'],
  ] as const) {
    test(`a non-member gets 404 project.not_found on ${method} ${url}`, async () => {
      const e = assertEnvelope(await call({as: 'bob', method, url}), 404, 'project.not_found');
      assert.equal(e.message, 'project "demo" not found');
    });
  }

  test('a refused change is audited as denied, and changes nothing', async () => {
    await call({as: 'bob', method: 'DELETE', url: '/v1/projects/demo/stacks/web'});
    const [entry] = store.auditLog({project: 'demo', limit: 1});
    assert.deepEqual({user: entry.user, action: entry.action, outcome: entry.outcome, target: entry.target}, {user: 'bob', action: 'project.access', outcome: 'denied', target: '/v1/projects/demo/stacks/web'});
    assert.equal(fake.callsOf('remove').length, 0);
    assert.equal(store.secrets('demo').length, 1);
  });

  test('a non-member cannot upgrade to exec', async () => {
    await assert.rejects(openExec(`service=web&${cmdQuery(['echo'])}`, 'bob'), /Unexpected server response: 404/);
    assert.equal(fake.callsOf('exec').length, 0);
  });

  test('exec without a token is refused before the upgrade', async () => {
    await assert.rejects(app.injectWS('/v1/projects/demo/stacks/web/exec?service=web&cmd=%5B%22echo%22%5D'), /Unexpected server response: 401/);
  });

  test('an admin sees every project', async () => {
    const res = await call({as: 'root', method: 'GET', url: '/v1/projects/demo/stacks'});
    assert.equal(res.statusCode, 200);
    assert.deepEqual(
      (res.json() as {stacks: {name: string}[]}).stacks.map((s) => s.name),
      ['web'],
    );
  });

  test('invalid names in the path are 400', async () => {
    const e = assertEnvelope(await call({method: 'GET', url: '/v1/projects/Demo/stacks'}), 400, 'request.invalid');
    assert.equal(e.message, 'invalid project "Demo" in the path');
    assertEnvelope(await call({method: 'GET', url: '/v1/projects/demo/stacks/web_1'}), 400, 'request.invalid');
    assertEnvelope(await call({method: 'DELETE', url: '/v1/projects/demo/secrets/.hidden'}), 400, 'request.invalid');
    assertEnvelope(await call({method: 'GET', url: '/v1/projects/demo/stacks/web/revisions/0'}), 400, 'request.invalid');
  });
});

describe('request validation', () => {
  test('malformed JSON is 400 request.invalid', async () => {
    const e = assertEnvelope(await deploy({}, {payload: '{"model": ', headers: {'content-type': 'application/json'}}), 400, 'request.invalid');
    assert.match(e.message, /^the request body is not valid JSON/);
  });

  test('schema-invalid bodies are 400 with the reason', async () => {
    assert.equal(assertEnvelope(await deploy({dryRun: true}), 400, 'request.invalid').message, "invalid request: body must have required property 'model'");
    assert.equal(assertEnvelope(await deploy({model: WEB, extra: 1}), 400, 'request.invalid').message, 'invalid request: body must NOT have additional properties');
    assert.equal(assertEnvelope(await deploy({model: WEB, timeoutSeconds: 0}), 400, 'request.invalid').message, 'invalid request: body/timeoutSeconds must be >= 1');
    assert.equal(assertEnvelope(await deploy({model: WEB, secrets: {x: 'not base64!'}}), 400, 'request.invalid').message, 'invalid request: body/secrets/x must match pattern "^[A-Za-z0-9+/]*={0,2}$"');
    assertEnvelope(await deploy({model: 'services: {}'}), 400, 'request.invalid');
    assertEnvelope(await call({method: 'POST', url: '/v1/projects/demo/stacks/web/scale', payload: {replicas: {web: -1}}}), 400, 'request.invalid');
    assertEnvelope(await call({method: 'POST', url: '/v1/projects/demo/secrets', payload: {name: 'x y', value: ''}}), 400, 'request.invalid');
    assertEnvelope(await call({method: 'GET', url: '/v1/projects/demo/stacks/web/logs?tail=many'}), 400, 'request.invalid');
    assert.equal(fake.callsOf('deploy').length, 0);
  });

  test('bodies over the limits are 413 request.too_large', async () => {
    const big = 'x'.repeat(4 * 1024 * 1024);
    assertEnvelope(await deploy({model: {services: {}, 'x-pad': big}}), 413, 'request.too_large');
    assertEnvelope(await call({method: 'POST', url: '/v1/projects/demo/stacks/web/stop', payload: {services: ['a'.repeat(65 * 1024)]}}), 413, 'request.too_large');
    const value = Buffer.alloc(512 * 1024 + 3).toString('base64');
    assertEnvelope(await call({method: 'POST', url: '/v1/projects/demo/secrets', payload: {name: 'big', value}}), 413, 'request.too_large');
    assert.deepEqual(store.secrets('demo'), []);
  });

  test('a model nested 10,000 levels deep is 422 compose.invalid, not a crash', async () => {
    // model, services, web, then labels: 10,000 levels in all.
    const deep = `${'{"a":'.repeat(10_000 - 3)}1${'}'.repeat(10_000 - 3)}`;
    const payload = `{"model": {"services": {"web": {"image": "busybox", "labels": ${deep}}}}, "dryRun": true}`;
    const e = assertEnvelope(await deploy({}, {payload, headers: {'content-type': 'application/json'}}), 422, 'compose.invalid');
    assert.equal(e.message, 'the compose model is invalid: the compose model nests 10000 levels deep, more than the 128 allowed');
    // The same through the JSON parser's prototype scan (it runs when the text names __proto__).
    const proto = `{"model": {"x-p": {"__proto__x": 1}, "services": {"web": {"image": "busybox", "labels": ${deep}}}}}`;
    assertEnvelope(await deploy({}, {payload: proto, headers: {'content-type': 'application/json'}}), 422, 'compose.invalid');
    assert.equal(fake.callsOf('plan').length, 0);
  });

  test('deeply nested bodies on the other routes are 400, not a crash', async () => {
    const deepArray = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    for (const [url, payload] of [
      ['/v1/projects/demo/stacks/web/stop', `{"services": ${deepArray}}`],
      ['/v1/projects/demo/stacks/web/scale', `{"replicas": {"web": ${deepArray}}}`],
      ['/v1/projects/demo/stacks/web/upgrade', `{"images": {"web": ${deepArray}}}`],
      ['/v1/projects/demo/secrets', `{"name": "x", "value": ${deepArray}}`],
    ]) {
      assertEnvelope(await call({method: 'POST', url, payload, headers: {'content-type': 'application/json'}}), 400, 'request.invalid');
    }
  });

  test('a deploy body just under 4 MiB is accepted', async () => {
    const res = await deploy({model: {...WEB, 'x-pad': 'x'.repeat(1024 * 1024)}, dryRun: true});
    assert.notEqual(res.statusCode, 413);
  });
});

describe('deploy', () => {
  test('the policy is enforced at the API whatever the client checked', async () => {
    for (const rule of RULE_IDS) {
      const file = resolve(fixtures, rule, 'bad.yaml');
      const loaded = await loadProject({files: [file], workingDir: dirname(file), env: {}});
      assert.ok(loaded.project, `fixture ${file} loads`);
      const res = await deploy({model: toComposeDocument(loaded.project)});
      const e = assertEnvelope(res, 422, 'policy.violation');
      const rules = new Set(e.diagnostics?.map((d) => d.rule));
      assert.deepEqual([...rules], [rule], `${rule}: ${JSON.stringify(e.diagnostics)}`);
      assert.ok(e.diagnostics?.every((d) => d.source === 'policy' && typeof d.path === 'string'));
    }
    assert.equal(fake.callsOf('deploy').length, 0);
    assert.deepEqual(store.revisions({project: 'demo', stack: 'web'}), []);
    const denied = store.auditLog({project: 'demo'}).filter((a) => a.action === 'stack.deploy');
    assert.equal(denied.length, RULE_IDS.length);
    assert.ok(denied.every((a) => a.outcome === 'denied'));
  });

  test('the caller identity decides global-fs: another uid is refused', async () => {
    tokens.carol = store.addUser({name: 'carol', uid: 1001, gid: 1000, projects: ['demo']}).token;
    const model = {services: {web: {image: 'busybox', cap_drop: ['ALL'], user: '1000:1000', volumes: ['/global/cfs/cdirs/demo/www:/www']}}};
    assert.equal((await deploy({model, dryRun: true})).statusCode, 200);
    const e = assertEnvelope(await deploy({model, dryRun: true}, {as: 'carol'}), 422, 'policy.violation');
    assert.deepEqual(e.diagnostics?.map((d) => d.rule), ['global-fs']);
  });

  test('an invalid compose model is 422 compose.invalid with paths', async () => {
    const e = assertEnvelope(await deploy({model: {services: {web: {image: 'busybox', cap_drop: ['ALL'], depends_on: ['db']}}}}), 422, 'compose.invalid');
    assert.equal(e.diagnostics?.length, 1);
    assert.equal(e.diagnostics?.[0].path, 'services.web.depends_on.db');
    assert.match(e.message, /depends on undefined service "db"/);
    const schema = assertEnvelope(await deploy({model: {services: {web: {image: 'busybox', restart: 42}}}}), 422, 'compose.invalid');
    assert.equal(schema.diagnostics?.[0].source, 'schema');
  });

  test('a dry run returns the plan and records nothing', async () => {
    const res = await deploy({model: WEB, dryRun: true});
    assert.equal(res.statusCode, 200);
    const body = res.json() as {revision: null; outcome: string; plan: {services: {service: string; action: string}[]}; images: Record<string, string>; warnings: unknown[]};
    assert.equal(body.revision, null);
    assert.equal(body.outcome, 'planned');
    assert.deepEqual(body.plan.services.map((s) => [s.service, s.action]), [['web', 'create']]);
    assert.deepEqual(body.images, {web: 'busybox'});
    assert.equal(fake.callsOf('deploy').length, 0);
    assert.deepEqual(store.revisions({project: 'demo', stack: 'web'}), []);
    assert.equal(store.stack({project: 'demo', stack: 'web'}), undefined);
    assert.deepEqual((await call({method: 'GET', url: '/v1/projects/demo/stacks'})).json(), {stacks: []});
  });

  test('a deploy records a healthy revision with policy defaults and an audit entry', async () => {
    const res = await deploy({model: WEB, timeoutSeconds: 30});
    assert.equal(res.statusCode, 200);
    const body = res.json() as {revision: number; outcome: string; status: {services: {service: string; running: number}[]}};
    assert.equal(body.revision, 1);
    assert.equal(body.outcome, 'healthy');
    assert.deepEqual(fake.callsOf('deploy')[0].args, {revision: 1, noWait: false, timeoutMs: 30000});
    const [rev] = store.revisions({project: 'demo', stack: 'web'});
    assert.equal(rev.outcome, 'healthy');
    assert.equal(rev.user, 'alice');
    assert.deepEqual(rev.model.services.web.deploy?.resources?.limits, {memory: 1024 ** 3, cpus: 1, pids: 1024});
    assert.match(rev.images.web, /^busybox@sha256:/);
    assert.equal(store.stack({project: 'demo', stack: 'web'})?.currentRevision, 1);
    const [entry] = store.auditLog({project: 'demo', limit: 1});
    assert.deepEqual({action: entry.action, target: entry.target, outcome: entry.outcome, detail: entry.detail, user: entry.user}, {action: 'stack.deploy', target: 'web', outcome: 'ok', detail: 'revision 1: healthy', user: 'alice'});

    const list = (await call({method: 'GET', url: '/v1/projects/demo/stacks'})).json() as {stacks: Record<string, unknown>[]};
    assert.deepEqual({...list.stacks[0], updatedAt: 'T'}, {name: 'web', currentRevision: 1, latestRevision: 1, updatedAt: 'T', services: 1, running: 1, desired: 1});
    const detail = (await call({method: 'GET', url: '/v1/projects/demo/stacks/web/revisions/1'})).json() as {number: number; model: {services: Record<string, unknown>}};
    assert.equal(detail.number, 1);
    assert.deepEqual(Object.keys(detail.model.services), ['web']);
    assertEnvelope(await call({method: 'GET', url: '/v1/projects/demo/stacks/web/revisions/9'}), 404, 'revision.not_found');
  });

  test('a resolved document (modelFormat compose-resolved/1) keeps its $; an include in it is refused', async () => {
    const web = {...WEB.services.web, environment: {PRICE: '$5', HOME_REF: '${HOME}'}, healthcheck: {test: ['CMD', 'true'], interval: '1m30s'}};
    const res = await deploy({model: {services: {web}}, modelFormat: 'compose-resolved/1', timeoutSeconds: 30});
    assert.equal(res.statusCode, 200);
    const [rev] = store.revisions({project: 'demo', stack: 'web'});
    assert.deepEqual(rev.model.services.web.environment, {PRICE: '$5', HOME_REF: '${HOME}'});
    assert.equal(rev.model.services.web.healthcheck?.interval, 90e9);
    // The API shows the revision's durations as compose text, as it did before the model held numbers.
    const detail = (await call({method: 'GET', url: `/v1/projects/demo/stacks/web/revisions/${rev.number}`})).json() as {model: {services: {web: {healthcheck: unknown}}}};
    assert.deepEqual(detail.model.services.web.healthcheck, {test: ['CMD', 'true'], interval: '1m30s'});

    const e = assertEnvelope(await deploy({model: {include: ['other.yaml'], services: {web}}, modelFormat: 'compose-resolved/1', dryRun: true}), 422, 'compose.invalid');
    assert.deepEqual(e.diagnostics?.map((d) => d.path), ['include']);
    assertEnvelope(await deploy({model: {services: {web}}, modelFormat: 'compose-resolved/2', dryRun: true}), 400, 'request.invalid');
    // Without modelFormat (older CLIs), the document is interpolated as before: `$$` is `$`.
    assert.equal((await deploy({model: {services: {web: {...web, environment: {PRICE: '$$5'}}}}, dryRun: true})).statusCode, 200);
  });

  test('a failed deploy rolls back to the last good revision', async () => {
    await deploy({model: WEB});
    fake.outcome = 'failed';
    let calls = 0;
    // The rollback (the second deploy call) succeeds.
    fake.onDeployStart = () => {
      if (++calls === 2) fake.outcome = 'healthy';
    };
    const res = await deploy({model: {services: {web: {...WEB.services.web, command: ['false']}}}});
    const body = res.json() as {revision: number; outcome: string; rollback: {revision: number; outcome: string}; failure: {service: string}};
    assert.equal(body.outcome, 'failed');
    assert.equal(body.failure.service, 'web');
    assert.deepEqual(body.rollback, {revision: 1, outcome: 'healthy'});
    assert.equal(calls, 2);
    const rev = store.revision({project: 'demo', stack: 'web'}, 2);
    assert.equal(rev?.outcome, 'rolled-back');
    assert.equal(rev?.message, 'service "web" replica 1: exited with code 1; rolled back to revision 1');
    assert.equal(store.stack({project: 'demo', stack: 'web'})?.currentRevision, 1);
    assert.equal(fake.stacksByKey.get('demo/web')?.revision, 1);
  });

  test('after a rollback: the failed replica\'s last log lines in the result, history marks the revision that runs, ps names its image as history does', async () => {
    await deploy({model: WEB});
    fake.outcome = 'failed';
    let calls = 0;
    fake.onDeployStart = () => {
      if (++calls === 2) fake.outcome = 'healthy';
    };
    const body = (await deploy({model: {services: {web: {...WEB.services.web, image: 'busybox:1.36', command: ['false']}}}})).json() as {failure: {logs: string[]}; rollback: {revision: number}};
    // The rollback removed the failed container: its log lines travel with the result instead.
    assert.deepEqual(body.failure.logs, ['boom']);
    assert.equal(body.rollback.revision, 1);
    const list = (await call({method: 'GET', url: '/v1/projects/demo/stacks/web/revisions'})).json() as {currentRevision: number; revisions: {number: number; images: Record<string, string>; imageRefs: Record<string, string>}[]};
    assert.equal(list.currentRevision, 1);
    assert.deepEqual(list.revisions.map((r) => [r.number, r.imageRefs]), [[2, {web: 'busybox:1.36'}], [1, {web: 'busybox'}]]);
    // The engine now knows the image by another digest too (pushed later under another name).
    fake.imageDigests.web = `127.0.0.1:5000/demo/web@sha256:${'c'.repeat(64)}`;
    const detail = (await call({method: 'GET', url: '/v1/projects/demo/stacks/web'})).json() as {status: {services: {imageDigest?: string}[]}};
    assert.equal(detail.status.services[0].imageDigest, list.revisions[1].images.web);
  });

  /** Revision 1 as an older policy accepted it: stored as it is, healthy. */
  async function storedRevision(service: Record<string, unknown>): Promise<void> {
    const {project} = await loadDocument({services: {web: service}}, 'web');
    assert.ok(project);
    const ref = {project: 'demo', stack: 'web'};
    const r = store.addRevision(ref, {model: project, images: {}, user: 'alice'});
    store.finishRevision(ref, r.number, 'healthy');
  }

  test("the automatic rollback does not run an earlier revision that today's policy refuses", async () => {
    await storedRevision({...WEB.services.web, privileged: true});
    fake.outcome = 'failed';
    const res = await deploy({model: {services: {web: {...WEB.services.web, command: ['false']}}}}, {headers: {accept: 'application/x-ndjson'}});
    const lines = res.body.trimEnd().split('\n').map((l) => JSON.parse(l) as {type: string; message?: string; result?: Record<string, unknown>});
    const result = lines.at(-1)?.result as {revision: number; outcome: string; rollback: unknown; warnings: {source: string; rule?: string; message: string}[]};
    assert.equal(result.outcome, 'failed');
    assert.deepEqual(result.rollback, {revision: 1, outcome: 'failed'});
    assert.deepEqual(
      result.warnings.map((w) => [w.rule, w.message]),
      [['privileged', 'revision 1, refused by the current policy: service "web" sets privileged: true']],
    );
    assert.ok(lines.some((l) => l.type === 'log' && l.message === 'not rolled back: revision 1 is refused by the current policy (privileged)'), res.body);
    assert.equal(fake.callsOf('deploy').length, 1, 'only the new revision was deployed');
    const rev = store.revision({project: 'demo', stack: 'web'}, 2);
    assert.equal(rev?.outcome, 'failed');
    assert.equal(rev?.message, 'service "web" replica 1: exited with code 1; not rolled back: revision 1 is refused by the current policy (privileged)');
  });

  test('the automatic rollback checks the earlier revision with its author identity', async () => {
    tokens.carol = store.addUser({name: 'carol', uid: 1001, gid: 1000, projects: ['demo']}).token;
    // alice's revision runs as alice on the global file system; carol's failed deploy must not rerun it.
    await storedRevision({...WEB.services.web, volumes: ['/global/cfs/cdirs/demo/www:/www']});
    fake.outcome = 'failed';
    let calls = 0;
    fake.onDeployStart = () => {
      if (++calls === 2) fake.outcome = 'healthy';
    };
    const res = await deploy({model: {services: {web: {...WEB.services.web, user: '1001:1000', command: ['false']}}}}, {as: 'carol'});
    assert.deepEqual((res.json() as {rollback: unknown}).rollback, {revision: 1, outcome: 'healthy'}, res.body);
    assert.equal(calls, 2, 'alice authored revision 1, and it runs as alice: it goes back');
  });

  test('in warn mode (a laptop agent) the automatic rollback runs a refused revision anyway', async () => {
    await app.close();
    app = buildApp({store, orchestrator: fake, policy, version: '0.1.0', policyMode: 'warn'});
    await storedRevision({...WEB.services.web, privileged: true});
    fake.outcome = 'failed';
    const res = await deploy({model: {services: {web: {...WEB.services.web, command: ['false']}}}});
    assert.equal((res.json() as {rollback: {outcome: string}}).rollback.outcome, 'failed', 'the fake fails every deploy');
    assert.equal(fake.callsOf('deploy').length, 2, 'the rollback was attempted');
    assert.match(store.revision({project: 'demo', stack: 'web'}, 2)?.message ?? '', /rolling back to revision 1 ended failed/);
  });

  test('failure_action pause keeps the failed revision in place', async () => {
    await deploy({model: WEB});
    fake.outcome = 'failed';
    const res = await deploy({model: {services: {web: {...WEB.services.web, command: ['false'], deploy: {update_config: {failure_action: 'pause'}}}}}});
    assert.equal((res.json() as {rollback?: unknown}).rollback, undefined);
    assert.equal(store.revision({project: 'demo', stack: 'web'}, 2)?.outcome, 'failed');
  });

  test('a second deploy while one runs is 409 stack.locked', async () => {
    let release!: () => void;
    fake.gate = new Promise((r) => (release = r));
    const started = new Promise<void>((r) => (fake.onDeployStart = r));
    const first = deploy({model: WEB});
    await started;
    const e = assertEnvelope(await deploy({model: WEB}), 409, 'stack.locked');
    assert.match(e.message, /stack "web" in project "demo" is busy/);
    assertEnvelope(await call({method: 'POST', url: '/v1/projects/demo/stacks/web/scale', payload: {replicas: {web: 2}}}), 409, 'stack.locked');
    release();
    assert.equal((await first).statusCode, 200);
    assert.equal((await deploy({model: WEB})).statusCode, 200);
  });

  test('NDJSON: events, then one result line; errors before streaming keep their status', async () => {
    const res = await deploy({model: WEB}, {headers: {accept: 'application/x-ndjson'}});
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
    assert.ok(res.body.endsWith('\n'));
    const lines = res.body.trimEnd().split('\n').map((l) => JSON.parse(l) as {type: string; time?: string; message?: string; result?: {revision: number}});
    assert.deepEqual(lines.map((l) => l.type), ['plan', 'create', 'start', 'healthy', 'result']);
    for (const l of lines.slice(0, -1)) assert.ok(l.time && typeof l.message === 'string');
    assert.equal(lines.at(-1)?.result?.revision, 1);

    const refused = await deploy({model: {services: {web: {image: 'busybox', privileged: true, cap_drop: ['ALL']}}}}, {headers: {accept: 'application/x-ndjson'}});
    assertEnvelope(refused, 422, 'policy.violation');
  });

  test('an engine exception is 500 internal, and the revision is marked failed', async () => {
    fake.deployError = new Error('socket hang up: internal detail');
    const res = await deploy({model: WEB}, {headers: {accept: 'application/x-ndjson'}});
    assertEnvelope(res, 500, 'internal');
    assert.ok(!res.body.includes('internal detail'));
    assert.equal(store.revision({project: 'demo', stack: 'web'}, 1)?.outcome, 'failed');
  });

  test('secrets: request values, stored external secrets, and a clear error when missing', async () => {
    const model = {
      services: {web: {...WEB.services.web, secrets: ['api-key', 'db']}},
      secrets: {'api-key': {file: '/home/alice/api.key'}, db: {external: true, name: 'db-password'}},
    };
    const e = assertEnvelope(await deploy({model, secrets: {'api-key': Buffer.from('k1').toString('base64')}}), 422, 'compose.invalid');
    assert.equal(e.message, 'secret "db" used by service "web" has no value');
    assert.equal(e.hint, 'create it in the project with `spin secret create db`');
    store.putSecret('demo', 'db-password', Buffer.from('hunter2'));
    const res = await deploy({model, secrets: {'api-key': Buffer.from('k1').toString('base64')}});
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(fake.lastSecrets?.['api-key'].toString(), 'k1');
    assert.equal(fake.lastSecrets?.db.toString(), 'hunter2');
    assert.ok(!res.body.includes('hunter2') && !res.body.includes(Buffer.from('hunter2').toString('base64')));
  });
});

describe('stack operations', () => {
  beforeEach(async () => {
    assert.equal((await deploy({model: {services: {web: WEB.services.web, worker: {image: 'busybox', cap_drop: ['ALL'], command: ['sleep', '1d']}}}})).statusCode, 200);
  });

  test('status, and 404 for a stack that does not exist', async () => {
    const res = await call({method: 'GET', url: '/v1/projects/demo/stacks/web'});
    const body = res.json() as {name: string; project: string; currentRevision: number; status: {services: {service: string}[]}};
    assert.deepEqual([body.name, body.project, body.currentRevision], ['web', 'demo', 1]);
    assert.deepEqual(body.status.services.map((s) => s.service), ['web', 'worker']);
    const e = assertEnvelope(await call({method: 'GET', url: '/v1/projects/demo/stacks/nope'}), 404, 'stack.not_found');
    assert.equal(e.message, 'stack "nope" not found in project "demo"');
    assertEnvelope(await call({method: 'GET', url: '/v1/projects/demo/stacks/nope/revisions'}), 404, 'stack.not_found');
  });

  test('stop, start and restart, for all or some services', async () => {
    const stopped = (await call({method: 'POST', url: '/v1/projects/demo/stacks/web/stop', payload: {services: ['worker']}})).json() as {status: {services: {service: string; running: number}[]}};
    assert.deepEqual(stopped.status.services.map((s) => [s.service, s.running]), [['web', 1], ['worker', 0]]);
    assert.deepEqual(fake.callsOf('stop')[0].args, ['worker']);
    assert.equal((await call({method: 'POST', url: '/v1/projects/demo/stacks/web/start'})).statusCode, 200);
    assert.equal(fake.callsOf('start')[0].args, undefined);
    assert.equal((await call({method: 'POST', url: '/v1/projects/demo/stacks/web/restart', payload: {}})).statusCode, 200);
    const e = assertEnvelope(await call({method: 'POST', url: '/v1/projects/demo/stacks/web/stop', payload: {services: ['db']}}), 400, 'request.invalid');
    assert.equal(e.message, 'stack "web" has no service "db"');
    assert.equal(e.hint, 'its services are "web", "worker"');
    const actions = store.auditLog({project: 'demo'}).map((a) => `${a.action}:${a.outcome}`);
    assert.deepEqual(actions.slice(0, 4), ['stack.stop:failed', 'stack.restart:ok', 'stack.start:ok', 'stack.stop:ok']);
  });

  test('rollback runs an earlier revision again with the image digests it ran', async () => {
    const web = {...WEB.services.web, image: 'busybox:2'};
    assert.equal((await deploy({model: {services: {web, worker: {image: 'busybox', cap_drop: ['ALL'], command: ['sleep', '1d']}}}})).statusCode, 200);
    const ran = store.revision({project: 'demo', stack: 'web'}, 1)!.images.web;
    assert.match(ran, /@sha256:[0-9a-f]{64}$/);
    const res = await call({method: 'POST', url: '/v1/projects/demo/stacks/web/rollback', payload: {}});
    const body = res.json() as {revision: number; outcome: string};
    assert.deepEqual([res.statusCode, body.revision, body.outcome], [200, 3, 'healthy']);
    assert.equal(store.revision({project: 'demo', stack: 'web'}, 3)!.model.services.web.image, ran);
    const e = assertEnvelope(await call({method: 'POST', url: '/v1/projects/demo/stacks/web/rollback', payload: {to: 9}}), 404, 'revision.not_found');
    assert.equal(e.message, 'stack "web" has no revision 9');
  });

  test('scale makes a new revision from the current one', async () => {
    const res = await call({method: 'POST', url: '/v1/projects/demo/stacks/web/scale', payload: {replicas: {worker: 3}}});
    const body = res.json() as {revision: number; plan: {services: {service: string; action: string}[]}};
    assert.equal(body.revision, 2);
    assert.deepEqual(body.plan.services.map((s) => [s.service, s.action]), [['web', 'keep'], ['worker', 'scale']]);
    assert.equal(store.revision({project: 'demo', stack: 'web'}, 2)?.model.services.worker.deploy?.replicas, 3);
    const e = assertEnvelope(await call({method: 'POST', url: '/v1/projects/demo/stacks/web/scale', payload: {replicas: {db: 1}}}), 400, 'request.invalid');
    assert.equal(e.message, 'stack "web" has no service "db"');
    const revisions = (await call({method: 'GET', url: '/v1/projects/demo/stacks/web/revisions'})).json() as {revisions: {number: number; outcome: string}[]};
    assert.deepEqual(revisions.revisions.map((r) => [r.number, r.outcome]), [[2, 'healthy'], [1, 'healthy']]);
  });

  test('remove deletes the containers and the records', async () => {
    const res = await call({method: 'DELETE', url: '/v1/projects/demo/stacks/web?volumes=true'});
    // With volumes: which went and which stayed.
    assert.deepEqual(res.json(), {removed: true, volumes: {removed: [], kept: []}});
    assert.deepEqual(fake.callsOf('remove')[0].args, {volumes: true});
    assert.equal(store.stack({project: 'demo', stack: 'web'}), undefined);
    assertEnvelope(await call({method: 'DELETE', url: '/v1/projects/demo/stacks/web'}), 404, 'stack.not_found');
  });

  test('logs stream as NDJSON, filtered by service', async () => {
    fake.logLines = [
      {service: 'web', replica: 1, stream: 'stdout', timestamp: '2024-05-01T12:00:00Z', line: 'GET /'},
      {service: 'worker', replica: 1, stream: 'stderr', timestamp: '2024-05-01T12:00:01Z', line: 'tick'},
    ];
    const res = await call({method: 'GET', url: '/v1/projects/demo/stacks/web/logs?service=worker&tail=10&since=2024-05-01T00:00:00Z'});
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
    assert.deepEqual(res.body, `${JSON.stringify(fake.logLines[1])}\n`);
    assert.deepEqual(fake.callsOf('logs')[0].args, {services: ['worker'], follow: false, since: 1714521600, tail: 10, timestamps: false, signal: undefined});
    assertEnvelope(await call({method: 'GET', url: '/v1/projects/demo/stacks/web/logs?since=yesterday'}), 400, 'request.invalid');
    assertEnvelope(await call({method: 'GET', url: '/v1/projects/demo/stacks/web/logs?service=db'}), 400, 'request.invalid');
  });

  test('logs stream as frames of raw lines to a client that asks for them', async () => {
    fake.logLines = [
      {service: 'web', replica: 1, stream: 'stdout', timestamp: '2024-05-01T12:00:00Z', line: 'GET /'},
      {service: 'worker', replica: 1, stream: 'stderr', timestamp: '2024-05-01T12:00:01Z', line: 'tick'},
      {service: 'web', replica: 1, stream: 'stdout', timestamp: '2024-05-01T12:00:02Z', line: 'GET /x'},
    ];
    const res = await call({method: 'GET', url: '/v1/projects/demo/stacks/web/logs', headers: {accept: `${LOG_FRAMES}, application/x-ndjson;q=0.5`}});
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], LOG_FRAMES);
    const frames = new LogFrameReader().push(res.rawPayload);
    assert.deepEqual(frames[0], {kind: 'sources', sources: [{service: 'web', replica: 1}, {service: 'worker', replica: 1}]});
    const lines = frames.slice(1).map((f) => (f.kind === 'lines' ? [f.source, f.stream, f.data.toString()] : f));
    assert.deepEqual(lines, [
      [0, 'stdout', '2024-05-01T12:00:00Z GET /\n'],
      [1, 'stderr', '2024-05-01T12:00:01Z tick\n'],
      [0, 'stdout', '2024-05-01T12:00:02Z GET /x\n'],
    ]);
  });

  test('exec over a WebSocket: output frames, then the exit code', async () => {
    const {frames, closed} = await openExec(`service=web&${cmdQuery(['echo', 'hello'])}`);
    await closed;
    assert.deepEqual(frames, [Buffer.concat([Buffer.of(1), Buffer.from('hello\n')]), JSON.stringify({type: 'exit', code: 0})]);
    assert.deepEqual(fake.callsOf('exec')[0].args, {service: 'web', index: 1, cmd: ['echo', 'hello'], tty: false, stdin: false, user: undefined, workdir: undefined});
    assert.deepEqual(store.auditLog({project: 'demo', limit: 1}).map((a) => [a.action, a.outcome, a.detail]), [['stack.exec', 'ok', 'service "web" replica 1']]);
  });

  test('exec pipes stdin until eof, and reports stderr and the code', async () => {
    const cat = await openExec(`service=web&stdin=true&${cmdQuery(['cat'])}`);
    cat.ws.send(Buffer.from('ping'), {binary: true});
    cat.ws.send(JSON.stringify({type: 'resize', cols: 80, rows: 24}));
    cat.ws.send(JSON.stringify({type: 'eof'}));
    await cat.closed;
    assert.deepEqual(cat.frames, [Buffer.concat([Buffer.of(1), Buffer.from('ping')]), JSON.stringify({type: 'exit', code: 0})]);

    const exit = await openExec(`service=web&${cmdQuery(['exit', '3'])}`);
    await exit.closed;
    assert.deepEqual(exit.frames, [Buffer.concat([Buffer.of(2), Buffer.from('bye\n')]), JSON.stringify({type: 'exit', code: 3})]);
  });

  test('exec errors: a bad command is a 400 before the upgrade; an unknown service an error frame', async () => {
    await assert.rejects(openExec('service=web&cmd=ls'), /Unexpected server response: 400/);
    await assert.rejects(openExec(`service=web&${cmdQuery([])}`), /Unexpected server response: 400/);
    const {frames, closed} = await openExec(`service=db&${cmdQuery(['echo'])}`);
    await closed;
    assert.deepEqual(frames.map((f) => JSON.parse(String(f))), [{type: 'error', error: {code: 'service.not_found', message: 'service "db" has no running replica in stack "web"', hint: 'see `spin ps`'}}]);
    assert.deepEqual(store.auditLog({project: 'demo', limit: 1}).map((a) => [a.action, a.outcome]), [['stack.exec', 'failed']]);
  });
});

describe('exec limits', () => {
  // web mounts a global file system and runs as alice; worker mounts none.
  const GLOBAL = {
    services: {
      web: {...WEB.services.web, volumes: ['/global/cfs/cdirs/demo/www:/www']},
      worker: {image: 'busybox', cap_drop: ['ALL'], command: ['sleep', '1d']},
    },
  };
  const execUrl = (query: string) => `/v1/projects/demo/stacks/web/exec?${query}`;

  beforeEach(async () => {
    assert.equal((await deploy({model: GLOBAL})).statusCode, 200);
    tokens.carol = store.addUser({name: 'carol', uid: 1001, gid: 1000, projects: ['demo']}).token;
  });

  async function execAs(query: string, as = 'alice') {
    const {closed, frames} = await openExec(query, as);
    await closed;
    return frames;
  }

  test('on a global file system exec refuses another user, root included, before the upgrade', async () => {
    for (const user of ['0', '0:0', 'root', '1001:1000', '1000']) {
      const e = assertEnvelope(await call({method: 'GET', url: execUrl(`service=web&user=${user}&${cmdQuery(['id'])}`)}), 422, 'policy.violation');
      assert.equal(e.message, `service "web" mounts "/global/cfs/cdirs/demo/www" from a global file system, so exec runs as its own user "1000:1000", not as user "${user}"`);
      assert.equal(e.hint, "leave out --user: on a global file system a command runs as the service's user");
      await assert.rejects(openExec(`service=web&user=${user}&${cmdQuery(['id'])}`, 'carol'), /Unexpected server response: 422/);
    }
    assert.equal(fake.callsOf('exec').length, 0);
    const [entry] = store.auditLog({project: 'demo', limit: 1});
    assert.deepEqual([entry.user, entry.action, entry.outcome], ['carol', 'stack.exec', 'denied']);
    assert.match(entry.detail ?? '', /not as user "1000"/);
  });

  test("on a global file system exec runs as the service's user, asked for or not", async () => {
    await execAs(`service=web&${cmdQuery(['echo', 'hi'])}`, 'carol');
    await execAs(`service=web&user=1000:1000&${cmdQuery(['echo', 'hi'])}`);
    assert.deepEqual(fake.callsOf('exec').map((c) => (c.args as {user?: string}).user), ['1000:1000', '1000:1000']);
  });

  test('a service without a global file system runs exec as the caller asks', async () => {
    await execAs(`service=worker&user=0&${cmdQuery(['echo'])}`);
    await execAs(`service=worker&${cmdQuery(['echo'])}`);
    assert.deepEqual(fake.callsOf('exec').map((c) => (c.args as {user?: string}).user), ['0', undefined]);
  });

  test('the latest revision counts too: a failed deploy onto a global file system still binds exec', async () => {
    const before = {services: {web: {...WEB.services.web}}};
    await call({method: 'DELETE', url: '/v1/projects/demo/stacks/web'});
    assert.equal((await deploy({model: before})).statusCode, 200);
    fake.outcome = 'failed';
    const paused = {services: {web: {...GLOBAL.services.web, deploy: {update_config: {failure_action: 'pause'}}}}};
    assert.equal((await deploy({model: paused})).statusCode, 200);
    assertEnvelope(await call({method: 'GET', url: execUrl(`service=web&user=0&${cmdQuery(['id'])}`)}), 422, 'policy.violation');
  });

  test('a laptop agent (warn mode) lets exec pick the user, and defaults to the service user', async () => {
    await app.close();
    app = buildApp({store, orchestrator: fake, policy, version: '0.1.0', policyMode: 'warn'});
    await app.ready();
    await execAs(`service=web&user=0&${cmdQuery(['echo'])}`);
    await execAs(`service=web&${cmdQuery(['echo'])}`);
    assert.deepEqual(fake.callsOf('exec').map((c) => (c.args as {user?: string}).user), ['0', '1000:1000']);
  });

  test('exec takes no parameter the API does not describe: no privileged, no env', async () => {
    for (const extra of ['privileged=true', 'env=LD_PRELOAD%3D%2Ftmp%2Fx.so', 'cap_add=SYS_ADMIN', 'detach=true']) {
      const e = assertEnvelope(await call({method: 'GET', url: execUrl(`service=worker&${extra}&${cmdQuery(['id'])}`)}), 400, 'request.invalid');
      assert.equal(e.message, `exec does not take "${extra.split('=')[0]}"`);
      await assert.rejects(openExec(`service=worker&${extra}&${cmdQuery(['id'])}`), /Unexpected server response: 400/);
    }
    assert.equal(fake.callsOf('exec').length, 0);
  });

  test('user, workdir and cmd are validated and size-limited', async () => {
    const bad = [
      `user=${encodeURIComponent('root;id')}`,
      `user=${'a'.repeat(33)}`,
      `user=${encodeURIComponent('../1000')}`,
      `user=${encodeURIComponent('1000:1000:1000')}`,
      'user=',
      'user=a&user=b',
      `user=${'1'.repeat(300)}`,
      'workdir=relative',
      `workdir=${encodeURIComponent('/tmp\n/x')}`,
      `workdir=/${'a'.repeat(4096)}`,
      `cmd=${encodeURIComponent(JSON.stringify(Array.from({length: 1025}, () => 'x')))}`,
      `cmd=${encodeURIComponent(JSON.stringify(['sh', 'a\u0000b']))}`,
      `cmd=${encodeURIComponent(JSON.stringify(['x'.repeat(16384)]))}`,
      `cmd=${encodeURIComponent(JSON.stringify([1]))}`,
      `index=0`,
      `index=1001`,
    ];
    for (const query of bad) {
      const withCmd = query.startsWith('cmd=') ? `service=worker&${query}` : `service=worker&${query}&${cmdQuery(['id'])}`;
      // Refused by the checks, not only because a plain GET is no WebSocket upgrade.
      const e = assertEnvelope(await call({method: 'GET', url: execUrl(withCmd)}), 400, 'request.invalid');
      assert.notEqual(e.message, 'exec needs a WebSocket upgrade', query);
      await assert.rejects(openExec(withCmd), /Unexpected server response: 400/, query);
    }
    for (const user of ['1000', '1000:1000', 'www-data', 'nobody:nogroup', 'app.user_1']) {
      await execAs(`service=worker&user=${user}&workdir=%2Fsrv%2Fapp&${cmdQuery(['echo'])}`);
    }
    assert.deepEqual(fake.callsOf('exec').map((c) => (c.args as {user?: string}).user), ['1000', '1000:1000', 'www-data', 'nobody:nogroup', 'app.user_1']);
  });
});

describe('secrets and volumes', () => {
  test('secret values are stored but never returned, and audited without them', async () => {
    const value = Buffer.from('s3cr3t-value').toString('base64');
    const created = await call({method: 'POST', url: '/v1/projects/demo/secrets', payload: {name: 'db.password', value}});
    assert.equal(created.statusCode, 201);
    const info = created.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(info).sort(), ['createdAt', 'name', 'size', 'updatedAt']);
    assert.equal(info.size, 12);
    const list = await call({method: 'GET', url: '/v1/projects/demo/secrets'});
    assert.ok(!list.body.includes('s3cr3t') && !list.body.includes(value));
    assert.deepEqual((list.json() as {secrets: {name: string}[]}).secrets.map((s) => s.name), ['db.password']);
    assert.equal(store.secretValue('demo', 'db.password')?.toString(), 's3cr3t-value');
    const audit = JSON.stringify(store.auditLog({project: 'demo'}));
    assert.ok(!audit.includes('s3cr3t') && !audit.includes(value));
    assert.deepEqual(await call({method: 'DELETE', url: '/v1/projects/demo/secrets/db.password'}).then((r) => r.json()), {removed: true});
    assertEnvelope(await call({method: 'DELETE', url: '/v1/projects/demo/secrets/db.password'}), 404, 'secret.not_found');
  });

  test('volumes: list, remove, in use, not found', async () => {
    fake.volumeList = [
      {name: 'demo.data', driver: 'local', createdAt: '2024-05-01T12:00:00Z', stacks: ['web']},
      {name: 'demo.cache', driver: 'local', stacks: []},
      {name: 'other.data', driver: 'local', stacks: []},
    ];
    await deploy({model: WEB});
    const list = (await call({method: 'GET', url: '/v1/projects/demo/volumes'})).json() as {volumes: {name: string}[]};
    assert.deepEqual(list.volumes.map((v) => v.name), ['demo.data', 'demo.cache']);
    assertEnvelope(await call({method: 'DELETE', url: '/v1/projects/demo/volumes/demo.data'}), 409, 'volume.in_use');
    assert.deepEqual((await call({method: 'DELETE', url: '/v1/projects/demo/volumes/cache'})).json(), {removed: true});
    assertEnvelope(await call({method: 'DELETE', url: '/v1/projects/demo/volumes/demo.cache'}), 404, 'volume.not_found');
  });
});

describe('errors', () => {
  test('unexpected failures are 500 internal without details', async () => {
    fake.statusError = new Error('database password is hunter2');
    const res = await call({method: 'GET', url: '/v1/projects/demo/stacks/web'});
    const e = assertEnvelope(res, 500, 'internal');
    assert.equal(e.message, 'internal error in the agent');
    assert.ok(!res.body.includes('hunter2'));
  });

  test('every route the API document describes is served, and nothing else', async () => {
    const {loadApiSpec, fastifyPath} = await import('../../../src/lib/agent/routes/spec.ts');
    const spec = loadApiSpec();
    const documented = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${fastifyPath(path)}`),
    );
    await app.ready();
    for (const route of documented) {
      const [method, url] = route.split(' ');
      assert.ok(app.hasRoute({method: method as 'GET', url}), `${route} is documented but not served`);
    }
    assert.equal(documented.length, 22);
  });
});
