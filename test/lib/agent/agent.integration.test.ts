// The agent as users meet it: a real `spin agent start` process on the real engine, driven over
// HTTP with tokens from the real `spin agent user add`. Every engine object carries one of this
// run's project names, and `after` removes exactly those, even when a test fails.

import assert from 'node:assert/strict';
import {mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import WebSocket from 'ws';

import {AgentClient} from '../../../src/lib/client/agent.ts';
import type {DeployEventJson, DeployResultJson} from '../../../src/lib/api/types.ts';
import {LABELS} from '../../../src/lib/engine/types.ts';
import {startAgent, type AgentProcess} from '../../helpers/agent.ts';
import {buildBusyboxImage, cleanupProject, dockerClient, requireEngine, uniqueName} from '../../helpers/docker.ts';

const docker = dockerClient();
const projectA = uniqueName('ita');
const projectB = uniqueName('itb');
/** The crash test's own project, so its check sees no other test's containers. */
const projectC = uniqueName('itc');
/** The global file system test's project, on an agent with its own policy. */
const projectD = uniqueName('itd');
const image = `spin-it/${projectA}:busybox`;
const agents: AgentProcess[] = [];
let agent: AgentProcess;
let alice: AgentClient;
let bob: AgentClient;
let aliceToken: string;
let bobToken: string;

type Doc = {services: Record<string, Record<string, unknown>>};

/** A long-running busybox service; init makes it stop at once instead of after a grace period. */
function service(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    image,
    init: true,
    cap_drop: ['ALL'],
    command: ['sleep', '3600'],
    healthcheck: {test: ['CMD', 'true'], interval: '1s', timeout: '2s', retries: 30},
    ...extra,
  };
}

function stackOf(names: string[], extra: (name: string) => Record<string, unknown> = () => ({})): Doc {
  return {services: Object.fromEntries(names.map((n) => [n, service(extra(n))]))};
}

interface Container {
  id: string;
  name: string;
  service: string;
  revision: string;
  configHash: string;
  startedAt: string;
  running: boolean;
  health?: string;
}

/** What the engine holds for a project (or one stack of it), by container name. */
async function engineState(project: string, stack?: string): Promise<Map<string, Container>> {
  const label = [`${LABELS.project}=${project}`, ...(stack ? [`${LABELS.stack}=${stack}`] : [])];
  const list = await docker.listContainers({all: true, filters: {label}});
  const out = new Map<string, Container>();
  for (const c of list) {
    const info = await docker.getContainer(c.Id).inspect();
    const labels = info.Config.Labels;
    out.set(info.Name.replace(/^\//, ''), {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      service: labels[LABELS.service],
      revision: labels[LABELS.revision],
      configHash: labels[LABELS.configHash],
      startedAt: info.State.StartedAt,
      running: info.State.Running,
      health: (info.State as {Health?: {Status: string}}).Health?.Status,
    });
  }
  return out;
}

async function deploy(client: AgentClient, project: string, stack: string, model: Doc, extra: {timeoutSeconds?: number; dryRun?: boolean} = {}, onEvent?: (e: DeployEventJson) => void) {
  return client.deploy(project, stack, {model, timeoutSeconds: extra.timeoutSeconds ?? 60, ...(extra.dryRun ? {dryRun: true} : {})}, onEvent);
}

type Envelope = {error: {code: string; message: string; hint?: string}};

