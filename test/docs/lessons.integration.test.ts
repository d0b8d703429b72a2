// The lessons in docs/lessons/ run as written: every command of every ```console block, in order,
// against the real engine (lesson 1: the laptop's embedded agent; lessons 2 and 3: a real agent
// process and a real registry), and what each prints is compared with what the lesson shows.
// How lessons are read, and what the test changes (ports, project, base images), is documented
// in test/helpers/lessons.ts. Everything a lesson creates carries a unique project and is removed
// afterwards, even when a step fails.

import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {ROOT, runSpin} from '../helpers/cli.ts';
import {buildBusyboxImage, cleanupProject, dockerClient, requireEngine, uniqueName} from '../helpers/docker.ts';
import {LessonShell, outputMatches, parseLesson, showsError, substitute} from '../helpers/lessons.ts';
import {freePortInRange} from '../helpers/ports.ts';

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
