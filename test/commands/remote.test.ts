// The simple remote commands, run as built against a real agent (buildApp + SQLite store) that
// listens on 127.0.0.1 and drives a small in-memory orchestrator instead of Docker.

import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import type {FastifyInstance} from 'fastify';

import {buildApp} from '../../src/lib/agent/app.ts';
import {openStore} from '../../src/lib/agent/store.ts';
import {AgentClient} from '../../src/lib/client/agent.ts';
import type {ComposeModel} from '../../src/lib/compose/types.ts';
import type {DeployRequest, DeployResult, ExecuteOptions, Orchestrator, Plan, PrepareRequest, PreparedDeploy, StackRef, StackStatus} from '../../src/lib/engine/types.ts';
import {loadPolicy} from '../../src/lib/policy/index.ts';
import {BIN, helpExamples, runSpin} from '../helpers/cli.ts';

const DIGEST = 'sha256:3f2a9c1b7d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcd';
const key = (ref: StackRef) => `${ref.project}/${ref.stack}`;

/** Containers in memory: deploy runs `deploy.replicas` of each service; `next` scripts an outcome. */
class MemoryOrchestrator implements Orchestrator {
  readonly name = 'memory';
  next: 'healthy' | 'failed' | 'timeout' = 'healthy';
  private readonly running = new Map<string, {model: ComposeModel; revision: number; stopped: Set<string>}>();

  async ping() {}

  async plan(ref: StackRef, model: ComposeModel): Promise<Plan> {
    const before = this.running.get(key(ref))?.model.services ?? {};
    const services = Object.entries(model.services).map(([service, s]) => {
      const from = before[service]?.deploy?.replicas ?? 0;
      const to = s.deploy?.replicas ?? 1;
      return {service, action: from === to ? ('keep' as const) : from === 0 ? ('create' as const) : ('scale' as const), replicas: {from, to}, configHash: 'h', reason: `${from} → ${to} replicas`};
    });
    return {services, create: {networks: [], volumes: []}, noop: services.every((s) => s.action === 'keep')};
  }

  async prepare(request: PrepareRequest): Promise<PreparedDeploy & {model: ComposeModel}> {
    return {ref: request.ref, model: request.model, plan: await this.plan(request.ref, request.model)};
  }

  async execute(prepared: PreparedDeploy, options: ExecuteOptions): Promise<DeployResult> {
    return this.deploy({...options, ref: prepared.ref, model: (prepared as PreparedDeploy & {model: ComposeModel}).model, secrets: {}});
  }

  async deploy(request: DeployRequest): Promise<DeployResult> {
    const plan = await this.plan(request.ref, request.model);
    this.running.set(key(request.ref), {model: request.model, revision: request.revision, stopped: new Set()});
    for (const s of plan.services) request.onEvent?.({type: 'start', time: new Date().toISOString(), service: s.service, replica: 1, message: `${s.replicas.to} replicas started`});
    const outcome = this.next;
    this.next = 'healthy';
    const images = Object.fromEntries(Object.entries(request.model.services).map(([n, s]) => [n, `${s.image}@${DIGEST}`]));
    const failure = outcome === 'healthy' ? undefined : {service: 'web', replica: 2, reason: outcome === 'failed' ? 'exited with code 1' : 'still starting', logs: ['listening on :80', 'panic: out of cheese']};
    return {plan, outcome, status: await this.status(request.ref), images, ...(failure ? {failure} : {})};
  }

  async status(ref: StackRef): Promise<StackStatus> {
    const state = this.running.get(key(ref));
    const services = Object.entries(state?.model.services ?? {}).map(([service, s]) => {
      const count = s.deploy?.replicas ?? 1;
      const stopped = state?.stopped.has(service) ?? false;
      const replicas = Array.from({length: count}, (_, i) => ({replica: i + 1, container: `${ref.project}.${ref.stack}.${service}.${i + 1}`, id: `id${i}`, state: stopped ? 'exited' : 'running', health: 'none' as const, ...(stopped ? {exitCode: 0} : {})}));
      const ports = (s.ports ?? []).map((p) => ({published: String(p.published), target: p.target, protocol: p.protocol ?? 'tcp'}));
      return {service, image: s.image ?? service, imageDigest: `${s.image}@${DIGEST}`, desired: count, running: stopped ? 0 : count, healthy: 0, ports, replicas};
    });
    return {ref, services, ...(state ? {revision: state.revision} : {})};
  }