/** A POST with a raw body (a string, or chunks sent without a Content-Length) as alice. */
async function rawPost(path: string, body: string | string[]): Promise<{status: number; envelope: Envelope}> {
  const stream = Array.isArray(body) ? ReadableStream.from(body.map((chunk) => new TextEncoder().encode(chunk))) : body;
  const res = await fetch(`${agent.url}/v1${path}`, {
    method: 'POST',
    headers: {authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json'},
    body: stream,
    ...(Array.isArray(body) ? {duplex: 'half'} : {}),
  } as RequestInit);
  return {status: res.status, envelope: (await res.json()) as Envelope};
}

/**
 * The engine's own health check agrees with the deploy within one interval. The deploy runs a
 * fresh replica's check itself while the engine still says `starting` (Docker before 25 runs its
 * first check a whole interval after start), so the engine may report it a little later.
 */
async function engineHealthy(project: string, stack: string, count: number): Promise<Map<string, Container>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = await engineState(project, stack);
    const healthy = [...state.values()].filter((c) => c.health === 'healthy').length;
    if (healthy === count && state.size === count) return state;
    if (Date.now() > deadline) assert.fail(`engine health of ${stack}: ${JSON.stringify([...state.values()].map((c) => [c.name, c.health]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function assertAllHealthy(result: DeployResultJson, services: string[]): void {
  assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));
  assert.deepEqual(
    result.status?.services.map((s) => [s.service, s.desired, s.running, s.healthy]),
    services.map((s) => [s, 1, 1, 1]),
  );
}

before(async () => {
  await requireEngine(docker);
  await buildBusyboxImage(docker, image, projectA);
  agent = await startAgent();
  agents.push(agent);
  aliceToken = await agent.addUser('alice', {projects: [projectA]});
  alice = new AgentClient({url: agent.url, token: aliceToken});
  bobToken = await agent.addUser('bob', {projects: [projectB]});
  bob = new AgentClient({url: agent.url, token: bobToken});
});

after(async () => {
  alice?.close();
  bob?.close();
  for (const a of agents) await a.stop('SIGKILL');
  // B's and C's containers use A's image: they go first.
  await cleanupProject(docker, projectB);
  await cleanupProject(docker, projectC);
  await cleanupProject(docker, projectD);
  await cleanupProject(docker, projectA);
  for (const a of agents) a.cleanup();
});

describe('the agent on the real engine', () => {
  test('a two-service stack turns healthy; redeploying it unchanged touches no container; changing one service recreates only it', async () => {
    const doc = stackOf(['api', 'web']);
    const first = await deploy(alice, projectA, 'two', doc);
    assertAllHealthy(first, ['api', 'web']);
    assert.equal(first.revision, 1);
    assert.deepEqual(first.plan.services.map((s) => [s.service, s.action]), [['api', 'create'], ['web', 'create']]);
    const before = await engineHealthy(projectA, 'two', 2);
    assert.deepEqual([...before.keys()].sort(), [`${projectA}.two.api.1`, `${projectA}.two.web.1`]);

    const again = await deploy(alice, projectA, 'two', doc);
    assert.equal(again.plan.noop, true);
    assert.deepEqual(again.plan.services.map((s) => [s.service, s.action, s.reason]), [['api', 'keep', 'unchanged'], ['web', 'keep', 'unchanged']]);
    assertAllHealthy(again, ['api', 'web']);
    const unchanged = await engineState(projectA, 'two');
    for (const [name, c] of before) {
      assert.equal(unchanged.get(name)?.id, c.id, `${name} was replaced`);
      assert.equal(unchanged.get(name)?.startedAt, c.startedAt, `${name} was restarted`);
    }

    const changed = await deploy(alice, projectA, 'two', stackOf(['api', 'web'], (n) => (n === 'web' ? {environment: {MODE: 'changed'}} : {})));
    assertAllHealthy(changed, ['api', 'web']);
    assert.deepEqual(changed.plan.services.map((s) => [s.service, s.action, s.reason]), [['api', 'keep', 'unchanged'], ['web', 'recreate', 'configuration changed']]);
    const after = await engineState(projectA, 'two');
    const api = `${projectA}.two.api.1`;
    const web = `${projectA}.two.web.1`;
    assert.equal(after.get(api)?.id, before.get(api)?.id);
    assert.equal(after.get(api)?.startedAt, before.get(api)?.startedAt);
    assert.notEqual(after.get(web)?.id, before.get(web)?.id);
    assert.equal(after.get(web)?.revision, String(changed.revision));
    assert.equal(after.size, 2);

    const detail = await alice.stack(projectA, 'two');
    assert.equal(detail.currentRevision, 3);
    assert.deepEqual((await alice.revisions(projectA, 'two')).revisions.map((r) => [r.number, r.outcome]), [[3, 'healthy'], [2, 'healthy'], [1, 'healthy']]);
  });

  test('a ten-service stack turns healthy, each service with its own healthy container', async () => {
    const names = Array.from({length: 10}, (_, i) => `svc${i}`);
    const result = await deploy(alice, projectA, 'ten', stackOf(names));
    assertAllHealthy(result, names);
    const state = await engineHealthy(projectA, 'ten', 10);
    for (const c of state.values()) assert.equal(c.revision, '1');
    await alice.remove(projectA, 'ten', false);
    assert.equal((await engineState(projectA, 'ten')).size, 0);
  });

  test('a service that turns unhealthy fails the deploy fast, with its log lines in the failure', async () => {
    const doc: Doc = {
      services: {
        sick: service({
          command: ['sh', '-c', 'echo "sick: booting"; echo "sick: cannot open /data/db" >&2; exec sleep 3600'],
          healthcheck: {test: ['CMD', 'false'], interval: '1s', timeout: '2s', retries: 2},
        }),
      },
    };
    const started = Date.now();
    const result = await deploy(alice, projectA, 'sick', doc, {timeoutSeconds: 60});
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.failure?.service, 'sick');
    assert.equal(result.failure?.replica, 1);
    assert.match(result.failure?.reason ?? '', /^turned unhealthy: its healthcheck failed \(exit code 1/);
    // The engine keeps no order between a container's stdout and stderr lines written at once.
    assert.deepEqual(result.failure?.logs?.toSorted(), ['sick: booting', 'sick: cannot open /data/db']);
    const revisions = (await alice.revisions(projectA, 'sick')).revisions;
    assert.deepEqual(revisions.map((r) => [r.number, r.outcome]), [[1, 'failed']]);
  });

  test('a service still starting at the deadline times out, naming it, with its log lines', async () => {
    const doc: Doc = {
      services: {
        slow: service({
          command: ['sh', '-c', 'echo "slow: warming the cache"; exec sleep 3600'],
          healthcheck: {test: ['CMD', 'false'], interval: '1s', timeout: '2s', retries: 300},
        }),
      },
    };
    const started = Date.now();
    const result = await deploy(alice, projectA, 'slow', doc, {timeoutSeconds: 3});
    const took = Date.now() - started;
    assert.ok(took >= 3000 && took < 15_000, `took ${took} ms`);
    assert.equal(result.outcome, 'timeout');
    assert.equal(result.failure?.service, 'slow');
    assert.equal(result.failure?.reason, 'not healthy within 3s: "slow" still starting or waiting');
    assert.deepEqual(result.failure?.logs, ['slow: warming the cache']);
  });

  test("a user of project A cannot see, change, read logs of or exec into project B's running stack", async () => {
    const deployed = await deploy(bob, projectB, 'secret-app', stackOf(['db']));
    assertAllHealthy(deployed, ['db']);
    const before = await engineState(projectB);
    assert.equal(before.size, 1);
    const base = `/projects/${projectB}/stacks`;
    const notFound = {code: 'project.not_found', message: `project "${projectB}" not found`};
    const calls: [string, string, unknown?][] = [
      ['GET', base],
      ['GET', `${base}/secret-app`],
      ['GET', `${base}/secret-app/revisions`],
      ['GET', `${base}/secret-app/revisions/1`],
      ['GET', `${base}/secret-app/logs?tail=10`],
      ['POST', `${base}/secret-app/deploy`, {model: stackOf(['db'])}],
      ['POST', `${base}/secret-app/stop`, {}],
      ['POST', `${base}/secret-app/restart`, {}],
      ['POST', `${base}/secret-app/scale`, {replicas: {db: 0}}],
      ['DELETE', `${base}/secret-app?volumes=true`],
      ['GET', `/projects/${projectB}/volumes`],
    ];
    for (const [method, path, body] of calls) {
      const res = await fetch(`${agent.url}/v1${path}`, {
        method,
        headers: {authorization: `Bearer ${aliceToken}`, ...(body ? {'content-type': 'application/json'} : {})},
        ...(body ? {body: JSON.stringify(body)} : {}),
      });
      assert.equal(res.status, 404, `${method} ${path}`);
      const envelope = (await res.json()) as {error: {code: string; message: string}};
      assert.equal(envelope.error.code, notFound.code, `${method} ${path}`);
      assert.match(envelope.error.message, new RegExp(`^project "${projectB}" not found`), `${method} ${path}`);
    }

    const exec = (token: string) => {
      const url = new URL(`${agent.url.replace(/^http/, 'ws')}/v1${base}/secret-app/exec`);
      url.searchParams.set('service', 'db');
      url.searchParams.set('cmd', JSON.stringify(['sh', '-c', 'echo inside']));
      return new Promise<{status?: number; output: string}>((resolve, reject) => {
        const ws = new WebSocket(url, {headers: {authorization: `Bearer ${token}`}});
        let output = '';
        ws.on('unexpected-response', (_req, res) => {
          res.resume();
          resolve({status: res.statusCode, output});
          ws.terminate();
        });
        ws.on('message', (data: Buffer, isBinary) => (output += isBinary ? data.subarray(1).toString() : `${data.toString()}\n`));
        ws.on('close', () => resolve({output}));
        ws.on('error', reject);
      });
    };
    assert.deepEqual(await exec(aliceToken), {status: 404, output: ''});
    // The same upgrade with the owner's token works, so the refusal above is about the project.
    const own = await exec(bobToken);
    assert.equal(own.status, undefined);
    assert.match(own.output, /^inside\n\{"type":"exit","code":0\}\n$/);

    const unchanged = await engineState(projectB);
    assert.deepEqual([...unchanged.values()].map((c) => [c.id, c.startedAt, c.running]), [...before.values()].map((c) => [c.id, c.startedAt, true]));
    const own2 = await bob.stack(projectB, 'secret-app');
    assert.equal(own2.currentRevision, 1);
    assert.deepEqual((await alice.stacks(projectA)).stacks.map((s) => s.name).includes('secret-app'), false);
  });

  test('malformed JSON and an oversized body are refused with a 4xx and a clear envelope', async () => {
    const deployPath = `/projects/${projectA}/stacks/bad/deploy`;
    const malformed = await rawPost(deployPath, '{"model": {"services": ');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.envelope.error.code, 'request.invalid');
    assert.match(malformed.envelope.error.message, /^the request body is not valid JSON: /);
    assert.equal(malformed.envelope.error.hint, 'send a JSON object with content-type application/json');

    const tooLarge = {code: 'request.too_large', message: 'the request body is too large', hint: 'deploy bodies may be up to 4 MiB and others 64 KiB; secret values up to 512 KiB'};
    const command = ['sh', '-c', 'x'.repeat(5 * 1024 * 1024)];
    // Refused from its Content-Length, and streamed without one: either way the answer arrives
    // (the client is still sending when the agent refuses; it must not see the connection reset).
    for (let i = 0; i < 3; i++) {
      const sized = await rawPost(deployPath, JSON.stringify({model: {services: {x: {image, command}}}}));
      assert.deepEqual(sized, {status: 413, envelope: {error: tooLarge}});
    }
    const chunked = await rawPost(deployPath, Array.from({length: 80}, () => 'x'.repeat(64 * 1024)));
    assert.deepEqual(chunked, {status: 413, envelope: {error: tooLarge}});
    // The CLI's own client turns it into an input error with the agent's message and hint.
    await assert.rejects(alice.deploy(projectA, 'bad', {model: {services: {x: {image, command}}}}), (err: Error & {remoteCode?: string; hint?: string}) => {
      assert.equal(err.message, tooLarge.message);
      assert.equal(err.remoteCode, tooLarge.code);
      assert.equal(err.hint, tooLarge.hint);
      return true;
    });

    // Other routes take at most 64 KiB.
    const stop = await rawPost(`/projects/${projectA}/stacks/bad/stop`, JSON.stringify({services: ['x'.repeat(70 * 1024)]}));
    assert.deepEqual(stop, {status: 413, envelope: {error: tooLarge}});
    assert.equal((await engineState(projectA, 'bad')).size, 0);
  });

  test('a model nested 10,000 levels deep is a 422 over real HTTP, and the agent keeps serving', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const res = await rawPost(`/projects/${projectA}/stacks/deep/deploy`, `{"model": {"services": {"x": {"image": "${image}", "x-deep": ${deep}}}}, "dryRun": true}`);
    assert.equal(res.status, 422, JSON.stringify(res.envelope));
    assert.equal(res.envelope.error.code, 'compose.invalid');
    assert.match(res.envelope.error.message, /the compose model nests 10003 levels deep, more than the 128 allowed/);
    const stop = await rawPost(`/projects/${projectA}/stacks/deep/stop`, `{"services": ${deep}}`);
    assert.equal(stop.status, 400);
    assert.equal((await alice.whoami()).name, 'alice');
  });
});

describe('an agent killed mid-deploy and started again on the same data', () => {
  const slow = {healthcheck: {test: ['CMD', 'false'], interval: '1s', timeout: '2s', retries: 300}};
  const good = stackOf(['a', 'b']);
  /** Changes "b" and adds "slow", which never turns healthy: the deploy is still running when the agent dies. */
  const changed = stackOf(['a', 'b', 'slow'], (n) => (n === 'slow' ? slow : n === 'b' ? {environment: {MODE: 'v2'}} : {}));
  const kept = (n: string) => `${projectC}.kept.${n}.1`;

  /** Starts a deploy; `seen` resolves at the first event `when` accepts, `done` with the error the client gets when the agent dies. */
  function deployUntil(client: AgentClient, stack: string, doc: Doc, when: (e: DeployEventJson) => boolean) {
    let seen!: () => void;
    const reached = new Promise<void>((resolve) => (seen = resolve));
    const done = deploy(client, projectC, stack, doc, {timeoutSeconds: 120}, (e) => when(e) && seen()).then(
      (r) => assert.fail(`the deploy of "${stack}" ended ${r.outcome} although the agent was killed`),
      (err: Error) => err,
    );
    return {reached, done};
  }

  async function restart(from: AgentProcess, token: string): Promise<{agent: AgentProcess; client: AgentClient}> {
    const next = await startAgent({dataDir: from.dataDir});
    agents.push(next);
    return {agent: next, client: new AgentClient({url: next.url, token})};
  }

  /** "kept" is back on revision 1: the records say so, and the engine holds exactly its model. */
  async function assertBackOnRevision1(client: AgentClient, interrupted: number[], goodState: Map<string, Container>): Promise<void> {
    const revisions = (await client.revisions(projectC, 'kept')).revisions;
    assert.deepEqual(revisions.map((r) => [r.number, r.outcome, r.message]), [
      ...interrupted.map((n) => [n, 'interrupted', 'the agent stopped while this deploy was running']),
      [1, 'healthy', null],
    ]);
    assert.equal((await client.stack(projectC, 'kept')).currentRevision, 1);
    const state = await engineState(projectC, 'kept');
    assert.deepEqual([...state.keys()].sort(), [kept('a'), kept('b')], '"slow" must be gone');
    for (const c of state.values()) {
      assert.equal(c.revision, '1', c.name);
      assert.equal(c.running, true, c.name);
      assert.equal(c.configHash, goodState.get(c.name)?.configHash, c.name);
    }
    // "a" was never touched by any of it.
    assert.equal(state.get(kept('a'))?.id, goodState.get(kept('a'))?.id);
    // The engine agrees with revision 1's model: planning it again changes nothing.
    const plan = await deploy(client, projectC, 'kept', good, {dryRun: true});
    assert.equal(plan.plan.noop, true, JSON.stringify(plan.plan));
  }

  test('no revision stays pending, each stack is on one revision, no orphan containers', async () => {
    const first = await startAgent();
    agents.push(first);
    const token = await first.addUser('carol', {projects: [projectC]});
    const client = new AgentClient({url: first.url, token});
    let goodState: Map<string, Container>;
    try {
      assertAllHealthy(await deploy(client, projectC, 'kept', good), ['a', 'b']);
      goodState = await engineState(projectC, 'kept');
      // "kept" has a good revision; "fresh" is deployed for the first time, so it has none.
      const waitingForSlow = (e: DeployEventJson) => e.type === 'waiting' && e.service === 'slow';
      const keptDeploy = deployUntil(client, 'kept', changed, waitingForSlow);
      const freshDeploy = deployUntil(client, 'fresh', stackOf(['x', 'slow'], (n) => (n === 'slow' ? slow : {})), waitingForSlow);
      await Promise.all([keptDeploy.reached, freshDeploy.reached]);
      const midway = await engineState(projectC);
      assert.equal(midway.get(kept('slow'))?.health, 'starting');
      assert.equal(midway.get(`${projectC}.fresh.slow.1`)?.health, 'starting');
      await first.stop('SIGKILL');
      assert.match((await keptDeploy.done).message, /agent/);
      await freshDeploy.done;
    } finally {
      client.close();
    }

    const second = await restart(first, token);
    try {
      await assertBackOnRevision1(second.client, [2], goodState);
      assert.deepEqual((await second.client.revisions(projectC, 'fresh')).revisions.map((r) => [r.number, r.outcome]), [[1, 'interrupted']]);
      // Nothing of "fresh" remains: it never had a good revision. Only "kept" is on the engine.
      assert.deepEqual([...(await engineState(projectC)).keys()].sort(), [kept('a'), kept('b')]);

      // Killed again, this time as soon as the deploy starts changing containers.
      const early = deployUntil(second.client, 'kept', changed, (e) => ['stop', 'remove', 'create'].includes(e.type));
      await early.reached;
      await second.agent.stop('SIGKILL');
      await early.done;
    } finally {
      second.client.close();
    }

    const third = await restart(second.agent, token);
    try {
      await assertBackOnRevision1(third.client, [3, 2], goodState);
      assert.deepEqual([...(await engineState(projectC)).keys()].sort(), [kept('a'), kept('b')]);

      // Stopped gracefully this time (SIGTERM, as systemd stops it) while "slow" can never turn
      // healthy and the deploy may wait 120 s: the agent gives it its 5 s grace, then ends the
      // rollout where it is and exits, leaving the revision for the next start.
      const waiting = deployUntil(third.client, 'kept', changed, (e) => e.type === 'waiting' && e.service === 'slow');
      await waiting.reached;
      const started = performance.now();
      await third.agent.stop('SIGTERM');
      const took = performance.now() - started;
      assert.ok(took < 15_000, `the agent took ${Math.round(took)} ms to stop`);
      assert.equal(third.agent.process.exitCode, 0, third.agent.logs().slice(-2000));
      await waiting.done;
    } finally {
      third.client.close();
    }

    const fourth = await restart(third.agent, token);
    try {
      await assertBackOnRevision1(fourth.client, [4, 3, 2], goodState);
    } finally {
      fourth.client.close();
    }
  });
});

describe('an agent whose policy names a global file system on this host', () => {
  // <base>/global is the global file system; <base>/global/{project} is where a project may mount.
  let base: string;
  let site: AgentProcess;
  let dave: AgentClient;
  let daveToken: string;
  const www = () => join(base, 'global', projectD, 'www');

  before(async () => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'spin-it-global-')));
    mkdirSync(www(), {recursive: true});
    symlinkSync('/etc', join(base, 'global', projectD, 'etc-link'));
    const policy = join(base, 'policy.yaml');
    writeFileSync(policy, ['version: 1', 'bind_mounts:', `  allowed_roots: ["${base}/global/{project}"]`, 'global_fs:', `  roots: ["${base}/global"]`, ''].join('\n'));
    site = await startAgent({args: ['--policy', policy]});
    agents.push(site);
    daveToken = await site.addUser('dave', {projects: [projectD], uid: 1000, gid: 1000});
    dave = new AgentClient({url: site.url, token: daveToken});
  });

  after(() => {
    dave?.close();
    if (base) rmSync(base, {recursive: true, force: true});
  });

  /** Runs a command over the real WebSocket; `status` is set when the upgrade was refused. */
  function exec(query: Record<string, string>): Promise<{status?: number; body?: string; output: string}> {
    const url = new URL(`${site.url.replace(/^http/, 'ws')}/v1/projects/${projectD}/stacks/files/exec`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {headers: {authorization: `Bearer ${daveToken}`}});
      let output = '';
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({status: res.statusCode, body, output}));
        ws.on('error', () => undefined);
      });
      ws.on('message', (data: Buffer, isBinary) => (output += isBinary ? data.subarray(1).toString() : `${data.toString()}\n`));
      ws.on('close', () => resolve({output}));
      ws.on('error', reject);
    });
  }

  test("exec in a service on the global file system runs as the service's user and refuses root", async () => {
    const doc = {services: {files: service({user: '1000:1000', volumes: [`${www()}:/www`]})}};
    assertAllHealthy(await deploy(dave, projectD, 'files', doc), ['files']);
    const cmd = JSON.stringify(['id', '-u']);
    assert.equal((await exec({service: 'files', cmd})).output, '1000\n{"type":"exit","code":0}\n');
    assert.equal((await exec({service: 'files', cmd, user: '1000:1000'})).output, '1000\n{"type":"exit","code":0}\n');
    for (const user of ['0', 'root', '0:0', '1001:1000']) {
      const refused = await exec({service: 'files', cmd, user});
      assert.equal(refused.status, 422, `${user}: ${JSON.stringify(refused)}`);
      const envelope = JSON.parse(refused.body ?? '{}') as Envelope;
      assert.equal(envelope.error.code, 'policy.violation');
      assert.equal(envelope.error.message, `service "files" mounts "${www()}" from a global file system, so exec runs as its own user "1000:1000", not as user "${user}"`);
    }
    const privileged = await exec({service: 'files', cmd, privileged: 'true'});
    assert.equal(privileged.status, 400);
    assert.equal((JSON.parse(privileged.body ?? '{}') as Envelope).error.message, 'exec does not take "privileged"');
  });

  test('a symlink in the allowed folder that points at /etc is refused, naming the real path', async () => {
    const link = join(base, 'global', projectD, 'etc-link');
    const doc = {services: {leak: service({user: '1000:1000', volumes: [`${link}:/host-etc:ro`]})}};
    await assert.rejects(deploy(dave, projectD, 'leak', doc, {dryRun: true}), (err: Error & {remoteCode?: string}) => {
      assert.equal(err.remoteCode, 'policy.violation');
      return true;
    });
    const res = await fetch(`${site.url}/v1/projects/${projectD}/stacks/leak/deploy`, {
      method: 'POST',
      headers: {authorization: `Bearer ${daveToken}`, 'content-type': 'application/json'},
      body: JSON.stringify({model: doc, dryRun: true}),
    });
    const body = (await res.json()) as {error: {code: string; diagnostics: {rule: string; message: string}[]}};
    assert.equal(res.status, 422);
    assert.deepEqual(body.error.diagnostics.map((d) => [d.rule, d.message]), [['bind-mounts', `service "leak" mounts host path "/etc", which is never allowed ("${link}" resolves to "/etc")`]]);
    assert.equal((await engineState(projectD, 'leak')).size, 0);
  });
});
