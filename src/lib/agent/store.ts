// The agent's state in one SQLite file (node:sqlite, no native build): users and their tokens,
// stacks and their revisions, encrypted project secrets and the audit log.
//
// Several processes share a data directory: `spin agent start` serves requests while
// `spin agent user add` writes from a shell. WAL lets readers go on during a write, the busy
// timeout makes a writer wait for another instead of failing, and every read-then-write runs
// in a BEGIN IMMEDIATE transaction. The deploy lock is a single conditional UPSERT, so two
// processes can never both hold it.

import {chmodSync, closeSync, fstatSync, mkdirSync, openSync, statSync} from 'node:fs';
import {userInfo} from 'node:os';
import {join, resolve} from 'node:path';
import {DatabaseSync, type StatementSync} from 'node:sqlite';

import {withNumericDurations} from '../compose/durations.ts';
import type {ComposeModel} from '../compose/types.ts';
import type {Plan, StackRef} from '../engine/types.ts';
import {InvalidInputError, OperationError} from '../errors.ts';
import {hashToken, loadOrCreateKey, newToken, sameHash, seal, TOKEN_DISPLAY_LENGTH, TOKEN_PATTERN, tokenDisplayPrefix, unseal} from './crypto.ts';
import {inTransaction, migrate} from './migrations.ts';
import {defaultDataDir} from './paths.ts';
import type {AuditEntry, AuditQuery, Revision, RevisionOutcome, SecretInfo, StackRecord, Store, TokenInfo, User} from './types.ts';

export const DATABASE_FILE = 'spin.db';
export const KEY_FILE = 'secret.key';
export {MAX_SECRET_BYTES} from '../limits.ts';
import {MAX_SECRET_BYTES} from '../limits.ts';
import {DNS_LABEL_RULE, isDnsLabel} from '../dns-label.ts';
export const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
export const USER_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** Highest uid/gid Linux allows ((uid_t)-1 means "none"). */
const MAX_ID = 4294967294;
const BUSY_TIMEOUT_MS = 5000;
const LAST_USED_RESOLUTION_MS = 60_000;
const MAX_AUDIT_FIELD = 4096;
const DEFAULT_AUDIT_LIMIT = 100;
const MAX_AUDIT_LIMIT = 10_000;
const OUTCOMES: readonly RevisionOutcome[] = ['pending', 'healthy', 'started', 'failed', 'timeout', 'rolled-back', 'interrupted'];
/** Outcomes after which the revision is what runs, and what a rollback returns to. */
const GOOD_OUTCOMES: readonly RevisionOutcome[] = ['healthy', 'started'];

export interface StoreOptions {
  /** The clock; tests pass a fixed one. */
  now?: () => Date;
}

export function openStore(dataDir: string, options: StoreOptions = {}): SQLiteStore {
  return new SQLiteStore(dataDir, options);
}

/** Opens the store (default: defaultDataDir()), runs fn and closes it: one CLI command's use. */
export function withStore<T>(dataDir: string | undefined, fn: (store: SQLiteStore) => T): T {
  const store = openStore(dataDir ?? defaultDataDir());
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

/** Who the audit log names for a change made with the CLI on the agent's host. */
export function localActor(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = String(process.getuid?.() ?? 'unknown');
  }
  return `local:${name}`;
}

interface UserRow {
  id: number;
  name: string;
  uid: number;
  gid: number;
  admin: number;
  created_at: string;
  projects: string;
}

interface TokenRow {
  id: number;
  user: string;
  hash: Uint8Array;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

interface StackRow {
  project: string;
  stack: string;
  current_revision: number | null;
  latest_revision: number | null;
  created_at: string;
  updated_at: string;
}

interface RevisionRow {
  project: string;
  stack: string;
  number: number;
  model: string;
  images: string;
  plan: string | null;
  user: string;
  created_at: string;
  finished_at: string | null;
  outcome: RevisionOutcome;
  message: string | null;
}

interface SecretRow {
  name: string;
  value: Uint8Array;
  size: number;
  created_at: string;
  updated_at: string;
}

interface AuditRow {
  id: number;
  time: string;
  user: string;
  project: string | null;
  action: string;
  target: string | null;
  outcome: AuditEntry['outcome'];
  detail: string | null;
}

const USER_COLUMNS = `u.id, u.name, u.uid, u.gid, u.admin, u.created_at,
  (SELECT json_group_array(project) FROM (SELECT project FROM user_projects WHERE user_id = u.id ORDER BY project)) AS projects`;
const TOKEN_COLUMNS = 't.id, u.name AS user, t.hash, t.prefix, t.created_at, t.last_used_at, t.revoked_at';
const STACK_COLUMNS = 'project, stack, current_revision, latest_revision, created_at, updated_at';

export class SQLiteStore implements Store {
  readonly dataDir: string;
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly key: Buffer;
  private readonly now: () => Date;
  private readonly sql: ReturnType<typeof prepareStatements>;

