import assert from 'node:assert/strict';
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {DatabaseSync} from 'node:sqlite';
import {afterEach, beforeEach, describe, test} from 'node:test';

import type {ComposeModel} from '../../../src/lib/compose/types.ts';
import {hashToken, seal, TOKEN_PATTERN, unseal} from '../../../src/lib/agent/crypto.ts';
import {MIGRATIONS, SCHEMA_VERSION} from '../../../src/lib/agent/migrations.ts';
import {defaultDataDir} from '../../../src/lib/agent/paths.ts';
import {openStore, type SQLiteStore} from '../../../src/lib/agent/store.ts';
import {InvalidInputError, OperationError} from '../../../src/lib/errors.ts';

const ref = {project: 'demo', stack: 'web'};
const model = (name: string): ComposeModel => ({name, services: {}, networks: {}, volumes: {}, secrets: {}, configs: {}});
const mode = (path: string) => statSync(path).mode & 0o777;

/** Every byte SQLite may have written: the database, its WAL and shared memory. */
function databaseBytes(dir: string): Buffer {
  return Buffer.concat(['spin.db', 'spin.db-wal', 'spin.db-shm'].map((f) => join(dir, f)).filter(existsSync).map((f) => readFileSync(f)));
}

let root: string;
let dir: string;
let store: SQLiteStore;
let clock: Date;
const open = () => openStore(dir, {now: () => clock});

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'spin-store-'));
  dir = join(root, 'state', 'agent');
  clock = new Date('2026-01-02T03:04:05.000Z');
  store = open();
});

afterEach(() => {
  store.close();
  rmSync(root, {recursive: true, force: true});
});

describe('opening', () => {
  test('creates the data directory 0700, the database and the key 0600, in WAL mode', () => {
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(join(dir, 'spin.db')), 0o600);
    assert.equal(mode(join(dir, 'secret.key')), 0o600);
    assert.equal(readFileSync(join(dir, 'secret.key')).length, 32);
    const raw = new DatabaseSync(join(dir, 'spin.db'), {readOnly: true});
    try {
      assert.deepEqual({...raw.prepare('PRAGMA journal_mode').get()}, {journal_mode: 'wal'});
      assert.deepEqual({...raw.prepare('PRAGMA user_version').get()}, {user_version: SCHEMA_VERSION});
    } finally {
      raw.close();
    }
  });

  test('reopening applies no migration twice and keeps the data and the key', () => {
    store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']});
    const key = readFileSync(join(dir, 'secret.key'));
    store.putSecret('demo', 'db-password', Buffer.from('hunter2'));
    store.close();
    store = open();
    store.close();
    store = open();
    assert.deepEqual(store.users().map((u) => u.name), ['alice']);
    assert.deepEqual(readFileSync(join(dir, 'secret.key')), key);
    assert.equal(store.secretValue('demo', 'db-password')?.toString(), 'hunter2');
    const raw = new DatabaseSync(join(dir, 'spin.db'), {readOnly: true});
    try {
      const rows = raw.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all().map((r) => ({...r}));
      assert.deepEqual(rows, MIGRATIONS.map((m) => ({version: m.version, name: m.name})));
    } finally {
      raw.close();
    }
  });

  test('a database from a newer spin is refused with a clear error', () => {
    store.close();
    const raw = new DatabaseSync(join(dir, 'spin.db'));
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(open, (err: unknown) => {
      assert.ok(err instanceof InvalidInputError);
      assert.equal(err.message, `the agent database "${join(dir, 'spin.db')}" has schema version ${SCHEMA_VERSION + 1}, newer than this spin knows (${SCHEMA_VERSION})`);
      assert.match(err.hint ?? '', /upgrade spin/);
      return true;
    });
  });

  test('a data directory writable by others is refused', () => {
    const shared = join(root, 'shared');
    mkdirSync(shared, {mode: 0o700});
    chmodSync(shared, 0o777);
    assert.throws(() => openStore(shared), (err: unknown) => {
      assert.ok(err instanceof InvalidInputError);
      assert.equal(err.message, `the agent's data directory "${shared}" is writable by other users (mode 0777)`);
      assert.equal(err.hint, `others could replace the database or the secret key: run \`chmod 700 "${shared}"\``);
      return true;
    });
    assert.equal(existsSync(join(shared, 'spin.db')), false);
  });

  test('a key file readable by others, or of the wrong size, is refused', () => {
    store.close();
    const keyFile = join(dir, 'secret.key');
    chmodSync(keyFile, 0o644);
    assert.throws(open, /secret key ".*secret\.key" is readable by other users \(mode 0644\)/);
    chmodSync(keyFile, 0o600);
    writeFileSync(keyFile, Buffer.alloc(16));
    assert.throws(open, (err: unknown) => err instanceof OperationError && /holds 16 bytes, not 32/.test(err.message));
  });

  test('an existing database file with loose permissions is made private', () => {
    store.close();
    chmodSync(join(dir, 'spin.db'), 0o644);
    store = open();
    assert.equal(mode(join(dir, 'spin.db')), 0o600);
  });
});

