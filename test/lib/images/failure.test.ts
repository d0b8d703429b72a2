import assert from 'node:assert/strict';
import {test} from 'node:test';

import {explainBuildFailure} from '../../../src/lib/images/failure.ts';

const ctx = {service: 'web', context: '/src/hello/web'};
const nothing = async () => false;

test('a COPY of a file missing from the context names the file and the context', async () => {
  const reason = 'COPY failed: file not found in build context or excluded by .dockerignore: stat data/seed.csv: file does not exist';
  assert.deepEqual(await explainBuildFailure(reason, {...ctx, instruction: 'COPY data/seed.csv /seed.csv'}, nothing), {
    reason: 'COPY failed: "data/seed.csv" is not in the build context "/src/hello/web"',
    hint: 'put "data/seed.csv" into "/src/hello/web", or fix the COPY line: its sources are relative to the build context, not to the Dockerfile; a file git does not track must be made before the build',
  });
});

test('busybox, which the examples take from the host, says where it comes from', async () => {
  const reason = 'COPY failed: file not found in build context or excluded by .dockerignore: stat busybox: file does not exist';
  const explained = await explainBuildFailure(reason, ctx, nothing);
  assert.equal(explained?.reason, 'COPY failed: "busybox" is not in the build context "/src/hello/web"');
  assert.equal(explained?.hint, "it is a static busybox taken from the host, not kept in git: `cp /bin/busybox /src/hello/web/` (Debian's busybox-static; scripts/setup.sh does this for examples/hello)");
  // BuildKit's words for the same thing.
  const buildkit = await explainBuildFailure('failed to compute cache key: failed to calculate checksum of ref abc::xyz: "/busybox": not found', {...ctx, instruction: 'COPY busybox /bin/busybox'}, nothing);
  assert.equal(buildkit?.reason, 'COPY failed: "busybox" is not in the build context "/src/hello/web"');
});

test('a file that is there but excluded by .dockerignore says so', async () => {
  const reason = 'ADD failed: file not found in build context or excluded by .dockerignore: stat app.tar: file does not exist';
  const seen: string[] = [];
  const explained = await explainBuildFailure(reason, ctx, async (p) => (seen.push(p), true));
  assert.deepEqual(seen, ['/src/hello/web/app.tar']);
  assert.deepEqual(explained, {
    reason: 'ADD failed: "app.tar" is in the build context "/src/hello/web" but .dockerignore excludes it',
    hint: 'remove the .dockerignore pattern that matches "app.tar" (or add "!app.tar"), then run `spin build web` again',
  });
});

test('a pattern that matches nothing names the pattern; other failures keep the engine\'s words', async () => {
  const explained = await explainBuildFailure('COPY failed: no source files were specified', {...ctx, instruction: 'COPY --chown=1:1 static/*.css /www/'}, nothing);
  assert.equal(explained?.reason, 'COPY failed: nothing in the build context "/src/hello/web" matches "static/*.css"');
  assert.equal(await explainBuildFailure("The command '/bin/sh -c false' returned a non-zero code: 1", ctx, nothing), undefined);
});
