// The lessons in docs/lessons/ run as written: every command of every ```console block, in order,
// against the real engine (lesson 1: the laptop's embedded agent; lessons 2 and 3: a real agent
// process and a real registry), and what each prints is compared with what the lesson shows.
// How lessons are read, and what the test changes (ports, project, base images), is documented
// in test/helpers/lessons.ts. Everything a lesson creates carries a unique project and is removed
// afterwards, even when a step fails.

import assert from 'node:assert/strict';
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {startAgent, type AgentProcess} from '../helpers/agent.ts';
import {ROOT, runSpin} from '../helpers/cli.ts';
import {buildBusyboxImage, buildImage, cleanupProject, dockerClient, requireEngine, uniqueName} from '../helpers/docker.ts';
import {LessonShell, outputMatches, parseLesson, showsError, substitute, type ShellOptions} from '../helpers/lessons.ts';
import {freePort, freePortInRange} from '../helpers/ports.ts';
import {startRegistry, type TestRegistry} from '../helpers/registry.ts';

const docker = dockerClient();
const owner = uniqueName('lsn');
const temp = mkdtempSync(join(tmpdir(), 'spin-lessons-'));
const busybox = `${owner}/busybox:1.37`;

before(async () => {
  await requireEngine(docker);
  await buildBusyboxImage(docker, busybox, owner);
});

after(async () => {
  await cleanupProject(docker, owner);
  rmSync(temp, {recursive: true, force: true});
});

/** Every block of a lesson as one test, in order; a failed step stops the lesson there. */
function runLesson(file: string, shell: () => LessonShell, substitutions: () => [string, string][]): void {
  const blocks = parseLesson(readFileSync(join(ROOT, 'docs/lessons', file), 'utf8'));
  let broken: string | undefined;
  for (const block of blocks) {
    const title = `${file}:${block.line}: ${block.steps.map((s) => s.command.split('\n')[0]).join(' && ')}`;
    test(title, {todo: block.todo}, async (t) => {
      if (broken) return t.skip(`an earlier step failed (${broken})`);
      for (const step of block.steps) {
        const command = substitute(step.command, substitutions());
        const expected = substitute(step.expected.join('\n'), substitutions()).split('\n');
        const {code, output} = await shell().run(command);
        const where = `${file}:${step.line}: $ ${command}`;
        const fails = showsError(expected);
        try {
          assert.ok(fails ? code !== 0 : code === 0, `${where}\nexit ${code}${fails ? ', expected a failure' : ''}\n${output}`);
          assert.ok(outputMatches(expected, output.split('\n')), `${where}\n--- expected ---\n${expected.join('\n')}\n--- got ---\n${output}`);
        } catch (err) {
          if (!block.todo) broken = `${file}:${step.line}`;
          throw err;
        }
      }
    });
  }
}

describe('lesson 1: build and run on the laptop', () => {
  const project = uniqueName('lsn');
  const home = join(temp, 'one');
  let port: number;
  let shell: LessonShell;
  const env = () => ({HOME: home, XDG_CONFIG_HOME: join(home, '.config'), DOCKER_CONFIG: join(home, '.docker'), SPIN_LOCAL_DIR: join(home, 'spin-local'), SPIN_PROJECT: project, PORT: String(port), CI: 'true', SPIN_URL: undefined, SPIN_TOKEN: undefined, SPIN_CONTEXT: undefined});

  before(async () => {
    port = await freePortInRange(60000, 60050);
    shell = new LessonShell({cwd: home, env: env(), binDir: join(home, '.bin'), baseImages: {'busybox:1.37': busybox}});
  });

  after(async () => {
    await runSpin(['rm', '--yes', '--stack', 'my-site'], {env: env()});
    await runSpin(['agent', 'stop'], {env: env()});
    await cleanupProject(docker, project);
    // Content tags make other projects' images of the same content share IDs: remove by name.
    const ours = (await docker.listImages()).flatMap((img) => img.RepoTags ?? []).filter((tag) => tag.startsWith(`${project}/`));
    for (const tag of ours) await docker.getImage(tag).remove().catch(() => undefined);
  });

  runLesson('01-laptop.md', () => shell, () => [
    ['project local', `project ${project}`],
    ['local/', `${project}/`],
    ['127.0.0.1:8080', `127.0.0.1:${port}`],
  ]);
});

/** A platform: a real agent process with its ingress and a real registry, and a user of one project. */
async function startPlatform(dir: string, project: string): Promise<{agent: AgentProcess; registry: TestRegistry; ingressPort: number; token: string}> {
  const registry = await startRegistry();
  // The agent pulls with its own Docker credentials; the trainee pushes with theirs.
  mkdirSync(join(dir, 'agent-docker'), {recursive: true});
  const auth = Buffer.from(`${registry.username}:${registry.password}`).toString('base64');
  writeFileSync(join(dir, 'agent-docker', 'config.json'), JSON.stringify({auths: {[registry.host]: {auth}}}), {mode: 0o600});
  const ingressPort = await freePort();
  const agent = await startAgent({env: {DOCKER_CONFIG: join(dir, 'agent-docker')}, args: ['--registry', registry.host, '--ingress-listen', `127.0.0.1:${ingressPort}`]});
  const token = await agent.addUser('ada', {projects: [project]});
  return {agent, registry, ingressPort, token};
}