describe('users and tokens', () => {
  test('addUser returns the user and a token of the documented form', () => {
    const {user, token} = store.addUser({name: 'alice', uid: 41234, gid: 500, projects: ['portal', 'demo', 'demo']});
    assert.match(token, TOKEN_PATTERN);
    assert.equal(token.length, 48);
    assert.deepEqual(user, {id: 1, name: 'alice', uid: 41234, gid: 500, admin: false, projects: ['demo', 'portal'], createdAt: '2026-01-02T03:04:05.000Z'});
    assert.deepEqual(store.user('alice'), user);
    assert.equal(store.user('nobody'), undefined);
  });

  test('bad input is refused with the name and a hint', () => {
    const cases: [Parameters<SQLiteStore['addUser']>[0], string][] = [
      [{name: 'Alice', uid: 1, gid: 1, projects: ['demo']}, 'user name "Alice" is not valid'],
      [{name: 'root', uid: 0, gid: 0, projects: ['demo']}, 'uid 0 (root) is refused for user "root"'],
      [{name: 'bob', uid: -1, gid: 1, projects: ['demo']}, 'uid -1 is not valid'],
      [{name: 'bob', uid: 1.5, gid: 1, projects: ['demo']}, 'uid 1.5 is not valid'],
      [{name: 'bob', uid: 1, gid: 2 ** 32, projects: ['demo']}, 'gid 4294967296 is not valid'],
      [{name: 'bob', uid: 1, gid: 1, projects: ['Demo']}, 'project name "Demo" is not valid'],
      [{name: 'bob', uid: 1, gid: 1, projects: []}, 'user "bob" needs at least one project'],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => store.addUser(input), (err: unknown) => err instanceof InvalidInputError && err.message === message && Boolean(err.hint), message);
    }
    assert.deepEqual(store.users(), []);
    assert.equal(store.addUser({name: 'ops', uid: 900, gid: 0, projects: [], admin: true}).user.admin, true);
  });

  test('a second user of the same name is refused, pointing at token create', () => {
    store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']});
    assert.throws(() => store.addUser({name: 'alice', uid: 1001, gid: 1001, projects: ['demo']}), (err: unknown) => {
      assert.ok(err instanceof InvalidInputError);
      assert.equal(err.message, 'user "alice" already exists');
      assert.equal(err.hint, 'to give "alice" a new token, run `spin agent token create alice`');
      return true;
    });
    assert.equal(store.tokens().length, 1);
  });

  test('authenticate: the right token, a wrong one, a malformed one, a revoked one', () => {
    const {token} = store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']});
    assert.equal(store.authenticate(token)?.name, 'alice');
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    assert.equal(store.authenticate(wrong), undefined);
    for (const bad of ['', 'spin_', token + 'x', token.toUpperCase(), 'Bearer ' + token]) assert.equal(store.authenticate(bad), undefined, bad);
    const second = store.createToken('alice');
    assert.notEqual(second, token);
    assert.equal(store.revokeToken(token.slice(0, 13)), 1);
    assert.equal(store.authenticate(token), undefined);
    assert.equal(store.authenticate(second)?.name, 'alice');
    assert.equal(store.revokeToken(token.slice(0, 13)), 0, 'already revoked');
  });

  test('revocation by id, by display prefix or whole token; shorter prefixes match nothing', () => {
    const {token} = store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']});
    const t2 = store.createToken('alice');
    const t3 = store.createToken('alice');
    assert.equal(store.revokeToken(token.slice(0, 8)), 0);
    assert.equal(store.revokeToken('spin_'), 0);
    assert.equal(store.revokeToken('42'), 0);
    assert.equal(store.revokeToken('2'), 1);
    assert.equal(store.revokeToken(`${t3.slice(0, 13)}…`), 1);
    assert.equal(store.revokeToken(token), 1);
    assert.deepEqual(store.tokens().map((t) => [t.id, t.revokedAt]), [
      [1, '2026-01-02T03:04:05.000Z'],
      [2, '2026-01-02T03:04:05.000Z'],
      [3, '2026-01-02T03:04:05.000Z'],
    ]);
    assert.equal(store.authenticate(t2), undefined);
  });

  test('a revocation by another process is seen by a running store at once', () => {
    const {token} = store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']});
    assert.ok(store.authenticate(token));
    const other = open();
    try {
      assert.equal(other.revokeToken('1'), 1);
    } finally {
      other.close();
    }
    assert.equal(store.authenticate(token), undefined);
  });

  test('last use is recorded, at most once a minute', () => {
    const {token} = store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']});
    assert.equal(store.tokens('alice')[0].lastUsedAt, undefined);
    store.authenticate(token);
    assert.equal(store.tokens('alice')[0].lastUsedAt, '2026-01-02T03:04:05.000Z');
    clock = new Date('2026-01-02T03:04:50.000Z');
    store.authenticate(token);
    assert.equal(store.tokens('alice')[0].lastUsedAt, '2026-01-02T03:04:05.000Z');
    clock = new Date('2026-01-02T03:05:06.000Z');
    store.authenticate(token);
    assert.equal(store.tokens('alice')[0].lastUsedAt, '2026-01-02T03:05:06.000Z');
  });

  test('tokens lists by user, with prefixes only', () => {
    const {token} = store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']});
    store.addUser({name: 'bob', uid: 1001, gid: 1001, projects: ['demo']});
    assert.deepEqual(store.tokens('alice'), [{id: 1, user: 'alice', prefix: token.slice(0, 13), createdAt: '2026-01-02T03:04:05.000Z'}]);
    assert.deepEqual(store.tokens().map((t) => t.user), ['alice', 'bob']);
    assert.deepEqual(store.tokens('nobody'), []);
    assert.throws(() => store.createToken('nobody'), {message: 'user "nobody" does not exist'});
  });

  test('tokens are stored hashed: the plain token is nowhere in the database files', () => {
    const {token} = store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']});
    const more = [store.createToken('alice'), store.createToken('alice')];
    const bytes = databaseBytes(dir);
    for (const t of [token, ...more]) {
      assert.equal(bytes.includes(Buffer.from(t)), false);
      assert.equal(bytes.includes(Buffer.from(t.slice(13))), false, 'not even the secret part');
      assert.equal(bytes.includes(hashToken(t)), true, 'the hash is what is kept');
    }
  });
});

