import assert from 'node:assert/strict';
import {mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';

import {OperationError, UsageError} from '../../../src/lib/errors.ts';
import {defaultProjectName, initProject} from '../../../src/lib/init/init.ts';
import {listTemplates, templatePorts} from '../../../src/lib/init/templates.ts';

const temp = mkdtempSync(join(tmpdir(), 'spin-init-'));
after(() => rmSync(temp, {recursive: true, force: true}));

describe('spin init templates', () => {
  test('four templates, each with a compose file and a .dockerignore next to every Dockerfile', async () => {
    const templates = await listTemplates();
    assert.deepEqual(templates.map((t) => t.id), ['static', 'web-api', 'database', 'worker']);
    for (const t of templates) {
      const result = await initProject({dir: join(temp, `all-${t.id}`), template: t.id, name: 'demo'});
      assert.ok(result.files.includes('compose.yaml'), t.id);
      const dockerfiles = result.files.filter((f) => f.endsWith('Dockerfile'));
      assert.ok(dockerfiles.length > 0, t.id);
      for (const d of dockerfiles) assert.ok(result.files.includes(d.replace(/Dockerfile$/, '.dockerignore')), `${t.id}: ${d} has a .dockerignore`);
      for (const f of result.files) assert.doesNotMatch(readFileSync(join(result.dir, f), 'utf8'), /\{\{/, `${t.id}/${f}: every placeholder filled`);
    }
  });

  test('the project name goes into the compose file and the page; scripts stay executable', async () => {
    const result = await initProject({dir: join(temp, 'named'), template: 'web-api', name: 'portal'});
    assert.match(readFileSync(join(result.dir, 'compose.yaml'), 'utf8'), /^name: portal$/m);
    assert.match(readFileSync(join(result.dir, 'web/www/index.html'), 'utf8'), /<h1>portal<\/h1>/);
    assert.equal(statSync(join(result.dir, 'web/www/cgi-bin/api')).mode & 0o111, 0o111);
    assert.deepEqual(result.next, [`cd ${join(temp, 'named')}`, 'spin up']);
  });

  test('without --name, the folder name as a DNS label', async () => {
    assert.equal(defaultProjectName('/x/My_Portal 2'), 'my-portal-2');
    assert.equal(defaultProjectName('/x/--'), 'app');
    const result = await initProject({dir: join(temp, 'Gene.Browser'), template: 'static'});
    assert.equal(result.name, 'gene-browser');
  });

  test('the database template says to store the secret before the first spin up', async () => {
    const result = await initProject({dir: join(temp, 'db'), template: 'database'});
    assert.deepEqual(result.next.slice(1), ['printf %s "a long random password" | spin secret create db_password', 'spin up']);
  });

  test('writes no file over another: a folder that has one is refused and left as it was', async () => {
    const dir = join(temp, 'taken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'compose.yaml'), 'mine\n');
    await assert.rejects(initProject({dir, template: 'static'}), (err: OperationError) => {
      assert.ok(err instanceof OperationError);
      assert.match(err.message, /already has "compose\.yaml": spin init writes no file over another/);
      assert.match(err.hint!, /new folder/);
      return true;
    });
    assert.equal(readFileSync(join(dir, 'compose.yaml'), 'utf8'), 'mine\n');
    assert.throws(() => statSync(join(dir, 'Dockerfile')));
  });

  test('an unknown template or a name that is no DNS label is a usage error with the fix', async () => {
    await assert.rejects(initProject({dir: join(temp, 'u1'), template: 'django'}), (err: UsageError) => err instanceof UsageError && /there is no template "django"/.test(err.message) && /static, web-api, database, worker/.test(err.hint!));
    await assert.rejects(initProject({dir: join(temp, 'u2'), template: 'static', name: 'My_App'}), (err: UsageError) => err instanceof UsageError && /invalid project name "My_App"/.test(err.message) && /--name my-portal/.test(err.hint!));
  });

  test('the ports spin doctor checks: each once', async () => {
    assert.deepEqual(await templatePorts(), [8080]);
  });
});
