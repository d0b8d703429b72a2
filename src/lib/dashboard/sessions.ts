// Dashboard sessions. Signing in trades a bearer token for a random session id in a cookie, so
// the token is typed once and never stored in the browser. The agent keeps only the id's hash:
// a memory dump or a log line with a hash in it opens nothing. Sessions live in memory: they are
// short (idle and absolute expiry), an agent restart signs everyone out, which is the safe way
// round, and the shared SQLite state needs no new table.
//
// Each session has its own CSRF token, compared in constant time on every POST. The sign-in form
// itself is guarded by a double-submit value (a cookie and a field that must match), so a foreign
// page cannot sign a browser in under someone else's token.

import {createHash, randomBytes, timingSafeEqual} from 'node:crypto';

export interface Session {
  user: string;
  /** The display prefix of the token signed in with: revoking that token ends the session. */
  tokenPrefix: string;
  csrf: string;
  createdAt: number;
  seenAt: number;
}

export interface SessionOptions {
  now?: () => number;
  /** Signed out after this long without a request. Default 30 minutes. */
  idleMs?: number;
  /** Signed out this long after signing in, however active. Default 8 hours. */
  maxAgeMs?: number;
  /** At most this many live sessions; the oldest goes first. Default 10,000. */
  max?: number;
}

/** 32 random bytes as base64url: 43 characters. */
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function randomId(): string {
  return randomBytes(32).toString('base64url');
}

const digest = (id: string) => createHash('sha256').update(id, 'utf8').digest('base64url');

/** Equal strings in time that depends only on their length, never on where they differ. */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Sessions {
  private readonly byHash = new Map<string, Session>();
  private readonly now: () => number;
  readonly idleMs: number;
  readonly maxAgeMs: number;
  private readonly max: number;

  constructor(options: SessionOptions = {}) {
    this.now = options.now ?? Date.now;
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.maxAgeMs = options.maxAgeMs ?? 8 * 3600_000;
    this.max = options.max ?? 10_000;
  }

  get size(): number {
    return this.byHash.size;
  }

  /** A new session; the id is returned once (for the cookie) and kept only as its hash. */
  create(user: string, tokenPrefix: string): {id: string; session: Session} {
    this.prune();
    // Insertion order is age order: the first key is the oldest session.
    while (this.byHash.size >= this.max) this.byHash.delete(this.byHash.keys().next().value!);
    const id = randomId();
    const time = this.now();
    const session: Session = {user, tokenPrefix, csrf: randomId(), createdAt: time, seenAt: time};
    this.byHash.set(digest(id), session);
    return {id, session};
  }

  /** The live session of a cookie value, its idle time reset; undefined when unknown or expired. */
  get(id: string | undefined): Session | undefined {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return undefined;
    const key = digest(id);
    const session = this.byHash.get(key);
    if (!session) return undefined;
    const time = this.now();
    if (this.expired(session, time)) {
      this.byHash.delete(key);
      return undefined;
    }
    session.seenAt = time;
    return session;
  }

  delete(id: string | undefined): boolean {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return false;
    return this.byHash.delete(digest(id));
  }

  /** Ends every session of a user (the user was removed, or signed in with a revoked token). */
  deleteUser(user: string): void {
    for (const [key, s] of this.byHash) if (s.user === user) this.byHash.delete(key);
  }

  checkCsrf(session: Session, token: string | undefined): boolean {
    return sameSecret(session.csrf, token);
  }

  private expired(session: Session, time: number): boolean {
    return time - session.seenAt > this.idleMs || time - session.createdAt > this.maxAgeMs;
  }

  private prune(): void {
    const time = this.now();
    for (const [key, s] of this.byHash) if (this.expired(s, time)) this.byHash.delete(key);
  }
}

/** Longest Cookie header read; browsers send far less to one host, and a longer one is ignored. */
const MAX_COOKIE_HEADER = 8192;

/** The cookies of a request as name → value (first one wins); a malformed pair is skipped. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header || header.length > MAX_COOKIE_HEADER) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name && !out.has(name) && /^[A-Za-z0-9_-]*$/.test(value)) out.set(name, value);
  }
  return out;
}

export interface CookieOptions {
  secure: boolean;
  /** Seconds; 0 deletes the cookie. Absent: a browser-session cookie. */
  maxAge?: number;
}

/**
 * A Set-Cookie value: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends
 * it), Path=/. Over TLS also Secure, and the name gets the `__Host-` prefix, which makes the
 * browser refuse the cookie unless it is Secure, host-only and for the whole path.
 */
export function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

export function setCookie(base: string, value: string, options: CookieOptions): string {
  const parts = [`${cookieName(base, options.secure)}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (options.secure) parts.push('Secure');
  if (options.maxAge !== undefined) parts.push(`Max-Age=${options.maxAge}`);
  return parts.join('; ');
}