  async stacks(project?: string): Promise<StackRef[]> {
    return [...this.running.keys()].map((k) => ({project: k.split('/')[0], stack: k.split('/')[1]})).filter((r) => !project || r.project === project);
  }

  private services(ref: StackRef, services?: string[]): string[] {
    return services ?? Object.keys(this.running.get(key(ref))?.model.services ?? {});
  }

  async stop(ref: StackRef, services?: string[]) {
    for (const s of this.services(ref, services)) this.running.get(key(ref))?.stopped.add(s);
  }

  async start(ref: StackRef, services?: string[]) {
    for (const s of this.services(ref, services)) this.running.get(key(ref))?.stopped.delete(s);
  }

  async restart(ref: StackRef, services?: string[]) {
    await this.start(ref, services);
  }

  async remove(ref: StackRef) {
    this.running.delete(key(ref));
    return {volumes: {removed: [], kept: []}};
  }

  logs(): Promise<never> {
    throw new Error('not in this fake');
  }

  exec(): never {
    throw new Error('not in this fake');
  }

  async volumes(project: string) {
    return {volumes: project === 'demo' ? [{name: 'demo-portal_data', driver: 'local', createdAt: '2025-06-01T10:00:00Z', stacks: ['portal']}] : []};
  }

  async removeVolume() {}
}

const DOCUMENT = {
  name: 'portal',
  services: {web: {image: 'busybox:1.36', cap_drop: ['ALL'], ports: [{target: 80, published: '8080', protocol: 'tcp'}], deploy: {replicas: 2}}},
};

let app: FastifyInstance;
let dir: string;
let env: Record<string, string>;
const orchestrator = new MemoryOrchestrator();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spin-remote-'));
  const store = openStore(join(dir, 'data'));
  const {token} = store.addUser({name: 'alice', uid: 1000, gid: 1000, projects: ['demo']});
  app = buildApp({store, orchestrator, policy: await loadPolicy(), version: '0.1.0'});
  app.addHook('onClose', async () => store.close());
  await app.listen({host: '127.0.0.1', port: 0});
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  env = {SPIN_URL: url, SPIN_TOKEN: token, SPIN_PROJECT: 'demo', SPIN_CONFIG: join(dir, 'config.json'), HOME: dir, SPIN_LOCAL_DIR: join(dir, 'local-agent')};
  const client = new AgentClient({url, token});
  const result = await client.deploy('demo', 'portal', {model: DOCUMENT});
  assert.equal(result.outcome, 'healthy', JSON.stringify(result));
  client.close();
});

after(async () => {
  await app?.close();
  await rm(dir, {recursive: true, force: true});
});

const spin = (args: string[], extra: {input?: string; env?: Record<string, string | undefined>; tty?: boolean} = {}) =>
  runSpin(args, {cwd: dir, input: extra.input, tty: extra.tty, env: {...env, ...extra.env}});

