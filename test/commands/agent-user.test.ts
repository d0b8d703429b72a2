import assert from 'node:assert/strict';
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {pathToFileURL} from 'node:url';
import {after, before, describe, test} from 'node:test';

import {ROOT, runSpin} from '../helpers/cli.ts';

const TOKEN_LINE = /^spin_[A-Za-z0-9_-]{43}\n$/;
const STORE_URL = pathToFileURL(join(ROOT, 'src/lib/agent/store.ts')).href;

let root: string;
let n = 0;
/** A fresh data directory per test, inside one temp folder removed at the end. */
const dataDir = () => join(root, `data-${++n}`);
const addAlice = (dir: string, ...extra: string[]) => runSpin(['agent', 'user', 'add', 'alice', '--uid', '41234', '--gid', '500', '--project', 'demo', '--data-dir', dir, ...extra]);

before(() => {
  root = mkdtempSync(join(tmpdir(), 'spin-agent-cli-'));
});

after(() => {
  rmSync(root, {recursive: true, force: true});
});

describe('spin agent user add', () => {
  test('prints the token alone on stdout, the rest on stderr', async () => {
    const r = await addAlice(dataDir());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, TOKEN_LINE);
    assert.equal(
      r.stderr,
      'created user "alice" (uid 41234, gid 500, project demo)\n' +
        'hint: the token is shown only this once; give it to alice for `spin login URL --token TOKEN`\n',
    );
  });

  test('--json prints the user and the token', async () => {
    const r = await runSpin(['agent', 'user', 'add', 'ops', '--uid', '900', '--gid', '0', '--admin', '-p', 'web', '-p', 'demo', '--data-dir', dataDir(), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(json).sort(), ['admin', 'createdAt', 'gid', 'id', 'name', 'projects', 'token', 'uid']);
    assert.deepEqual({...json, createdAt: undefined, token: undefined}, {id: 1, name: 'ops', uid: 900, gid: 0, admin: true, projects: ['demo', 'web'], createdAt: undefined, token: undefined});
    assert.match(json.token + '\n', TOKEN_LINE);
    assert.match(json.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(r.stderr, /hint: the token is shown only this once/);
  });

  test('a user that exists: exit 3 with a hint to create a token instead', async () => {
    const dir = dataDir();
    assert.equal((await addAlice(dir)).code, 0);
    const r = await addAlice(dir);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: user "alice" already exists\nhint: to give "alice" a new token, run `spin agent token create alice`\n');
  });

  test('refused input: uid 0 and bad project names exit 3, malformed flags exit 2', async () => {
    const dir = dataDir();
    const add = (...args: string[]) => runSpin(['agent', 'user', 'add', ...args, '--data-dir', dir]);
    const root0 = await add('root', '--uid', '0', '--gid', '0', '-p', 'demo');
    assert.equal(root0.code, 3);
    assert.match(root0.stderr, /^error: uid 0 \(root\) is refused for user "root"\nhint: the platform never runs services as root/);
    const project = await add('bob', '--uid', '5', '--gid', '5', '-p', 'My_Project');
    assert.equal(project.code, 3);
    assert.match(project.stderr, /^error: project name "My_Project" is not valid\nhint: a project name is a DNS label/);
    for (const args of [
      ['bob', '--uid', 'abc', '--gid', '5', '-p', 'demo'],
      ['bob', '--uid', '-1', '--gid', '5', '-p', 'demo'],
      ['bob', '--uid', '5', '-p', 'demo'],
      ['--uid', '5', '--gid', '5', '-p', 'demo'],
      ['bob', '--uid', '5', '--gid', '5', '--bogus'],
    ]) {
      const r = await add(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /hint: see `spin agent user add --help`/);
    }
    const ls = await runSpin(['agent', 'user', 'ls', '--data-dir', dir, '--json']);
    assert.deepEqual(JSON.parse(ls.stdout), {users: []});
  });

  test('SPIN_DATA_DIR, else the XDG state directory, when --data-dir is not given', async () => {
    const viaEnv = dataDir();
    const r = await runSpin(['agent', 'user', 'add', 'alice', '--uid', '1000', '--gid', '1000', '-p', 'demo'], {env: {SPIN_DATA_DIR: viaEnv}});
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(viaEnv, 'spin.db')));
    const home = dataDir();
    const d = await runSpin(['agent', 'user', 'add', 'alice', '--uid', '1000', '--gid', '1000', '-p', 'demo'], {env: {SPIN_DATA_DIR: undefined, XDG_STATE_HOME: undefined, HOME: home}});
    assert.equal(d.code, 0, d.stderr);
    assert.ok(existsSync(join(home, '.local/state/spin/agent/spin.db')));
  });
});

