// The dashboard in a real browser: Debian's Chromium driven by playwright-core, against a real
// agent on the real engine, with stacks deployed through the CLI. What a user does: sign in, see
// the stack, follow its logs while lines are written, roll back from the page, sign out; and what
// an attacker tries: another project's stack, a POST without its CSRF token, inline script.

import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {after, before, describe, test} from 'node:test';

import {chromium, type Browser, type BrowserContext, type Page} from 'playwright-core';

import {CHROMIUM, startDashboardLab, type DashboardLab} from '../helpers/dashboard.ts';
import {dockerClient} from '../helpers/docker.ts';

const docker = dockerClient();
let lab: DashboardLab;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every console error and CSP report the pages produced. */
const problems: string[] = [];

before(async () => {
  lab = await startDashboardLab(docker);
  await lab.deploy('web', 'one');
  await lab.deploy('web', 'two');
  await lab.deploy('web', 'bobs', {token: lab.tokens.bob, project: lab.projectB});
  // Chromium's sandbox needs user namespaces a root test run does not have.
  browser = await chromium.launch({executablePath: CHROMIUM, args: ['--no-sandbox']});
  context = await browser.newContext({acceptDownloads: true});
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
}, {timeout: 240_000});

after(async () => {
  await browser?.close();
  await lab?.cleanup();
});

