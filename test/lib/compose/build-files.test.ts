import assert from 'node:assert/strict';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';

import {formatDiagnostic} from '../../../src/lib/compose/diagnostics.ts';
import {loadProject} from '../../../src/lib/compose/load.ts';

let dir: string;

const COMPOSE = `name: demo
services:
  missing:
    build: ./nope
  no-dockerfile:
    image: x
    build:
      context: ./web
      dockerfile: Dockerfile.dev
  a-file:
    build: ./notes.txt
  inline:
    build:
      context: ./web
      dockerfile_inline: FROM scratch
  remote:
    build: https://github.com/example/repo.git#main
  ok:
    build: ./web
  outside:
    build:
      context: ./web
      dockerfile: ../other.Dockerfile
`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spin-build-files-'));
  await mkdir(join(dir, 'web'));
  await writeFile(join(dir, 'web/Dockerfile'), 'FROM scratch\n');
  await writeFile(join(dir, 'other.Dockerfile'), 'FROM scratch\n');
  await writeFile(join(dir, 'notes.txt'), 'not a folder\n');
  await writeFile(join(dir, 'compose.yaml'), COMPOSE);
});

after(async () => {
  if (dir) await rm(dir, {recursive: true, force: true});
});

test('a missing build context or Dockerfile is an error at `build`, with a hint; URLs and inline Dockerfiles are not looked for', async () => {
  const r = await loadProject({workingDir: dir, env: {}});
  assert.ok(r.project, 'the project still loads');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map(formatDiagnostic), [
    `${dir}/compose.yaml:4:5: error: services.missing.build: build context "${dir}/nope" does not exist`,
    `${dir}/compose.yaml:7:5: error: services.no-dockerfile.build: Dockerfile "${dir}/web/Dockerfile.dev" does not exist`,
    `${dir}/compose.yaml:11:5: error: services.a-file.build: build context "${dir}/notes.txt" is not a folder`,
  ]);
  assert.equal(errors[0].hint, `create the folder, or fix \`build\`: a relative context is relative to the compose file's folder "${dir}"`);
  assert.equal(errors[1].hint, `create it, or fix \`build.dockerfile\` (relative to the build context "${dir}/web"), or write the Dockerfile in the compose file with \`dockerfile_inline\``);
});

test('buildFiles: false (or consistency: false) leaves the disk alone', async () => {
  for (const options of [{buildFiles: false}, {consistency: false}]) {
    const r = await loadProject({workingDir: dir, env: {}, ...options});
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  }
});
