// The agent database's schema, as numbered steps. A step, once released, never changes: a new
// need is a new step at the end. `PRAGMA user_version` says how many steps a database has, and
// `schema_migrations` keeps when each was applied. All steps run in one write transaction, so a
// second process opening the same database at the same time waits, then finds nothing to do.

import type {DatabaseSync} from 'node:sqlite';

import {InvalidInputError, OperationError} from '../errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, tokens, stacks, revisions, secrets, audit',
    sql: `
      CREATE TABLE schema_migrations (
        version    INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        applied_at TEXT NOT NULL
      );

      CREATE TABLE users (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        uid        INTEGER NOT NULL CHECK (uid > 0),
        gid        INTEGER NOT NULL CHECK (gid >= 0),
        admin      INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
        created_at TEXT NOT NULL
      );

      CREATE TABLE user_projects (
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        project TEXT NOT NULL,
        PRIMARY KEY (user_id, project)
      ) WITHOUT ROWID;
      CREATE INDEX user_projects_project ON user_projects (project);

      -- hash: SHA-256 of the whole token; prefix: its first characters, to name it in listings.
      CREATE TABLE tokens (
        id           INTEGER PRIMARY KEY,
        user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        hash         BLOB NOT NULL UNIQUE,
        prefix       TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at   TEXT
      );
      CREATE INDEX tokens_prefix ON tokens (prefix);
      CREATE INDEX tokens_user ON tokens (user_id);

      -- A row exists from the first revision on; a lock taken before it exists makes a row
      -- without revisions, which unlocking removes again.
      CREATE TABLE stacks (
        project          TEXT NOT NULL,
        stack            TEXT NOT NULL,
        current_revision INTEGER,
        latest_revision  INTEGER,
        lock_holder      TEXT,
        locked_at        TEXT,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        PRIMARY KEY (project, stack)
      ) WITHOUT ROWID;

      CREATE TABLE revisions (
        project     TEXT NOT NULL,
        stack       TEXT NOT NULL,
        number      INTEGER NOT NULL CHECK (number > 0),
        model       TEXT NOT NULL,
        images      TEXT NOT NULL,
        plan        TEXT,
        user        TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        finished_at TEXT,
        outcome     TEXT NOT NULL
          CHECK (outcome IN ('pending', 'healthy', 'started', 'failed', 'timeout', 'rolled-back', 'interrupted')),
        message     TEXT,
        PRIMARY KEY (project, stack, number),
        FOREIGN KEY (project, stack) REFERENCES stacks (project, stack) ON DELETE CASCADE
      );
      CREATE INDEX revisions_pending ON revisions (project, stack, number) WHERE outcome = 'pending';

      -- value: nonce ‖ AES-256-GCM ciphertext ‖ tag; size: plaintext bytes.
      CREATE TABLE secrets (
        project    TEXT NOT NULL,
        name       TEXT NOT NULL,
        value      BLOB NOT NULL,
        size       INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (project, name)
      );

      CREATE TABLE audit (
        id      INTEGER PRIMARY KEY AUTOINCREMENT,
        time    TEXT NOT NULL,
        user    TEXT NOT NULL,
        project TEXT,
        action  TEXT NOT NULL,
        target  TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
        detail  TEXT
      );
      CREATE INDEX audit_project ON audit (project, id);
      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * Runs fn in a write transaction taken up front (BEGIN IMMEDIATE): a read that later turns into
 * a write could otherwise fail at once with "database is locked" instead of waiting out the
 * busy timeout while another process writes.
 */
export function inTransaction<T>(db: DatabaseSync, fn: () => T): T {
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (err) {
    throw busyError(err) ?? err;
  }
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw busyError(err) ?? err;
  }
}

function busyError(err: unknown): OperationError | undefined {
  const e = err as {errcode?: number};
  // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes in the high bits.
  const primary = typeof e?.errcode === 'number' ? e.errcode & 0xff : undefined;
  if (primary !== 5 && primary !== 6) return undefined;
  return new OperationError('the agent database stayed locked by another process', {
    hint: 'try again in a moment; if it persists, look for a stuck `spin agent` process using the same data directory',
    cause: err,
  });
}

/** Brings the database to SCHEMA_VERSION; returns the versions before and after. */
export function migrate(db: DatabaseSync, path: string, now: () => Date): {from: number; to: number} {
  return inTransaction(db, () => {
    const from = Number((db.prepare('PRAGMA user_version').get() as {user_version: number}).user_version);
    if (from > SCHEMA_VERSION) {
      throw new InvalidInputError(`the agent database "${path}" has schema version ${from}, newer than this spin knows (${SCHEMA_VERSION})`, {
        hint: 'a newer spin wrote it: upgrade spin, or point --data-dir at another directory',
      });
    }
    for (const m of MIGRATIONS) {
      if (m.version <= from) continue;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now().toISOString());
    }
    // PRAGMA takes no bound parameters; the value is our own integer.
    if (from < SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    return {from, to: SCHEMA_VERSION};
  });
}
