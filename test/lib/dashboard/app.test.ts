// The dashboard through fastify's inject(): the real SQLite store and the API app for deploys,
// the small in-memory orchestrator for the engine. Sign-in, sessions, CSRF, project scoping,
// headers and escaping; the browser test (test/dashboard) covers the same pages in Chromium.

import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, beforeEach, describe, test} from 'node:test';

import type {FastifyInstance, LightMyRequestResponse} from 'fastify';

import {agentContext, buildApp, type AppOptions} from '../../../src/lib/agent/app.ts';
import {FailedAuthLimiter} from '../../../src/lib/agent/auth-limit.ts';
import {Operations} from '../../../src/lib/agent/operations.ts';
import {openStore} from '../../../src/lib/agent/store.ts';
import type {Store} from '../../../src/lib/agent/types.ts';
import {buildDashboard, CSP} from '../../../src/lib/dashboard/app.ts';
import {loadPolicy, type Policy} from '../../../src/lib/policy/index.ts';
import {FakeOrchestrator} from '../../helpers/fake-orchestrator.ts';

const WEB = {services: {web: {image: 'busybox', cap_drop: ['ALL'], user: '1000:1000', command: ['httpd', '-f'], environment: {DB_PASSWORD: 'hunter2'}}}};

let policy: Policy;
let dir: string;
let store: Store;
let fake: FakeOrchestrator;
let api: FastifyInstance;
let web: FastifyInstance;
const tokens: Record<string, string> = {};

before(async () => {
  policy = await loadPolicy();
});

beforeEach(async () => {
  await Promise.all([api?.close(), web?.close()]);
  store?.close();
  if (dir) rmSync(dir, {recursive: true, force: true});
  dir = mkdtempSync(join(tmpdir(), 'spin-dashboard-'));
  store = openStore(dir);
  tokens.alice = store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']}).token;
  tokens.bob = store.addUser({name: 'bob', uid: 2000, gid: 2000, projects: ['other']}).token;
  tokens.root = store.addUser({name: 'root', uid: 3000, gid: 3000, projects: [], admin: true}).token;
  fake = new FakeOrchestrator();
  // One record of changes in flight for both, as server.ts gives them.
  const options: AppOptions = {store, orchestrator: fake, policy, version: '0.1.0', operations: new Operations(), authLimiter: new FailedAuthLimiter()};
  api = buildApp(options);
  web = buildDashboard({ctx: agentContext(options), secure: false});
});

