// The agent's secrets at rest and its bearer tokens.
//
// Secret values are sealed with AES-256-GCM under one random key kept next to the database
// (`secret.key`, mode 0600): a copied database alone reveals nothing. The AAD binds each value
// to where it is stored, so a sealed value moved to another name or project fails to open.
// Tokens carry 256 random bits, so a plain SHA-256 is the right hash for them: no dictionary
// exists to slow down, and lookups must stay fast on every request.

import {createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual} from 'node:crypto';
import {closeSync, fstatSync, linkSync, openSync, readFileSync, unlinkSync, writeSync} from 'node:fs';

import {InvalidInputError, OperationError} from '../errors.ts';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export const TOKEN_PREFIX = 'spin_';
/** `spin_` and 43 base64url characters: 32 random bytes. */
export const TOKEN_PATTERN = /^spin_[A-Za-z0-9_-]{43}$/;
/** How much of a token is kept in clear to name it in listings: `spin_` and 8 characters. */
export const TOKEN_DISPLAY_LENGTH = TOKEN_PREFIX.length + 8;

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function tokenDisplayPrefix(token: string): string {
  return token.slice(0, TOKEN_DISPLAY_LENGTH);
}

export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** nonce ‖ ciphertext ‖ tag */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** The plaintext, or undefined when the data, the AAD or the key does not match. */
export function unseal(key: Buffer, sealed: Uint8Array, aad: string): Buffer | undefined {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  const data = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * Reads the key file, creating it on first use. Creation writes a private temporary file and
 * hard-links it into place, so two processes starting at once agree on one key and neither
 * can read a half-written file.
 */
export function loadOrCreateKey(path: string): Buffer {
  try {
    return readKey(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(KEY_BYTES));
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temp);
  }
  return readKey(path);
}

function readKey(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if (mode & 0o077) {
      throw new InvalidInputError(`the agent's secret key "${path}" is readable by other users (mode ${mode.toString(8).padStart(4, '0')})`, {
        hint: `run \`chmod 600 "${path}"\`; if others could read it, rotate the project secrets`,
      });
    }
    const key = readFileSync(fd);
    if (key.length !== KEY_BYTES) {
      throw new OperationError(`the agent's secret key "${path}" holds ${key.length} bytes, not ${KEY_BYTES}`, {
        hint: 'restore the file from a backup: without the original key the stored secrets cannot be read',
      });
    }
    return key;
  } finally {
    closeSync(fd);
  }
}
