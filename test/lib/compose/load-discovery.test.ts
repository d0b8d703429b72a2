// Finding the compose file as docker compose does: with no -f, the current folder, else the
// nearest parent folder that has one (up to the file system root); that folder is the project's.

import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {loadProject} from '../../../src/lib/compose/load.ts';
import {InvalidInputError} from '../../../src/lib/errors.ts';

const SERVICES = 'services:\n  web:\n    image: busybox\n    volumes: ["./data:/data"]\n';

/** A file system of these files only; `denied` files cannot be read. */
function fs(files: Record<string, string>, denied: string[] = []) {
  return async (path: string) => {
    if (denied.includes(path)) throw new InvalidInputError(`file "${path}" cannot be read: permission denied`);
    return Object.hasOwn(files, path) ? files[path] : undefined;
  };
}

describe('compose file discovery', () => {
  test('a parent folder has the file: it is used, with its override, and is the project directory', async () => {
    const readText = fs({'/home/u/portal/compose.yaml': SERVICES, '/home/u/portal/compose.override.yaml': 'services:\n  web:\n    environment: {A: "1"}\n', '/home/u/compose.yaml': 'services: {}\n'});
    const r = await loadProject({workingDir: '/home/u/portal/src/deep', env: {}, readText});
    assert.deepEqual(r.files, ['/home/u/portal/compose.yaml', '/home/u/portal/compose.override.yaml']);
    assert.equal(r.workingDir, '/home/u/portal');
    assert.equal(r.project?.name, 'portal');
    assert.equal(r.project?.services.web.volumes[0].source, '/home/u/portal/data', 'relative paths from the project directory');
    assert.equal(r.project?.services.web.environment.A, '1');
  });

  test('the current folder wins over its parents', async () => {
    const readText = fs({'/home/u/portal/compose.yaml': SERVICES, '/home/u/portal/api/docker-compose.yml': SERVICES});
    const r = await loadProject({workingDir: '/home/u/portal/api', env: {}, readText});
    assert.deepEqual(r.files, ['/home/u/portal/api/docker-compose.yml']);
    assert.equal(r.project?.name, 'api');
  });

  test('up to the root; a parent that cannot be read counts as having none', async () => {
    const readText = fs({'/compose.yaml': SERVICES}, ['/home/compose.yaml']);
    const r = await loadProject({workingDir: '/home/u/x', env: {}, readText});
    assert.deepEqual(r.files, ['/compose.yaml']);
  });

  test('none anywhere: one error naming the folder, as before', async () => {
    await assert.rejects(loadProject({workingDir: '/home/u/x', env: {}, readText: fs({})}), (err: unknown) => {
      assert.ok(err instanceof InvalidInputError);
      assert.equal(err.message, 'no compose file found in "/home/u/x" or any parent folder');
      assert.equal(err.hint, 'create compose.yaml, or pass one with -f FILE');
      return true;
    });
  });

  test('-f and COMPOSE_FILE are never searched for', async () => {
    const readText = fs({'/home/u/compose.yaml': SERVICES});
    await assert.rejects(loadProject({workingDir: '/home/u/x', files: ['compose.yaml'], env: {}, readText}), /does not exist|not found|cannot/);
  });
});
