import assert from 'node:assert/strict';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';

import {agentDocument, prepareDeploy, type PreparedDeploy} from '../../../src/lib/client/deploy.ts';

test('a deploy under another stack name names the volumes after that stack, as `docker compose -p` does', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spin-deploy-'));
  try {
    await writeFile(join(dir, 'compose.yaml'), 'name: hello\nservices:\n  db:\n    image: busybox\n    volumes: [data:/data]\nvolumes:\n  data: {}\n  shared: {name: common}\n');
    const volumes = (p: PreparedDeploy) => agentDocument(p.project).volumes as Record<string, {name: string}>;
    const usual = await prepareDeploy({workingDir: dir, env: {}, policy: false});
    assert.equal(usual.stack, 'hello');
    assert.equal(volumes(usual).data.name, 'hello_data');
    const other = await prepareDeploy({workingDir: dir, env: {}, policy: false, stack: 'other'});
    assert.equal(other.stack, 'other');
    assert.equal(other.project.name, 'other');
    assert.equal(volumes(other).data.name, 'other_data');
    assert.equal(volumes(other).shared.name, 'common');
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});
