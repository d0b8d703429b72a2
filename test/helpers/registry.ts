// A real Docker Distribution registry (Debian's docker-registry) with htpasswd auth on
// 127.0.0.1, started per test file on a free port, in its own temporary folder.

import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {freePort} from './ports.ts';

export interface TestRegistry {
  /** `127.0.0.1:PORT`, as image names use it. */
  host: string;
  username: string;
  password: string;
  stop(): Promise<void>;
}

export async function startRegistry(): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'spin-registry-'));
  const username = 'spin-test';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  execFileSync('htpasswd', ['-Bbc', join(dir, 'htpasswd'), username, password], {stdio: 'ignore'});
  const port = await freePort();
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: {level: warn}',
      `storage: {filesystem: {rootdirectory: ${join(dir, 'data')}}, delete: {enabled: true}}`,
      `http: {addr: "127.0.0.1:${port}", secret: "${password}"}`,
      `auth: {htpasswd: {realm: spin-test, path: ${join(dir, 'htpasswd')}}}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', join(dir, 'config.yml')], {stdio: ['ignore', 'ignore', 'pipe']});
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 401 || res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      rmSync(dir, {recursive: true, force: true});
      throw new Error(`the test registry did not start: ${stderr.slice(-500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    username,
    password,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, {recursive: true, force: true});
    },
  };
}
