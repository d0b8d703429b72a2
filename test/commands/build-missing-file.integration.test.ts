// The bundled example copied elsewhere without the busybox that setup puts into it: `spin build`
// fails on the COPY, and says which file is missing and where it comes from.

import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {cpSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {basename, join} from 'node:path';
import {after, test} from 'node:test';

import {ROOT, runSpin} from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'spin-hello-'));
const env = {SPIN_CONFIG: join(dir, 'no-spin-config.json'), SPIN_REGISTRY: undefined, SPIN_PROJECT: undefined, SPIN_URL: undefined, SPIN_TOKEN: undefined, SPIN_CONTEXT: undefined};

after(() => {
  rmSync(dir, {recursive: true, force: true});
});

test('a COPY of a file missing from the context names it and hints where it comes from; exit 1', async () => {
  execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], {stdio: 'ignore'});
  // What git holds of the example: everything but the busybox binaries.
  cpSync(join(ROOT, 'examples/hello'), dir, {recursive: true, filter: (src) => basename(src) !== 'busybox'});
  const r = await runSpin(['build', 'web', '--tag', 'missing'], {cwd: dir, env});
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`^error: building service "web" failed at step \\d+/\\d+: COPY failed: "busybox" is not in the build context "${join(dir, 'web')}"$`, 'm'));
  assert.match(r.stderr, new RegExp(`^hint: it is a static busybox taken from the host, not kept in git: \`cp /bin/busybox ${join(dir, 'web')}/\``, 'm'));
});
