// A deploy that does not build finds the images `spin build` made for the current content, by the
// same names, or says they were not built; it never makes up a tag. Fakes for the engine and the
// registry; a real compose project in a temporary folder.

import assert from 'node:assert/strict';
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';

import type Dockerode from 'dockerode';

import {planImages} from '../../../src/lib/images/plan.ts';
import {ImageNotFoundError} from '../../../src/lib/images/registry.ts';
import {builtImages, pinImages} from '../../../src/lib/images/ship.ts';
import {loadProject} from '../../../src/lib/compose/load.ts';
import {OperationError} from '../../../src/lib/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'spin-ship-unit-'));
after(() => rmSync(dir, {recursive: true, force: true}));
mkdirSync(join(dir, 'web'));
writeFileSync(join(dir, 'web', 'Dockerfile'), 'FROM scratch\nCOPY index.html /\n');
writeFileSync(join(dir, 'web', 'index.html'), 'hello\n');
writeFileSync(join(dir, 'compose.yaml'), 'name: demo\nservices:\n  web:\n    build: ./web\n  db:\n    image: postgres:16\n');

/** An engine that has exactly these image names. */
function engine(names: string[]): Dockerode {
  return {
    getImage: (name: string) => ({
      inspect: async () => {
        if (names.includes(name)) return {Id: 'sha256:1'};
        throw Object.assign(new Error(`no such image: ${name}`), {statusCode: 404});
      },
    }),
  } as unknown as Dockerode;
}

describe('images for a deploy without a build', () => {
  test('the local engine: the name build gives the current content, when it exists', async () => {
    const [planned] = (await planImages({workingDir: dir, env: {}})).targets;
    assert.match(planned.image, /^demo\/web:[0-9a-f]{16}$/);
    const found = await builtImages({workingDir: dir, env: {}, docker: engine([planned.image]), push: false});
    assert.deepEqual(found.images, {web: planned.image});
  });

  test('the local engine without it: not built, with how to build it, and no registry is asked', async () => {
    const [planned] = (await planImages({workingDir: dir, env: {}})).targets;
    await assert.rejects(builtImages({workingDir: dir, env: {}, docker: engine(['demo/web:20261203090909']), push: false}), (err: unknown) => {
      assert.ok(err instanceof OperationError);
      assert.equal(err.message, `image "${planned.image}" of service "web" does not exist on this Docker engine: it was not built from the current content of the service`);
      assert.equal(err.hint, 'build it: `spin up` builds what changed and deploys, or `spin build web` first');
      return true;
    });
  });

  test('a remote agent: a built service missing from the registry is an error, an unreachable registry a warning', async () => {
    const project = (await loadProject({workingDir: dir, env: {}})).project!;
    const missing = async (image: string): Promise<string> => {
      throw new ImageNotFoundError(`image "${image}" is not in registry "registry.example.org"`);
    };
    const images = {web: 'registry.example.org/demo/web:0123456789abcdef'};
    await assert.rejects(pinImages(project, images, missing, new Set(['web'])), /^OperationError: image "registry\.example\.org\/demo\/web:0123456789abcdef" of service "web" is not in registry "registry\.example\.org": it was not built from the current content of the service$/);
    const unreachable = async (): Promise<string> => {
      throw new Error('connect ECONNREFUSED');
    };
    const pinned = await pinImages(project, images, unreachable, new Set(['web']));
    assert.equal(pinned.images.web, images.web);
    assert.deepEqual(pinned.warnings.map((w) => w.path).sort(), ['services.db.image', 'services.web.image']);
  });
});