describe('remote commands against an agent', {concurrency: false}, () => {
  test('whoami: user, ids, projects, context; never the token', async () => {
    const r = await spin(['whoami', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {user: 'alice', uid: 1000, gid: 1000, admin: false, projects: ['demo'], project: 'demo', context: 'env', url: env.SPIN_URL});
    const human = await spin(['whoami']);
    assert.equal(human.stdout, `user:     alice\nuid:gid:  1000:1000\nprojects: demo\nproject:  demo\ncontext:  env\nurl:      ${env.SPIN_URL}\n`);
    assert.ok(!human.stdout.includes(env.SPIN_TOKEN));
  });

  test('stacks: one row, piped ISO time', async () => {
    const r = await spin(['stacks']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME {5}SERVICES {3}REVISION {3}UPDATED\nportal {3}2\/2 {8}1 {10}\d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
    assert.equal(r.stderr, '');
    const json = JSON.parse((await spin(['stacks', '--json'])).stdout);
    assert.deepEqual(json.stacks.map((s: {name: string; running: number}) => [s.name, s.running]), [['portal', 2]]);
  });

  test('ps: one row per replica; --json is the status', async () => {
    const r = await spin(['ps', '--stack', 'portal']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'NAME    SERVICE   STATE     HEALTH   PORTS                  IMAGE\n' +
        'web-1   web       running   -        0.0.0.0:8080->80/tcp   busybox:1.36@3f2a9c1b7d4e\n' +
        'web-2   web       running   -        0.0.0.0:8080->80/tcp   busybox:1.36@3f2a9c1b7d4e\n',
    );
    const json = JSON.parse((await spin(['ps', '-s', 'portal', '--json'])).stdout);
    assert.deepEqual(json.ref, {project: 'demo', stack: 'portal'});
  });

  test('ps: an unknown stack exits 1 with the agent hint', async () => {
    const r = await spin(['ps', '--stack', 'nope']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: stack "nope" not found in project "demo"\nhint: /);
  });

  test('ps and logs answer the same on their fast path (no oclif) as through oclif: table, JSON, errors, bad flags', async () => {
    const cases = [
      ['ps', '--stack', 'portal'],
      ['ps', '-sportal', '--json'],
      ['ps', '--stack=nope'],
      ['ps', '-s', 'nope', '--json'],
      ['ps', '--bogus'],
      ['ps', 'extra'],
      ['logs', '-s', 'portal', 'nope', '--tail', '5'],
      ['logs', '-s', 'portal', '--tail', 'many'],
      ['logs', '-s', 'portal', '--tail=-1'],
      ['logs', '--since', 'yesterday', '-s', 'portal'],
    ];
    for (const args of cases) {
      const fast = await spin(args);
      const oclif = await runSpin(args, {env: {...env, SPIN_FAST: '0'}});
      assert.deepEqual(fast, oclif, args.join(' '));
    }
  });

  test('inspect: YAML with the status and the deployed model', async () => {
    const r = await spin(['inspect', 'web', '--stack', 'portal']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^name: portal\nproject: demo\ncurrentRevision: 1\n/);
    assert.match(r.stdout, /\n {4}model:\n(.*\n)* {6}image: busybox:1\.36\n/);
    const bad = await spin(['inspect', 'db', '--stack', 'portal']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /service "db" not found .*\nhint: services: web\n/);
  });

  test('stop and start: confirmation on stderr, status with --json', async () => {
    const stop = await spin(['stop', 'web', '--stack', 'portal']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, '');
    assert.equal(stop.stderr, 'stopped "web" in stack "portal" of project "demo"\n');
    assert.match((await spin(['ps', '-s', 'portal'])).stdout, /web-1 +web +exited\(0\)/);
    const start = await spin(['start', '--stack', 'portal', '--json']);
    assert.equal(start.code, 0, start.stderr);
    assert.equal(JSON.parse(start.stdout).services[0].running, 2);
    assert.equal(start.stderr, 'started stack "portal" of project "demo"\n');
  });

  test('scale: usage errors exit 2 before any request', async () => {
    for (const arg of ['web=x', 'web=-1', 'web=101']) {
      const r = await spin(['scale', arg, '--stack', 'portal']);
      assert.equal(r.code, 2, arg);
      assert.match(r.stderr, /^error: replica count .* is not a whole number from 0 to 100\nhint: /);
    }
  });

  // Scale renders as deploy does (one pipeline): progress lines on stderr, the result table on stdout.
  test('scale: progress on stderr, the result on stdout; failed exits 1 with the logs; timeout exits 5', async () => {
    const ok = await spin(['scale', 'web=3', '--stack', 'portal']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'stack portal in project demo: revision 2 healthy\nSERVICE   RUNNING   HEALTHY   PORTS\nweb       3/3       -         127.0.0.1:8080->80/tcp\nweb: http://127.0.0.1:8080\n');
    assert.match(ok.stderr, /^\S+ web-1 \w+: 3 replicas started\n$/);

    orchestrator.next = 'failed';
    const failed = await spin(['scale', 'web=4', '--stack', 'portal']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /\n {2}web \| listening on :80\n {2}web \| panic: out of cheese\nerror: scaling stack "portal" to web=4 failed: service "web" replica 2: exited with code 1\n/);

    orchestrator.next = 'timeout';
    const slow = await spin(['scale', 'web=2', '--stack', 'portal', '--json']);
    assert.equal(slow.code, 5);
    const lines = slow.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.at(-2), {...lines.at(-2), type: 'result', project: 'demo', stack: 'portal', outcome: 'timeout'});
    assert.equal(lines.at(-1).type, 'error');
    assert.equal(lines.at(-1).error.code, 'spin.timeout');
  });

  test('history: newest first, outcomes, images as ps shows them, the revision that runs marked', async () => {
    const r = await spin(['history', '--stack', 'portal']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^CURRENT +REV +CREATED +USER +OUTCOME +IMAGES +MESSAGE$/);
    const rows = lines.slice(1).map((l) => l.split(/ +/));
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[3], r[5]]), [
      ['-', '4', 'alice', 'web=busybox:1.36@3f2a9c1b7d4e'],
      ['-', '3', 'alice', 'web=busybox:1.36@3f2a9c1b7d4e'],
      ['*', '2', 'alice', 'web=busybox:1.36@3f2a9c1b7d4e'],
      ['-', '1', 'alice', 'web=busybox:1.36@3f2a9c1b7d4e'],
    ]);
    // The agent may record a failed change as rolled back; either way not healthy.
    assert.deepEqual(rows.map((r) => (r[4] === 'healthy' ? 'ok' : /^(failed|timeout|rolled-back)$/.test(r[4]) ? 'bad' : r[4])), ['bad', 'bad', 'ok', 'ok']);
  });

  test('ps: a stack without containers says so on stderr and exits 0', async () => {
    assert.equal((await spin(['scale', 'web=0', '--stack', 'portal'])).code, 0);
    const r = await spin(['ps', '--stack', 'portal']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'stack "portal" in project "demo" has no containers\nhint: deploy it with `spin deploy`, or scale a service up with `spin scale SERVICE=N`\n');
    assert.equal((await spin(['scale', 'web=1', '--stack', 'portal'])).code, 0);
  });

  test('secrets: create from stdin without echoing, list without values, remove', async () => {
    const create = await spin(['secret', 'create', 'db_password'], {input: 'hunter2-value'});
    assert.equal(create.code, 0, create.stderr);
    assert.equal(create.stdout, '');
    assert.equal(create.stderr, 'secret "db_password" stored in project "demo" (13 bytes)\n');
    const ls = await spin(['secret', 'ls']);
    assert.match(ls.stdout, /^NAME +SIZE +CREATED +UPDATED\ndb_password +13 +\d{4}-/);
    const json = await spin(['secret', 'ls', '--json']);
    assert.doesNotMatch(json.stdout, /hunter2/);
    assert.equal(JSON.parse(json.stdout).secrets[0].name, 'db_password');
    const removed = await spin(['secret', 'rm', 'db_password']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await spin(['secret', 'ls'])).stderr, 'no secrets in project "demo"; add one with `spin secret create NAME FILE`\n');
    const empty = await spin(['secret', 'create', 'x'], {input: ''});
    assert.equal(empty.code, 3);
  });

  test('volume ls', async () => {
    const r = await spin(['volume', 'ls']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'NAME               DRIVER   CREATED                STACKS\ndemo-portal_data   local    2025-06-01T10:00:00Z   portal\n');
  });

  test('rm: refuses without --yes when not interactive; removes with it', async () => {
    const refused = await spin(['rm', '--stack', 'portal', '--volumes']);
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr, 'error: removing stack "portal" in project "demo" needs confirmation, and there is no terminal to ask\nhint: pass --yes to confirm: `spin rm --stack portal --project demo --volumes --yes`\n');
    const declined = await spin(['rm', '--stack', 'portal'], {tty: true, input: 'n\n', env: {CI: undefined}});
    assert.equal(declined.code, 1, declined.stdout);
    assert.match(declined.stdout, /Remove stack portal in project demo\? \[y\/N\] /);
    assert.match(declined.stdout, /cancelled: stack "portal" in project "demo" was not removed/);
    assert.equal((await spin(['ps', '--stack', 'portal'])).code, 0);
    const removed = await spin(['rm', '--stack', 'portal', '--yes']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stderr, 'removed stack "portal" from project "demo"\n');
    assert.equal((await spin(['ps', '--stack', 'portal'])).code, 1);
    assert.equal((await spin(['stacks'])).stderr, 'no stacks in project "demo"; deploy one with `spin deploy`\n');
  });

  test('down: an alias of rm, with the same safety; -v is --volumes', async () => {
    const client = new AgentClient({url: env.SPIN_URL, token: env.SPIN_TOKEN});
    assert.equal((await client.deploy('demo', 'scratch', {model: {...DOCUMENT, name: 'scratch'}})).outcome, 'healthy');
    client.close();
    const refused = await spin(['down', '--stack', 'scratch']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^error: removing stack "scratch" in project "demo" needs confirmation, and there is no terminal to ask\nhint: pass --yes/);
    assert.equal((await spin(['ps', '--stack', 'scratch'])).code, 0, 'nothing removed');
    const removed = await spin(['down', '-v', '--yes', '--stack', 'scratch']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stderr, /^removed stack "scratch" from project "demo"/);
    assert.match((await spin(['down', '--help'])).stdout, /ALIASES\n\s+\$ spin down/);
  });

  test('an unknown command suggests the closest one, exit 2', async () => {
    const r = await spin(['stak']);
    assert.deepEqual(r, {code: 2, stdout: '', stderr: 'error: unknown command "spin stak"\nhint: did you mean `spin stacks`? `spin --help` lists every command\n'});
    const sub = await spin(['secret', 'lss']);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /did you mean `spin secret ls`\?/);
    const none = await spin(['xyzzyqq']);
    assert.equal(none.code, 2);
    assert.equal(none.stderr, 'error: unknown command "spin xyzzyqq"\nhint: `spin --help` lists every command\n');
  });

  // setup installs jq with the engine's packages; a unit-only run on a bare machine may lack it.
  test("ps --help: the jq examples run as written, on ps's own JSON", {skip: spawnSync('jq', ['--version']).status === 0 ? false : 'jq is not installed'}, async () => {
    const examples = helpExamples((await spin(['ps', '--help'])).stdout);
    const pasted = (description: string) => {
      const found = examples.find((e) => e.description === description);
      assert.ok(found, `example "${description}" in ${JSON.stringify(examples)}`);
      return found.command;
    };
    const client = new AgentClient({url: env.SPIN_URL, token: env.SPIN_TOKEN});
    await client.deploy('demo', 'portal', {model: DOCUMENT});
    client.close();
    // As pasted into a shell in a folder whose stack is "portal", with `spin` on the PATH.
    const bin = join(dir, 'bin');
    await mkdir(bin, {recursive: true});
    await writeFile(join(bin, 'spin'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, {mode: 0o755});
    // Asynchronous: the agent answers from this very process.
    const shell = (command: string, input = '') =>
      new Promise<{status: number | null; stdout: string; stderr: string}>((resolve, reject) => {
        const child = spawn('bash', ['-c', command], {cwd: dir, env: {...process.env, ...env, PATH: `${bin}:${process.env.PATH}`}});
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (status) => resolve({status, stdout, stderr}));
        child.stdin.end(input);
      });
    const urls = pasted('Where the services answer through the ingress');
    const unhealthy = pasted('The unhealthy replicas, as JSON');
    for (const command of [urls, unhealthy]) {
      const r = await shell(command.replace('spin ps', 'spin ps --stack portal'));
      assert.deepEqual([r.status, r.stderr], [0, ''], command);
    }
    // On a status that has what they look for:
    const status = JSON.parse((await spin(['ps', '--stack', 'portal', '--json'])).stdout);
    status.services[0].replicas[1].health = 'unhealthy';
    status.services[0].ingress = {host: 'web.portal.demo.localhost', url: 'http://web.portal.demo.localhost:8088'};
    const jq = (command: string) => command.slice(command.indexOf('| jq ') + 2);
    const u = await shell(jq(urls), JSON.stringify(status));
    assert.deepEqual([u.status, u.stdout, u.stderr], [0, 'http://web.portal.demo.localhost:8088\n', '']);
    const h = await shell(`${jq(unhealthy)} -c`, JSON.stringify(status));
    assert.deepEqual([h.status, JSON.parse(h.stdout).container, h.stderr], [0, 'demo.portal.web.2', '']);
    assert.equal((await spin(['rm', '--yes', '--stack', 'portal'])).code, 0);
  });

  test('secret rm: a secret a stack uses is kept unless forced; asked on a terminal', async () => {
    assert.equal((await spin(['secret', 'create', 'pw'], {input: 'hunter2'})).code, 0);
    const client = new AgentClient({url: env.SPIN_URL, token: env.SPIN_TOKEN});
    const vault = {name: 'vault', services: {app: {image: 'busybox:1.36', cap_drop: ['ALL'], secrets: ['pw']}}, secrets: {pw: {external: true}}};
    assert.equal((await client.deploy('demo', 'vault', {model: vault})).outcome, 'healthy');
    client.close();
    const refused = await spin(['secret', 'rm', 'pw']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /^error: secret "pw" is used by stack "vault" of project "demo"\nhint: .*--force.*\n$/);
    const declined = await spin(['secret', 'rm', 'pw'], {tty: true, input: 'n\n', env: {CI: undefined}});
    assert.equal(declined.code, 1, declined.stdout);
    assert.match(declined.stdout, /secret "pw" is used by stack "vault" of project "demo"\. Remove it anyway\? \[y\/N\] /);
    assert.match(declined.stdout, /cancelled: secret "pw" was not removed/);
    assert.match((await spin(['secret', 'ls'])).stdout, /^pw /m, 'still there');
    const forced = await spin(['secret', 'rm', 'pw', '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.stderr, 'secret "pw" removed from project "demo"\n');
    const gone = await spin(['secret', 'rm', 'pw']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^error: secret "pw" not found in project "demo"\n/);
  });

  test('deploy with a missing secret: the problem is printed once, located, exit 3', async () => {
    const folder = join(dir, 'missing-secret');
    await mkdir(folder, {recursive: true});
    await writeFile(join(folder, 'compose.yaml'), 'name: vault\nservices:\n  app:\n    image: busybox:1.36\n    cap_drop: [ALL]\n    secrets: [nope]\nsecrets:\n  nope:\n    external: true\n');
    const r = await runSpin(['deploy'], {cwd: folder, env});
    assert.equal(r.code, 3, r.stderr);
    const message = 'secret "nope" used by service "app" has no value';
    const hint = 'create it in the project with `spin secret create nope`';
    const all = r.stdout + r.stderr;
    assert.equal(all.split(message).length - 1, 1, all);
    assert.equal(all.split(hint).length - 1, 1, all);
    // The problems of a refused deploy are not its result: stderr, before the error line.
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`(^|\n)compose\\.yaml:8:3: error: secrets\\.nope: ${message.replace(/"/g, '"')}\n  hint: `));
    assert.match(r.stderr, /^error: the agent refused the stack: 1 error\nhint: fix the problems above\n$/m);
    assert.equal((await spin(['rm', '--yes', '--stack', 'vault'])).code, 0);
  });

  test('auth and reachability exit codes: 4 bad token or no login, 6 no agent', async () => {
    const bad = await spin(['stacks'], {env: {SPIN_TOKEN: 'spin_wrong'}});
    assert.equal(bad.code, 4);
    const none = await spin(['stacks'], {env: {SPIN_URL: undefined, SPIN_TOKEN: undefined}});
    assert.equal(none.code, 4);
    assert.match(none.stderr, /^error: not logged in to a Spin agent\n/);
    const down = await spin(['stacks'], {env: {SPIN_URL: 'http://127.0.0.1:9'}});
    assert.equal(down.code, 6);
    assert.match(down.stderr, /^error: cannot reach the Spin agent at http:\/\/127\.0\.0\.1:9/);
  });
});

