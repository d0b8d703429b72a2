// globalFsMount (src/lib/policy/global-fs.ts), which the exec route asks before it lets a caller
// pick a user. Tested here, next to its user; it must mean what the global-fs rule means.

import assert from 'node:assert/strict';
import {before, describe, test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {ComposeModel} from '../../../src/lib/compose/types.ts';
import {globalFsMount} from '../../../src/lib/policy/global-fs.ts';
import {checkPolicy, loadPolicy, type Policy} from '../../../src/lib/policy/index.ts';

let policy: Policy;

before(async () => {
  policy = await loadPolicy();
});

async function model(doc: Record<string, unknown>): Promise<ComposeModel> {
  const {project, diagnostics} = await loadDocument(doc, 'web');
  assert.ok(project, JSON.stringify(diagnostics));
  return project;
}

const DOC = {
  services: {
    bind: {image: 'busybox', volumes: ['/scratch/x:/x', '/global/cfs/cdirs/demo/www:/www', '/global/other:/o']},
    dotted: {image: 'busybox', volumes: ['/global/../global/cfs/y:/y']},
    named: {image: 'busybox', volumes: ['home:/home']},
    rbind: {image: 'busybox', volumes: ['opts:/o']},
    plugin: {image: 'busybox', volumes: ['remote:/r']},
    ext: {image: 'busybox', volumes: ['shared:/s']},
    sized: {image: 'busybox', volumes: ['tmp:/t']},
    neighbour: {image: 'busybox', volumes: ['/globalx/data:/d', 'plain:/p', {type: 'tmpfs', target: '/tmp'}]},
    none: {image: 'busybox'},
  },
  volumes: {
    home: {driver_opts: {type: 'none', o: 'bind', device: '/global/homes/a'}},
    opts: {driver: 'local', driver_opts: {type: 'none', o: 'ro, rbind', device: '/global/u'}},
    remote: {driver: 'nfs-plugin', driver_opts: {o: 'bind', device: '/global/n'}},
    shared: {external: true, name: 'demo_shared'},
    tmp: {driver_opts: {type: 'tmpfs', o: 'size=100m', device: 'tmpfs'}},
    plain: {},
  },
};

describe('globalFsMount', () => {
  for (const [service, mount] of [
    ['bind', '/global/cfs/cdirs/demo/www'],
    ['dotted', '/global/cfs/y'],
    ['named', '/global/homes/a'],
    ['rbind', '/global/u'],
    ['plugin', undefined],
    ['ext', undefined],
    ['sized', undefined],
    ['neighbour', undefined],
    ['none', undefined],
    ['missing', undefined],
  ] as const) {
    test(`${service}: ${mount ?? 'none'}`, async () => {
      assert.equal(globalFsMount(await model(DOC), service, policy), mount);
    });
  }

  test('the roots come from the policy', async () => {
    const m = await model(DOC);
    assert.equal(globalFsMount(m, 'neighbour', {...policy, global_fs: {...policy.global_fs, roots: ['/globalx']}}), '/globalx/data');
    assert.equal(globalFsMount(m, 'bind', {...policy, global_fs: {...policy.global_fs, roots: []}}), undefined);
  });

  test('a stored model missing its lists does not crash it', () => {
    const m = {services: {web: {image: 'busybox'}}} as unknown as ComposeModel;
    assert.equal(globalFsMount(m, 'web', policy), undefined);
  });

  test('means what the global-fs rule means: a service it names is one the rule holds to UID:GID', async () => {
    const m = await model(DOC);
    const asRoot: ComposeModel = {...m, services: Object.fromEntries(Object.entries(m.services).map(([n, s]) => [n, {...s, user: '0:0'}]))};
    const ruled = new Set(
      checkPolicy(asRoot, policy, {project: 'demo', uid: 1000, gid: 1000})
        .filter((d) => d.rule === 'global-fs')
        .map((d) => /^service "([^"]+)"/.exec(d.message)?.[1]),
    );
    for (const name of Object.keys(m.services)) {
      assert.equal(globalFsMount(m, name, policy) !== undefined, ruled.has(name), `service "${name}"`);
    }
  });
});
