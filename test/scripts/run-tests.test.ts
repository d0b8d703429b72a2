import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';

const runner = fileURLToPath(new URL('../../scripts/run-tests.js', import.meta.url));
const fixture = (name: string) => `test/fixtures/run-tests/${name}`;

function runTests(args: string[], extraEnv: Record<string, string> = {}, node = process.execPath) {
  // The runner must start a run of its own, not act as a file of the run this test is in.
  const env: NodeJS.ProcessEnv = {...process.env, ...extraEnv};
  delete env.NODE_TEST_CONTEXT;
  delete env.SPIN_TEST_REPORTER;
  const result = spawnSync(node, [runner, ...args], {env, encoding: 'utf8', timeout: 60_000});
  return {status: result.status, stdout: result.stdout, stderr: result.stderr};
}

describe('scripts/run-tests.js', () => {
  test('a passing file exits 0 and ends with the tap summary when piped', () => {
    const {status, stdout} = runTests([fixture('passes.ts')]);
    assert.equal(status, 0, stdout);
    assert.match(stdout, /^ok 1 - adds$/m);
    assert.match(stdout, /^# tests 1\n# suites 0\n# pass 1\n# fail 0$/m);
  });

  test('a failing test makes the run exit 1 and is counted', () => {
    const {status, stdout} = runTests([fixture('fails.ts')]);
    assert.equal(status, 1);
    assert.match(stdout, /^not ok 2 - fails on purpose$/m);
    assert.match(stdout, /^# pass 1\n# fail 1$/m);
  });

  test('a file that never exits is stopped after the per-file timeout', () => {
    const started = Date.now();
    const {status, stdout} = runTests([fixture('leaves-server-open.ts'), fixture('passes.ts')], {
      SPIN_TEST_FILE_TIMEOUT_MS: '1000',
    });
    assert.equal(status, 1);
    assert.ok(Date.now() - started < 30_000);
    assert.match(stdout, /leaves-server-open\.ts was still running after 1000 ms and was stopped/);
    assert.match(stdout, /^ok \d+ - adds$/m);
    assert.match(stdout, /^not ok \d+ - test\/fixtures\/run-tests\/leaves-server-open\.ts$/m);
  });

  test('other arguments go to node --test', () => {
    const {status, stdout} = runTests([fixture('fails.ts'), '--test-name-pattern=^passes$']);
    assert.equal(status, 0, stdout);
    assert.match(stdout, /^# pass 1\n# fail 0$/m);
  });

  const oldNode = '/usr/bin/node';
  const oldNodeVersion = spawnSync(oldNode, ['-p', 'process.versions.node'], {encoding: 'utf8'}).stdout?.trim();
  const oldNodeIsOld = /^(1\d|20|21)\./.test(oldNodeVersion ?? '');
  test('a node too old to run TypeScript is refused with a hint', {skip: !oldNodeIsOld && 'no old node at /usr/bin/node'}, () => {
    const {status, stdout, stderr} = runTests([fixture('passes.ts')], {}, oldNode);
    assert.equal(status, 1);
    assert.equal(stdout, '');
    assert.match(stderr, new RegExp(`^run-tests: node v${oldNodeVersion.replaceAll('.', '\\.')} cannot run the TypeScript tests; it needs node >=22\\.18$`, 'm'));
    assert.match(stderr, /^hint: run `bash scripts\/setup\.sh --no-docker`/m);
  });
});