after(async () => {
  await Promise.all([api?.close(), web?.close()]);
  store?.close();
  rmSync(dir, {recursive: true, force: true});
});

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; !(await check()); i++) {
    if (i > 100) assert.fail('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function deploy(model: unknown, stack = 'web', project = 'demo', as = 'alice') {
  const res = await api.inject({method: 'POST', url: `/v1/projects/${project}/stacks/${stack}/deploy`, headers: {authorization: `Bearer ${tokens[as]}`}, payload: {model}});
  assert.equal(res.statusCode, 200, res.body);
}

/** A browser: keeps cookies, reads the CSRF token off the last page. */
class Browser {
  cookies = new Map<string, string>();
  csrf = '';

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<LightMyRequestResponse> {
    const res = await web.inject({
      method,
      url,
      headers: {cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(form ? {'content-type': 'application/x-www-form-urlencoded'} : {})},
      ...(form ? {payload: new URLSearchParams(form).toString()} : {}),
    });
    for (const c of res.cookies as {name: string; value: string; maxAge?: number}[]) {
      if (c.maxAge === 0) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (m) this.csrf = m[1];
    return res;
  }

  get(url: string) {
    return this.request('GET', url);
  }

  post(url: string, form: Record<string, string>) {
    return this.request('POST', url, form);
  }

  async signIn(as: string): Promise<LightMyRequestResponse> {
    await this.get('/login');
    return this.post('/login', {_csrf: this.csrf, token: tokens[as]});
  }
}

describe('sign in and out', () => {
  test('pages redirect to the sign-in form until a valid token is given, then show the stacks', async () => {
    await deploy(WEB);
    const b = new Browser();
    const first = await b.get('/');
    assert.equal(first.statusCode, 303);
    assert.equal(first.headers.location, '/login');
    const res = await b.signIn('alice');
    assert.equal(res.statusCode, 303, res.body);
    assert.equal(res.headers.location, '/');
    const cookie = String(res.headers['set-cookie']);
    assert.match(cookie, /spin_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict/);
    assert.ok(!cookie.includes('Secure'), 'no Secure flag on plain HTTP (the browser would drop the cookie)');
    const page = await b.get('/');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<a href="\/projects\/demo\/stacks\/web">web<\/a>/);
    assert.match(page.body, /badge b-healthy">healthy/);
    assert.ok(!page.body.includes(tokens.alice), 'the token never appears in a page');
    assert.deepEqual(
      store.auditLog({action: 'dashboard.signin'}).map((e) => [e.user, e.outcome]),
      [['alice', 'ok']],
    );
  });

  test('a wrong token is refused with the form again, and audited', async () => {
    const b = new Browser();
    await b.get('/login');
    const res = await b.post('/login', {_csrf: b.csrf, token: 'spin_' + 'x'.repeat(43)});
    assert.equal(res.statusCode, 401);
    assert.match(res.body, /That token is invalid or was revoked/);
    assert.equal(b.cookies.has('spin_session'), false);
    assert.deepEqual(store.auditLog({action: 'dashboard.signin'}).map((e) => e.outcome), ['denied']);
  });

  test('wrong tokens from one address, on the form or the API, end in a 429 page for that address', async () => {
    const b = new Browser();
    for (let i = 0; i < 20; i++) {
      await b.get('/login');
      assert.equal((await b.post('/login', {_csrf: b.csrf, token: 'spin_wrong'})).statusCode, 401);
    }
    // The API's failures count for the same address: one limit per agent.
    for (let i = 0; i < 10; i++) assert.equal((await api.inject({method: 'GET', url: '/v1/whoami', headers: {authorization: 'Bearer spin_wrong'}})).statusCode, 401);
    await b.get('/login');
    const refused = await b.post('/login', {_csrf: b.csrf, token: tokens.alice});
    assert.equal(refused.statusCode, 429);
    assert.match(refused.body, /too many failed sign-ins/);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal(b.cookies.has('spin_session'), false, 'no session while refused');
    assert.equal(store.auditLog({action: 'dashboard.signin'}).filter((e) => e.outcome === 'denied').length, 20, 'each wrong token audited once, the refusals not');
  });

  test('a query string on the sign-in POST changes nothing', async () => {
    const b = new Browser();
    await b.get('/login');
    const res = await b.post('/login?next=/x', {_csrf: b.csrf, token: tokens.alice});
    assert.equal(res.statusCode, 303);
    assert.ok(b.cookies.has('spin_session'));
  });

  test('the sign-in form needs the value of its own cookie (login CSRF)', async () => {
    const b = new Browser();
    await b.get('/login');
    const res = await b.post('/login', {_csrf: 'not-the-cookie', token: tokens.alice});
    assert.equal(res.statusCode, 403);
    assert.equal(b.cookies.has('spin_session'), false);
  });

  test('signing out ends the session on the server, not only in the browser', async () => {
    const b = new Browser();
    await b.signIn('alice');
    await b.get('/');
    const session = b.cookies.get('spin_session')!;
    const res = await b.post('/logout', {_csrf: b.csrf});
    assert.equal(res.statusCode, 303);
    assert.equal(b.cookies.has('spin_session'), false);
    b.cookies.set('spin_session', session);
    assert.equal((await b.get('/')).statusCode, 303, 'the old cookie no longer opens a page');
    assert.deepEqual(store.auditLog({user: 'alice'}).map((e) => e.action), ['dashboard.signout', 'dashboard.signin']);
  });

  test('revoking the token signed in with ends its sessions', async () => {
    const b = new Browser();
    await b.signIn('alice');
    assert.equal((await b.get('/')).statusCode, 200);
    assert.equal(store.revokeToken(tokens.alice), 1);
    assert.equal((await b.get('/')).statusCode, 303);
  });
});

describe('security', () => {
  test('every answer carries the CSP and frame headers; pages have no inline script or style', async () => {
    await deploy(WEB);
    const b = new Browser();
    await b.signIn('alice');
    for (const url of ['/login', '/', '/projects/demo/stacks/web', '/projects/demo/stacks/web/revisions', '/projects/demo/stacks/web/logs', '/audit', '/nothing']) {
      const res = await b.get(url);
      assert.equal(res.headers['content-security-policy'], CSP, url);
      assert.match(CSP, /default-src 'self'/);
      assert.match(CSP, /frame-ancestors 'none'/);
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.ok(!/<script(?![^>]*\bsrc=)/.test(res.body), `${url}: inline script`);
      assert.ok(!/<style|\sstyle=/.test(res.body), `${url}: inline style`);
      assert.ok(!/\son[a-z]+=/.test(res.body), `${url}: inline event handler`);
    }
  });

  test('a POST without its CSRF token is refused and audited; with it, it goes through', async () => {
    const b = new Browser();
    await b.signIn('alice');
    await b.get('/');
    const refused = await b.post('/logout', {});
    assert.equal(refused.statusCode, 403);
    assert.ok(b.cookies.has('spin_session'), 'still signed in');
    const wrong = await b.post('/logout', {_csrf: 'x'.repeat(43)});
    assert.equal(wrong.statusCode, 403);
    assert.deepEqual(store.auditLog({action: 'dashboard.csrf'}).map((e) => [e.user, e.outcome]), [['alice', 'denied'], ['alice', 'denied']]);
    assert.equal((await b.post('/logout', {_csrf: b.csrf})).statusCode, 303);
  });

  test('JSON bodies and oversized forms are refused', async () => {
    const b = new Browser();
    await b.signIn('alice');
    const json = await web.inject({method: 'POST', url: '/logout', headers: {cookie: `spin_session=${b.cookies.get('spin_session')}`, 'content-type': 'application/json'}, payload: '{}'});
    assert.equal(json.statusCode, 400);
    assert.match(json.body, /unsupported content-type/);
    const big = await b.post('/logout', {_csrf: b.csrf, pad: 'x'.repeat(20_000)});
    assert.equal(big.statusCode, 413);
  });

  test("another project's stack is 404 like one that does not exist, and a POST to it is audited", async () => {
    await deploy(WEB);
    await deploy(WEB, 'web', 'other', 'bob');
    const b = new Browser();
    await b.signIn('bob');
    const foreign = await b.get('/projects/demo/stacks/web');
    const missing = await b.get('/projects/other/stacks/nothing');
    assert.equal(foreign.statusCode, 404);
    assert.equal(missing.statusCode, 404);
    assert.match(foreign.body, /project &quot;demo&quot; not found/);
    assert.equal((await b.get('/projects/demo')).statusCode, 404);
    assert.equal((await b.get('/projects/demo/stacks/web/logs/download')).statusCode, 404);
    assert.equal((await b.post('/projects/demo/stacks/web/rollback', {_csrf: b.csrf, to: '1'})).statusCode, 404);
    assert.deepEqual(store.auditLog({action: 'project.access'}).map((e) => [e.user, e.project, e.outcome]), [['bob', 'demo', 'denied']]);
    const own = await b.get('/projects/other/stacks/web');
    assert.equal(own.statusCode, 200);
  });

  test('users and tokens are for admins only, and never show a token value', async () => {
    const alice = new Browser();
    await alice.signIn('alice');
    assert.equal((await alice.get('/admin/users')).statusCode, 404);
    const root = new Browser();
    await root.signIn('root');
    const page = await root.get('/admin/users');
    assert.equal(page.statusCode, 200);
    for (const t of Object.values(tokens)) {
      assert.ok(!page.body.includes(t), 'no token value');
      assert.ok(page.body.includes(`${t.slice(0, 13)}…`), 'the display prefix names it');
    }
  });

  test('nodes: on a cluster admins see them with their replica counts; on one host there is no such page', async () => {
    const root = new Browser();
    await root.signIn('root');
    assert.ok(!(await root.get('/')).body.includes('/admin/nodes'), 'no Nodes link on a single host');
    assert.equal((await root.get('/admin/nodes')).statusCode, 404);
    const node = {address: '10.0.0.2', role: 'worker' as const, availability: 'drain', state: 'ready', leader: false, labels: {pool: 'bio'}, replicas: 0};
    Object.assign(fake, {
      nodes: async () => [
        {...node, id: 'n1aaaaaaaaaaaaaaaaaaaaaaaa', address: '10.0.0.1', role: 'manager' as const, availability: 'active', leader: true, labels: {}, replicas: 4},
        {...node, id: 'n2<script>bbbbbbbbbbbbbbbbbbb'},
      ],
    });
    const page = await root.get('/admin/nodes');
    assert.equal(page.statusCode, 200);
    assert.match((await root.get('/')).body, /<a href="\/admin\/nodes">Nodes<\/a>/);
    assert.match(page.body, /<td>10\.0\.0\.1<\/td><td>manager \(leader\)<\/td><td>active<\/td><td><span class="badge b-ready">ready<\/span><\/td><td class="num">4<\/td>/);
    assert.match(page.body, /<span class="badge b-drain">drain<\/span>/);
    assert.match(page.body, /<code>pool=bio<\/code>/);
    assert.ok(!page.body.includes('<script>b'), 'node fields are escaped');
    const alice = new Browser();
    await alice.signIn('alice');
    assert.equal((await alice.get('/admin/nodes')).statusCode, 404, 'not for users');
    assert.ok(!(await alice.get('/')).body.includes('/admin/nodes'));
  });

  test('log lines and audit details are escaped', async () => {
    await deploy(WEB);
    fake.logLines = [{service: 'web', replica: 1, stream: 'stdout', timestamp: '2026-01-01T00:00:00Z', line: '<img src=x onerror=alert(1)>'}];
    const b = new Browser();
    await b.signIn('alice');
    const logs = await b.get('/projects/demo/stacks/web/logs');
    assert.ok(logs.body.includes('web-1 | &lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(!logs.body.includes('<img'));
  });
});

describe('pages', () => {
  test('health at a glance: a failed deploy reads "failed", on the list and the stack', async () => {
    await deploy(WEB);
    fake.outcome = 'failed';
    const res = await api.inject({method: 'POST', url: '/v1/projects/demo/stacks/web/deploy', headers: {authorization: `Bearer ${tokens.alice}`}, payload: {model: {services: {web: {...WEB.services.web, command: ['false']}}}}});
    assert.equal(res.json().outcome, 'failed');
    // (The fake engine fails the automatic rollback too, so the revision stays failed.)
    assert.deepEqual([...store.latestOutcomes('demo')], [['web', 'failed']]);
    const b = new Browser();
    await b.signIn('alice');
    assert.match((await b.get('/')).body, /<tr data-stack="web">.*badge b-failed">failed</);
    assert.match((await b.get('/projects/demo/stacks/web')).body, /<h1>web <span class="badge b-failed">failed<\/span>/);
  });

  test('while a deploy from the CLI rolls out, the stack reads "updating" and its page reloads itself', async () => {
    await deploy(WEB);
    let release!: () => void;
    fake.gate = new Promise((r) => (release = r));
    const running = deploy({services: {web: {...WEB.services.web, command: ['httpd', '-f', '-v']}}});
    const b = new Browser();
    await b.signIn('alice');
    await until(async () => /badge b-updating">updating/.test((await b.get('/')).body));
    const page = await b.get('/projects/demo/stacks/web');
    assert.match(page.body, /<meta http-equiv="refresh" content="3">/);
    release();
    await running;
    const after = await b.get('/projects/demo/stacks/web');
    assert.match(after.body, /badge b-healthy">healthy/);
    assert.ok(!after.body.includes('http-equiv="refresh"'));
  });

  test('a stack page lists services and replicas; revisions compare without showing environment values', async () => {
    await deploy(WEB);
    await deploy({services: {web: {...WEB.services.web, environment: {DB_PASSWORD: 'hunter3'}, command: ['httpd', '-f', '-v']}}});
    const b = new Browser();
    await b.signIn('alice');
    const page = await b.get('/projects/demo/stacks/web');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<td>web-1<\/td>/);
    const revisions = await b.get('/projects/demo/stacks/web/revisions');
    assert.match(revisions.body, /data-revision="2"/);
    assert.match(revisions.body, /href="\/projects\/demo\/stacks\/web\/revisions\/1\/rollback"/);
    const diff = await b.get('/projects/demo/stacks/web/revisions/compare?from=1&to=2');
    assert.equal(diff.statusCode, 200);
    assert.match(diff.body, /<code>command<\/code><\/td><td><code class="from">\[&quot;httpd&quot;,&quot;-f&quot;\]/);
    assert.match(diff.body, /<code>environment\.DB_PASSWORD<\/code>/);
    assert.ok(!diff.body.includes('hunter'), 'environment values are hidden');
    assert.equal((await b.get('/projects/demo/stacks/web/revisions/compare?from=1&to=9')).statusCode, 404);
  });

  test('a rollback from the page asks first, then runs as a new revision, audited as the user', async () => {
    await deploy(WEB);
    await deploy({services: {web: {...WEB.services.web, command: ['httpd', '-f', '-v']}}});
    const b = new Browser();
    await b.signIn('alice');
    const confirm = await b.get('/projects/demo/stacks/web/revisions/1/rollback');
    assert.match(confirm.body, /Roll back web to revision 1\?/);
    const started = await b.post('/projects/demo/stacks/web/rollback', {_csrf: b.csrf, to: '1'});
    assert.equal(started.statusCode, 303, started.body);
    const progress = String(started.headers.location);
    assert.match(progress, /^\/projects\/demo\/stacks\/web\/operations\/[A-Za-z0-9_-]{43}$/);
    const events = await b.get(`${progress}/events?after=0`);
    assert.match(String(events.headers['content-type']), /^text\/event-stream/);
    assert.match(events.body, /event: done\ndata: \{"outcome":"healthy","revision":3,"error":null\}/);
    const page = await b.get(progress);
    assert.match(page.body, /New revision <strong id="op-revision">3<\/strong>/);
    assert.deepEqual(store.auditLog({action: 'stack.rollback'}).map((e) => [e.user, e.outcome, e.detail]), [['alice', 'ok', 'revision 3: healthy (from the dashboard)']]);
    const bob = new Browser();
    await bob.signIn('bob');
    assert.equal((await bob.get(progress)).statusCode, 404, "another project's operation is not found");
  });

  test('an upgrade from the page: a new image for one service, as a new revision, followed live and audited', async () => {
    await deploy(WEB);
    const b = new Browser();
    await b.signIn('alice');
    const form = await b.get('/projects/demo/stacks/web/upgrade');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<td>web<\/td><td><code>busybox<\/code><\/td>/);
    const nothing = await b.post('/projects/demo/stacks/web/upgrade', {_csrf: b.csrf});
    assert.equal(nothing.statusCode, 400);
    assert.match(nothing.body, /Choose at least one service/);
    assert.equal((await b.post('/projects/demo/stacks/web/upgrade', {'image-web': 'busybox:1.37'})).statusCode, 403, 'no CSRF token, no upgrade');
    await b.get('/projects/demo/stacks/web/upgrade');
    const started = await b.post('/projects/demo/stacks/web/upgrade', {_csrf: b.csrf, 'image-web': 'busybox:1.37'});
    assert.equal(started.statusCode, 303, started.body);
    const progress = String(started.headers.location);
    const events = await b.get(`${progress}/events?after=0`);
    assert.match(events.body, /event: done\ndata: \{"outcome":"healthy","revision":2,"error":null\}/);
    assert.equal(store.revision({project: 'demo', stack: 'web'}, 2)?.model.services.web.image, 'busybox:1.37');
    assert.deepEqual(store.auditLog({action: 'stack.upgrade'}).map((e) => [e.user, e.outcome, e.detail]), [['alice', 'ok', 'revision 2: healthy (from the dashboard; web)']]);
    const bob = new Browser();
    await bob.signIn('bob');
    assert.equal((await bob.get('/projects/demo/stacks/web/upgrade')).statusCode, 404, "another project's stack");
    assert.equal((await bob.post('/projects/demo/stacks/web/upgrade', {_csrf: bob.csrf, 'image-web': 'evil'})).statusCode, 404);
  });

  test('a deploy started from the CLI is followed live from the stack page, by its own project only', async () => {
    await deploy(WEB);
    let release!: () => void;
    fake.gate = new Promise((resolve) => (release = resolve));
    const started = new Promise<void>((resolve) => (fake.onDeployStart = resolve));
    const running = deploy({services: {web: {...WEB.services.web, command: ['httpd', '-f', '-v']}}});
    await started;
    const b = new Browser();
    await b.signIn('alice');
    const page = await b.get('/projects/demo/stacks/web');
    const link = /A deploy by alice is rolling out: <a href="([^"]+)">follow it live<\/a>/.exec(page.body);
    assert.ok(link, page.body);
    assert.match(page.body, /<h1>web <[^>]*>updating</);
    const bob = new Browser();
    await bob.signIn('bob');
    assert.equal((await bob.get(link[1])).statusCode, 404, "another project's change is not found");
    release();
    await running;
    const events = await b.get(`${link[1]}/events?after=0`);
    assert.match(events.body, /event: line\ndata: "[^"]*create {2}web-1: creating web"/);
    assert.match(events.body, /event: done\ndata: \{"outcome":"healthy","revision":2,"error":null\}/);
    assert.doesNotMatch((await b.get('/projects/demo/stacks/web')).body, /follow it live/, 'nothing in flight once it ended');
  });

  test('logs: a stream of server-sent events in batches, and a plain-text download', async () => {
    await deploy(WEB);
    fake.logLines = Array.from({length: 3}, (_, i) => ({service: 'web', replica: 1, stream: 'stdout' as const, timestamp: '2026-01-01T00:00:00Z', line: `line ${i}`}));
    const b = new Browser();
    await b.signIn('alice');
    const stream = await b.get('/projects/demo/stacks/web/logs/stream?tail=10');
    assert.equal(stream.statusCode, 200);
    const data = stream.body.split('\n\n')[0];
    assert.equal(data.split('\n').length, 3, 'lines at hand go out as one event');
    assert.equal(data.split('\n')[2], 'data: web-1 | line 2', 'display lines, prefixed by the agent');
    assert.match(stream.body, /event: end/);
    assert.deepEqual((fake.callsOf('logs').at(-1)!.args as {follow: boolean; tail: number}).follow, true);
    const download = await b.get('/projects/demo/stacks/web/logs/download?service=web&tail=0');
    assert.match(String(download.headers['content-disposition']), /attachment; filename="demo-web-web-logs.txt"/);
    assert.equal(download.body, 'web-1 | line 0\nweb-1 | line 1\nweb-1 | line 2\n');
    assert.equal((await b.get('/projects/demo/stacks/web/logs?service=nope')).statusCode, 400);
    assert.equal((await b.get('/projects/demo/stacks/web/logs?tail=99999')).statusCode, 400);
    fake.logLines = [{service: 'web', replica: 2, stream: 'stdout', timestamp: '2026-01-01T00:00:00Z', line: '50%\r100%'}];
    const progress = await b.get('/projects/demo/stacks/web/logs/stream?tail=10');
    assert.equal(progress.body.split('\n\n')[0], 'data: web-2 | 50%\u240d100%', 'a carriage return cannot end the data line early');
  });

  test('the audit log filters by user, action and stack within the projects one may see', async () => {
    await deploy(WEB);
    await deploy(WEB, 'api');
    await deploy(WEB, 'web', 'other', 'bob');
    const b = new Browser();
    await b.signIn('alice');
    const all = await b.get('/audit');
    assert.equal((all.body.match(/<code>stack\.deploy<\/code>/g) ?? []).length, 2);
    const one = await b.get('/audit?project=demo&stack=api&action=stack.deploy&user=alice');
    assert.equal((one.body.match(/<code>stack\.deploy<\/code>/g) ?? []).length, 1);
    assert.equal((await b.get('/audit?project=other')).statusCode, 404);
  });
});

describe('stack health', () => {
  test('from the newest revision first, then the replicas', async () => {
    const {stackHealth} = await import('../../../src/lib/dashboard/views.ts');
    assert.equal(stackHealth('pending', 1, 1), 'updating');
    assert.equal(stackHealth('rolled-back', 1, 1), 'rolled back');
    assert.equal(stackHealth('timeout', 1, 1), 'failed');
    assert.equal(stackHealth('healthy', 0, 2), 'stopped');
    assert.equal(stackHealth('healthy', 1, 2), 'failed');
    assert.equal(stackHealth('healthy', 2, 2), 'healthy');
    assert.equal(stackHealth(undefined, 0, 0), 'healthy');
  });
});
