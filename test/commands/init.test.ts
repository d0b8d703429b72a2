// `spin init` as a user runs it: piped (never asks), on a terminal, and every template's files
// checked by the real `spin validate` with the default policy.

import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';

import {BIN, ROOT, runSpin} from '../helpers/cli.ts';

const temp = mkdtempSync(join(tmpdir(), 'spin-init-cmd-'));
after(() => rmSync(temp, {recursive: true, force: true}));
const index = JSON.parse(readFileSync(join(ROOT, 'templates/index.json'), 'utf8')) as {templates: {id: string; ports: number[]}[]};

describe('spin init', () => {
  for (const {id, ports} of index.templates) {
    test(`--template ${id}: the written files pass spin validate with the default policy, and publish the ports doctor checks`, async () => {
      const r = await runSpin(['init', id, '--template', id, '--name', 'demo'], {cwd: temp});
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^compose\.yaml$/m);
      assert.match(r.stderr, new RegExp(`^created project "demo" from template "${id}" .* in ${join(temp, id)}\nnext: cd ${id} && .*spin up\n$`));
      const dir = join(temp, id);
      const v = await runSpin(['validate'], {cwd: dir});
      assert.deepEqual([v.code, v.stdout], [0, ''], v.stdout + v.stderr);
      assert.match(v.stderr, /^demo is valid: \d services?\n$/);
      // PORT in the environment must not leak into what the template publishes by default.
      const config = await runSpin(['config', '--format', 'json'], {cwd: dir, env: {PORT: undefined}});
      const published = Object.values(JSON.parse(config.stdout).services as Record<string, {ports?: {published?: string}[]}>).flatMap((s) => (s.ports ?? []).map((p) => Number(p.published)));
      assert.deepEqual(published, ports);
    });
  }

  test('piped, without --template: never asks; exit 2 with the templates to choose from', async () => {
    const r = await runSpin(['init', join(temp, 'piped')], {env: {CI: undefined}});
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: no --template given, and spin init asks only on a terminal\nhint: add --template with one of: static, web-api, database, worker\n');
  });

  test('on a terminal with CI set: never asks either', async () => {
    const r = await runSpin(['init', join(temp, 'ci')], {tty: true, env: {CI: 'true'}});
    assert.equal(r.code, 2);
    assert.match(r.stdout, /no --template given/);
  });

  test('on a terminal: asks for the template and the name, defaulting to the folder name', async () => {
    // Answers each question once it is on the screen: Enter picks the first template (static),
    // Enter again takes the suggested name.
    const env = {...process.env, NO_COLOR: '1'} as NodeJS.ProcessEnv;
    delete env.CI;
    const child = spawn('script', ['-qefc', `${process.execPath} ${BIN} init Asked_Site`, '/dev/null'], {cwd: temp, env});
    let screen = '';
    const answered = new Set<string>();
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      screen += d;
      for (const question of ['Template', 'Project name']) {
        if (!answered.has(question) && screen.includes(question)) {
          answered.add(question);
          child.stdin.write('\r');
        }
      }
    });
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 0, screen);
    assert.deepEqual([...answered], ['Template', 'Project name']);
    assert.match(screen, /created project "asked-site" from template "static"/);
    assert.match(readFileSync(join(temp, 'Asked_Site', 'compose.yaml'), 'utf8'), /^name: asked-site$/m);
  });

  test('--json: the result on stdout, nothing on stderr', async () => {
    const r = await runSpin(['init', 'json-site', '--template', 'static', '--json'], {cwd: temp});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(JSON.parse(r.stdout), {dir: join(temp, 'json-site'), name: 'json-site', template: 'static', files: ['.dockerignore', 'Dockerfile', 'compose.yaml', 'www/index.html'], next: ['cd json-site', 'spin up']});
  });

  test('into a folder that has the files: exit 1, nothing written, the fix', async () => {
    const r = await runSpin(['init', 'json-site', '--template', 'static'], {cwd: temp});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: "json-site" already has "\.dockerignore", "Dockerfile", "compose\.yaml", "www\/index\.html": spin init writes no file over another\nhint: /);
  });
});
