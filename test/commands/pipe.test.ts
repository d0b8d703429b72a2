// A reader that goes away early (`spin --help | head -3`): the CLI stops quietly with exit 0,
// whatever the command, instead of failing with EPIPE (Node's exit 13 and its warning).

import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, test} from 'node:test';

import {assertBuilt, BIN, ROOT} from '../helpers/cli.ts';

/** Runs spin with stdout read like `head -n LINES` does: the pipe is closed after that many lines. */
function headOf(args: string[], lines: number, cwd = ROOT): Promise<{code: number | null; signal: string | null; head: string; stderr: string}> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {cwd, env: {...process.env, CI: 'true'}, stdio: ['ignore', 'pipe', 'pipe']});
    let head = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      head += d;
      if (head.split('\n').length > lines) child.stdout.destroy();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({code, signal, head: head.split('\n').slice(0, lines).join('\n'), stderr}));
  });
}

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});

describe('stdout closed early', () => {
  test('`spin --help | head -3` exits 0, without a warning', async () => {
    const r = await headOf(['--help'], 3);
    assert.equal(r.head, 'Build, ship and run science services as Docker containers next to an HPC centre\n\nVERSION');
    assert.deepEqual({code: r.code, signal: r.signal, stderr: r.stderr}, {code: 0, signal: null, stderr: ''});
  });

  test("a command's own help", async () => {
    const r = await headOf(['deploy', '--help'], 1);
    assert.deepEqual({code: r.code, stderr: r.stderr}, {code: 0, stderr: ''});
  });

  test('a command printing more than the pipe holds (`spin config | head -1`)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spin-pipe-'));
    dirs.push(dir);
    // About 300 kB of YAML: more than a pipe buffers, so the writes meet the closed pipe.
    const services = Array.from({length: 300}, (_, i) => `  s${i}:\n    image: busybox\n    environment:\n      LONG: "${'x'.repeat(1000)}"\n`).join('');
    await writeFile(join(dir, 'compose.yaml'), `name: big\nservices:\n${services}`);
    const r = await headOf(['config'], 1, dir);
    assert.equal(r.head, 'name: big');
    assert.deepEqual({code: r.code, stderr: r.stderr}, {code: 0, stderr: ''});
  });
});
