// Reading a secret's value for `spin secret create`: from a file or standard input, bounded by
// the agent's limit, never echoed anywhere.

import {open} from 'node:fs/promises';

import {fileError, InvalidInputError, UsageError} from '../errors.ts';

export {MAX_SECRET_BYTES} from '../limits.ts';
import {MAX_SECRET_BYTES} from '../limits.ts';

const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function validateSecretName(name: string): string {
  if (!SECRET_NAME.test(name)) {
    throw new UsageError(`invalid secret name "${name.slice(0, 140)}"`, {
      hint: 'start with a letter or digit; then letters, digits, ".", "_" or "-" (at most 128 characters)',
    });
  }
  return name;
}

function tooLarge(from: string): InvalidInputError {
  return new InvalidInputError(`the secret value from ${from} is larger than 512 KiB`, {hint: 'store large files in a volume, and keep only keys and passwords in secrets'});
}

/** Reads at most the limit and one byte more, so a huge or endless input fails fast. */
async function readBounded(stream: AsyncIterable<Buffer | string>, from: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > MAX_SECRET_BYTES) throw tooLarge(from);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

export interface SecretSource {
  /** A file path; `-` or undefined reads standard input. */
  file?: string;
  stdin: AsyncIterable<Buffer | string> & {isTTY?: boolean};
}

/** The secret's bytes, exactly as given (no newline trimmed: a key file keeps its last line). */
export async function readSecretValue(source: SecretSource): Promise<Buffer> {
  let value: Buffer;
  if (source.file === undefined || source.file === '-') {
    if (source.stdin.isTTY) {
      throw new UsageError('no secret value given', {hint: 'pass a FILE, or pipe the value: `printf %s "$VALUE" | spin secret create NAME`'});
    }
    value = await readBounded(source.stdin, 'standard input');
  } else {
    const path = source.file;
    const handle = await open(path, 'r').catch((err) => {
      throw fileError(path, err);
    });
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new InvalidInputError(`"${path}" is not a regular file`, {hint: 'pass a file, or `-` to read standard input'});
      if (info.size > MAX_SECRET_BYTES) throw tooLarge(`"${path}"`);
      value = await readBounded(handle.createReadStream({autoClose: false}), `"${path}"`);
    } finally {
      await handle.close();
    }
  }
  if (value.length === 0) throw new InvalidInputError('the secret value is empty', {hint: 'check the file or the command that feeds standard input'});
  return value;
}