/** Polls (the page's CSP rightly forbids the eval that page.waitForFunction would use). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stackUrl = (project = lab.projectA, stack = 'web') => `${lab.url}/projects/${project}/stacks/${stack}`;

describe('the dashboard in Chromium', {timeout: 240_000}, () => {
  test('signing in with a token shows the stack deployed through the CLI, healthy', async () => {
    const first = await page.goto(`${lab.url}/`);
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.match(first!.headers()['content-security-policy'], /default-src 'self'/);
    await page.getByLabel('Token').fill(lab.tokens.alice);
    await page.getByRole('button', {name: 'Sign in'}).click();
    await page.waitForURL(`${lab.url}/`);
    const row = page.locator('tr[data-stack="web"]');
    await row.waitFor();
    assert.equal(await row.locator('.badge').textContent(), 'healthy');
    assert.match((await row.textContent())!, /1\/1/);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'spin_session')!;
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.ok(!page.url().includes('spin_'), 'no token in the URL');
  });

  test('the stack page shows the replica, its state, health and image digest; no inline script', async () => {
    const res = await page.goto(stackUrl());
    assert.equal(res!.status(), 200);
    assert.equal(res!.headers()['x-frame-options'], 'DENY');
    assert.match(res!.headers()['content-security-policy'], /script-src 'self'/);
    const replica = page.locator('tbody tr', {hasText: 'web-1'});
    assert.match((await replica.textContent())!, /running/);
    assert.match((await replica.textContent())!, /healthy/);
    const scripts = await page.$$eval('script', (all) => all.map((s) => ({src: s.getAttribute('src'), text: s.textContent})));
    assert.ok(scripts.length > 0);
    for (const s of scripts) {
      assert.ok(s.src?.startsWith('/assets/'), `script from the agent itself: ${s.src}`);
      assert.equal(s.text, '');
    }
    assert.equal(await page.locator('[style]').count(), 0, 'no inline style attributes');
  });

  test('live logs follow lines as they are written; pause, filter and download work', async () => {
    await page.goto(`${stackUrl()}/logs`);
    await page.locator('#log-tools').waitFor({state: 'visible'});
    const log = page.locator('#log');
    await log.getByText('started: two').waitFor();
    await lab.say('web', Array.from({length: 200}, (_, i) => `marker-${i}`).join('\n'));
    await log.getByText('marker-199', {exact: false}).waitFor();
    assert.equal(await log.locator('div', {hasText: /marker-\d+$/}).count(), 200);

    await page.getByRole('button', {name: 'Pause'}).click();
    await lab.say('web', 'while-paused');
    await page.waitForTimeout(1500);
    assert.equal(await log.getByText('while-paused').count(), 0, 'paused: new lines are held back');
    await page.getByRole('button', {name: 'Follow'}).click();
    await log.getByText('while-paused').waitFor();

    await page.getByLabel('Filter').fill('marker-19');
    await until(async () => (await log.locator('div').count()) === 11, 'the filter leaves the 11 lines with marker-19');
    const shown = await log.locator('div').allTextContents();
    assert.ok(shown.every((l) => l.includes('marker-19')), shown.join('\n'));
    await page.getByLabel('Filter').fill('');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', {name: 'Download'}).click()]);
    const text = await readFile((await download.path())!, 'utf8');
    assert.match(text, /^web-1 \| marker-199$/m);
    assert.match(download.suggestedFilename(), /-web-logs\.txt$/);
  });

  test('a rollback from the revisions page asks, shows progress and ends in a new revision', async () => {
    await page.goto(`${stackUrl()}/revisions`);
    await page.getByRole('link', {name: 'Roll back to 1'}).click();
    await page.getByRole('heading', {name: /Roll back web to revision 1\?/}).waitFor();
    assert.match((await page.locator('main').textContent())!, /environment\.MESSAGE/);
    await page.getByRole('button', {name: 'Roll back to revision 1'}).click();
    await page.waitForURL(/\/operations\//);
    // The progress page reloads itself when the rollout ends and then names the new revision.
    await page.locator('#op-revision').waitFor({timeout: 90_000});
    assert.equal(await page.locator('#op-revision').textContent(), '3');
    assert.equal(await page.locator('#op-outcome .badge').textContent(), 'healthy');
    await page.goto(`${stackUrl()}/revisions`);
    const row = page.locator('tr[data-revision="3"]');
    assert.match((await row.textContent())!, /current/);
    assert.match((await row.textContent())!, /alice/);
    await page.goto(`${lab.url}/audit?project=${lab.projectA}&action=stack.rollback`);
    assert.match((await page.locator('tbody').textContent())!, /from the dashboard/);
  });

  test('an upgrade from the page rolls web onto a new image and ends in a new revision', async (t) => {
    const [repo] = lab.image.split(':');
    const next = `${repo}:next`;
    await docker.getImage(lab.image).tag({repo, tag: 'next'});
    t.after(() => docker.getImage(next).remove().catch(() => undefined));
    await page.goto(stackUrl());
    await page.getByRole('link', {name: 'Upgrade'}).click();
    await page.getByLabel('New image for web').fill(next);
    await page.getByRole('button', {name: 'Upgrade'}).click();
    await page.waitForURL(/\/operations\//);
    await page.locator('#op-revision').waitFor({timeout: 90_000});
    assert.equal(await page.locator('#op-revision').textContent(), '4');
    assert.equal(await page.locator('#op-outcome .badge').textContent(), 'healthy');
    await page.goto(`${stackUrl()}/revisions`);
    const row = page.locator('tr[data-revision="4"]');
    assert.match((await row.textContent())!, /current/);
    assert.match((await row.textContent())!, /:next/);
    const [container] = await docker.listContainers({filters: {label: [`org.spin.project=${lab.projectA}`, 'org.spin.stack=web']}});
    assert.equal(container.Image, next, 'the engine runs the new image');
  });

  test("another project's stack is 404, like a stack that does not exist", async () => {
    const foreign = await page.goto(stackUrl(lab.projectB, 'web'));
    assert.equal(foreign!.status(), 404);
    const missing = await page.goto(stackUrl(lab.projectA, 'nothing'));
    assert.equal(missing!.status(), 404);
  });

  test('a POST without its CSRF token is refused, with the session cookie sent', async () => {
    await page.goto(`${lab.url}/`);
    const res = await page.request.post(`${lab.url}/logout`, {form: {x: '1'}, maxRedirects: 0});
    assert.equal(res.status(), 403);
    await page.goto(`${lab.url}/`);
    assert.equal(new URL(page.url()).pathname, '/', 'still signed in');
  });

  test('spin dashboard prints the URL the agent reports', async () => {
    const r = await lab.spin(['dashboard', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {url: lab.url, context: 'env'});
  });

  test('signing out ends the session: pages go back to the sign-in form', async () => {
    await page.goto(`${lab.url}/`);
    await page.getByRole('button', {name: 'Sign out'}).click();
    await page.waitForURL(`${lab.url}/login`);
    await page.goto(stackUrl());
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.deepEqual(problems.filter((p) => /Content Security Policy|Refused/.test(p)), [], 'no CSP violations');
  });
});
