import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {isHostPath, parseVolumeSpec, resolvePaths} from '../../../src/lib/compose/paths.ts';
import {Override} from '../../../src/lib/compose/tags.ts';

const BASE = '/proj';
const HOME = '/home/user';

function service(raw: Record<string, unknown>): Record<string, unknown> {
  const out = resolvePaths({services: {web: raw}}, BASE, HOME);
  return (out.services as Record<string, Record<string, unknown>>).web;
}

describe('parseVolumeSpec', () => {
  test('splits source, target and mode', () => {
    assert.deepEqual(parseVolumeSpec('./data:/data:ro,z'), {source: './data', target: '/data', mode: 'ro,z'});
    assert.deepEqual(parseVolumeSpec('db:/var/lib/db'), {source: 'db', target: '/var/lib/db'});
    assert.deepEqual(parseVolumeSpec('/anonymous'), {target: '/anonymous'});
  });

  test('keeps Windows drive letters inside their section', () => {
    assert.deepEqual(parseVolumeSpec('c:\\data:/data'), {source: 'c:\\data', target: '/data'});
    assert.deepEqual(parseVolumeSpec('/src:c:\\dst:ro'), {source: '/src', target: 'c:\\dst', mode: 'ro'});
  });

  test('reports empty sections and extra colons', () => {
    assert.deepEqual(parseVolumeSpec('/a::/b'), {error: 'it has an empty section between colons'});
    assert.deepEqual(parseVolumeSpec('/a:/b:ro:x'), {error: 'it has too many colons'});
    assert.deepEqual(parseVolumeSpec(''), {error: 'the volume is empty'});
  });

  test('tells host paths from volume names', () => {
    for (const p of ['.', './x', '../x', '/x', '~/x', 'c:\\x', '\\\\server\\share']) assert.equal(isHostPath(p), true, p);
    for (const p of ['data', 'x-volume', '0']) assert.equal(isHostPath(p), false, p);
  });
});

describe('resolvePaths', () => {
  test('resolves build contexts but not URLs, git refs or service contexts', () => {
    assert.equal(service({build: '.'}).build, '/proj');
    assert.deepEqual(service({build: {context: './app', additional_contexts: {a: '../lib', b: 'docker-image://alpine', c: 'service:base'}}}).build, {
      context: '/proj/app',
      additional_contexts: {a: '/lib', b: 'docker-image://alpine', c: 'service:base'},
    });
    assert.deepEqual(service({build: {context: 'https://github.com/x/y.git', additional_contexts: ['a=./a']}}).build, {
      context: 'https://github.com/x/y.git',
      additional_contexts: ['a=/proj/a'],
    });
    assert.equal(service({build: 'git@github.com:x/y.git'}).build, 'git@github.com:x/y.git');
  });

  test('resolves env_file and label_file in every form', () => {
    const s = service({env_file: ['a.env', {path: './b.env', required: false}], label_file: '~/l.labels'});
    assert.deepEqual(s.env_file, ['/proj/a.env', {path: '/proj/b.env', required: false}]);
    assert.equal(s.label_file, '/home/user/l.labels');
    assert.equal(service({env_file: '.env'}).env_file, '/proj/.env');
  });

  test('resolves relative bind sources, keeps named volumes and Windows paths', () => {
    const s = service({
      volumes: [
        './static:/var/www:ro',
        '.:/code',
        '~/configs:/etc/configs:ro',
        'data:/data',
        '/abs:/abs',
        'c:\\data:/data',
        '/anon',
        {type: 'bind', source: 'opt', target: '/opt'},
        {type: 'bind', source: 'z:\\', target: 'c:\\data'},
        {type: 'volume', source: 'named', target: '/n'},
      ],
    });
    assert.deepEqual(s.volumes, [
      '/proj/static:/var/www:ro',
      '/proj:/code',
      '/home/user/configs:/etc/configs:ro',
      'data:/data',
      '/abs:/abs',
      'c:\\data:/data',
      '/anon',
      {type: 'bind', source: '/proj/opt', target: '/opt'},
      {type: 'bind', source: 'z:\\', target: 'c:\\data'},
      {type: 'volume', source: 'named', target: '/n'},
    ]);
  });

  test('resolves extends.file and develop.watch paths', () => {
    const s = service({extends: {file: '../base.yaml', service: 'b'}, develop: {watch: [{path: './src', action: 'sync', target: '/app'}]}});
    assert.deepEqual(s.extends, {file: '/base.yaml', service: 'b'});
    assert.deepEqual(s.develop, {watch: [{path: '/proj/src', action: 'sync', target: '/app'}]});
  });

  test('resolves top-level secret and config files and local bind volumes', () => {
    const out = resolvePaths(
      {
        secrets: {s: {file: './secret'}, e: {environment: 'X'}},
        configs: {c: {file: '~/c.txt'}, n: null},
        volumes: {b: {driver: 'local', driver_opts: {o: 'bind', type: 'none', device: './data'}}, v: {driver: 'local'}},
        include: ['./other.yaml'],
      },
      BASE,
      HOME,
    );
    assert.deepEqual(out, {
      secrets: {s: {file: '/proj/secret'}, e: {environment: 'X'}},
      configs: {c: {file: '/home/user/c.txt'}, n: null},
      volumes: {b: {driver: 'local', driver_opts: {o: 'bind', type: 'none', device: '/proj/data'}}, v: {driver: 'local'}},
      include: ['./other.yaml'],
    });
  });

  test('resolves inside !override markers, since it runs before the merge', () => {
    const s = service({volumes: new Override(['./a:/a']), build: new Override({context: 'ctx'})});
    assert.ok(s.volumes instanceof Override);
    assert.deepEqual((s.volumes as Override).value, ['/proj/a:/a']);
    assert.deepEqual((s.build as Override).value, {context: '/proj/ctx'});
  });

  test('does not modify its input', () => {
    const raw = {services: {web: {build: '.', volumes: ['./a:/a']}}};
    const copy = structuredClone(raw);
    const out = resolvePaths(raw, BASE, HOME);
    assert.deepEqual(raw, copy);
    assert.notEqual(out, raw);
  });
});
