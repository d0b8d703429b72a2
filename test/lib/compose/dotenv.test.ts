import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';

import {MAX_DOTENV_BYTES, parseDotenv} from '../../../src/lib/compose/dotenv.ts';
import {InvalidInputError} from '../../../src/lib/errors.ts';

const DOTENV_DIR = fileURLToPath(new URL('../../../../shared/corpus/dotenv/', import.meta.url));

interface FileCase {
  test: string;
  fixture: string;
  os_env_before: Record<string, string>;
  expected: Record<string, string> | null;
  expected_error: string | null;
  api: string;
}

interface Expected {
  cases: FileCase[];
  parse_line_cases: {input: string; key: string; value: string}[];
  expanding_cases: {name: string; input: string; expected: Record<string, string>}[];
  parse_error_cases: {input: string; expected_error: string}[];
}

const expected = JSON.parse(readFileSync(`${DOTENV_DIR}EXPECTED.json`, 'utf8')) as Expected;

function lookupIn(env: Record<string, string>): (name: string) => string | undefined {
  return (name) => (Object.hasOwn(env, name) ? env[name] : undefined);
}

/** godotenv's Read/ReadWithLookup wrappers drop keys starting with a digit; the parser keeps them. */
function withoutDigitKeys(vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(vars).filter(([k]) => !/^\s*\d/.test(k)));
}

/** godotenv's Load: the file's variables go into the process env, never replacing one already set. */
function loadInto(env: Record<string, string>, vars: Record<string, string>): Record<string, string> {
  const out = {...env};
  for (const [k, v] of Object.entries(vars)) if (!Object.hasOwn(out, k)) out[k] = v;
  return out;
}

/** The expected error's words must all be in ours (we add the key's name and the file). */
function assertErrorLike(err: unknown, expectedError: string): true {
  assert.ok(err instanceof InvalidInputError, `expected InvalidInputError, got ${String(err)}`);
  assert.ok(err.hint, 'error has a hint');
  for (const word of expectedError.split(/[\s:]+/).filter(Boolean)) {
    assert.ok(err.message.includes(word), `"${err.message}" should contain "${word}" (expected: "${expectedError}")`);
  }
  return true;
}

describe('parseDotenv: compose-go file cases', () => {
  for (const c of expected.cases) {
    it(`${c.test} (${c.fixture}, ${c.api})`, () => {
      const text = readFileSync(`${DOTENV_DIR}${c.fixture}`, 'utf8');
      if (c.api.startsWith('Load')) {
        const env = loadInto(c.os_env_before, parseDotenv(text));
        for (const [k, v] of Object.entries(c.expected ?? {})) assert.equal(env[k], v, k);
        return;
      }
      const lookup = c.api.startsWith('ReadWithLookup') ? lookupIn(c.os_env_before) : undefined;
      if (c.expected_error !== null) {
        assert.throws(() => parseDotenv(text, {lookup}), (err) => assertErrorLike(err, c.expected_error as string));
        return;
      }
      assert.deepEqual(withoutDigitKeys(parseDotenv(text, {lookup})), c.expected);
    });
  }

  it('keeps keys starting with a digit, as the compose loader does', () => {
    const vars = parseDotenv(readFileSync(`${DOTENV_DIR}fixtures/plain.env`, 'utf8'));
    assert.equal(vars['456'], 'ABC');
  });
});

describe('parseDotenv: compose-go single-line cases', () => {
  for (const c of expected.parse_line_cases) {
    it(JSON.stringify(c.input), () => {
      assert.deepEqual(parseDotenv(c.input), {[c.key]: c.value});
    });
  }
});

describe('parseDotenv: compose-go expansion cases', () => {
  for (const c of expected.expanding_cases) {
    it(c.name, () => {
      assert.deepEqual(parseDotenv(c.input), c.expected);
    });
  }
});

describe('parseDotenv: compose-go parse errors', () => {
  for (const c of expected.parse_error_cases) {
    it(JSON.stringify(c.input), () => {
      assert.throws(() => parseDotenv(c.input), (err) => assertErrorLike(err, c.expected_error));
    });
  }
});