describe('stacks, revisions and locks', () => {
  test('a revision recorded with text durations (before they were numbers) reads with nanoseconds', () => {
    const web = {image: 'busybox', stop_grace_period: '20s', healthcheck: {test: ['CMD', 'true'], interval: '1m30s'}, deploy: {update_config: {monitor: '5s'}}};
    const old = {...model('web'), services: {web}} as unknown as ComposeModel;
    const r = store.addRevision(ref, {model: old, images: {}, user: 'alice'});
    const read = store.revision(ref, r.number)!.model.services.web;
    assert.equal(read.stop_grace_period, 20e9);
    assert.deepEqual(read.healthcheck, {test: ['CMD', 'true'], interval: 90e9});
    assert.deepEqual(read.deploy?.update_config, {monitor: 5e9});
  });

  test('revision numbers start at 1 per stack and increase', () => {
    const r1 = store.addRevision(ref, {model: model('web'), images: {web: 'nginx'}, user: 'alice'});
    const r2 = store.addRevision(ref, {model: model('web'), images: {web: 'nginx'}, user: 'alice'});
    const other = store.addRevision({project: 'demo', stack: 'db'}, {model: model('db'), images: {}, user: 'bob'});
    const elsewhere = store.addRevision({project: 'other', stack: 'web'}, {model: model('web'), images: {}, user: 'bob'});
    assert.deepEqual([r1.number, r2.number, other.number, elsewhere.number], [1, 2, 1, 1]);
    assert.deepEqual(r1, {project: 'demo', stack: 'web', number: 1, model: model('web'), images: {web: 'nginx'}, user: 'alice', createdAt: '2026-01-02T03:04:05.000Z', outcome: 'pending'});
    assert.deepEqual(store.revisions(ref).map((r) => r.number), [2, 1]);
    assert.deepEqual(store.stacks('demo').map((s) => [s.stack, s.latestRevision, s.currentRevision]), [
      ['db', 1, undefined],
      ['web', 2, undefined],
    ]);
  });

  test('finishing a revision records the outcome; healthy ones become current', () => {
    const plan = {services: [], create: {networks: [], volumes: []}, noop: true};
    store.addRevision(ref, {model: model('web'), images: {web: 'nginx'}, user: 'alice', plan});
    store.addRevision(ref, {model: model('web'), images: {web: 'nginx'}, user: 'alice'});
    clock = new Date('2026-01-02T03:05:00.000Z');
    store.finishRevision(ref, 1, 'healthy', undefined, {web: 'nginx@sha256:' + 'a'.repeat(64)});
    store.finishRevision(ref, 2, 'rolled-back', 'web did not become healthy');
    const first = store.revision(ref, 1)!;
    assert.equal(first.outcome, 'healthy');
    assert.equal(first.finishedAt, '2026-01-02T03:05:00.000Z');
    assert.deepEqual(first.images, {web: 'nginx@sha256:' + 'a'.repeat(64)});
    assert.deepEqual(first.plan, plan);
    assert.equal(store.revision(ref, 2)!.message, 'web did not become healthy');
    assert.deepEqual(store.stack(ref), {project: 'demo', stack: 'web', currentRevision: 1, latestRevision: 2, createdAt: '2026-01-02T03:04:05.000Z', updatedAt: '2026-01-02T03:05:00.000Z'});
    assert.equal(store.revision(ref, 3), undefined);
    assert.throws(() => store.finishRevision(ref, 3, 'healthy'), OperationError);
    assert.throws(() => store.finishRevision(ref, 1, 'great' as 'healthy'), InvalidInputError);
  });

  test('pendingRevisions lists what a crash left unfinished', () => {
    store.addRevision(ref, {model: model('web'), images: {}, user: 'alice'});
    store.addRevision({project: 'demo', stack: 'db'}, {model: model('db'), images: {}, user: 'alice'});
    store.addRevision(ref, {model: model('web'), images: {}, user: 'alice'});
    store.finishRevision(ref, 1, 'healthy');
    assert.deepEqual(store.pendingRevisions().map((r) => `${r.stack}#${r.number}`), ['db#1', 'web#2']);
    store.finishRevision(ref, 2, 'interrupted');
    store.finishRevision({project: 'demo', stack: 'db'}, 1, 'failed');
    assert.deepEqual(store.pendingRevisions(), []);
  });

  test('the deploy lock is exclusive, also against a second store on the same directory', () => {
    const other = open();
    try {
      assert.equal(store.lockStack(ref, 'deploy-1'), true);
      assert.equal(other.lockStack(ref, 'deploy-2'), false);
      assert.equal(store.lockStack(ref, 'deploy-1'), true, 'the holder may take it again');
      assert.equal(other.lockStack({project: 'demo', stack: 'db'}, 'deploy-2'), true, 'other stacks are free');
      other.unlockStack(ref, 'deploy-2');
      assert.equal(other.lockStack(ref, 'deploy-2'), false, 'only the holder unlocks');
      store.unlockStack(ref, 'deploy-1');
      assert.equal(other.lockStack(ref, 'deploy-2'), true);
      assert.equal(store.lockStack(ref, 'deploy-1'), false);
      store.clearLocks();
      assert.equal(store.lockStack(ref, 'deploy-3'), true);
    } finally {
      other.close();
    }
  });

  test('a lock alone makes no stack; a stack keeps its revisions after unlock', () => {
    assert.equal(store.lockStack(ref, 'd'), true);
    assert.equal(store.stack(ref), undefined);
    assert.deepEqual(store.stacks('demo'), []);
    store.unlockStack(ref, 'd');
    assert.equal(store.lockStack(ref, 'd'), true);
    store.addRevision(ref, {model: model('web'), images: {}, user: 'alice'});
    store.unlockStack(ref, 'd');
    assert.equal(store.stack(ref)?.latestRevision, 1);
  });

  test('deleteStack removes the stack and its revisions; numbering starts again', () => {
    store.addRevision(ref, {model: model('web'), images: {}, user: 'alice'});
    store.deleteStack(ref);
    assert.equal(store.stack(ref), undefined);
    assert.deepEqual(store.revisions(ref), []);
    assert.equal(store.addRevision(ref, {model: model('web'), images: {}, user: 'alice'}).number, 1);
  });

  test('invalid names are refused before anything is written', () => {
    assert.throws(() => store.addRevision({project: 'demo', stack: 'Web'}, {model: model('web'), images: {}, user: 'alice'}), {message: 'stack name "Web" is not valid'});
    assert.throws(() => store.lockStack({project: 'demo_x', stack: 'web'}, 'd'), {message: 'project name "demo_x" is not valid'});
  });
});

