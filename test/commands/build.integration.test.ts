// `spin build` against the real Docker engine: images FROM scratch with a static busybox copied
// into the context (nothing is pulled). Every image a test makes is removed in `after`.

import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {copyFileSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {runSpin} from '../helpers/cli.ts';

const docker = (...args: string[]) => execFileSync('docker', args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim();
const PROJECT = `t${Math.random().toString(36).slice(2, 10)}`;
const dir = mkdtempSync(join(tmpdir(), 'spin-build-'));
// No context: names are local, default tags are content digests.
const env = {SPIN_CONFIG: join(dir, 'no-spin-config.json'), SPIN_REGISTRY: undefined, SPIN_PROJECT: undefined, SPIN_URL: undefined, SPIN_TOKEN: undefined, SPIN_CONTEXT: undefined};

/** Our images only: every tag of this run's project. */
function ourImages(): string[] {
  return docker('images', '--format', '{{.Repository}}:{{.Tag}}').split('\n').filter((r) => r.split('/').includes(PROJECT) || r.startsWith(`${PROJECT}/`));
}

before(() => {
  docker('info', '--format', '{{.ServerVersion}}');
  copyFileSync('/bin/busybox', join(dir, 'busybox'));
  writeFileSync(join(dir, '.dockerignore'), 'secret.txt\n*.log\n!keep.log\n');
  writeFileSync(join(dir, 'secret.txt'), 'must not reach the image\n');
  writeFileSync(join(dir, 'debug.log'), 'ignored\n');
  writeFileSync(join(dir, 'keep.log'), 're-included\n');
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      'FROM scratch AS base',
      'COPY busybox /bin/busybox',
      'ARG GREETING=default',
      'RUN ["/bin/busybox", "sh", "-c", "echo $GREETING > /greeting"]',
      'FROM base AS final',
      'COPY . /ctx',
      '# Never built: the target stops before it.',
      'FROM base AS unused',
      'RUN ["/bin/busybox", "false"]',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'compose.yaml'),
    `name: ${PROJECT}
services:
  web:
    build:
      context: .
      target: final
      args: {GREETING: from-compose}
      labels: {org.example.built-by: spin-test}
  base:
    build: {context: ., target: base}
  db:
    image: ${PROJECT}/not-built:1
`,
  );
  writeFileSync(
    join(dir, 'broken.yaml'),
    `name: ${PROJECT}
services:
  broken:
    build:
      context: .
      dockerfile_inline: |
        FROM scratch
        COPY busybox /bin/busybox
        RUN ["/bin/busybox", "sh", "-c", "echo about to fail; exit 7"]
`,
  );
});

after(() => {
  const images = ourImages();
  if (images.length) docker('rmi', '-f', ...images);
  rmSync(dir, {recursive: true, force: true});
});

