// The laptop edit loop on the real engine, through the CLI and the embedded local agent, in temp
// folders outside any git repository:
//  - `spin up` twice with no change recreates nothing; an edit to one file of one service
//    recreates only that service (the database beside it, with its volume, is kept);
//  - `spin build` then `spin deploy` deploy the image build made; `spin up --no-build` with an
//    image never built for the current content says so instead of trying Docker Hub;
//  - a replica whose main process ignores SIGTERM is reported with the fix, once;
//  - two folders of one project brought up at the same time each serve their own page.

import assert from 'node:assert/strict';
import {cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {runSpin, type RunResult} from '../helpers/cli.ts';
import {BUSYBOX, BUSYBOX_DOCKERFILE, cleanupProject, dockerClient, requireEngine, uniqueName} from '../helpers/docker.ts';
import {freePortInRange} from '../helpers/ports.ts';

const docker = dockerClient();
// The local agent's project and the project part of every image name: this run's only.
const project = uniqueName('loop');
const temp = mkdtempSync(join(tmpdir(), 'spin-loop-'));
const env = {
  HOME: join(temp, 'home'),
  XDG_CONFIG_HOME: join(temp, 'home', '.config'),
  XDG_CACHE_HOME: join(temp, 'home', '.cache'),
  SPIN_LOCAL_DIR: join(temp, 'spin-local'),
  SPIN_PROJECT: project,
  SPIN_URL: undefined,
  SPIN_TOKEN: undefined,
  SPIN_CONTEXT: undefined,
  SPIN_REGISTRY: undefined,
  SPIN_CONFIG: undefined,
};
const stacks: string[] = [];

/**
 * The bundled example's shape: `web` (busybox httpd, `init: true`) in front of `db`, a busybox
 * keeping its data in a volume whose main process ignores SIGTERM (PID 1 without init) and a
 * stop_grace_period of 2 s, so its stop shows the hint without a 10 s wait.
 */
function writeApp(dir: string, port: number, page: string): void {
  mkdirSync(join(dir, 'web', 'www'), {recursive: true});
  mkdirSync(join(dir, 'db'), {recursive: true});
  for (const s of ['web', 'db']) cpSync(BUSYBOX, join(dir, s, 'busybox'));
  writeFileSync(join(dir, 'web', 'Dockerfile'), `${BUSYBOX_DOCKERFILE}COPY www /www\nUSER 1000:1000\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`);
  writeFileSync(join(dir, 'web', 'www', 'index.html'), `${page}\n`);
  writeFileSync(join(dir, 'db', 'Dockerfile'), `${BUSYBOX_DOCKERFILE}COPY schema.sql /schema.sql\nCMD ["sh", "-c", "cp /schema.sql /data/ && exec sleep 3600"]\n`);
  writeFileSync(join(dir, 'db', 'schema.sql'), 'create table t (id int);\n');
  writeFileSync(
    join(dir, 'compose.yaml'),
    [
      'services:',
      '  web:',
      '    build: ./web',
      '    init: true',
      `    ports: ["${port}:8080"]`,
      '    user: "1000:1000"',
      '    cap_drop: [ALL]',
      '    depends_on: [db]',
      '    healthcheck:',
      '      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]',
      '      interval: 1s',
      '      retries: 20',
      '  db:',
      '    build: ./db',
      '    stop_grace_period: 2s',
      '    cap_drop: [ALL]',
      '    volumes: [data:/data]',
      'volumes:',
      '  data: {}',
      '',
    ].join('\n'),
  );
}

async function page(port: number): Promise<string> {
  return (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim();
}

/** Container IDs by service of a stack (replica 1), as the engine has them now. */
async function containerIds(stack: string): Promise<Record<string, string>> {
  const list = await docker.listContainers({all: true, filters: {label: [`org.spin.project=${project}`, `org.spin.stack=${stack}`]}});
  return Object.fromEntries(list.map((c) => [c.Labels['org.spin.service'], c.Id]));
}

/** The plan event of a piped `spin up`/`deploy` (one line of its stderr). */
function planLine(r: RunResult): string {
  return /^\S+ plan: (.*)$/m.exec(r.stderr)?.[1] ?? assert.fail(`no plan line in:\n${r.stderr}`);
}

async function up(dir: string, args: string[] = []): Promise<RunResult> {
  const r = await runSpin(['up', ...args], {cwd: dir, env});
  return r;
}

before(async () => {
  await requireEngine(docker);
});

after(async () => {
  for (const stack of stacks) await runSpin(['rm', '--yes', '--stack', stack], {env}).catch(() => undefined);
  await runSpin(['agent', 'stop'], {env}).catch(() => undefined);
  await cleanupProject(docker, project);
  // By name: the same content has the same image ID in other projects, which keep theirs.
  const ours = (await docker.listImages()).flatMap((img) => img.RepoTags ?? []).filter((t) => t.startsWith(`${project}/`));
  for (const tag of ours) await docker.getImage(tag).remove().catch(() => undefined);
  rmSync(temp, {recursive: true, force: true});
});

describe('the edit loop (local agent, outside git)', () => {
  const stack = uniqueName('app');
  const dir = join(temp, stack);
  let port: number;

  before(async () => {
    port = await freePortInRange(60000, 60050);
    writeApp(dir, port, 'version one');
    stacks.push(stack);
  });

  test('spin up twice with no change: the same images, nothing recreated', async () => {
    const first = await up(dir);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(await page(port), 'version one');
    const ids = await containerIds(stack);
    assert.deepEqual(Object.keys(ids).sort(), ['db', 'web']);

    const again = await up(dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(planLine(again), 'nothing to change');
    assert.match(again.stderr, /\[web\] unchanged since the last build: nothing to do/);
    assert.deepEqual(await containerIds(stack), ids);
  });

  test('an edit to one file of web recreates web only; db and its volume are kept', async () => {
    const before = await containerIds(stack);
    writeFileSync(join(dir, 'web', 'www', 'index.html'), 'version two\n');
    const r = await up(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(planLine(r), /^web: recreate \(image changed;/);
    assert.doesNotMatch(planLine(r), /db:/);
    assert.equal(await page(port), 'version two');
    const after = await containerIds(stack);
    assert.equal(after.db, before.db, 'db kept');
    assert.notEqual(after.web, before.web, 'web recreated');
    assert.doesNotMatch(r.stderr, /took \d+ s to stop/, 'web runs under init: its stop is quick');
  });

  test('a replica that ignores SIGTERM: once, which replica, how long, and the fix', async () => {
    writeFileSync(join(dir, 'db', 'schema.sql'), 'create table t (id int, name text);\n');
    const r = await up(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(planLine(r), /^db: recreate \(image changed;/);
    const hints = r.stderr.split('\n').filter((l) => l.includes('to stop:'));
    assert.equal(hints.length, 1, r.stderr);
    assert.match(hints[0], /^\S+ log: db-1 took 2 s to stop: its main process ignores SIGTERM; add "init: true" to the service or handle SIGTERM$/);
  });

  test('spin build, then spin deploy: the image build made, by the same name', async () => {
    writeFileSync(join(dir, 'web', 'www', 'index.html'), 'version three\n');
    const built = await runSpin(['build', 'web'], {cwd: dir, env});
    assert.equal(built.code, 0, built.stderr);
    const image = built.stdout.trim();
    assert.match(image, new RegExp(`^${project}/web:[0-9a-f]{16}$`));
    const deployed = await runSpin(['deploy', '--json'], {cwd: dir, env});
    assert.equal(deployed.code, 0, deployed.stderr);
    const result = JSON.parse(deployed.stdout.trim().split('\n').at(-1)!);
    assert.equal(result.outcome, 'healthy');
    assert.equal(result.plan.services.find((s: {service: string}) => s.service === 'db').action, 'keep');
    assert.equal(await page(port), 'version three');
    const inspected = await docker.getContainer((await containerIds(stack)).web).inspect();
    assert.equal(inspected.Config.Image, image);
  });

  test('deploy or up --no-build of content never built: says so, never tries Docker Hub', async () => {
    writeFileSync(join(dir, 'web', 'www', 'index.html'), 'version four, not built\n');
    for (const args of [['up', '--no-build'], ['deploy']]) {
      const r = await runSpin(args, {cwd: dir, env});
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^error: image "${project}/web:[0-9a-f]{16}" of service "web" does not exist on this Docker engine: it was not built from the current content of the service$`, 'm'));
      assert.match(r.stderr, /^hint: build it: `spin up` builds what changed and deploys, or `spin build web` first$/m);
      assert.doesNotMatch(r.stderr, /docker\.io|pull/i);
    }
    assert.equal(await page(port), 'version three', 'nothing changed');
  });
});

describe('two folders of one project at the same time', () => {
  test('each builds its own content under its own tag and serves its own page', async () => {
    const names = [uniqueName('twin'), uniqueName('twin')];
    const ports = [await freePortInRange(60000, 60050), await freePortInRange(60000, 60050)];
    names.forEach((name, i) => {
      writeApp(join(temp, name), ports[i], `page of ${name}`);
      stacks.push(name);
    });
    const results = await Promise.all(names.map((name) => up(join(temp, name))));
    results.forEach((r) => assert.equal(r.code, 0, r.stderr));
    for (const [i, name] of names.entries()) assert.equal(await page(ports[i]), `page of ${name}`);
    const images = await Promise.all(names.map(async (name) => (await docker.getContainer((await containerIds(name)).web).inspect()).Config.Image));
    assert.notEqual(images[0], images[1]);
    images.forEach((image) => assert.match(image, new RegExp(`^${project}/web:[0-9a-f]{16}$`)));
  });
});
