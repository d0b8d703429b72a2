// `spin agent start` with its own Caddy stops that Caddy however it is asked to stop: Ctrl-C
// while its stderr goes through `tee` (which Ctrl-C ends first), SIGHUP (the terminal went
// away), or only the pipe closing. Afterwards no Caddy runs on its files and the ingress port is
// free again.

import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {createServer} from 'node:net';
import {after, describe, test} from 'node:test';
import {setTimeout as sleep} from 'node:timers/promises';

import {onPath} from '../../src/lib/ingress/caddy.ts';
import {startAgent, type AgentProcess} from '../helpers/agent.ts';
import {freePort} from '../helpers/ports.ts';

const skip = onPath('caddy') ? false : 'caddy is not on PATH: install it (`apt-get install caddy`, scripts/setup.sh does)';
const agents: AgentProcess[] = [];

after(async () => {
  for (const agent of agents) {
    await agent.stop('SIGKILL');
    for (const pid of caddiesOf(agent.dataDir)) process.kill(-pid, 'SIGKILL');
    agent.cleanup();
  }
});

/** Pids of the processes whose command line names a file under the agent's data folder. */
function caddiesOf(dataDir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').some((arg) => arg.startsWith(`${dataDir}/`))) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function withIngress(logLevel = 'warn') {
  const port = await freePort();
  const agent = await startAgent({args: ['--ingress-listen', `127.0.0.1:${port}`], logLevel});
  agents.push(agent);
  assert.equal(caddiesOf(agent.dataDir).length, 2, 'the agent runs two Caddy processes');
  assert.equal(await portFree(port), false, 'Caddy listens on the ingress port');
  const exited = new Promise<{code: number | null; signal: string | null}>((resolve) => agent.process.once('exit', (code, signal) => resolve({code, signal})));
  return {agent, port, exited};
}

async function assertNoCaddy(dataDir: string, port: number): Promise<void> {
  // Caddy may take a moment after its agent exits to let the port go.
  for (let i = 0; i < 50 && (caddiesOf(dataDir).length > 0 || !(await portFree(port))); i++) await sleep(100);
  assert.deepEqual(caddiesOf(dataDir), [], 'no Caddy process runs on the agent’s files');
  assert.equal(await portFree(port), true, `port ${port} is free`);
}

describe('spin agent start stops its Caddy', {skip}, () => {
  test('Ctrl-C while its stderr goes through a tee that Ctrl-C ended first', async () => {
    const {agent, port, exited} = await withIngress();
    // The tee is gone: the agent's next write to stderr meets a closed pipe.
    agent.process.stderr!.destroy();
    agent.process.kill('SIGINT');
    assert.deepEqual(await exited, {code: 0, signal: null});
    await assertNoCaddy(agent.dataDir, port);
  });

  test('SIGHUP: the terminal went away', async () => {
    const {agent, port, exited} = await withIngress();
    agent.process.kill('SIGHUP');
    assert.deepEqual(await exited, {code: 0, signal: null});
    assert.match(agent.logs(), /spin agent: SIGHUP received, finishing requests in flight/);
    await assertNoCaddy(agent.dataDir, port);
  });

  test('only the pipe closing: the agent stops at its next log line', async () => {
    const {agent, port, exited} = await withIngress('info');
    agent.process.stderr!.destroy();
    // A request is logged at info: that write fails with EPIPE.
    await fetch(`${agent.url}/v1/info`).catch(() => undefined);
    assert.deepEqual(await exited, {code: 0, signal: null});
    await assertNoCaddy(agent.dataDir, port);
  });

  test('SIGKILL leaves Caddy serving, and the next agent adopts it and stops it when asked', async () => {
    const {agent, port} = await withIngress();
    const before = caddiesOf(agent.dataDir).sort();
    await agent.stop('SIGKILL');
    assert.deepEqual(caddiesOf(agent.dataDir).sort(), before, 'Caddy outlives an agent killed outright');
    const next = await startAgent({dataDir: agent.dataDir, args: ['--ingress-listen', `127.0.0.1:${port}`]});
    agents.push(next);
    assert.deepEqual(caddiesOf(agent.dataDir).sort(), before, 'the next agent adopts the same processes');
    await next.stop('SIGTERM');
    await assertNoCaddy(agent.dataDir, port);
  });
});

describe('spin agent start refuses flags its orchestrator would ignore', () => {
  test('node engines for exec on a cluster, given to an agent that drives one host', async () => {
    const started = startAgent({args: ['--orchestrator', 'docker', '--swarm-node-engine', '10.0.0.12=unix:///run/node2.sock']});
    const message = await started.then(
      async (agent) => {
        agents.push(agent);
        return undefined;
      },
      (err: Error) => err.message,
    );
    assert.ok(message, 'the agent started and ignored --swarm-node-engine');
    assert.match(message, /--swarm-node-engine.* are for a Swarm cluster, and this agent drives one host/);
    assert.match(message, /--orchestrator swarm/);
  });
});