  constructor(dataDir: string, options: StoreOptions = {}) {
    this.dataDir = resolve(dataDir);
    this.path = join(this.dataDir, DATABASE_FILE);
    this.now = options.now ?? (() => new Date());
    prepareDataDir(this.dataDir);
    this.key = loadOrCreateKey(join(this.dataDir, KEY_FILE));
    createPrivateFile(this.path);
    this.db = new DatabaseSync(this.path, {timeout: BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true});
    try {
      this.db.exec('PRAGMA journal_mode = WAL');
      // In WAL mode NORMAL loses at most the last commits on power loss, never consistency.
      this.db.exec('PRAGMA synchronous = NORMAL');
      migrate(this.db, this.path, this.now);
      this.sql = prepareStatements(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  private time(): string {
    return this.now().toISOString();
  }

  // identity

  addUser(input: {name: string; uid: number; gid: number; projects: string[]; admin?: boolean}): {user: User; token: string} {
    checkUserName(input.name);
    checkId('uid', input.uid);
    checkId('gid', input.gid);
    if (input.uid === 0) {
      throw new InvalidInputError(`uid 0 (root) is refused for user "${input.name}"`, {
        hint: "the platform never runs services as root: give the user's own numeric uid (`id -u NAME` on the HPC system)",
      });
    }
    const projects = [...new Set(input.projects)].sort();
    for (const p of projects) checkLabel('project', p);
    if (projects.length === 0 && !input.admin) {
      throw new InvalidInputError(`user "${input.name}" needs at least one project`, {hint: 'add --project NAME (repeatable), or --admin for an administrator'});
    }
    return inTransaction(this.db, () => {
      if (this.sql.userByName.get(input.name)) {
        throw new InvalidInputError(`user "${input.name}" already exists`, {
          hint: `to give "${input.name}" a new token, run \`spin agent token create ${input.name}\``,
        });
      }
      const id = Number(this.sql.insertUser.run(input.name, input.uid, input.gid, input.admin ? 1 : 0, this.time()).lastInsertRowid);
      for (const p of projects) this.sql.insertUserProject.run(id, p);
      const token = this.insertToken(id);
      return {user: this.user(input.name)!, token};
    });
  }

  user(name: string): User | undefined {
    const row = this.sql.userByName.get(name) as UserRow | undefined;
    return row && toUser(row);
  }

  users(): User[] {
    return (this.sql.users.all() as unknown as UserRow[]).map(toUser);
  }

  createToken(user: string): string {
    return inTransaction(this.db, () => this.insertToken(this.requireUser(user).id));
  }

  private insertToken(userId: number): string {
    const token = newToken();
    this.sql.insertToken.run(userId, hashToken(token), tokenDisplayPrefix(token), this.time());
    return token;
  }

  private requireUser(name: string): User {
    const user = this.user(name);
    if (!user) throw new InvalidInputError(`user "${name}" does not exist`, {hint: 'list users with `spin agent user ls`, or create one with `spin agent user add`'});
    return user;
  }

  authenticate(token: string): User | undefined {
    if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return undefined;
    const hash = hashToken(token);
    const row = this.sql.tokenByHash.get(hash) as (TokenRow & {user_id: number}) | undefined;
    if (!row || row.revoked_at !== null || !sameHash(row.hash, hash)) return undefined;
    const now = this.now();
    try {
      this.sql.touchToken.run(now.toISOString(), row.id, new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString());
    } catch {
      // Bookkeeping only: a busy database must not turn a valid token away.
    }
    return this.user(row.user);
  }

  tokens(user?: string): TokenInfo[] {
    const rows = (user === undefined ? this.sql.tokens.all() : this.sql.tokensOfUser.all(user)) as unknown as TokenRow[];
    return rows.map(toTokenInfo);
  }

  revokeToken(prefixOrId: string): number {
    const key = String(prefixOrId).trim().replace(/(…|\.\.\.)$/, '');
    const time = this.time();
    if (/^\d{1,15}$/.test(key)) return Number(this.sql.revokeById.run(time, Number(key)).changes);
    if (TOKEN_PATTERN.test(key)) return Number(this.sql.revokeByHash.run(time, hashToken(key)).changes);
    // Only the whole display prefix names a token: a shorter one could match someone else's.
    if (key.length === TOKEN_DISPLAY_LENGTH) return Number(this.sql.revokeByPrefix.run(time, key).changes);
    return 0;
  }

  // stacks and revisions

  stacks(project: string): StackRecord[] {
    return (this.sql.stacks.all(project) as unknown as StackRow[]).map(toStackRecord);
  }

  stack(ref: StackRef): StackRecord | undefined {
    const row = this.sql.stack.get(ref.project, ref.stack) as StackRow | undefined;
    return row && toStackRecord(row);
  }

  lockStack(ref: StackRef, holder: string): boolean {
    checkRef(ref);
    if (!holder || holder.length > 200) throw new InvalidInputError('a lock holder is a name of 1 to 200 characters');
    const time = this.time();
    return Number(this.sql.lockStack.run(ref.project, ref.stack, holder, time, time, time).changes) === 1;
  }

  unlockStack(ref: StackRef, holder: string): void {
    inTransaction(this.db, () => {
      this.sql.dropUnusedStack.run(ref.project, ref.stack, holder);
      this.sql.unlockStack.run(ref.project, ref.stack, holder);
    });
  }

  clearLocks(): void {
    inTransaction(this.db, () => {
      this.sql.dropUnusedStacks.run();
      this.sql.clearLocks.run();
    });
  }

  addRevision(ref: StackRef, input: {model: ComposeModel; images: Record<string, string>; user: string; plan?: Plan}): Revision {
    checkRef(ref);
    const model = JSON.stringify(input.model);
    const images = JSON.stringify(input.images ?? {});
    const plan = input.plan === undefined ? null : JSON.stringify(input.plan);
    return inTransaction(this.db, () => {
      const time = this.time();
      this.sql.ensureStack.run(ref.project, ref.stack, time, time);
      const {number} = this.sql.nextRevision.get(time, ref.project, ref.stack) as {number: number};
      this.sql.insertRevision.run(ref.project, ref.stack, number, model, images, plan, input.user, time);
      return this.revision(ref, number)!;
    });
  }

  finishRevision(ref: StackRef, number: number, outcome: RevisionOutcome, message?: string, images?: Record<string, string>): void {
    if (!OUTCOMES.includes(outcome)) throw new InvalidInputError(`unknown revision outcome "${outcome}"`, {hint: `use one of ${OUTCOMES.join(', ')}`});
    inTransaction(this.db, () => {
      const time = this.time();
      const changed = this.sql.finishRevision.run(outcome, time, message ?? null, images === undefined ? null : JSON.stringify(images), ref.project, ref.stack, number).changes;
      if (Number(changed) === 0) throw new OperationError(`revision ${number} of stack "${ref.stack}" in project "${ref.project}" does not exist`);
      if (GOOD_OUTCOMES.includes(outcome)) this.sql.setCurrentRevision.run(number, time, ref.project, ref.stack);
      else this.sql.touchStack.run(time, ref.project, ref.stack);
    });
  }

  revisions(ref: StackRef): Revision[] {
    return (this.sql.revisions.all(ref.project, ref.stack) as unknown as RevisionRow[]).map(toRevision);
  }

  latestOutcomes(project: string): Map<string, RevisionOutcome> {
    const rows = this.sql.latestOutcomes.all(project) as unknown as {stack: string; outcome: RevisionOutcome}[];
    return new Map(rows.map((r) => [r.stack, r.outcome]));
  }

  revision(ref: StackRef, number: number): Revision | undefined {
    const row = this.sql.revision.get(ref.project, ref.stack, number) as RevisionRow | undefined;
    return row && toRevision(row);
  }

  pendingRevisions(): Revision[] {
    return (this.sql.pendingRevisions.all() as unknown as RevisionRow[]).map(toRevision);
  }

  deleteStack(ref: StackRef): void {
    this.sql.deleteStack.run(ref.project, ref.stack);
  }

  // project secrets

  putSecret(project: string, name: string, value: Buffer): SecretInfo {
    checkLabel('project', project);
    checkSecretName(name);
    if (!Buffer.isBuffer(value)) throw new InvalidInputError(`the value of secret "${name}" must be bytes`);
    if (value.length > MAX_SECRET_BYTES) {
      throw new InvalidInputError(`secret "${name}" is ${value.length} bytes, more than the ${MAX_SECRET_BYTES / 1024} KiB allowed`, {
        hint: 'keep secrets small (keys, passwords, certificates); put large files on a volume',
      });
    }
    const sealed = seal(this.key, value, secretAad(project, name));
    this.sql.putSecret.run(project, name, sealed, value.length, this.time(), this.time());
    return toSecretInfo(this.sql.secret.get(project, name) as unknown as SecretRow);
  }

  secrets(project: string): SecretInfo[] {
    return (this.sql.secrets.all(project) as unknown as SecretRow[]).map(toSecretInfo);
  }

  secretValue(project: string, name: string): Buffer | undefined {
    const row = this.sql.secret.get(project, name) as SecretRow | undefined;
    if (!row) return undefined;
    const value = unseal(this.key, row.value, secretAad(project, name));
    if (!value) {
      throw new OperationError(`secret "${name}" of project "${project}" cannot be decrypted: it was altered, or ${KEY_FILE} is not the key it was stored with`, {
        hint: `restore "${join(this.dataDir, KEY_FILE)}" from the backup taken with this database, or create the secret again`,
      });
    }
    return value;
  }

  deleteSecret(project: string, name: string): boolean {
    return Number(this.sql.deleteSecret.run(project, name).changes) > 0;
  }

  // audit log

  audit(entry: Omit<AuditEntry, 'id' | 'time'>): void {
    if (!['ok', 'denied', 'failed'].includes(entry.outcome)) throw new InvalidInputError(`unknown audit outcome "${entry.outcome}"`);
    this.sql.insertAudit.run(
      this.time(),
      clip(entry.user),
      entry.project === undefined ? null : clip(entry.project),
      clip(entry.action),
      entry.target === undefined ? null : clip(entry.target),
      entry.outcome,
      entry.detail === undefined ? null : clip(entry.detail),
    );
  }

  auditLog(options: AuditQuery = {}): AuditEntry[] {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? DEFAULT_AUDIT_LIMIT), 1), MAX_AUDIT_LIMIT);
    const {project = null, user = null, action = null, target = null} = options;
    const rows = this.sql.auditLog.all({project, user, action, target, limit});
    return (rows as unknown as AuditRow[]).map(toAuditEntry);
  }
}

function prepareStatements(db: DatabaseSync) {
  const p = (sql: string): StatementSync => db.prepare(sql);
  return {
    insertUser: p('INSERT INTO users (name, uid, gid, admin, created_at) VALUES (?, ?, ?, ?, ?)'),
    insertUserProject: p('INSERT INTO user_projects (user_id, project) VALUES (?, ?)'),
    userByName: p(`SELECT ${USER_COLUMNS} FROM users u WHERE u.name = ?`),
    users: p(`SELECT ${USER_COLUMNS} FROM users u ORDER BY u.name`),

    insertToken: p('INSERT INTO tokens (user_id, hash, prefix, created_at) VALUES (?, ?, ?, ?)'),
    tokenByHash: p(`SELECT ${TOKEN_COLUMNS} FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`),
    touchToken: p('UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)'),
    tokens: p(`SELECT ${TOKEN_COLUMNS} FROM tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id`),
    tokensOfUser: p(`SELECT ${TOKEN_COLUMNS} FROM tokens t JOIN users u ON u.id = t.user_id WHERE u.name = ? ORDER BY t.id`),
    revokeById: p('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    revokeByHash: p('UPDATE tokens SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL'),
    revokeByPrefix: p('UPDATE tokens SET revoked_at = ? WHERE prefix = ? AND revoked_at IS NULL'),

    stacks: p(`SELECT ${STACK_COLUMNS} FROM stacks WHERE project = ? AND latest_revision IS NOT NULL ORDER BY stack`),
    stack: p(`SELECT ${STACK_COLUMNS} FROM stacks WHERE project = ? AND stack = ? AND latest_revision IS NOT NULL`),
    // One statement, so the check and the take cannot interleave with another process. The
    // holder that has the lock may take it again.
    lockStack: p(`INSERT INTO stacks (project, stack, lock_holder, locked_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (project, stack) DO UPDATE SET lock_holder = excluded.lock_holder, locked_at = excluded.locked_at
      WHERE stacks.lock_holder IS NULL OR stacks.lock_holder = excluded.lock_holder`),
    unlockStack: p('UPDATE stacks SET lock_holder = NULL, locked_at = NULL WHERE project = ? AND stack = ? AND lock_holder = ?'),
    dropUnusedStack: p('DELETE FROM stacks WHERE project = ? AND stack = ? AND lock_holder = ? AND latest_revision IS NULL'),
    dropUnusedStacks: p('DELETE FROM stacks WHERE latest_revision IS NULL'),
    clearLocks: p('UPDATE stacks SET lock_holder = NULL, locked_at = NULL WHERE lock_holder IS NOT NULL'),
    ensureStack: p('INSERT INTO stacks (project, stack, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (project, stack) DO NOTHING'),
    nextRevision: p(`UPDATE stacks SET latest_revision = coalesce(latest_revision, 0) + 1, updated_at = ?
      WHERE project = ? AND stack = ? RETURNING latest_revision AS number`),
    setCurrentRevision: p('UPDATE stacks SET current_revision = ?, updated_at = ? WHERE project = ? AND stack = ?'),
    touchStack: p('UPDATE stacks SET updated_at = ? WHERE project = ? AND stack = ?'),
    deleteStack: p('DELETE FROM stacks WHERE project = ? AND stack = ?'),

    insertRevision: p(`INSERT INTO revisions (project, stack, number, model, images, plan, user, created_at, outcome)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending')`),
    finishRevision: p(`UPDATE revisions SET outcome = ?, finished_at = ?, message = ?, images = coalesce(?, images)
      WHERE project = ? AND stack = ? AND number = ?`),
    revisions: p('SELECT * FROM revisions WHERE project = ? AND stack = ? ORDER BY number DESC'),
    revision: p('SELECT * FROM revisions WHERE project = ? AND stack = ? AND number = ?'),
    latestOutcomes: p(`SELECT s.stack, r.outcome FROM stacks s JOIN revisions r ON r.project = s.project AND r.stack = s.stack AND r.number = s.latest_revision
      WHERE s.project = ?`),
    pendingRevisions: p("SELECT * FROM revisions WHERE outcome = 'pending' ORDER BY project, stack, number"),

    putSecret: p(`INSERT INTO secrets (project, name, value, size, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (project, name) DO UPDATE SET value = excluded.value, size = excluded.size, updated_at = excluded.updated_at`),
    secret: p('SELECT name, value, size, created_at, updated_at FROM secrets WHERE project = ? AND name = ?'),
    secrets: p('SELECT name, size, created_at, updated_at FROM secrets WHERE project = ? ORDER BY name'),
    deleteSecret: p('DELETE FROM secrets WHERE project = ? AND name = ?'),

    insertAudit: p('INSERT INTO audit (time, user, project, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    // A filter left null matches every row.
    auditLog: p(`SELECT * FROM audit WHERE (:project IS NULL OR project = :project) AND (:user IS NULL OR user = :user)
      AND (:action IS NULL OR action = :action) AND (:target IS NULL OR target = :target) ORDER BY id DESC LIMIT :limit`),
  };
}

/** The AAD names where a sealed value belongs, so it cannot be swapped with another one. */
function secretAad(project: string, name: string): string {
  return `spin-secret:v1:${project}/${name}`;
}

/** Creates the data folder private (0700), or checks that others cannot write into the one there. */
export function prepareDataDir(dir: string): void {
  try {
    mkdirSync(dir, {recursive: true, mode: 0o700});
  } catch (err) {
    throw new InvalidInputError(`cannot create the agent's data directory "${dir}": ${(err as Error).message}`, {
      hint: 'pick a directory you can write with --data-dir or SPIN_DATA_DIR',
      cause: err,
    });
  }
  const st = statSync(dir);
  if (!st.isDirectory()) throw new InvalidInputError(`the agent's data directory "${dir}" is not a directory`, {hint: 'pick another path with --data-dir or SPIN_DATA_DIR'});
  const mode = st.mode & 0o777;
  if (mode & 0o022) {
    throw new InvalidInputError(`the agent's data directory "${dir}" is writable by other users (mode ${octal(mode)})`, {
      hint: `others could replace the database or the secret key: run \`chmod 700 "${dir}"\``,
    });
  }
}

/** Creates the database file 0600 before SQLite does (SQLite would follow the umask), and tightens an existing one. */
function createPrivateFile(path: string): void {
  const fd = openSync(path, 'a', 0o600);
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if (mode !== 0o600) chmodSync(path, 0o600);
  } catch (err) {
    throw new InvalidInputError(`cannot make the agent database "${path}" private (mode 0600): ${(err as Error).message}`, {
      hint: 'run the agent as the user that owns the data directory',
      cause: err,
    });
  } finally {
    closeSync(fd);
  }
}

const octal = (mode: number) => mode.toString(8).padStart(4, '0');
const clip = (s: string) => (s.length > MAX_AUDIT_FIELD ? `${s.slice(0, MAX_AUDIT_FIELD)}…` : s);
const quoted = (v: unknown) => (typeof v === 'string' ? `"${v.length > 80 ? `${v.slice(0, 80)}…` : v}"` : String(v));

function checkLabel(kind: 'project' | 'stack', value: string): void {
  if (!isDnsLabel(value)) {
    throw new InvalidInputError(`${kind} name ${quoted(value)} is not valid`, {
      hint: `a ${kind} name is a DNS label: ${DNS_LABEL_RULE}`,
    });
  }
}

function checkRef(ref: StackRef): void {
  checkLabel('project', ref.project);
  checkLabel('stack', ref.stack);
}

function checkUserName(value: string): void {
  if (typeof value !== 'string' || !USER_NAME.test(value)) {
    throw new InvalidInputError(`user name ${quoted(value)} is not valid`, {
      hint: 'use lowercase letters, digits, ".", "_" and "-", at most 64 characters, starting with a letter or digit (the login name is a good choice)',
    });
  }
}

function checkSecretName(value: string): void {
  if (typeof value !== 'string' || !SECRET_NAME.test(value)) {
    throw new InvalidInputError(`secret name ${quoted(value)} is not valid`, {
      hint: 'use letters, digits, ".", "_" and "-", at most 128 characters, starting with a letter or digit',
    });
  }
}

function checkId(kind: 'uid' | 'gid', value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_ID) {
    throw new InvalidInputError(`${kind} ${quoted(value)} is not valid`, {hint: `a ${kind} is a whole number from 0 to ${MAX_ID} (see \`id\` on the HPC system)`});
  }
}

function toUser(row: UserRow): User {
  return {id: row.id, name: row.name, uid: row.uid, gid: row.gid, admin: row.admin === 1, projects: JSON.parse(row.projects) as string[], createdAt: row.created_at};
}

function toTokenInfo(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    user: row.user,
    prefix: row.prefix,
    createdAt: row.created_at,
    ...(row.last_used_at === null ? {} : {lastUsedAt: row.last_used_at}),
    ...(row.revoked_at === null ? {} : {revokedAt: row.revoked_at}),
  };
}