describe('spin build (Docker engine)', () => {
  test('builds every service with build:, in parallel; piped: the full log on stderr, image names on stdout', async () => {
    const r = await runSpin(['build', '--build-arg', 'GREETING=from-cli'], {cwd: dir, env});
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines.length, 3, r.stdout);
    assert.match(lines[0], new RegExp(`^${PROJECT}/web:[0-9a-f]{16}$`));
    assert.match(lines[1], new RegExp(`^${PROJECT}/base:[0-9a-f]{16}$`));
    assert.equal(lines[2], '');
    assert.match(r.stderr, new RegExp(`^skipping service "db": it has no build section \\(it runs image "${PROJECT}/not-built:1"\\)$`, 'm'));
    assert.match(r.stderr, /^\[web 6\/7\] COPY \. \/ctx$/m);
    assert.match(r.stderr, /^\[web 7\/7\] LABEL org\.example\.built-by=spin-test$/m);
    assert.match(r.stderr, /^\[base 4\/4\] RUN \["\/bin\/busybox", "sh", "-c", "echo \$GREETING > \/greeting"\]$/m);
    assert.match(r.stderr, /^\[web\] Successfully tagged /m, 'the full log when piped');
    assert.doesNotMatch(r.stderr, /unused|\/bin\/busybox", "false"/, 'stages after the target are not built');

    const web = lines[0];
    assert.equal(docker('run', '--rm', web, '/bin/busybox', 'ls', '-A', '/ctx'), ['.dockerignore', 'Dockerfile', 'broken.yaml', 'busybox', 'compose.yaml', 'keep.log'].join('\n'));
    assert.equal(docker('run', '--rm', web, '/bin/busybox', 'cat', '/greeting'), 'from-cli', '--build-arg wins over the compose args');
    assert.equal(docker('image', 'inspect', '--format', '{{index .Config.Labels "org.example.built-by"}}', web), 'spin-test');
    assert.equal(docker('run', '--rm', lines[1], '/bin/busybox', 'ls', '/'), ['bin', 'dev', 'etc', 'greeting', 'proc', 'sys'].join('\n'), 'target base has no /ctx');
  });

  test('--tag, --registry and --json: the image ids, compose args when no --build-arg', async () => {
    const r = await runSpin(['build', 'web', '--tag', 'v1', '--registry', 'registry.example.org', '--json'], {cwd: dir, env});
    assert.equal(r.code, 0, r.stderr);
    const built = JSON.parse(r.stdout) as {service: string; image: string; id: string}[];
    assert.equal(built.length, 1);
    assert.equal(built[0].service, 'web');
    assert.equal(built[0].image, `registry.example.org/${PROJECT}/web:v1`);
    assert.match(built[0].id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(docker('image', 'inspect', '--format', '{{.Id}}', built[0].image), built[0].id);
    assert.equal(docker('run', '--rm', built[0].image, '/bin/busybox', 'cat', '/greeting'), 'from-compose');
  });

  test('an unchanged rebuild skips the engine and keeps the image; a changed file builds again', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'spin-build-cache-'));
    const first = await runSpin(['build', 'web', '--tag', 'same', '--json'], {cwd: dir, env: {...env, XDG_CACHE_HOME: cache}});
    assert.equal(first.code, 0, first.stderr);
    const again = await runSpin(['build', 'web', '--tag', 'same', '--json'], {cwd: dir, env: {...env, XDG_CACHE_HOME: cache}});
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /unchanged since the last build: nothing to do/);
    assert.doesNotMatch(again.stderr, /Step \d+\/\d+|\d+\/\d+\] /);
    assert.equal(JSON.parse(again.stdout)[0].id, JSON.parse(first.stdout)[0].id);
    // Any change to the context means a real build.
    writeFileSync(join(dir, 'changed-input.txt'), `${Date.now()}\n`);
    try {
      const changed = await runSpin(['build', 'web', '--tag', 'same'], {cwd: dir, env: {...env, XDG_CACHE_HOME: cache}});
      assert.equal(changed.code, 0, changed.stderr);
      assert.doesNotMatch(changed.stderr, /unchanged since the last build/);
    } finally {
      rmSync(join(dir, 'changed-input.txt'), {force: true});
      rmSync(cache, {recursive: true, force: true});
    }
  });

  test('unknown service: usage error, exit 2, nothing built', async () => {
    const r = await runSpin(['build', 'web', 'nope'], {cwd: dir, env});
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `error: no such service: "nope"\nhint: services of project "${PROJECT}": web, base, db\n`);
  });

  test('a failing step on a terminal: one line per step, then the failing step with its output; exit 1', async () => {
    const r = await runSpin(['build', '-f', 'broken.yaml', '--tag', 'broken'], {cwd: dir, env, tty: true});
    assert.equal(r.code, 1, r.stdout);
    const out = r.stdout.replaceAll('\r', '').replace(/\u001B\[\d+m/g, '');
    assert.match(out, /^\[broken 1\/3\] FROM scratch$/m);
    assert.match(out, /^\[broken 2\/3\] COPY busybox \/bin\/busybox$/m);
    assert.doesNotMatch(out, /^\[broken\] (?!building)/m, 'no full log on a terminal');
    assert.match(out, /^\[broken 3\/3\] RUN \["\/bin\/busybox", "sh", "-c", "echo about to fail; exit 7"\]\n {2}│ about to fail\n/m);
    assert.match(out, /^error: building service "broken" failed at step 3\/3: The command .* returned a non-zero code: 7$/m);
    assert.match(out, /^hint: fix the Dockerfile or the files it uses, then run `spin build broken` again$/m);
    assert.doesNotMatch(out, /Step 3\/3/, 'the condensed form, not the raw builder log');
  });
});
