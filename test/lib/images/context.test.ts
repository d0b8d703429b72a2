import assert from 'node:assert/strict';
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';

import {extract} from 'tar-stream';

import {listContext, packContext} from '../../../src/lib/images/context.ts';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, {recursive: true, force: true})));

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'spin-ctx-'));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), {recursive: true});
    writeFileSync(join(root, name), text);
  }
  return root;
}

async function untar(tar: NodeJS.ReadableStream): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
    stream.on('end', () => {
      out[header.type === 'directory' ? `${header.name}/` : header.name] = header.type === 'symlink' ? `-> ${header.linkname}` : Buffer.concat(chunks).toString();
      assert.equal(header.uid, 0);
      assert.equal(header.gid, 0);
      next();
    });
  });
  const done = new Promise((resolve, reject) => {
    ex.on('finish', () => resolve(undefined));
    ex.on('error', reject);
  });
  (tar as NodeJS.ReadableStream).pipe(ex as unknown as NodeJS.WritableStream);
  await done;
  return out;
}

describe('build context', () => {
  test('.dockerignore excludes files; `!` re-includes inside an excluded folder; the Dockerfile is always sent', async () => {
    const root = project({
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': '# comment\nDockerfile\nlogs\n!logs/keep.log\n*.tmp\nsecrets/**\n',
      'app.py': 'print(1)\n',
      'a.tmp': 'x',
      'sub/b.tmp': 'kept: *.tmp matches the top level only',
      'logs/a.log': 'no',
      'logs/keep.log': 'yes',
      'secrets/key': 'never',
    });
    symlinkSync('app.py', join(root, 'link'));
    const ctx = await packContext({context: root});
    assert.equal(ctx.dockerfile, 'Dockerfile');
    assert.deepEqual(await untar(ctx.tar), {
      '.dockerignore': '# comment\nDockerfile\nlogs\n!logs/keep.log\n*.tmp\nsecrets/**\n',
      Dockerfile: 'FROM scratch\n',
      'app.py': 'print(1)\n',
      link: '-> app.py',
      'logs/keep.log': 'yes',
      'secrets/': '',
      'sub/': '',
      'sub/b.tmp': 'kept: *.tmp matches the top level only',
    });
  });

  test('a Dockerfile inside an ignored folder is still sent under its own path', async () => {
    const root = project({'docker/web.Dockerfile': 'FROM scratch\n', 'docker/other': 'x', '.dockerignore': 'docker\n', 'main.go': 'package main\n'});
    const listing = await listContext({context: root, dockerfile: 'docker/web.Dockerfile'});
    assert.equal(listing.dockerfile, 'docker/web.Dockerfile');
    assert.deepEqual(listing.entries.map((e) => e.name), ['.dockerignore', 'main.go', 'docker/web.Dockerfile']);
  });

  test('a Dockerfile outside the context and dockerfile_inline travel under a name derived from their text', async () => {
    const outside = project({'Dockerfile.web': 'FROM scratch\nCOPY . /\n'});
    const root = project({'index.html': '<h1>hi</h1>'});
    const a = await packContext({context: root, dockerfile: join(outside, 'Dockerfile.web')});
    assert.match(a.dockerfile, /^\.spin-dockerfile-[0-9a-f]{16}$/);
    assert.deepEqual(await untar(a.tar), {'index.html': '<h1>hi</h1>', [a.dockerfile]: 'FROM scratch\nCOPY . /\n'});
    const b = await packContext({context: root, dockerfileInline: 'FROM scratch\nCOPY . /\n'});
    assert.equal(b.dockerfile, a.dockerfile, 'same text, same name: the layer cache holds');
    assert.equal(b.dockerfileText, 'FROM scratch\nCOPY . /\n');
    await untar(b.tar);
  });

  test('a per-Dockerfile ignore file wins over the context one', async () => {
    const root = project({'web.Dockerfile': 'FROM scratch\n', 'web.Dockerfile.dockerignore': 'a\n', '.dockerignore': 'b\n', a: '1', b: '2'});
    const listing = await listContext({context: root, dockerfile: 'web.Dockerfile'});
    assert.deepEqual(listing.entries.map((e) => e.name), ['.dockerignore', 'b', 'web.Dockerfile', 'web.Dockerfile.dockerignore']);
  });

  test('missing context or Dockerfile: exit-3 errors that name the path', async () => {
    const root = project({'x': ''});
    await assert.rejects(listContext({context: join(root, 'nope')}), {exitCode: 3, message: `build context "${join(root, 'nope')}" does not exist`});
    await assert.rejects(listContext({context: root}), {exitCode: 3, message: `Dockerfile "${join(root, 'Dockerfile')}" does not exist`});
  });
});
