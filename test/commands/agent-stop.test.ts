// `spin agent stop` against a stand-in for the local agent: a process whose command line reads
// `agent start`, started under a parent that never reaps it, as when the agent's parent `spin up`
// is gone and the system's init does not wait for orphans. Stopped once, it must not count as running.

import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {runSpin} from '../helpers/cli.ts';

let dir: string;
let parent: ChildProcess | undefined;
let agentPid: number;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spin-agent-stop-'));
  // `exec sleep` replaces the shell with a program that never waits for its background child.
  parent = spawn('sh', ['-c', '"$0" -e "setInterval(() => {}, 1e6)" agent start & echo $!; exec sleep 120', process.execPath], {stdio: ['ignore', 'pipe', 'ignore']});
  agentPid = await new Promise<number>((resolve) => parent!.stdout!.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim()))));
  await writeFile(join(dir, 'local.json'), JSON.stringify({url: 'http://127.0.0.1:9', token: 'spin_x', pid: agentPid}), {mode: 0o600});
});

after(async () => {
  parent?.kill('SIGKILL');
  try {
    process.kill(agentPid, 'SIGKILL');
  } catch {
    // already gone
  }
  await rm(dir, {recursive: true, force: true});
});

const stop = () => runSpin(['agent', 'stop'], {env: {SPIN_LOCAL_DIR: dir}});

describe('spin agent stop', () => {
  test('stops the agent once; a second stop says it is not running, exit 0, on stderr', async () => {
    const first = await stop();
    assert.deepEqual(first, {code: 0, stdout: '', stderr: 'stopped the local Spin agent\n'});
    const second = await stop();
    assert.deepEqual(second, {code: 0, stdout: '', stderr: 'the local Spin agent is not running\n'});
    assert.equal(JSON.parse(await readFile(join(dir, 'local.json'), 'utf8')).pid, undefined, 'the pid is forgotten');
  });

  test('a pid that now belongs to another program is not the agent, and is left alone', async () => {
    await writeFile(join(dir, 'local.json'), JSON.stringify({url: 'http://127.0.0.1:9', token: 'spin_x', pid: parent!.pid}), {mode: 0o600});
    assert.deepEqual(await stop(), {code: 0, stdout: '', stderr: 'the local Spin agent is not running\n'});
    assert.doesNotThrow(() => process.kill(parent!.pid!, 0), 'the other program still runs');
  });
});
