// Host paths resolved as the engine's host sees them: the pure functions with an injected
// realpath, and the deploy API on a real temporary folder holding real symlinks.

import assert from 'node:assert/strict';
import {mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, beforeEach, describe, test} from 'node:test';

import type {FastifyInstance} from 'fastify';

import {buildApp} from '../../../src/lib/agent/app.ts';
import {resolveHostPath, resolveHostPaths, resolvePolicyPaths, type Realpath} from '../../../src/lib/agent/host-paths.ts';
import {openStore} from '../../../src/lib/agent/store.ts';
import type {Store} from '../../../src/lib/agent/types.ts';
import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {ComposeModel} from '../../../src/lib/compose/types.ts';
import {loadPolicy, type Policy} from '../../../src/lib/policy/index.ts';
import {FakeOrchestrator} from '../../helpers/fake-orchestrator.ts';

/**
 * A realpath over an imaginary tree: `dirs` exist, `links` are symlinks (target absolute),
 * `denied` folders cannot be searched. Follows links the way the kernel does, segment by segment.
 */
function fakeRealpath(tree: {dirs: string[]; links?: Record<string, string>; denied?: string[]}): Realpath & {calls: string[]} {
  const calls: string[] = [];
  const fail = (code: string, path: string) => Object.assign(new Error(`${code}: ${path}`), {code});
  const fn = async (path: string): Promise<string> => {
    calls.push(path);
    const pending = path.split('/').filter((s) => s !== '');
    let real = '';
    for (let hops = 0; pending.length > 0; ) {
      const part = pending.shift()!;
      if (part === '.') continue;
      if (part === '..') {
        real = real.slice(0, real.lastIndexOf('/'));
        continue;
      }
      if (tree.denied?.includes(real)) throw fail('EACCES', path);
      const next = `${real}/${part}`;
      const target = tree.links?.[next];
      if (target !== undefined) {
        if (++hops > 40) throw fail('ELOOP', path);
        pending.unshift(...target.split('/').filter((s) => s !== ''));
        real = '';
        continue;
      }
      if (!tree.dirs.includes(next)) throw fail('ENOENT', path);
      real = next;
    }
    return real || '/';
  };
  return Object.assign(fn, {calls});
}

const TREE = {
  dirs: ['/etc', '/g', '/g/demo', '/g/demo/data', '/g/other', '/g/other/secret', '/mnt', '/mnt/global', '/mnt/global/cdirs', '/mnt/global/cdirs/demo'],
  links: {'/g/demo/link': '/etc', '/g/demo/peer': '/g/other', '/g/demo/alias': '/g/demo/data', '/g/demo/loop': '/g/demo/loop', '/global': '/mnt/global'},
  denied: ['/g/locked'],
};

describe('resolveHostPath', () => {
  const realpath = fakeRealpath({...TREE, dirs: [...TREE.dirs, '/g/locked']});

  for (const [written, real] of [
    ['/g/demo/data', '/g/demo/data'],
    ['/g/demo/link', '/etc'],
    ['/g/demo/alias/', '/g/demo/data'],
    ['/g/demo/link/shadow', '/etc/shadow'],
    ['/g/demo/link/new/deeper', '/etc/new/deeper'],
    ['/g/demo/new/../link/x', '/etc/x'],
    ['/g/demo/data/../peer/secret', '/g/other/secret'],
    ['/g/demo/link/../passwd', '/passwd'],
    ['/g/demo/./data//x', '/g/demo/data/x'],
    ['/global/cdirs/demo/www', '/mnt/global/cdirs/demo/www'],
    ['relative/path', 'relative/path'],
  ] as const) {
    test(`${written} → ${real}`, async () => {
      assert.equal(await resolveHostPath(written, realpath), real);
    });
  }

  test('a loop or a folder the agent cannot search is an error, not a guess', async () => {
    await assert.rejects(resolveHostPath('/g/demo/loop/x', realpath), {code: 'ELOOP'});
    await assert.rejects(resolveHostPath('/g/locked/x', realpath), {code: 'EACCES'});
  });

  test('on the real file system: a symlink out of the folder, and a path that does not exist yet', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'spin-host-path-')));
    try {
      mkdirSync(join(dir, 'data'));
      symlinkSync('/etc', join(dir, 'link'));
      symlinkSync('data', join(dir, 'alias'));
      assert.equal(await resolveHostPath(join(dir, 'link')), '/etc');
      assert.equal(await resolveHostPath(join(dir, 'link', 'not-there', 'x')), '/etc/not-there/x');
      assert.equal(await resolveHostPath(join(dir, 'alias', 'new')), join(dir, 'data', 'new'));
      assert.equal(await resolveHostPath(`${dir}/new/../link`), '/etc');
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });
});

