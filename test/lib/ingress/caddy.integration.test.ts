// The Caddy driver against a real Caddy: a child of its own (files only under its folder, adopted
// by the next agent after a crash, stopped on close) and an existing Caddy with an empty config
// driven through its admin API (only Spin's server is written, and removed on close).

import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';

import {CaddyAdmin, CaddyChild, freePort, onPath} from '../../../src/lib/ingress/caddy.ts';

const skip = onPath('caddy') ? false : 'caddy is not on PATH: install it (`apt-get install caddy`, scripts/setup.sh does) to run the ingress tests';
const dirs: string[] = [];
const pids: number[] = [];

function get(port: number, host: string): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    http
      .get({host: '127.0.0.1', port, path: '/', headers: {host}, agent: false}, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({status: res.statusCode ?? 0, body}));
      })
      .on('error', reject);
  });
}

/** A plain upstream on 127.0.0.1 answering with its name. */
async function upstream(name: string): Promise<{address: string; close: () => void}> {
  const server = http.createServer((req, res) => res.end(`${name} for ${req.headers.host}\n`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as {port: number}).port;
  return {address: `127.0.0.1:${port}`, close: () => server.close()};
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'spin-caddy-'));
  dirs.push(dir);
  return dir;
}

after(() => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already stopped
    }
  }
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true});
});

describe('Caddy as the ingress', {skip}, () => {
  test('routes change under load without a failed or retried request (the TCP listener never reloads)', async () => {
    const {startLoad} = await import('../../helpers/load.ts');
    const port = await freePort();
    const ups = await Promise.all(['a', 'b', 'c'].map((n) => upstream(n)));
    const caddy = await CaddyChild.start({dir: tempDir(), listen: `127.0.0.1:${port}`});
    try {
      const route = (n: number) => [{host: 'web.s.p.localhost', owner: 'p/s/web', upstreams: ups.slice(0, n).map((u) => u.address)}];
      await caddy.apply(route(3));
      const load = startLoad({port, host: 'web.s.p.localhost', rate: 300});
      for (let i = 0; i < 30; i++) {
        await caddy.apply(route(1 + (i % 3)));
        await new Promise((r) => setTimeout(r, 50));
      }
      const report = await load.stop();
      assert.deepEqual({failed: report.failed, retried: report.retried, errors: report.errors}, {failed: 0, retried: 0, errors: []});
      assert.ok(report.ok > 300, `${report.ok} answers`);
    } finally {
      await caddy.close();
      for (const u of ups) u.close();
    }
  });

  test('a Caddy of its own routes by host, answers 503 and 404, keeps its files in its folder, is adopted after a crash and stopped on close', async () => {
    const dir = tempDir();
    const port = await freePort();
    const listen = `127.0.0.1:${port}`;
    const [a, b] = [await upstream('a'), await upstream('b')];
    try {
      const caddy = await CaddyChild.start({dir, listen});
      const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {pid: number; frontPid: number; admin: string};
      pids.push(state.pid, state.frontPid);
      assert.match(state.admin, /^http:\/\/127\.0\.0\.1:\d+$/);
      await caddy.apply([
        {host: 'web.s.p.localhost', owner: 'p/s/web', upstreams: [a.address, b.address]},
        {host: 'api.s.p.localhost', owner: 'p/s/api', upstreams: []},
      ]);
      const bodies = new Set<string>();
      for (let i = 0; i < 6; i++) bodies.add((await get(port, 'web.s.p.localhost')).body);
      assert.deepEqual([...bodies].sort(), ['a for web.s.p.localhost\n', 'b for web.s.p.localhost\n']);
      assert.deepEqual(await get(port, 'api.s.p.localhost'), {status: 503, body: 'no healthy replica of p/s/api\n'});
      assert.deepEqual(await get(port, 'other.example.org'), {status: 404, body: 'no service answers to this host name\n'});

      // No TLS app, no autosave: nothing but what Spin wrote, Caddy's log and its own HOME.
      const config = JSON.parse(readFileSync(join(dir, 'caddy.json'), 'utf8')) as {apps: object};
      assert.deepEqual(Object.keys(config.apps), ['http']);
      assert.deepEqual(readdirSync(dir).sort(), ['caddy.json', 'caddy.log', 'front.json', 'home', 'ingress.sock', 'state.json']);
      assert.equal(existsSync(join(dir, 'home', 'data', 'caddy', 'pki')), false, 'no local CA was made');

      // The agent dies without closing: the next one adopts the same Caddy, routes intact.
      const again = await CaddyChild.start({dir, listen});
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')), state);
      assert.equal((await get(port, 'web.s.p.localhost')).status, 200);
      await again.apply([]);
      assert.equal((await get(port, 'web.s.p.localhost')).status, 404);
      await again.close();
      for (const pid of [state.pid, state.frontPid]) assert.throws(() => process.kill(pid, 0), {code: 'ESRCH'});
      assert.equal(existsSync(join(dir, 'state.json')), false);
    } finally {
      a.close();
      b.close();
    }
  });

  test('a Caddy that cannot listen is reported with its own words and a hint', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as {port: number}).port;
    try {
      await assert.rejects(CaddyChild.start({dir: tempDir(), listen: `127.0.0.1:${port}`}), (err: Error & {hint?: string}) => {
        assert.match(err.message, new RegExp(`^the ingress proxy \\(Caddy\\) did not start: 127\\.0\\.0\\.1:${port} is already in use by another program`));
        assert.equal(err.hint, `check that nothing else listens on 127.0.0.1:${port} (the ingress address) and look at the lines above`);
        return true;
      });
    } finally {
      busy.close();
    }
  });

  test('an existing Caddy with an empty config gets Spin\'s server only, and loses it on close', async () => {
    const dir = tempDir();
    const adminPort = await freePort();
    const port = await freePort();
    const file = join(dir, 'own.json');
    writeFileSync(file, JSON.stringify({admin: {listen: `127.0.0.1:${adminPort}`, config: {persist: false}}}));
    const child = spawn('caddy', ['run', '--config', file], {env: {PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: join(dir, 'c'), XDG_DATA_HOME: join(dir, 'd')}, stdio: 'ignore'});
    pids.push(child.pid ?? -1);
    const up = await upstream('u');
    try {
      const admin = new CaddyAdmin(`http://127.0.0.1:${adminPort}`, `127.0.0.1:${port}`);
      for (let i = 0; ; i++) {
        if (await admin.call('GET', '/config/').then(() => true, () => false)) break;
        if (i > 100) assert.fail('the Caddy under test did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
      await admin.apply([{host: 'web.s.p.localhost', owner: 'p/s/web', upstreams: [up.address]}]);
      assert.deepEqual(await get(port, 'web.s.p.localhost'), {status: 200, body: 'u for web.s.p.localhost\n'});
      assert.deepEqual(Object.keys((await admin.call('GET', '/config/apps/http/servers')) as object), ['spin']);
      await admin.close();
      assert.deepEqual(await admin.call('GET', '/config/apps/http/servers'), {});
    } finally {
      up.close();
      child.kill('SIGKILL');
    }
  });
});
