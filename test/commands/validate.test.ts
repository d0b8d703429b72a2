import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, test} from 'node:test';

import {ROOT, runSpin} from '../helpers/cli.ts';

const HELLO = join(ROOT, 'examples/hello');
const FIXTURES = join(ROOT, 'test/fixtures/compose');

describe('spin validate', () => {
  test('a valid project: exit 0, nothing on stdout, a summary on stderr', async () => {
    const r = await runSpin(['validate'], {cwd: HELLO});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'hello is valid: 2 services\n');
  });

  test('from a subfolder: the compose file of a parent folder, as docker compose finds it', async () => {
    const r = await runSpin(['validate', '--json'], {cwd: join(HELLO, 'web')});
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(json.files, [join(HELLO, 'compose.yaml')]);
    assert.equal(json.project, 'hello');
  });

  test('a policy violation: exit 3, the located problem and its hint on stdout', async () => {
    const r = await runSpin(['validate', '-f', 'privileged.yaml'], {cwd: FIXTURES});
    assert.equal(r.code, 3);
    const [first, hint] = r.stdout.split('\n');
    assert.match(first, /^privileged\.yaml:5:5: error: .*privileged.* \[privileged\]$/);
    assert.match(hint, /^ {2}hint: /);
    assert.equal(r.stderr, 'demo is invalid: 1 error\n');
    assert.doesNotMatch(r.stdout + r.stderr, /\u001B\[/, 'no color when piped');
  });

  test('--no-policy checks compose validity only', async () => {
    const r = await runSpin(['validate', '--no-policy', '-f', 'privileged.yaml'], {cwd: FIXTURES});
    assert.equal(r.code, 0, r.stdout);
  });

  test('every compose problem at once, with --json for scripts', async () => {
    const r = await runSpin(['validate', '--json', '-f', join(FIXTURES, 'broken.yaml')]);
    assert.equal(r.code, 3);
    assert.equal(r.stderr, '');
    const json = JSON.parse(r.stdout);
    assert.equal(json.valid, false);
    const unknown = json.diagnostics.find((d: {message: string}) => /additional property "imgae"/.test(d.message));
    assert.ok(unknown, r.stdout);
    assert.equal(unknown.line, 4);
    assert.equal(unknown.file, join(FIXTURES, 'broken.yaml'));
    assert.match(unknown.hint, /image/);
  });

  test('a missing file is one clear line, exit 3', async () => {
    const r = await runSpin(['validate', '-f', 'nope.yaml'], {cwd: FIXTURES});
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: file ".*nope\.yaml" does not exist\nhint: .+\n$/);
  });

  test('usage errors exit 2 with a hint', async () => {
    const r = await runSpin(['validate', '--bogus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: Nonexistent flag: --bogus/);
    assert.match(r.stderr, /hint: see `spin validate --help`/);
    const both = await runSpin(['validate', '--policy', 'x.yaml', '--no-policy']);
    assert.equal(both.code, 2);
  });

  test('on a terminal: colors, unless NO_COLOR', async () => {
    const colored = await runSpin(['validate', '-f', 'privileged.yaml'], {cwd: FIXTURES, tty: true});
    assert.equal(colored.code, 3);
    assert.match(colored.stdout, /\u001B\[31merror\u001B\[39m/);
    const plain = await runSpin(['validate', '-f', 'privileged.yaml'], {cwd: FIXTURES, tty: true, env: {NO_COLOR: '1'}});
    assert.equal(plain.code, 3);
    assert.doesNotMatch(plain.stdout, /\u001B\[/);
    assert.match(plain.stdout, /privileged\.yaml:5:5: error:/);
  });

  test('--help shows examples', async () => {
    const r = await runSpin(['validate', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /EXAMPLES/);
    assert.match(r.stdout, /--no-policy/);
  });
});