async function model(doc: Record<string, unknown>): Promise<ComposeModel> {
  const {project, diagnostics} = await loadDocument(doc, 'web');
  assert.ok(project, JSON.stringify(diagnostics));
  return project;
}

describe('resolveHostPaths', () => {
  test('bind sources and bind-typed volume devices become real paths; nothing else changes', async () => {
    const m = await model({
      services: {
        web: {image: 'busybox', volumes: ['/g/demo/link:/a', 'cache:/c', {type: 'tmpfs', target: '/t'}, '/g/demo/data:/d', 'bound:/b']},
        worker: {image: 'busybox'},
      },
      volumes: {cache: {}, bound: {driver: 'local', driver_opts: {type: 'none', o: 'rbind,ro', device: '/g/demo/peer/secret'}}, other: {driver_opts: {o: 'size=1m', device: '/g/demo/link'}}},
    });
    const {project, changed, diagnostics} = await resolveHostPaths(m, fakeRealpath(TREE));
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(project.services.web.volumes.map((v) => v.source), ['/etc', 'cache', undefined, '/g/demo/data', 'bound']);
    assert.equal(project.volumes.bound.driver_opts?.device, '/g/other/secret');
    assert.equal(project.volumes.other.driver_opts?.device, '/g/demo/link', 'not a bind: left as written');
    assert.equal(project.services.worker, m.services.worker);
    assert.deepEqual(changed.sort((a, b) => a.path.localeCompare(b.path)), [
      {path: 'services.web.volumes[0]', written: '/g/demo/link', real: '/etc'},
      {path: 'volumes.bound.driver_opts.device', written: '/g/demo/peer/secret', real: '/g/other/secret'},
    ]);
    assert.equal(m.services.web.volumes[0].source, '/g/demo/link', 'the input model is not changed');
  });

  test('a path that cannot be resolved stays as written and is a bind-mounts error', async () => {
    const m = await model({services: {web: {image: 'busybox', volumes: ['/g/demo/loop:/a']}}});
    const {project, diagnostics} = await resolveHostPaths(m, fakeRealpath(TREE));
    assert.equal(project.services.web.volumes[0].source, '/g/demo/loop');
    assert.deepEqual(
      diagnostics.map((d) => [d.rule, d.path, d.message]),
      [['bind-mounts', 'services.web.volumes[0]', 'service "web" mounts host path "/g/demo/loop", which the agent cannot resolve (ELOOP)']],
    );
  });
});

describe('resolvePolicyPaths', () => {
  test("the site's folders are followed, the {project} part is kept as written", async () => {
    const base = await loadPolicy();
    const policy: Policy = {
      ...base,
      bind_mounts: {allowed_roots: ['/global/cdirs/{project}', '/g/demo'], forbidden_sources: ['/', '/global/cdirs/demo/link']},
      global_fs: {...base.global_fs, roots: ['/global']},
    };
    const out = await resolvePolicyPaths(policy, fakeRealpath(TREE));
    assert.deepEqual(out.bind_mounts.allowed_roots, ['/global/cdirs/{project}', '/g/demo', '/mnt/global/cdirs/{project}']);
    assert.deepEqual(out.bind_mounts.forbidden_sources, ['/', '/global/cdirs/demo/link', '/mnt/global/cdirs/demo/link']);
    assert.deepEqual(out.global_fs.roots, ['/global', '/mnt/global']);
    assert.deepEqual(policy.global_fs.roots, ['/global'], 'the policy itself is not changed');
  });
});

