// The lesson harness's reading and matching rules (test/helpers/lessons.ts), and that every lesson
// the README and the lessons' index link to exists and has commands to run.

import assert from 'node:assert/strict';
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test} from 'node:test';

import {ROOT} from '../helpers/cli.ts';
import {LessonShell, outputMatches, parseLesson, showsError, substitute} from '../helpers/lessons.ts';

describe('lesson harness', () => {
  test('console blocks: commands, continued lines, their output, todo markers', () => {
    const md = ['text', '```console', '$ spin a \\', '  --flag', 'out 1', 'out 2', '$ spin b', '```', '', '<!-- lesson-test: todo needs X -->', '```console', '$ spin c', '```', '```sh', '$ not run', '```'].join('\n');
    const blocks = parseLesson(md);
    assert.deepEqual(blocks.map((b) => b.todo), [undefined, 'needs X']);
    assert.deepEqual(blocks[0].steps, [
      {command: 'spin a \n  --flag', expected: ['out 1', 'out 2'], line: 3},
      {command: 'spin b', expected: [], line: 7},
    ]);
    assert.equal(blocks[1].steps[0].command, 'spin c');
  });

  test('… within a line, … as lines, columns of any width, trailing blanks ignored', () => {
    assert.ok(outputMatches(['port 127.0.0.1:…', '…', 'done'], ['port 127.0.0.1:60001', 'a', 'b', 'done', '']));
    assert.ok(outputMatches(['…', 'done'], ['done']));
    assert.ok(outputMatches(['NAME  STATE', 'web   up'], ['NAME     STATE', 'web      up']));
    assert.ok(!outputMatches(['done'], ['done', 'more']));
    assert.ok(!outputMatches(['a…b'], ['a', 'b']));
    assert.ok(!outputMatches(['NAME STATE'], ['NAME  STATE']), 'one space is not a column gap');
  });

  test('an error line, plain or located, means the command must fail', () => {
    assert.ok(showsError(['error: no compose file', 'hint: …']));
    assert.ok(showsError(['compose.yaml:6:3: error: services.site.cap_drop: …']));
    assert.ok(!showsError(['no error: here', 'ok']));
  });

  test('substitutions apply to every occurrence', () => {
    assert.equal(substitute('curl https://spin.example.org/ https://spin.example.org/x', [['https://spin.example.org', 'http://127.0.0.1:1']]), 'curl http://127.0.0.1:1/ http://127.0.0.1:1/x');
  });
});

describe('lesson shell', () => {
  test('after each command: FROM lines of Dockerfiles and whole compose.yaml lines are rewritten, nothing else', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'spin-lesson-shell-'));
    t.after(() => rmSync(dir, {recursive: true, force: true}));
    const shell = new LessonShell({cwd: dir, env: {}, binDir: join(dir, '.bin'), baseImages: {'python:3.12-slim': 'own/python:1'}, composeLines: {'image: postgres:16-alpine': 'image: own/pg:$1'}});
    const compose = 'services:\n  db:\n    image: postgres:16-alpine\n    # image: postgres:16-alpine\n  other:\n    image: postgres:16-alpine-x\n';
    const {code} = await shell.run(`mkdir -p p/app && cd p && printf '${compose.replaceAll('\n', '\\n')}' > compose.yaml && printf 'FROM python:3.12-slim\\nRUN echo FROM python:3.12-slim\\n' > app/Dockerfile`);
    assert.equal(code, 0);
    assert.equal(shell.cwd, join(dir, 'p'), '`cd` carries over');
    assert.equal(readFileSync(join(dir, 'p/compose.yaml'), 'utf8'), compose.replace('    image: postgres:16-alpine\n', '    image: own/pg:$1\n'));
    assert.equal(readFileSync(join(dir, 'p/app/Dockerfile'), 'utf8'), 'FROM own/python:1\nRUN echo FROM python:3.12-slim\n');
    // A compose.yaml written later, anywhere under the working folder, is rewritten after the next command.
    mkdirSync(join(dir, 'p/q'));
    writeFileSync(join(dir, 'p/q/compose.yaml'), '    image: postgres:16-alpine\n');
    await shell.run('true');
    assert.equal(readFileSync(join(dir, 'p/q/compose.yaml'), 'utf8'), '    image: own/pg:$1\n');
  });
});

describe('the lessons', () => {
  const links = (file: string) => [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\]\((docs\/lessons\/)?(0\d-[a-z-]+\.md)\)/g)].map((m) => m[2]);

  test('README and the index link lessons 1 to 3, and each has commands', () => {
    assert.deepEqual(links('README.md'), ['01-laptop.md', '02-platform.md', '03-database.md']);
    assert.deepEqual(links('docs/lessons/README.md'), ['01-laptop.md', '02-platform.md', '03-database.md']);
    for (const lesson of links('README.md')) {
      const blocks = parseLesson(readFileSync(join(ROOT, 'docs/lessons', lesson), 'utf8'));
      assert.ok(blocks.flatMap((b) => b.steps).length > 5, lesson);
    }
  });
});