describe('parseDotenv', () => {
  it('names the file and line in errors', () => {
    assert.throws(() => parseDotenv('A=1\n\nB="open\n', {filename: 'stack/.env'}), {
      name: 'InvalidInputError',
      message: 'stack/.env:3: unterminated quoted value for "B"',
      hint: 'add the closing ", or escape a quote inside the value with a backslash',
    });
    assert.throws(() => parseDotenv('lol$wut', {filename: '.env'}), {
      message: '.env:1: unexpected character "$" in variable name "lol$wut"',
    });
  });

  it('counts the lines of multi-line values', () => {
    assert.throws(() => parseDotenv('A="one\ntwo"\nB=\'x\ny\'\nC D=1\n'), {message: 'line 5: key "C D" cannot contain a space'});
  });

  it('rejects text after a closing quote', () => {
    assert.throws(() => parseDotenv('A="x" y\n', {filename: '.env'}), {
      message: '.env:1: unexpected text after the closing quote of the value on line 1',
    });
  });

  it('reports missing required variables and malformed expansions with the line', () => {
    assert.throws(() => parseDotenv('# c\nA=${B:?set B first}\n', {filename: '.env'}), {
      name: 'InvalidInputError',
      message: '.env:2: required variable B is missing a value: set B first',
      hint: 'set B in the environment or in the .env file',
    });
    assert.throws(() => parseDotenv('A="${B"\n', {filename: '.env'}), {
      message: '.env:1: invalid interpolation format: "${B" ("${" is not closed by "}")',
      hint: 'use $$ for a literal dollar sign',
    });
  });

  it('expands from the environment first, then from earlier keys; nothing in single quotes', () => {
    const vars = parseDotenv("A=file\nB=$A\nC=${Z:-$A}\nD='$A'\nE=\"$$A \\$A $A\"\nF=$$A\n", {lookup: lookupIn({A: 'env'})});
    assert.deepEqual(vars, {A: 'file', B: 'env', C: 'env', D: '$A', E: '$A $A env', F: '$A'});
    assert.deepEqual(parseDotenv('A=file\nB=$A\n'), {A: 'file', B: 'file'});
  });

  it('takes bare keys from the environment and skips those not set', () => {
    assert.deepEqual(parseDotenv('HOME\nMISSING\nexport USER\n', {lookup: lookupIn({HOME: '/home/me', USER: 'me'})}), {
      HOME: '/home/me',
      USER: 'me',
    });
  });

  it('handles CRLF, tabs before inline comments, and a line reading just "export"', () => {
    assert.deepEqual(parseDotenv('A=1\r\nB="2"\r\nC=3\t# note\r\nexport\r\n', {lookup: lookupIn({export: 'x'})}), {
      A: '1',
      B: '2',
      C: '3',
      export: 'x',
    });
  });

  it('keeps unknown escapes and decodes octal ones in double quotes', () => {
    assert.deepEqual(parseDotenv('A="\\x41\\0101\\q"\nB=\'\\t\'\n'), {A: '\\x41A\\q', B: '\\t'});
  });

  it('treats __proto__ as an ordinary key', () => {
    const vars = parseDotenv('__proto__=x\nA=1\n');
    assert.equal(Object.getPrototypeOf(vars), Object.prototype);
    assert.deepEqual(Object.keys(vars), ['__proto__', 'A']);
    assert.equal(Object.getOwnPropertyDescriptor(vars, '__proto__')?.value, 'x');
  });

  it('strips a UTF-8 byte order mark and keeps the last of repeated keys', () => {
    assert.deepEqual(parseDotenv('\ufeffA=1\nA=2\n'), {A: '2'});
  });

  it('rejects text over 1 MiB', () => {
    const big = `A=${'x'.repeat(MAX_DOTENV_BYTES)}\n`;
    assert.throws(() => parseDotenv(big, {filename: 'big.env'}), {
      name: 'InvalidInputError',
      message: 'env file "big.env" is larger than 1 MiB',
    });
    // Counted in bytes, not characters.
    assert.throws(() => parseDotenv(`A=${'é'.repeat(MAX_DOTENV_BYTES / 2 + 1)}`), {message: 'env file is larger than 1 MiB'});
  });

  describe('raw format', () => {
    it('takes values verbatim', () => {
      const text = '# comment\n\n  A="quoted" # not a comment\nB=$HOME \\n\r\nC=\nINHERIT\nMISSING\n';
      assert.deepEqual(parseDotenv(text, {raw: true, lookup: lookupIn({INHERIT: 'yes', HOME: '/h'})}), {
        A: '"quoted" # not a comment',
        B: '$HOME \\n',
        C: '',
        INHERIT: 'yes',
      });
    });

    it('rejects names with whitespace or no name', () => {
      assert.throws(() => parseDotenv('A=1\nB C=2\n', {raw: true, filename: 'app.env'}), {
        message: 'app.env:2: variable name "B C" contains whitespace',
      });
      assert.throws(() => parseDotenv('=2\n', {raw: true}), {message: 'line 1: missing variable name before "="'});
    });
  });
});
