// The agent's records. The store (store.ts, SQLite) keeps them; routes and the deploy flow use them.

import type {ComposeModel} from '../compose/types.ts';
import type {Plan, StackRef} from '../engine/types.ts';

export interface User {
  id: number;
  name: string;
  /** Numeric identity on the platform: global-fs mounts run as uid:gid. */
  uid: number;
  gid: number;
  admin: boolean;
  projects: string[];
  createdAt: string;
}

export interface TokenInfo {
  id: number;
  user: string;
  /** The first characters of the token, safe to show (`spin_AbC1…`). */
  prefix: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

export type RevisionOutcome = 'pending' | 'healthy' | 'started' | 'failed' | 'timeout' | 'rolled-back' | 'interrupted';

export interface Revision {
  project: string;
  stack: string;
  number: number;
  /** The normalized, policy-checked model as deployed. */
  model: ComposeModel;
  /** Image reference in use per service, digest-pinned where known. */
  images: Record<string, string>;
  plan?: Plan;
  user: string;
  createdAt: string;
  finishedAt?: string;
  outcome: RevisionOutcome;
  message?: string;
}

export interface StackRecord {
  project: string;
  stack: string;
  /** The last revision that became healthy (what rollback returns to). */
  currentRevision?: number;
  /** The newest revision, whatever its outcome. */
  latestRevision?: number;
  createdAt: string;
  updatedAt: string;
}

export interface SecretInfo {
  name: string;
  createdAt: string;
  updatedAt: string;
  /** Bytes; the value itself is never returned by the API. */
  size: number;
}

export interface AuditEntry {
  id: number;
  time: string;
  user: string;
  project?: string;
  /** e.g. `stack.deploy`, `stack.remove`, `secret.create`, `user.add`. */
  action: string;
  target?: string;
  outcome: 'ok' | 'denied' | 'failed';
  detail?: string;
}

/** Which audit entries to read, newest first; each filter given must match exactly. */
export interface AuditQuery {
  project?: string;
  user?: string;
  action?: string;
  target?: string;
  limit?: number;
}

export interface Store {
  close(): void;

  // identity
  addUser(input: {name: string; uid: number; gid: number; projects: string[]; admin?: boolean}): {user: User; token: string};
  user(name: string): User | undefined;
  users(): User[];
  /** A new token for an existing user; the plain token is returned once and stored hashed. */
  createToken(user: string): string;
  /** The user a token belongs to, unless unknown or revoked. Constant-time comparison. */
  authenticate(token: string): User | undefined;
  tokens(user?: string): TokenInfo[];
  /** Revokes by token prefix or id; returns how many were revoked. */
  revokeToken(prefixOrId: string): number;

  // stacks and revisions
  stacks(project: string): StackRecord[];
  stack(ref: StackRef): StackRecord | undefined;
  /** Takes the stack's deploy lock; false when another holder has it (one deploy per stack). */
  lockStack(ref: StackRef, holder: string): boolean;
  unlockStack(ref: StackRef, holder: string): void;
  /** Clears every lock (agent start: the previous process is gone). */
  clearLocks(): void;
  addRevision(ref: StackRef, input: {model: ComposeModel; images: Record<string, string>; user: string; plan?: Plan}): Revision;
  finishRevision(ref: StackRef, number: number, outcome: RevisionOutcome, message?: string, images?: Record<string, string>): void;
  revisions(ref: StackRef): Revision[];
  revision(ref: StackRef, number: number): Revision | undefined;
  /** The outcome of each stack's newest revision, without reading the revisions' models. */
  latestOutcomes(project: string): Map<string, RevisionOutcome>;
  /** Revisions left `pending` by a crash. */
  pendingRevisions(): Revision[];
  deleteStack(ref: StackRef): void;

  // project secrets, encrypted at rest
  putSecret(project: string, name: string, value: Buffer): SecretInfo;
  secrets(project: string): SecretInfo[];
  secretValue(project: string, name: string): Buffer | undefined;
  deleteSecret(project: string, name: string): boolean;

  // audit log of every mutating call
  audit(entry: Omit<AuditEntry, 'id' | 'time'>): void;
  auditLog(options?: AuditQuery): AuditEntry[];
}