describe('secrets', () => {
  test('round trip, listing, replace and delete', () => {
    const value = Buffer.from([0, 1, 2, 255, 254]);
    assert.deepEqual(store.putSecret('demo', 'tls.key', value), {name: 'tls.key', createdAt: '2026-01-02T03:04:05.000Z', updatedAt: '2026-01-02T03:04:05.000Z', size: 5});
    assert.deepEqual(store.secretValue('demo', 'tls.key'), value);
    assert.equal(store.secretValue('other', 'tls.key'), undefined);
    clock = new Date('2026-01-03T00:00:00.000Z');
    store.putSecret('demo', 'tls.key', Buffer.from('new'));
    assert.deepEqual(store.secrets('demo'), [{name: 'tls.key', createdAt: '2026-01-02T03:04:05.000Z', updatedAt: '2026-01-03T00:00:00.000Z', size: 3}]);
    assert.equal(store.secretValue('demo', 'tls.key')?.toString(), 'new');
    assert.equal(store.deleteSecret('demo', 'tls.key'), true);
    assert.equal(store.deleteSecret('demo', 'tls.key'), false);
    assert.deepEqual(store.secrets('demo'), []);
  });

  test('the value is nowhere in clear in the database files', () => {
    const value = 'correct-horse-battery-staple-' + 'x'.repeat(40);
    store.putSecret('demo', 'db-password', Buffer.from(value));
    assert.equal(databaseBytes(dir).includes(Buffer.from(value)), false);
    assert.equal(store.secretValue('demo', 'db-password')?.toString(), value);
  });

  test('limits: size and names', () => {
    assert.equal(store.putSecret('demo', 'big', Buffer.alloc(512 * 1024)).size, 512 * 1024);
    assert.throws(() => store.putSecret('demo', 'bigger', Buffer.alloc(512 * 1024 + 1)), {message: 'secret "bigger" is 524289 bytes, more than the 512 KiB allowed'});
    for (const name of ['', '.hidden', 'a/b', 'x'.repeat(129), 'a b']) {
      assert.throws(() => store.putSecret('demo', name, Buffer.from('v')), InvalidInputError, name);
    }
    assert.throws(() => store.putSecret('Demo', 'ok', Buffer.from('v')), {message: 'project name "Demo" is not valid'});
  });

  test('a tampered value, or one moved to another name, is refused', () => {
    store.putSecret('demo', 'a', Buffer.from('secret-a'));
    store.putSecret('demo', 'b', Buffer.from('secret-b'));
    store.close();
    const raw = new DatabaseSync(join(dir, 'spin.db'));
    // Flip one bit of a's ciphertext, and put a's original sealed value under b's name.
    const {value} = raw.prepare("SELECT value FROM secrets WHERE name = 'a'").get() as {value: Uint8Array};
    const tampered = Buffer.from(value);
    tampered[12] ^= 1;
    raw.prepare("UPDATE secrets SET value = ? WHERE name = 'a'").run(tampered);
    raw.prepare("UPDATE secrets SET value = ? WHERE name = 'b'").run(value);
    raw.close();
    store = open();
    for (const name of ['a', 'b']) {
      assert.throws(() => store.secretValue('demo', name), (err: unknown) => {
        assert.ok(err instanceof OperationError);
        assert.equal(err.message, `secret "${name}" of project "demo" cannot be decrypted: it was altered, or secret.key is not the key it was stored with`);
        return true;
      });
    }
  });

  test('sealing binds the AAD and refuses short input', () => {
    const key = Buffer.alloc(32, 7);
    const sealed = seal(key, Buffer.from('v'), 'x');
    assert.equal(sealed.length, 12 + 1 + 16);
    assert.equal(unseal(key, sealed, 'x')?.toString(), 'v');
    assert.equal(unseal(key, sealed, 'y'), undefined);
    assert.equal(unseal(Buffer.alloc(32, 8), sealed, 'x'), undefined);
    assert.equal(unseal(key, sealed.subarray(0, 20), 'x'), undefined);
  });
});