describe('contexts: login, the local agent, logout', {concurrency: false}, () => {
  const user = () => ({SPIN_URL: undefined, SPIN_TOKEN: undefined, SPIN_PROJECT: undefined, SPIN_CONFIG: join(dir, 'user-config.json')});
  const as = (args: string[], extra: {input?: string} = {}) => spin(args, {env: user(), input: extra.input});

  test('after a login, `context use local` selects the local agent, listed by `context ls`', async () => {
    const login = await as(['login', env.SPIN_URL, '--token-stdin', '--context', 'prod'], {input: env.SPIN_TOKEN});
    assert.equal(login.code, 0, login.stderr);
    const ls = await as(['context', 'ls']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(ls.stdout, `CURRENT   NAME    URL${' '.repeat(env.SPIN_URL.length - 3)}   USER    PROJECT\n-         local   -${' '.repeat(env.SPIN_URL.length - 1)}   local   local\n*         prod    ${env.SPIN_URL}   alice   demo\n`);
    const use = await as(['context', 'use', 'local']);
    assert.deepEqual(use, {code: 0, stdout: '', stderr: 'context "local" (the local agent, which `spin up` starts) is now current\n'});
    assert.equal(JSON.parse((await as(['context', 'ls', '--json'])).stdout).current, 'local');
    // Not running: said so, instead of talking to the platform or "not logged in".
    const ps = await as(['ps', '--stack', 'portal']);
    assert.equal(ps.code, 4);
    assert.match(ps.stderr, /^error: the local Spin agent is not running\nhint: `spin up` starts it/);
    assert.equal((await as(['context', 'use', 'prod'])).code, 0);
    assert.equal((await as(['whoami', '--json'])).code, 0);
  });

  test('logout forgets the token and keeps the context; login fills it in again', async () => {
    const out = await as(['logout']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, new RegExp(`^logged out of ${env.SPIN_URL}: the token of context "prod" is forgotten; the context is kept\nhint: log in again with \`spin login ${env.SPIN_URL} --context prod --token-stdin < token\\.txt\``));
    const config = JSON.parse(await readFile(join(dir, 'user-config.json'), 'utf8'));
    assert.equal(config.current, 'prod');
    assert.deepEqual(config.contexts.prod, {url: env.SPIN_URL, user: 'alice', uid: 1000, gid: 1000, project: 'demo'});
    const who = await as(['whoami']);
    assert.equal(who.code, 4);
    assert.match(who.stderr, /^error: logged out of context "prod"/);
    assert.equal(JSON.parse((await as(['context', 'ls', '--json'])).stdout).contexts.find((c: {name: string}) => c.name === 'prod').loggedOut, true);
    assert.equal((await as(['context', 'ls'])).stderr, `note: context "prod" is logged out; \`spin login ${env.SPIN_URL} --context prod --token-stdin\` logs in again\n`);
    assert.deepEqual(await as(['logout']), {code: 0, stdout: '', stderr: `context "prod" (${env.SPIN_URL}) was already logged out\n`});
    assert.equal((await as(['login', env.SPIN_URL, '--context', 'prod', '--token-stdin'], {input: env.SPIN_TOKEN})).code, 0);
    assert.equal(JSON.parse((await as(['whoami', '--json'])).stdout).project, 'demo');
  });

  test('validate checks the policy for the project and stack deploy would use', async () => {
    const folder = join(dir, 'validate-target');
    await mkdir(folder, {recursive: true});
    // The compose project is "trainee-m"; the context deploys to project "demo". A bind mount under
    // the compose name's folder is outside the deploy project's roots.
    await writeFile(join(dir, 'site-policy.yaml'), 'version: 1\nbind_mounts:\n  allowed_roots: ["/srv/{project}"]\n');
    await writeFile(join(folder, 'compose.yaml'), 'name: trainee-m\nservices:\n  app:\n    image: busybox:1.36\n    cap_drop: [ALL]\n    volumes:\n      - /srv/trainee-m/data:/data\n');
    const policy = join(dir, 'site-policy.yaml');
    const r = await runSpin(['validate', '--policy', policy], {cwd: folder, env: {...env, ...user()}});
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /\[bind-mounts\]/);
    const json = JSON.parse((await runSpin(['validate', '--policy', policy, '--json'], {cwd: folder, env: {...env, ...user()}})).stdout);
    assert.deepEqual(json.policyTarget, {context: 'prod', project: 'demo', stack: 'trainee-m'});
    // The project deploy would use comes from --project and SPIN_PROJECT too, like deploy.
    assert.equal((await runSpin(['validate', '--policy', policy, '--project', 'trainee-m'], {cwd: folder, env: {...env, ...user()}})).code, 0);
    assert.equal((await runSpin(['validate', '--policy', policy], {cwd: folder, env: {...env, ...user(), SPIN_PROJECT: 'trainee-m'}})).code, 0);
  });
});
