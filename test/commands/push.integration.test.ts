// `spin registry login` and `spin push` against the real engine and a real htpasswd registry.
// Every spin call runs with an empty PATH: no docker CLI (nor git) is needed. Images this file
// makes are removed in `after`.

import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {resolveDigest} from '../../src/lib/images/registry.ts';
import {runSpin} from '../helpers/cli.ts';
import {startRegistry, type TestRegistry} from '../helpers/registry.ts';

const docker = (...args: string[]) => execFileSync('docker', args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}).trim();
const PROJECT = `t${Math.random().toString(36).slice(2, 10)}`;
const dir = mkdtempSync(join(tmpdir(), 'spin-push-'));
const dockerConfig = join(dir, 'docker-config');
const created: string[] = [];
/** What `spin build` made: the name with the content tag. */
let image: string;
let registry: TestRegistry;
let env: Record<string, string | undefined>;

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const {port} = s.address() as {port: number};
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  docker('info', '--format', '{{.ServerVersion}}');
  registry = await startRegistry();
  env = {PATH: join(dir, 'empty-bin'), DOCKER_CONFIG: dockerConfig, SPIN_CONFIG: join(dir, 'none.json'), SPIN_REGISTRY: registry.host, SPIN_PROJECT: undefined, SPIN_URL: undefined, SPIN_TOKEN: undefined, SPIN_CONTEXT: undefined};
  copyFileSync('/bin/busybox', join(dir, 'busybox'));
  // The Docker config (logins) lives in this folder too: it is not part of the image's content.
  writeFileSync(join(dir, '.dockerignore'), 'docker-config\n');
  writeFileSync(join(dir, 'Dockerfile'), ['FROM scratch', 'COPY busybox /bin/busybox', `RUN ["/bin/busybox", "sh", "-c", "echo ${PROJECT} > /id"]`, ''].join('\n'));
  writeFileSync(join(dir, 'compose.yaml'), `name: ${PROJECT}\nservices:\n  web:\n    build: .\n`);
  // No --tag: build and push name the image by its content, the same in both commands.
  const r = await runSpin(['build'], {cwd: dir, env});
  assert.equal(r.code, 0, r.stderr);
  image = r.stdout.trim();
  assert.match(image, new RegExp(`^${registry.host.replaceAll('.', '\\.')}/${PROJECT}/web:[0-9a-f]{16}$`));
  created.push(image);
});

after(async () => {
  const ours = created.filter((image) => docker('images', '-q', image) !== '');
  if (ours.length) docker('rmi', '-f', ...ours);
  await registry?.stop();
  rmSync(dir, {recursive: true, force: true});
});

const login = (password: string) => runSpin(['registry', 'login', registry.host, '-u', registry.username, '--password-stdin'], {cwd: dir, env, input: `${password}\n`});