describe('deploy with symlinks on the host', () => {
  // <dir>/cdirs/{project} is the allowed root, <dir>/cdirs the global file system.
  let dir: string;
  let store: Store;
  let fake: FakeOrchestrator;
  let app: FastifyInstance;
  let token: string;

  before(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'spin-symlinks-')));
    mkdirSync(join(dir, 'cdirs', 'demo', 'data'), {recursive: true});
    mkdirSync(join(dir, 'cdirs', 'other', 'private'), {recursive: true});
    mkdirSync(join(dir, 'real-global', 'demo', 'www'), {recursive: true});
    symlinkSync('/etc', join(dir, 'cdirs', 'demo', 'link'));
    symlinkSync(join(dir, 'cdirs', 'other'), join(dir, 'cdirs', 'demo', 'peer'));
    symlinkSync('data', join(dir, 'cdirs', 'demo', 'alias'));
    // A site whose global file system is reached through a symlink.
    symlinkSync(join(dir, 'real-global'), join(dir, 'global'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'bind_mounts:',
        `  allowed_roots: ["${dir}/cdirs/{project}", "${dir}/global/{project}"]`,
        'global_fs:',
        `  roots: ["${dir}/global"]`,
        '',
      ].join('\n'),
    );
    const policy = await loadPolicy(file);
    store = openStore(join(dir, 'state'));
    token = store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']}).token;
    fake = new FakeOrchestrator();
    app = buildApp({store, orchestrator: fake, policy, version: '0.1.0'});
  });

  beforeEach(() => {
    fake.calls.length = 0;
  });

  after(async () => {
    await app?.close();
    store?.close();
    rmSync(dir, {recursive: true, force: true});
  });

  const web = (extra: Record<string, unknown>) => ({image: 'busybox', cap_drop: ['ALL'], user: '1000:1000', ...extra});
  const deploy = (model: unknown, dryRun = true) =>
    app.inject({method: 'POST', url: '/v1/projects/demo/stacks/web/deploy', payload: {model, dryRun}, headers: {authorization: `Bearer ${token}`}});

  async function refused(model: unknown): Promise<{rule?: string; path?: string; message: string}[]> {
    const res = await deploy(model);
    assert.equal(res.statusCode, 422, res.body);
    const body = res.json() as {error: {code: string; diagnostics: {rule?: string; path?: string; message: string}[]}};
    assert.equal(body.error.code, 'policy.violation');
    assert.equal(fake.callsOf('plan').length + fake.callsOf('deploy').length, 0, 'nothing reached the orchestrator');
    return body.error.diagnostics;
  }

  test('a symlink in the allowed root pointing at /etc is refused with the real path and the written one', async () => {
    const [d] = await refused({services: {web: web({volumes: [`${dir}/cdirs/demo/link:/host-etc:ro`]})}});
    assert.equal(d.rule, 'bind-mounts');
    assert.equal(d.path, 'services.web.volumes[0]');
    assert.equal(d.message, `service "web" mounts host path "/etc", which is never allowed ("${dir}/cdirs/demo/link" resolves to "/etc")`);
  });

  test('a path that does not exist yet under such a symlink is refused too', async () => {
    const [d] = await refused({services: {web: web({volumes: [`${dir}/cdirs/demo/link/not-yet/there:/x`]})}});
    assert.match(d.message, /mounts host path "\/etc\/not-yet\/there", inside "\/etc"/);
  });

  test('`..` after a missing folder cannot step into a symlink unseen', async () => {
    const [d] = await refused({services: {web: web({volumes: [`${dir}/cdirs/demo/new/../link:/x`]})}});
    assert.match(d.message, /mounts host path "\/etc"/);
  });

  test("a symlink to another project's folder is outside the allowed roots", async () => {
    const [d] = await refused({services: {web: web({volumes: [`${dir}/cdirs/demo/peer/private:/x`]})}});
    assert.match(d.message, new RegExp(`mounts host path "${dir}/cdirs/other/private", outside the allowed roots`));
  });

  test('a local volume bound to a symlinked device is refused', async () => {
    const diagnostics = await refused({
      services: {web: web({volumes: ['data:/data']})},
      volumes: {data: {driver_opts: {type: 'none', o: 'bind', device: `${dir}/cdirs/demo/link`}}},
    });
    assert.deepEqual(diagnostics.map((d) => [d.rule, d.path]), [['bind-mounts', 'volumes.data.driver_opts.device']]);
  });

  test('a symlink inside the root is fine, and the engine gets the real path', async () => {
    const res = await deploy({services: {web: web({volumes: [`${dir}/cdirs/demo/alias:/data`]})}}, false);
    assert.equal(res.statusCode, 200, res.body);
    const rev = store.revision({project: 'demo', stack: 'web'}, 1);
    assert.equal(rev?.model.services.web.volumes[0].source, `${dir}/cdirs/demo/data`);
    assert.equal(fake.stacksByKey.get('demo/web')?.model.services.web.volumes[0].source, `${dir}/cdirs/demo/data`);
  });

  test('a global file system reached through a symlink still requires the caller identity', async () => {
    const [d] = await refused({services: {web: web({user: '0:0', volumes: [`${dir}/global/demo/www:/www`]})}});
    assert.equal(d.rule, 'global-fs');
    assert.match(d.message, /runs as root/);
    assert.equal((await deploy({services: {web: web({volumes: [`${dir}/global/demo/www:/www`]})}})).statusCode, 200);
  });
});