describe('spin agent user ls', () => {
  test('a table when piped, JSON with --json', async () => {
    const dir = dataDir();
    await addAlice(dir);
    await runSpin(['agent', 'user', 'add', 'bob', '--uid', '1001', '--gid', '600', '-p', 'web', '-p', 'demo', '--data-dir', dir]);
    const r = await runSpin(['agent', 'user', 'ls', '--data-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'NAME    UID     GID   ADMIN   PROJECTS   CREATED');
    assert.match(lines[1], /^alice {3}41234 {3}500 {3}no {6}demo {7}\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    assert.match(lines[2], /^bob {5}1001 {4}600 {3}no {6}demo,web {3}\d{4}-/);
    assert.equal(lines.length, 4);
    const json = JSON.parse((await runSpin(['agent', 'user', 'ls', '--data-dir', dir, '--json'])).stdout);
    assert.deepEqual(json.users.map((u: {name: string; projects: string[]}) => [u.name, u.projects]), [['alice', ['demo']], ['bob', ['demo', 'web']]]);
  });

  test('no users: nothing on stdout, a hint on stderr', async () => {
    const r = await runSpin(['agent', 'user', 'ls', '--data-dir', dataDir()]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'no users yet\nhint: create one with `spin agent user add NAME --uid U --gid G --project P`\n');
  });
});

describe('spin agent token', () => {
  test('create, ls and revoke; ls never shows a token', async () => {
    const dir = dataDir();
    const first = (await addAlice(dir)).stdout.trim();
    const created = await runSpin(['agent', 'token', 'create', 'alice', '--data-dir', dir]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, TOKEN_LINE);
    const second = created.stdout.trim();
    assert.equal(created.stderr, `created a token for "alice" (${second.slice(0, 13)}…)\nhint: the token is shown only this once; give it to alice for \`spin login URL --token TOKEN\`\n`);

    const asJson = JSON.parse((await runSpin(['agent', 'token', 'create', 'alice', '--data-dir', dir, '--json'])).stdout);
    assert.deepEqual(Object.keys(asJson), ['user', 'token', 'prefix']);
    assert.equal(asJson.prefix, asJson.token.slice(0, 13));

    const ls = await runSpin(['agent', 'token', 'ls', '--data-dir', dir]);
    assert.equal(ls.code, 0, ls.stderr);
    const lines = ls.stdout.trimEnd().split('\n');
    assert.equal(lines[0].replace(/ +/g, ' '), 'ID USER PREFIX CREATED LAST USED REVOKED');
    assert.deepEqual(lines.slice(1).map((l) => l.split(/ +/).slice(0, 3)), [
      ['1', 'alice', first.slice(0, 13)],
      ['2', 'alice', second.slice(0, 13)],
      ['3', 'alice', asJson.prefix],
    ]);
    for (const t of [first, second, asJson.token]) assert.equal(ls.stdout.includes(t.slice(13)), false);

    const revoke = await runSpin(['agent', 'token', 'revoke', second.slice(0, 13), '--data-dir', dir]);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.equal(revoke.stdout, '');
    assert.equal(revoke.stderr, 'revoked 1 token\n');
    const byId = await runSpin(['agent', 'token', 'revoke', '1', '--data-dir', dir, '--json']);
    assert.equal(byId.stdout, '{"revoked":1}\n');
    const again = await runSpin(['agent', 'token', 'revoke', '1', '--data-dir', dir]);
    assert.equal(again.code, 3);
    assert.equal(again.stderr, 'error: no active token matches "1"\nhint: list tokens with `spin agent token ls` and pass the ID or the whole PREFIX\n');

    const json = JSON.parse((await runSpin(['agent', 'token', 'ls', '--user', 'alice', '--data-dir', dir, '--json'])).stdout);
    assert.deepEqual(json.tokens.map((t: {id: number; revokedAt?: string}) => [t.id, Boolean(t.revokedAt)]), [[1, true], [2, true], [3, false]]);
    assert.deepEqual(Object.keys(json.tokens[0]).sort(), ['createdAt', 'id', 'prefix', 'revokedAt', 'user']);
  });

  test('unknown users and missing arguments', async () => {
    const dir = dataDir();
    await addAlice(dir);
    const create = await runSpin(['agent', 'token', 'create', 'nobody', '--data-dir', dir]);
    assert.equal(create.code, 3);
    assert.equal(create.stdout, '');
    assert.match(create.stderr, /^error: user "nobody" does not exist\nhint: /);
    const ls = await runSpin(['agent', 'token', 'ls', '--user', 'nobody', '--data-dir', dir]);
    assert.equal(ls.code, 3);
    assert.equal((await runSpin(['agent', 'token', 'revoke', '--data-dir', dir])).code, 2);
    assert.equal((await runSpin(['agent', 'token', 'create', '--data-dir', dir])).code, 2);
  });
});

describe('beside a running agent', () => {
  /**
   * Another process with the store open, like `spin agent start`, which also holds a write
   * transaction for a second when told to, and answers "authenticate TOKEN" requests.
   */
  function agentLike(dir: string): {child: ChildProcessWithoutNullStreams; ask: (line: string) => Promise<string>} {
    const script = `
      import {DatabaseSync} from 'node:sqlite';
      import {createInterface} from 'node:readline';
      import {openStore} from ${JSON.stringify(STORE_URL)};
      const store = openStore(${JSON.stringify(dir)});
      const raw = new DatabaseSync(${JSON.stringify(join(dir, 'spin.db'))});
      for await (const line of createInterface({input: process.stdin})) {
        if (line === 'hold') {
          raw.exec('BEGIN IMMEDIATE');
          raw.prepare("INSERT INTO audit (time, user, action, outcome) VALUES ('t', 'test', 'hold', 'ok')").run();
          setTimeout(() => raw.exec('COMMIT'), 1000);
          console.log('held');
        } else {
          console.log(store.authenticate(line)?.name ?? 'none');
        }
      }
      store.close();
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {stdio: ['pipe', 'pipe', 'pipe']});
    const lines = createInterface({input: child.stdout})[Symbol.asyncIterator]();
    const ask = async (line: string) => {
      child.stdin.write(line + '\n');
      const next = await lines.next();
      assert.equal(next.done, false, 'the agent-like process ended early');
      return next.value as string;
    };
    return {child, ask};
  }

  test('user add and token revoke work while another process holds the database, and it sees them', async () => {
    const dir = dataDir();
    await runSpin(['agent', 'user', 'ls', '--data-dir', dir]);
    const {child, ask} = agentLike(dir);
    try {
      assert.equal(await ask('hold'), 'held');
      const started = Date.now();
      const r = await addAlice(dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, TOKEN_LINE);
      const waited = Date.now() - started;
      assert.ok(waited > 800 && waited < 5000, `waited for the other writer (1 s), then went on: ${waited} ms`);
      const token = r.stdout.trim();
      assert.equal(await ask(token), 'alice');
      const revoke = await runSpin(['agent', 'token', 'revoke', token, '--data-dir', dir]);
      assert.equal(revoke.code, 0, revoke.stderr);
      assert.equal(await ask(token), 'none');
    } finally {
      child.stdin.end();
      await new Promise((done) => child.once('close', done));
    }
  });
});
