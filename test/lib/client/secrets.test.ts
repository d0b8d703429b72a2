import assert from 'node:assert/strict';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Readable} from 'node:stream';
import {after, before, describe, test} from 'node:test';

import {MAX_SECRET_BYTES, readSecretValue, validateSecretName} from '../../../src/lib/client/secrets.ts';
import {ExitCode} from '../../../src/lib/errors.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spin-secrets-'));
});
after(async () => {
  await rm(dir, {recursive: true, force: true});
});

const stdin = (...chunks: string[]) => Object.assign(Readable.from(chunks.map((c) => Buffer.from(c))), {isTTY: false});
const noStdin = stdin();

describe('readSecretValue', () => {
  test('from a file, bytes as they are (trailing newline kept)', async () => {
    const file = join(dir, 'key.pem');
    await writeFile(file, 'line1\nline2\n');
    assert.equal((await readSecretValue({file, stdin: noStdin})).toString(), 'line1\nline2\n');
  });

  test('from standard input with `-` or no file', async () => {
    assert.equal((await readSecretValue({file: '-', stdin: stdin('s3', 'cret')})).toString(), 's3cret');
    assert.equal((await readSecretValue({stdin: stdin('hunter2')})).toString(), 'hunter2');
  });

  test('exactly 512 KiB passes; one byte more fails with exit 3, from a file or stdin', async () => {
    const file = join(dir, 'max.bin');
    await writeFile(file, Buffer.alloc(MAX_SECRET_BYTES, 1));
    assert.equal((await readSecretValue({file, stdin: noStdin})).length, MAX_SECRET_BYTES);
    const big = join(dir, 'big.bin');
    await writeFile(big, Buffer.alloc(MAX_SECRET_BYTES + 1, 1));
    await assert.rejects(readSecretValue({file: big, stdin: noStdin}), (err: {exitCode: number; message: string}) => {
      assert.equal(err.exitCode, ExitCode.invalid);
      assert.equal(err.message, `the secret value from "${big}" is larger than 512 KiB`);
      return true;
    });
    const chunk = 'x'.repeat(64 * 1024);
    await assert.rejects(readSecretValue({stdin: stdin(...Array(9).fill(chunk))}), /from standard input is larger than 512 KiB/);
  });

  test('empty, missing, directory and terminal input are clear errors', async () => {
    await assert.rejects(readSecretValue({stdin: stdin()}), /^InvalidInputError: the secret value is empty$/);
    await assert.rejects(readSecretValue({file: join(dir, 'nope'), stdin: noStdin}), /file ".*nope" does not exist/);
    await assert.rejects(readSecretValue({file: dir, stdin: noStdin}), /is not a regular file/);
    await assert.rejects(readSecretValue({stdin: Object.assign(Readable.from([]), {isTTY: true})}), (err: {exitCode: number; message: string}) => err.exitCode === ExitCode.usage && err.message === 'no secret value given');
  });
});

describe('validateSecretName', () => {
  test('the API pattern; others are usage errors', () => {
    assert.equal(validateSecretName('db_password.v2'), 'db_password.v2');
    for (const bad of ['', '-x', 'a/b', 'a b', 'x'.repeat(129)]) {
      assert.throws(() => validateSecretName(bad), (err: {exitCode: number; hint: string}) => err.exitCode === ExitCode.usage && /letter or digit/.test(err.hint));
    }
  });
});
