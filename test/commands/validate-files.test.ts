// `spin validate` on problems compose only finds late: a missing build folder or Dockerfile, and
// rollout settings the engine would refuse in the middle of a deploy. Fixtures in a temp dir.

import assert from 'node:assert/strict';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {runSpin} from '../helpers/cli.ts';

let dir: string;

async function project(name: string, compose: string): Promise<string> {
  const at = join(dir, name);
  await mkdir(at, {recursive: true});
  await writeFile(join(at, 'compose.yaml'), compose);
  return at;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spin-validate-'));
});

after(async () => {
  if (dir) await rm(dir, {recursive: true, force: true});
});

describe('spin validate finds what the build and the deploy would trip on', () => {
  test('a missing build folder and a missing Dockerfile: exit 3, each at its `build`, with a hint', async () => {
    const at = await project('build', 'name: demo\nservices:\n  web:\n    build: ./web\n  api:\n    build:\n      context: ./api\n      dockerfile: api.Dockerfile\n');
    await mkdir(join(at, 'api'));
    const r = await runSpin(['validate', '--no-policy'], {cwd: at});
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.equal(
      r.stdout,
      [
        `compose.yaml:4:5: error: services.web.build: build context "${at}/web" does not exist`,
        `  hint: create the folder, or fix \`build\`: a relative context is relative to the compose file's folder "${at}"`,
        `compose.yaml:6:5: error: services.api.build: Dockerfile "${at}/api/api.Dockerfile" does not exist`,
        `  hint: create it, or fix \`build.dockerfile\` (relative to the build context "${at}/api"), or write the Dockerfile in the compose file with \`dockerfile_inline\``,
        '',
      ].join('\n'),
    );
    assert.equal(r.stderr, 'demo is invalid: 2 errors\n');

    await mkdir(join(at, 'web'));
    await writeFile(join(at, 'web/Dockerfile'), 'FROM scratch\n');
    await writeFile(join(at, 'api/api.Dockerfile'), 'FROM scratch\n');
    const fixed = await runSpin(['validate', '--no-policy'], {cwd: at});
    assert.equal(fixed.code, 0, fixed.stdout);
  });

  test('update_config.failure_action: explode and friends: exit 3 at load, not at deploy', async () => {
    const at = await project('rollout', 'name: demo\nservices:\n  web:\n    image: busybox\n    deploy:\n      update_config:\n        failure_action: explode\n      rollback_config:\n        max_failure_ratio: 2\n');
    const r = await runSpin(['validate', '--no-policy', '--json'], {cwd: at});
    assert.equal(r.code, 3);
    const json = JSON.parse(r.stdout) as {diagnostics: {line: number; column: number; message: string; hint: string}[]};
    assert.deepEqual(
      json.diagnostics.map((d) => [d.line, d.column, d.message]),
      [
        [7, 9, 'services.web.deploy.update_config.failure_action must be rollback, pause or continue, not "explode"'],
        [9, 9, 'services.web.deploy.rollback_config.max_failure_ratio must be a number from 0 to 1, not 2'],
      ],
    );
    assert.ok(json.diagnostics.every((d) => d.hint));
  });
});