/** What a platform lesson's text names (the example platform) and what the test runs. */
function platformSubstitutions(p: {agent: AgentProcess; registry: TestRegistry; ingressPort: number}, project: string, port: number): [string, string][] {
  return [
    ['https://spin.example.org', p.agent.url],
    ['registry.example.org', p.registry.host],
    ['apps.example.org', `localhost:${p.ingressPort}`],
    // The test registry has one user of its own.
    ['-u ada', `-u ${p.registry.username}`],
    ['as "ada"', `as "${p.registry.username}"`],
    ['genomics', project],
    ['127.0.0.1:8080', `127.0.0.1:${port}`],
  ];
}

/**
 * The `database` template's images as stand-ins, built here as local images
 * (test/docs/stand-ins/database/, whose README says how each behaves like the real one), and the
 * rewrites that point a lesson's files at them (see test/helpers/lessons.ts).
 */
async function databaseStandIns(): Promise<Pick<ShellOptions, 'baseImages' | 'composeLines'>> {
  const build = async (folder: string, tag: string) => {
    const dir = join(ROOT, 'test/docs/stand-ins/database', folder);
    const {Dockerfile: dockerfile, ...files} = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    await buildImage(docker, tag, dockerfile.toString().replace(/^FROM busybox$/m, `FROM ${busybox}`), {files, owner});
    return tag;
  };
  const [postgres, python] = await Promise.all([build('postgres', `${owner}/postgres-stand-in:16`), build('python', `${owner}/python-stand-in:3.12`)]);
  return {baseImages: {'python:3.12-slim': python}, composeLines: {'image: postgres:16-alpine': `image: ${postgres}`}};
}

/**
 * A lesson run against its own platform (agent, registry, ingress), in its own home folder.
 * `loggedIn`: the trainee starts logged in to the platform and its registry, where the lesson
 * before left them. Afterwards its stacks, project, images and registry are removed.
 */
function platformLesson(title: string, file: string, options: {folder: string; loggedIn: boolean; stacks: string[]; standIns?: () => Promise<Pick<ShellOptions, 'baseImages' | 'composeLines'>>}): void {
  describe(title, () => {
    const project = uniqueName('lsn');
    const home = join(temp, options.folder);
    let platform: Awaited<ReturnType<typeof startPlatform>>;
    let port: number;
    let shell: LessonShell;
    const env = () => ({HOME: home, XDG_CONFIG_HOME: join(home, '.config'), DOCKER_CONFIG: join(home, '.docker'), SPIN_LOCAL_DIR: join(home, 'spin-local'), PORT: String(port), CI: 'true', SPIN_URL: undefined, SPIN_TOKEN: undefined, SPIN_CONTEXT: undefined, SPIN_PROJECT: undefined, SPIN_REGISTRY: undefined});

    before(async () => {
      mkdirSync(home, {recursive: true});
      platform = await startPlatform(home, project);
      port = await freePortInRange(60000, 60050);
      if (options.loggedIn) {
        const login = await runSpin(['login', platform.agent.url, '--context', 'platform', '--token-stdin'], {env: env(), input: platform.token});
        assert.equal(login.code, 0, login.stderr);
        const registry = await runSpin(['registry', 'login', platform.registry.host, '-u', platform.registry.username, '--password-stdin'], {env: env(), input: platform.registry.password});
        assert.equal(registry.code, 0, registry.stderr);
      } else {
        // What the administrator sent the trainee.
        writeFileSync(join(home, 'token.txt'), `${platform.token}\n`);
        writeFileSync(join(home, 'registry-password.txt'), `${platform.registry.password}\n`);
      }
      const standIns = await options.standIns?.();
      shell = new LessonShell({cwd: home, env: env(), binDir: join(home, '.bin'), baseImages: {'busybox:1.37': busybox, ...standIns?.baseImages}, composeLines: standIns?.composeLines});
    });

    after(async () => {
      // With the platform's address and token: the lesson may end logged out.
      const asAdmin = {...env(), SPIN_URL: platform?.agent.url, SPIN_TOKEN: platform?.token, SPIN_PROJECT: project};
      for (const stack of options.stacks) await runSpin(['rm', '--yes', '--volumes', '--stack', stack], {env: asAdmin});
      await platform?.agent.stop();
      platform?.agent.cleanup();
      await cleanupProject(docker, project);
      for (const img of await docker.listImages()) {
        if ((img.RepoTags ?? []).concat(img.RepoDigests ?? []).some((t) => t.includes(`/${project}/`))) await docker.getImage(img.Id).remove({force: true}).catch(() => undefined);
      }
      await platform?.registry.stop();
    });

    runLesson(file, () => shell, () => platformSubstitutions(platform, project, port));
  });
}

platformLesson('lesson 2: ship and deploy to the platform', '02-platform.md', {folder: 'two', loggedIn: false, stacks: ['my-site']});
platformLesson('lesson 3: a database, an upgrade, a rollback, a crash', '03-database.md', {folder: 'three', loggedIn: true, stacks: ['lab-notes'], standIns: databaseStandIns});
