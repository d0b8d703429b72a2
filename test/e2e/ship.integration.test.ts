// Build-ship-run end to end, as a user runs it: the real CLI, a real agent process, the real
// Docker engine and a real htpasswd-protected registry on 127.0.0.1.
//  - `spin deploy --build` pins images to digests; after the local image is deleted, a deploy
//    still runs because the agent pulls the digest back with its own credentials;
//  - a tag moved after a deploy does not change what `spin rollback` runs;
//  - `spin up` of the bundled example from a clean state ends healthy and answering.

import assert from 'node:assert/strict';
import {cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {startAgent, type AgentProcess} from '../helpers/agent.ts';
import {ROOT, runSpin} from '../helpers/cli.ts';
import {BUSYBOX, cleanupProject, dockerClient, requireEngine, uniqueName} from '../helpers/docker.ts';
import {startRegistry, type TestRegistry} from '../helpers/registry.ts';
import {freePortInRange} from '../helpers/ports.ts';

const docker = dockerClient();
const project = uniqueName('ship');
const temp = mkdtempSync(join(tmpdir(), 'spin-ship-'));
let registry: TestRegistry;
let agent: AgentProcess;
let env: Record<string, string>;

/** A one-service project whose page says `text`; `image` names the image explicitly when given. */
function writeProject(dir: string, text: string, port: number, image?: string): void {
  mkdirSync(join(dir, 'web', 'www'), {recursive: true});
  cpSync(BUSYBOX, join(dir, 'web', 'busybox'));
  writeFileSync(join(dir, 'web', 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nCOPY www /www\nUSER 1000:1000\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n');
  writeFileSync(join(dir, 'web', 'www', 'index.html'), `${text}\n`);
  writeFileSync(
    join(dir, 'compose.yaml'),
    [
      'name: shipped',
      'services:',
      '  web:',
      '    build: ./web',
      ...(image ? [`    image: ${image}`] : []),
      `    ports: ["${port}:8080"]`,
      '    user: "1000:1000"',
      '    cap_drop: [ALL]',
      '    healthcheck:',
      '      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]',
      '      interval: 1s',
      '      retries: 20',
      '',
    ].join('\n'),
  );
}

async function page(port: number): Promise<string> {
  return (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim();
}

/** Removes every local image of the test project's repositories (tags and the images). */
async function deleteLocalImages(): Promise<void> {
  for (const img of await docker.listImages()) {
    if ((img.RepoTags ?? []).concat(img.RepoDigests ?? []).some((t) => t.includes(`/${project}/`))) {
      await docker.getImage(img.Id).remove({force: true}).catch(() => undefined);
    }
  }
}

before(async () => {
  await requireEngine(docker);
  registry = await startRegistry();
  // The agent pulls with its own Docker credentials; the CLI pushes with the user's.
  const agentConfig = join(temp, 'agent-docker');
  mkdirSync(agentConfig, {recursive: true});
  const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
  writeFileSync(join(agentConfig, 'config.json'), JSON.stringify({auths: {[registry.host]: {auth}}}), {mode: 0o600});
  agent = await startAgent({env: {DOCKER_CONFIG: agentConfig}, args: ['--registry', registry.host]});
  const token = await agent.addUser('shipper', {projects: [project]});
  env = {HOME: join(temp, 'home'), XDG_CONFIG_HOME: join(temp, 'home', '.config'), DOCKER_CONFIG: join(temp, 'cli-docker'), SPIN_URL: agent.url, SPIN_TOKEN: token, SPIN_PROJECT: project, SPIN_REGISTRY: registry.host};
  const login = await runSpin(['registry', 'login', registry.host, '-u', registry.username, '--password-stdin'], {env, input: `${registry.password}\n`});
  assert.equal(login.code, 0, login.stderr);
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
  await cleanupProject(docker, project);
  await deleteLocalImages();
  await registry?.stop();
  rmSync(temp, {recursive: true, force: true});
});

describe('build, ship and run', () => {
  test('deploy --build pins digests; the agent pulls them back after the local image is gone', async () => {
    const dir = join(temp, 'pinned');
    const port = await freePortInRange(60000, 60050);
    writeProject(dir, 'pinned one', port, `${registry.host}/${project}/web:v1`);
    const first = await runSpin(['deploy', '--build', '--json'], {cwd: dir, env});
    assert.equal(first.code, 0, first.stderr);
    const result = JSON.parse(first.stdout.trim().split('\n').at(-1)!);
    assert.equal(result.outcome, 'healthy');
    const image = result.images.web as string;
    assert.match(image, new RegExp(`^${registry.host.replace('.', '\\.')}/${project}/web@sha256:[0-9a-f]{64}$`));
    assert.equal(await page(port), 'pinned one');

    const history = await runSpin(['history', '--json', '--stack', 'shipped'], {env});
    assert.equal(JSON.parse(history.stdout).revisions[0].images.web, image);

    assert.equal((await runSpin(['rm', '--yes', '--stack', 'shipped'], {env})).code, 0);
    await deleteLocalImages();
    const again = await runSpin(['deploy', '--json'], {cwd: dir, env});
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout.trim().split('\n').at(-1)!).outcome, 'healthy');
    assert.equal(await page(port), 'pinned one');
    await runSpin(['rm', '--yes', '--stack', 'shipped'], {env});
  });

  test('spin build && spin push && spin deploy: the same content tag in all three; an unpushed edit is named', async () => {
    const dir = join(temp, 'three-steps');
    const port = await freePortInRange(60000, 60050);
    writeProject(dir, 'three steps', port);
    const built = await runSpin(['build'], {cwd: dir, env});
    assert.equal(built.code, 0, built.stderr);
    const image = built.stdout.trim();
    assert.match(image, new RegExp(`^${registry.host.replaceAll('.', '\\.')}/${project}/web:[0-9a-f]{16}$`));
    // A second apart, as a person types them: the name must not depend on the clock.
    await new Promise((r) => setTimeout(r, 1100));
    const pushed = await runSpin(['push'], {cwd: dir, env});
    assert.equal(pushed.code, 0, pushed.stderr);
    const pinned = pushed.stdout.trim();
    assert.equal(pinned.split('@')[0], image.split(':').slice(0, -1).join(':'));
    const deployed = await runSpin(['deploy', '--json', '--stack', 'three'], {cwd: dir, env});
    assert.equal(deployed.code, 0, deployed.stderr);
    const result = JSON.parse(deployed.stdout.trim().split('\n').at(-1)!);
    assert.equal(result.outcome, 'healthy');
    assert.equal(result.images.web, pinned);
    assert.equal(await page(port), 'three steps');

    writeFileSync(join(dir, 'web', 'www', 'index.html'), 'edited, never built\n');
    const stale = await runSpin(['deploy', '--stack', 'three'], {cwd: dir, env});
    assert.equal(stale.code, 1, stale.stderr);
    assert.match(stale.stderr, new RegExp(`^error: image "${registry.host.replaceAll('.', '\\.')}/${project}/web:[0-9a-f]{16}" of service "web" is not in registry "${registry.host.replaceAll('.', '\\.')}": it was not built from the current content of the service$`, 'm'));
    assert.match(stale.stderr, /^hint: build and push it: `spin build web && spin push web`, or deploy with `spin deploy --build`$/m);
    assert.equal(await page(port), 'three steps', 'nothing was deployed');
    await runSpin(['rm', '--yes', '--stack', 'three'], {env});
  });

  test('a tag moved after a deploy does not change what a rollback runs', async () => {
    const dir = join(temp, 'moved');
    const port = await freePortInRange(60000, 60050);
    const tagged = `${registry.host}/${project}/web:stable`;
    writeProject(dir, 'version one', port, tagged);
    const one = await runSpin(['deploy', '--build', '--json', '--stack', 'moved'], {cwd: dir, env});
    assert.equal(one.code, 0, one.stderr);
    const digestOne = JSON.parse(one.stdout.trim().split('\n').at(-1)!).images.web;

    writeProject(dir, 'version two', port, tagged);
    const two = await runSpin(['deploy', '--build', '--json', '--stack', 'moved'], {cwd: dir, env});
    assert.equal(two.code, 0, two.stderr);
    assert.notEqual(JSON.parse(two.stdout.trim().split('\n').at(-1)!).images.web, digestOne, 'the tag moved to a new digest');
    assert.equal(await page(port), 'version two');

    const back = await runSpin(['rollback', '--to', '1', '--stack', 'moved', '--json'], {env});
    assert.equal(back.code, 0, back.stderr);
    assert.equal(JSON.parse(back.stdout.trim().split('\n').at(-1)!).images.web, digestOne);
    assert.equal(await page(port), 'version one');
    await runSpin(['rm', '--yes', '--stack', 'moved'], {env});
  });

  test('spin up of the bundled example from a clean state: healthy and answering', async () => {
    const dir = join(temp, 'hello');
    cpSync(join(ROOT, 'examples', 'hello'), dir, {recursive: true});
    for (const svc of ['web', 'api']) cpSync(BUSYBOX, join(dir, svc, 'busybox'));
    const port = await freePortInRange(60000, 60050);
    const laptop = uniqueName('laptop');
    // No context at all: `spin up` starts the embedded local agent in a fresh state dir. A
    // project of its own keeps the test's containers and images apart from anything else.
    const local = {HOME: join(temp, 'laptop'), XDG_CONFIG_HOME: join(temp, 'laptop', '.config'), SPIN_LOCAL_DIR: join(temp, 'laptop', 'spin-local'), HELLO_PORT: String(port), SPIN_PROJECT: laptop};
    try {
      const up = await runSpin(['up'], {cwd: dir, env: local});
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stderr, /started the local Spin agent at http:\/\/127\.0\.0\.1:\d+/);
      assert.match(up.stdout, new RegExp(`web: http://127\\.0\\.0\\.1:${port}`));
      assert.match(await page(port), /Hello from Spin/);
      const api = await (await fetch(`http://127.0.0.1:${port}/cgi-bin/api`)).json();
      assert.deepEqual(api, {message: 'hello from the api service'});
      // Later commands find the running local agent with no login.
      const ps = await runSpin(['ps', '--stack', 'hello'], {env: local});
      assert.equal(ps.code, 0, ps.stderr);
      assert.match(ps.stdout, /web-1\s+web\s+running\s+healthy/);
    } finally {
      await runSpin(['rm', '--yes', '--stack', 'hello'], {env: local});
      await runSpin(['agent', 'stop'], {env: local});
      await cleanupProject(docker, laptop);
      // By name: content tags make other projects' images of the same content share these IDs.
      const ours = (await docker.listImages()).flatMap((img) => img.RepoTags ?? []).filter((t) => t.startsWith(`${laptop}/`));
      for (const tag of ours) await docker.getImage(tag).remove().catch(() => undefined);
    }
  });
});