function toStackRecord(row: StackRow): StackRecord {
  return {
    project: row.project,
    stack: row.stack,
    ...(row.current_revision === null ? {} : {currentRevision: row.current_revision}),
    ...(row.latest_revision === null ? {} : {latestRevision: row.latest_revision}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRevision(row: RevisionRow): Revision {
  return {
    project: row.project,
    stack: row.stack,
    number: row.number,
    // Revisions recorded before durations were numbers are read as today's model.
    model: withNumericDurations(JSON.parse(row.model) as ComposeModel),
    images: JSON.parse(row.images) as Record<string, string>,
    ...(row.plan === null ? {} : {plan: JSON.parse(row.plan) as Plan}),
    user: row.user,
    createdAt: row.created_at,
    ...(row.finished_at === null ? {} : {finishedAt: row.finished_at}),
    outcome: row.outcome,
    ...(row.message === null ? {} : {message: row.message}),
  };
}

function toSecretInfo(row: SecretRow): SecretInfo {
  return {name: row.name, createdAt: row.created_at, updatedAt: row.updated_at, size: row.size};
}

function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    time: row.time,
    user: row.user,
    ...(row.project === null ? {} : {project: row.project}),
    action: row.action,
    ...(row.target === null ? {} : {target: row.target}),
    outcome: row.outcome,
    ...(row.detail === null ? {} : {detail: row.detail}),
  };
}