describe('spin registry login / spin push (engine + htpasswd registry)', () => {
  test('push without credentials: exit 4, names the registry and how to log in', async () => {
    const r = await runSpin(['push'], {cwd: dir, env});
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^error: registry "${registry.host}" requires a login to push "${image}": no basic auth credentials$`, 'm'));
    assert.match(r.stderr, new RegExp(`^hint: log in with \`spin registry login ${registry.host} -u USER --password-stdin\``, 'm'));
  });

  test('login with a wrong password: exit 4, nothing stored', async () => {
    const r = await login('wrong');
    assert.equal(r.code, 4);
    assert.equal(r.stderr, `error: registry "${registry.host}" rejected the credentials (HTTP 401)\nhint: check the user name and password; log in with \`spin registry login ${registry.host} -u USER --password-stdin\` (or \`docker login ${registry.host}\`)\n`);
    assert.equal(existsSync(dockerConfig), false);
  });

  test('login checks the password and stores it as Docker does: 0700 folder, 0600 file, never echoed', async () => {
    const r = await login(registry.password);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `logged in to registry "${registry.host}" as "${registry.username}"; credentials stored in "${join(dockerConfig, 'config.json')}"\n`);
    assert.equal(statSync(dockerConfig).mode & 0o777, 0o700);
    assert.equal(statSync(join(dockerConfig, 'config.json')).mode & 0o777, 0o600);
    const config = JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8'));
    assert.deepEqual(config, {auths: {[registry.host]: {auth: Buffer.from(`${registry.username}:${registry.password}`).toString('base64')}}});
  });

  test('push uploads the layers and prints <name>@<digest>, the digest the registry serves', async () => {
    const r = await runSpin(['push'], {cwd: dir, env});
    assert.equal(r.code, 0, r.stderr);
    const name = `${registry.host}/${PROJECT}/web`;
    assert.match(r.stdout, new RegExp(`^${name}@sha256:[0-9a-f]{64}\\n$`));
    const pushed = (r.stderr.match(/^\[web\] [0-9a-f]{12}: Pushed$/gm) ?? []).length;
    assert.equal(pushed, 2, `one layer per COPY and RUN:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Layer already exists/);
    const digest = r.stdout.trim().split('@')[1];
    assert.equal(await resolveDigest(image, {username: registry.username, password: registry.password}), digest);
  });

  test('push again: no layer is uploaded, the same digest; --json for scripts', async () => {
    const r = await runSpin(['push', 'web', '--json'], {cwd: dir, env});
    assert.equal(r.code, 0, r.stderr);
    const [result] = JSON.parse(r.stdout) as {service: string; image: string; digest: string}[];
    assert.deepEqual(Object.keys(result), ['service', 'image', 'digest']);
    assert.equal(result.image, image);
    assert.equal(result.digest, await resolveDigest(result.image, {username: registry.username, password: registry.password}));
    // Nothing is uploaded: the registry already holds this image under this tag.
    assert.match(r.stderr, /^\[web\] [0-9a-f]{12}: Already in the registry under this tag$/m, r.stderr);
    assert.doesNotMatch(r.stderr, /: Pushed$/m);
  });

  test('a wrong stored password: exit 4, the registry named', async () => {
    const path = join(dockerConfig, 'config.json');
    const good = readFileSync(path, 'utf8');
    writeFileSync(path, JSON.stringify({auths: {[registry.host]: {auth: Buffer.from(`${registry.username}:wrong`).toString('base64')}}}));
    try {
      const r = await runSpin(['push'], {cwd: dir, env});
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, new RegExp(`^error: registry "${registry.host}" rejected the credentials for "${image}": `, 'm'));
    } finally {
      writeFileSync(path, good);
    }
  });

  test('an unreachable registry: exit 6', async () => {
    const port = await closedPort();
    const r0 = await runSpin(['build', '--registry', `127.0.0.1:${port}`], {cwd: dir, env});
    assert.equal(r0.code, 0, r0.stderr);
    created.push(r0.stdout.trim());
    const r = await runSpin(['push', '--registry', `127.0.0.1:${port}`], {cwd: dir, env});
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, new RegExp(`^error: cannot reach registry "127\\.0\\.0\\.1:${port}" to push .*connection refused$`, 'm'));
  });

  test('an image that was never built, a project without a registry', async () => {
    const r = await runSpin(['push', '--tag', 'never'], {cwd: dir, env});
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: image "${registry.host}/${PROJECT}/web:never" of service "web" does not exist locally\nhint: build it first: \`spin build web\` (with the same --tag, --registry and --project)\n`);
    // The content changed since the build: its image was not built, whatever was built before.
    writeFileSync(join(dir, 'changed.txt'), 'new content\n');
    try {
      const changed = await runSpin(['push'], {cwd: dir, env});
      assert.equal(changed.code, 1);
      const tag = /web:([0-9a-f]{16})" of service/.exec(changed.stderr)?.[1];
      assert.ok(tag && `${registry.host}/${PROJECT}/web:${tag}` !== image, changed.stderr);
      assert.match(changed.stderr, /^error: image ".*" of service "web" does not exist locally\nhint: build it first: `spin build web`/);
    } finally {
      rmSync(join(dir, 'changed.txt'));
    }
    const local = await runSpin(['push', '--tag', 'v1'], {cwd: dir, env: {...env, SPIN_REGISTRY: undefined}});
    assert.equal(local.code, 2);
    assert.match(local.stderr, new RegExp(`^error: no registry to push "${PROJECT}/web:v1" to\\n`));
  });

  test('logout forgets the credentials', async () => {
    const r = await runSpin(['registry', 'logout', registry.host], {cwd: dir, env});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, `logged out of registry "${registry.host}"\n`);
    assert.deepEqual(JSON.parse(readFileSync(join(dockerConfig, 'config.json'), 'utf8')), {auths: {}});
  });
});