describe('audit', () => {
  test('entries are appended, listed newest first, filtered by project and limited', () => {
    store.audit({user: 'alice', project: 'demo', action: 'stack.deploy', target: 'web', outcome: 'ok'});
    clock = new Date('2026-01-02T03:05:00.000Z');
    store.audit({user: 'bob', project: 'other', action: 'secret.create', target: 'k', outcome: 'denied', detail: 'not a member'});
    store.audit({user: 'local:root', action: 'user.add', target: 'carol', outcome: 'ok'});
    assert.deepEqual(store.auditLog({project: 'demo'}), [{id: 1, time: '2026-01-02T03:04:05.000Z', user: 'alice', project: 'demo', action: 'stack.deploy', target: 'web', outcome: 'ok'}]);
    assert.deepEqual(store.auditLog().map((e) => e.id), [3, 2, 1]);
    assert.deepEqual(store.auditLog({limit: 1}).map((e) => e.action), ['user.add']);
    assert.equal(store.auditLog().find((e) => e.id === 2)?.detail, 'not a member');
  });

  test('the log is append-only, even through raw SQL', () => {
    store.audit({user: 'alice', action: 'user.add', outcome: 'ok'});
    store.close();
    const raw = new DatabaseSync(join(dir, 'spin.db'));
    try {
      assert.throws(() => raw.exec('DELETE FROM audit'), /append-only/);
      assert.throws(() => raw.exec("UPDATE audit SET user = 'mallory'"), /append-only/);
    } finally {
      raw.close();
    }
    store = open();
    assert.equal(store.auditLog()[0].user, 'alice');
  });
});

describe('defaultDataDir', () => {
  test('SPIN_DATA_DIR, else XDG_STATE_HOME, else ~/.local/state', () => {
    assert.equal(defaultDataDir({SPIN_DATA_DIR: '/srv/spin', XDG_STATE_HOME: '/x', HOME: '/home/a'}), '/srv/spin');
    assert.equal(defaultDataDir({XDG_STATE_HOME: '/x', HOME: '/home/a'}), '/x/spin/agent');
    assert.equal(defaultDataDir({XDG_STATE_HOME: 'relative', HOME: '/home/a'}), '/home/a/.local/state/spin/agent');
    assert.equal(defaultDataDir({HOME: '/home/a'}), '/home/a/.local/state/spin/agent');
  });
});
