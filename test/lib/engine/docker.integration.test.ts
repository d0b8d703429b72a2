// The Docker backend against the real engine. Every object is labelled with a project name unique
// to this run, and `after` removes exactly those, even when a test fails.

import assert from 'node:assert/strict';
import {mkdtemp, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {ComposeModel} from '../../../src/lib/compose/types.ts';
import {deploy as deployNow, planOnly} from '../../../src/lib/engine/deploy.ts';
import {DockerOrchestrator} from '../../../src/lib/engine/docker.ts';
import {EngineError} from '../../../src/lib/engine/errors.ts';
import {logLines} from '../../../src/lib/engine/logs.ts';
import {LABELS, type DeployEvent, type DeployRequest, type DeployResult, type LogLine, type LogOptions, type StackRef} from '../../../src/lib/engine/types.ts';
import {BUSYBOX_DOCKERFILE, buildImage, cleanupProject, dockerClient, requireEngine, uniqueName, execCollect} from '../../helpers/docker.ts';

const docker = dockerClient();
const project = uniqueName('t');
const image = `spin-test-${project}:web`;
let secretsDir: string;
let orch: DockerOrchestrator;

/** A long-running service: init makes it stop at once, so tests do not wait for grace periods. */
const SLEEPER = {image, init: true, command: ['sleep', '3600']};
const WEB = {
  image,
  init: true,
  command: ['httpd', '-f', '-p', '8080', '-h', '/www'],
  healthcheck: {test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/'], interval: '1s', timeout: '2s', retries: 3},
};

async function model(stack: string, doc: Record<string, unknown>): Promise<ComposeModel> {
  const {project: p, diagnostics} = await loadDocument(doc, stack);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  assert.ok(p);
  return p;
}

async function deploy(stack: string, m: ComposeModel, extra: Partial<DeployRequest> = {}): Promise<DeployResult & {events: DeployEvent[]}> {
  const events: DeployEvent[] = [];
  const result = await deployNow(orch, {ref: {project, stack}, model: m, revision: 1, secrets: {}, timeoutMs: 60_000, onEvent: (e) => events.push(e), ...extra});
  return {...result, events};
}

async function ids(ref: StackRef): Promise<Record<string, {id: string; startedAt?: string}>> {
  const status = await orch.status(ref);
  return Object.fromEntries(status.services.flatMap((s) => s.replicas.map((r) => [r.container, {id: r.id, startedAt: r.startedAt}])));
}

const run = (ref: StackRef, service: string, cmd: string[], input?: string, index = 1) => execCollect(orch, ref, service, cmd, input, index);

before(async () => {
  await requireEngine(docker);
  secretsDir = await mkdtemp(join(tmpdir(), 'spin-secrets-'));
  orch = new DockerOrchestrator({docker, secretsDir, publishHostIp: '127.0.0.1', pollMs: 500});
  await buildImage(docker, image, `${BUSYBOX_DOCKERFILE}COPY www /www\n`, {files: {'www/index.html': 'hello from web\n'}, owner: project});
});

after(async () => {
  await cleanupProject(docker, project);
  if (secretsDir) await rm(secretsDir, {recursive: true, force: true});
});

describe('DockerOrchestrator on the real engine', {concurrency: true}, () => {
  test('ping answers', async () => {
    await orch.ping();
  });

  test('a two-service stack: dependency order, health, DNS, idempotent redeploy, one-service change', async () => {
    const ref = {project, stack: 'app'};
    const doc = {
      services: {
        web: {...WEB, ports: ['8080']},
        client: {...SLEEPER, depends_on: {web: {condition: 'service_healthy'}}, environment: {MODE: 'one'}},
      },
    };
    const first = await deploy('app', await model('app', doc));
    assert.equal(first.outcome, 'healthy', JSON.stringify(first.failure));
    assert.deepEqual(first.plan.services.map((s) => [s.service, s.action, s.replicas.to]), [['client', 'create', 1], ['web', 'create', 1]]);
    assert.deepEqual(first.plan.create.networks, [`${project}.app`]);
    const at = (type: string, service: string) => first.events.findIndex((e) => e.type === type && e.service === service);
    assert.ok(at('healthy', 'web') !== -1 && at('healthy', 'web') < at('create', 'client'), 'client is created after web is healthy');
    // client has no healthcheck: it runs, and is not counted healthy.
    assert.deepEqual(first.status.services.map((s) => [s.service, s.desired, s.running, s.healthy]), [['client', 1, 1, 0], ['web', 1, 1, 1]]);
    assert.equal(first.status.services[1].replicas[0].container, `${project}.app.web.1`);
    assert.equal(first.status.services[1].replicas[0].health, 'healthy');
    assert.match(first.images.web, /^sha256:[0-9a-f]{64}$/);
    const port = first.status.services[1].ports[0];
    assert.equal(port.target, 8080);
    assert.equal(port.hostIp, '127.0.0.1');
    assert.match(port.published, /^\d+$/);

    // The service name and the replica alias resolve inside the stack.
    for (const host of ['web', 'web-1']) {
      const got = await run(ref, 'client', ['wget', '-q', '-O', '-', `http://${host}:8080/`]);
      assert.deepEqual(got, {code: 0, stdout: 'hello from web\n', stderr: ''});
    }
    assert.deepEqual((await orch.stacks(project)).filter((r) => r.stack === 'app'), [ref]);
    assert.ok((await orch.stacks()).some((r) => r.project === project && r.stack === 'app'));

    const before = await ids(ref);
    const plan = await planOnly(orch, ref, await model('app', doc));
    assert.equal(plan.noop, true);
    assert.deepEqual(plan.services.map((s) => [s.service, s.action, s.reason]), [['client', 'keep', 'unchanged'], ['web', 'keep', 'unchanged']]);
    const again = await deploy('app', await model('app', doc));
    assert.equal(again.outcome, 'healthy');
    assert.equal(again.plan.noop, true);
    assert.deepEqual(await ids(ref), before);
    // A dry run's plan never runs; a prepared deploy runs once.
    const dry = await orch.prepare({ref, model: await model('app', doc), dryRun: true});
    await assert.rejects(orch.execute(dry, {revision: 1, timeoutMs: 60_000}), /a dry run's plan cannot be executed/);
    const once = await orch.prepare({ref, model: await model('app', doc), secrets: {}});
    assert.deepEqual((await orch.execute(once, {revision: 1, timeoutMs: 60_000})).plan, once.plan);
    await assert.rejects(orch.execute(once, {revision: 1, timeoutMs: 60_000}), /was not prepared by this orchestrator, or it ran already/);

    const changed = {...doc, services: {...doc.services, client: {...doc.services.client, environment: {MODE: 'two'}}}};
    const third = await deploy('app', await model('app', changed), {revision: 2});
    assert.equal(third.outcome, 'healthy');
    assert.deepEqual(third.plan.services.map((s) => [s.service, s.action, s.reason]), [['client', 'recreate', 'configuration changed'], ['web', 'keep', 'unchanged']]);
    const afterIds = await ids(ref);
    assert.deepEqual(afterIds[`${project}.app.web.1`], before[`${project}.app.web.1`]);
    assert.notEqual(afterIds[`${project}.app.client.1`].id, before[`${project}.app.client.1`].id);
    assert.equal(third.status.revision, 2);
    const env = await run(ref, 'client', ['sh', '-c', 'echo $MODE']);
    assert.equal(env.stdout, 'two\n');

    // A service dropped from the model is removed.
    const dropped = await deploy('app', await model('app', {services: {web: doc.services.web}}), {revision: 3});
    assert.deepEqual(dropped.plan.services.map((s) => [s.service, s.action, s.replicas]), [['web', 'keep', {from: 1, to: 1}], ['client', 'remove', {from: 1, to: 0}]]);
    assert.deepEqual(dropped.status.services.map((s) => s.service), ['web']);
  });

  test('ten services at once, then scale up and down', async () => {
    const ref = {project, stack: 'ten'};
    const services = Object.fromEntries(Array.from({length: 10}, (_, i) => [`s${i}`, SLEEPER]));
    const result = await deploy('ten', await model('ten', {services}));
    assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));
    assert.equal(result.status.services.length, 10);
    assert.ok(result.status.services.every((s) => s.running === 1 && s.healthy === 0 && s.replicas[0].health === 'none'));

    const up = await deploy('ten', await model('ten', {services: {...services, s0: {...SLEEPER, deploy: {replicas: 3}}}}));
    assert.equal(up.outcome, 'healthy');
    assert.deepEqual(up.plan.services.find((s) => s.service === 's0'), {service: 's0', action: 'scale', replicas: {from: 1, to: 3}, configHash: up.plan.services[0].configHash, reason: '1 → 3 replicas'});
    assert.equal(up.plan.services.filter((s) => s.action === 'keep').length, 9);
    const s0 = up.status.services.find((s) => s.service === 's0');
    assert.deepEqual(s0?.replicas.map((r) => r.container), [1, 2, 3].map((n) => `${project}.ten.s0.${n}`));
    assert.equal(s0?.desired, 3);
    const two = await run(ref, 's1', ['nslookup', 's0-2']);
    assert.equal(two.code, 0, two.stdout + two.stderr);

    const down = await deploy('ten', await model('ten', {services: {...services, s0: {...SLEEPER, deploy: {replicas: 1}}}}));
    assert.equal(down.plan.services.find((s) => s.service === 's0')?.action, 'scale');
    const after = down.status.services.find((s) => s.service === 's0');
    assert.deepEqual(after?.replicas.map((r) => r.replica), [1]);
    assert.equal(after?.desired, 1);
    assert.deepEqual(after?.replicas[0].id, s0?.replicas[0].id);
  });

  test('a service that turns unhealthy fails fast with its logs', async () => {
    const doc = {services: {sick: {...SLEEPER, command: ['sh', '-c', 'echo warming up; exec sleep 3600'], healthcheck: {test: ['CMD', 'false'], interval: '1s', retries: 1}}}};
    const result = await deploy('sick', await model('sick', doc));
    // Fast: "failed" as soon as the check fails, not "timeout" at the deploy's deadline (no wall
    // clock here: timings belong in the benchmarks, and a loaded CI machine is slow).
    assert.equal(result.outcome, 'failed');
    assert.equal(result.failure?.service, 'sick');
    assert.equal(result.failure?.replica, 1);
    assert.match(result.failure?.reason ?? '', /^turned unhealthy: its healthcheck failed \(exit code 1/);
    assert.deepEqual(result.failure?.logs, ['warming up']);
    assert.ok(result.events.some((e) => e.type === 'failed' && e.service === 'sick'));
  });

  test('a service that is still starting at the deadline times out, naming it', async () => {
    const doc = {
      services: {
        // Failing checks inside start_period keep it "starting"; Spin's own probe fails too.
        slow: {...SLEEPER, healthcheck: {test: ['CMD', 'false'], interval: '1m', start_period: '1m'}},
        after: {...SLEEPER, depends_on: {slow: {condition: 'service_healthy'}}},
      },
    };
    const result = await deploy('slow', await model('slow', doc), {timeoutMs: 6000});
    assert.equal(result.outcome, 'timeout');
    assert.equal(result.failure?.service, 'after');
    assert.equal(result.failure?.reason, 'not healthy within 6s: "after", "slow" still starting or waiting');
    assert.deepEqual(result.status.services.map((s) => [s.service, s.desired, s.replicas.length]), [['after', 1, 0], ['slow', 1, 1]], 'the dependent never started');
  });

  test('a service that exits 1 fails fast with its logs; a one-shot that exits 0 is done', async () => {
    const crash = {services: {crash: {image, command: ['sh', '-c', 'echo starting; echo no database >&2; exit 1'], restart: 'always'}}};
    const failed = await deploy('crash', await model('crash', crash));
    assert.equal(failed.outcome, 'failed', 'failed at the exit, not timed out at the deadline');
    assert.match(failed.failure?.reason ?? '', /exited with code 1/);
    // It may have run more than once before the restart was seen, and the engine does not keep
    // the order between stdout and stderr.
    assert.deepEqual(failed.failure?.logs.slice(-2).sort(), ['no database', 'starting']);

    const oneShot = {
      services: {
        migrate: {image, command: ['sh', '-c', 'echo migrated']},
        app: {...SLEEPER, depends_on: {migrate: {condition: 'service_completed_successfully'}}},
      },
    };
    const done = await deploy('oneshot', await model('oneshot', oneShot));
    assert.equal(done.outcome, 'healthy', JSON.stringify(done.failure));
    assert.ok(done.events.some((e) => e.type === 'done' && e.service === 'migrate'));
    const migrate = done.status.services.find((s) => s.service === 'migrate');
    assert.deepEqual([migrate?.replicas[0].state, migrate?.replicas[0].exitCode, migrate?.healthy], ['exited', 0, 0]);
    // The finished one-shot is not run again by a redeploy.
    const again = await deploy('oneshot', await model('oneshot', oneShot));
    assert.equal(again.plan.noop, true);
  });

  test('secrets are read-only files owned by the service user', async () => {
    const ref = {project, stack: 'sec'};
    const doc = {
      secrets: {token: {file: '/unused'}, other: {file: '/unused'}},
      services: {
        app: {...SLEEPER, user: '1000:1000', cap_drop: ['ALL'], secrets: ['token', {source: 'other', target: '/etc/app/other.txt'}]},
      },
    };
    const secrets = {token: Buffer.from('s3cret'), other: Buffer.from('second')};
    const result = await deploy('sec', await model('sec', doc), {secrets});
    assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));
    assert.deepEqual(await run(ref, 'app', ['cat', '/run/secrets/token']), {code: 0, stdout: 's3cret', stderr: ''});
    assert.equal((await run(ref, 'app', ['cat', '/etc/app/other.txt'])).stdout, 'second');
    const write = await run(ref, 'app', ['sh', '-c', 'echo x > /run/secrets/token']);
    assert.notEqual(write.code, 0);
    assert.match(write.stderr, /Read-only file system|Permission denied/);
    const info = await stat(join(secretsDir, project, 'sec', 'app', 'token'));
    assert.deepEqual([info.mode & 0o777, info.uid, info.gid], [0o400, 1000, 1000]);
    assert.equal((await stat(join(secretsDir, project, 'sec'))).mode & 0o777, 0o700);

    // A new value recreates the service; the same value does not.
    assert.equal((await planOnly(orch, ref, await model('sec', doc), secrets)).noop, true);
    const rotated = await planOnly(orch, ref, await model('sec', doc), {...secrets, token: Buffer.from('new')});
    assert.equal(rotated.services[0].action, 'recreate');
    await assert.rejects(planOnly(orch, ref, await model('sec', doc), {token: Buffer.from('x')}), /secret "other" used by service "app" has no value/);
  });

  test('stop, start, restart, logs and exec', async () => {
    const ref = {project, stack: 'ops'};
    const doc = {services: {talk: {...SLEEPER, command: ['sh', '-c', 'echo oops >&2; sleep 0.2; for i in 1 2 3 4 5; do echo line $$i; done; exec sleep 3600']}}};
    const result = await deploy('ops', await model('ops', doc));
    assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));

    const read = async (options: LogOptions) => {
      const lines: LogLine[] = [];
      for await (const l of logLines(await orch.logs(ref, options))) lines.push(l);
      return lines;
    };
    const tail = await read({tail: 3});
    assert.deepEqual(tail.map((l) => [l.service, l.replica, l.stream, l.line]), [['talk', 1, 'stdout', 'line 3'], ['talk', 1, 'stdout', 'line 4'], ['talk', 1, 'stdout', 'line 5']]);
    assert.match(tail[0].timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const all = await read({services: ['talk']});
    assert.deepEqual(all.map((l) => `${l.stream} ${l.line}`), ['stderr oops', 'stdout line 1', 'stdout line 2', 'stdout line 3', 'stdout line 4', 'stdout line 5']);
    assert.deepEqual(await read({since: Math.floor(Date.now() / 1000) + 60}), []);

    // Following ends when the container stops.
    const followed: string[] = [];
    const follow = (async () => {
      for await (const l of logLines(await orch.logs(ref, {follow: true, tail: 1, services: ['talk']}))) followed.push(l.line);
    })();
    await new Promise((r) => setTimeout(r, 300));
    await orch.stop(ref, ['talk']);
    await follow;
    assert.deepEqual(followed, ['line 5']);
    let status = await orch.status(ref);
    assert.equal(status.services[0].replicas[0].state, 'exited');
    assert.equal(status.services[0].running, 0);
    await assert.rejects(orch.exec(ref, {service: 'talk', cmd: ['true']}), /container ".*\.ops\.talk\.1" is not running \(exited\)/);

    await orch.start(ref);
    status = await orch.status(ref);
    const startedAt = status.services[0].replicas[0].startedAt;
    assert.equal(status.services[0].replicas[0].state, 'running');
    await orch.restart(ref, ['talk']);
    status = await orch.status(ref);
    assert.notEqual(status.services[0].replicas[0].startedAt, startedAt);
    await assert.rejects(orch.stop(ref, ['nope']), /service "nope" has no containers in stack ".*\/ops"/);

    assert.deepEqual(await run(ref, 'talk', ['sh', '-c', 'echo out; echo err >&2; exit 7']), {code: 7, stdout: 'out\n', stderr: 'err\n'});
    assert.deepEqual(await run(ref, 'talk', ['sh', '-c', 'tr a-z A-Z']), {code: 0, stdout: '', stderr: ''});
    assert.deepEqual(await run(ref, 'talk', ['tr', 'a-z', 'A-Z'], 'piped input\n'), {code: 0, stdout: 'PIPED INPUT\n', stderr: ''});
    await assert.rejects(orch.exec(ref, {service: 'talk', index: 2, cmd: ['true']}), /service "talk" has no replica 2/);
    // A service the stack does not have: said so, with the ones it has, as a 404 the API passes on.
    await assert.rejects(orch.exec(ref, {service: 'web', cmd: ['true']}), (err: Error & {code?: string}) => {
      assert.match(err.message, /^stack ".+\/ops" has no service "web"; it has "talk"$/);
      assert.equal(err.code, 'service.not_found');
      return true;
    });
  });

  test('remove keeps volumes unless asked; volumes are listed and guarded', async () => {
    const ref = {project, stack: 'vol'};
    const doc = {volumes: {data: {}}, services: {db: {...SLEEPER, volumes: ['data:/data']}}};
    const result = await deploy('vol', await model('vol', doc));
    assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));
    // The stack's own volume, named as `spin config` names it (`vol_data`) within the project.
    assert.deepEqual(result.plan.create.volumes, [`${project}.vol_data`]);
    await run(ref, 'db', ['sh', '-c', 'echo kept > /data/f']);
    const listed = (await orch.volumes(project)).volumes;
    assert.deepEqual(listed.map((v) => [v.name, v.driver, v.stacks]), [[`${project}.vol_data`, 'local', ['vol']]]);
    await assert.rejects(orch.removeVolume(project, 'vol_data'), (err: unknown) => err instanceof EngineError && err.code === 'volume.in_use' && /volume ".*\.vol_data" is in use by ".*\.vol\.db\.1"/.test(err.message));
    await assert.rejects(orch.removeVolume(project, 'nope'), (err: unknown) => err instanceof EngineError && err.code === 'volume.not_found');

    await orch.remove(ref);
    assert.deepEqual((await orch.status(ref)).services, []);
    assert.deepEqual(await orch.stacks(project).then((s) => s.filter((r) => r.stack === 'vol')), []);
    assert.equal((await docker.listNetworks({filters: {name: [`${project}.vol`]}})).length, 0);
    await assert.rejects(stat(join(secretsDir, project, 'vol')), /ENOENT/);

    // Redeployed, the data is still there; removed with volumes, it is gone.
    await deploy('vol', await model('vol', doc));
    assert.equal((await run(ref, 'db', ['cat', '/data/f'])).stdout, 'kept\n');
    await orch.remove(ref, {volumes: true});
    assert.deepEqual(await orch.volumes(project), {volumes: []});
  });

  test('volumes are per stack; stacks deployed under the old project-wide names keep their volumes and data', async () => {
    // A project of its own: the test above expects its project to end with no volumes.
    const p = uniqueName('t');
    const at = (stack: string) => ({project: p, stack});
    const deployIn = async (stack: string, doc: Record<string, unknown>) => {
      const events: DeployEvent[] = [];
      const result = await deployNow(orch, {ref: at(stack), model: await model(stack, doc), revision: 1, secrets: {}, timeoutMs: 60_000, onEvent: (e) => events.push(e)});
      assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));
      return {...result, events};
    };
    const cat = async (stack: string) => run(at(stack), 'db', ['cat', '/data/f']);
    const mounts = async (stack: string) => {
      const [c] = (await orch.status(at(stack))).services[0].replicas;
      return (await docker.getContainer(c.id).inspect()).Mounts.map((m) => m.Name);
    };
    const doc = {volumes: {dbdata: {}}, services: {db: {...SLEEPER, volumes: ['dbdata:/data']}}};
    try {
      // Before volumes were scoped per stack, volume `dbdata` was `<project>.dbdata` for every stack
      // of the project. Stack "legacy" was deployed then: its volume as Spin labelled it, holding data.
      const old = `${p}.dbdata`;
      await docker.createVolume({Name: old, Driver: 'local', Labels: {[LABELS.managed]: 'true', [LABELS.project]: p, [LABELS.stack]: 'legacy'}});
      const writer = await docker.createContainer({Image: image, Cmd: ['sh', '-c', 'echo written before > /data/f'], Labels: {[LABELS.project]: p}, HostConfig: {Binds: [`${old}:/data`]}});
      await writer.start();
      assert.equal((await writer.wait()).StatusCode, 0);
      await writer.remove();

      // Deployed with today's code, it keeps that volume, says so once, and finds its data.
      const legacy = await deployIn('legacy', doc);
      assert.deepEqual(legacy.plan.create.volumes, []);
      assert.ok(legacy.events.some((e) => e.type === 'log' && e.message === `volume "dbdata" keeps engine volume "${old}", which this stack used before volumes were named per stack (a new stack's would be "${p}.legacy_dbdata")`), JSON.stringify(legacy.events));
      assert.deepEqual(await mounts('legacy'), [old]);
      assert.equal((await cat('legacy')).stdout, 'written before\n');
      const again = await deployIn('legacy', doc);
      assert.equal(again.plan.noop, true);
      assert.ok(!again.events.some((e) => e.type === 'log' && /keeps engine volume/.test(e.message)));

      // A stack that shared the old volume (one of its containers mounts it) keeps it too, and
      // still after `spin rm`, when nothing of it mounts the volume any more: the choice was recorded.
      await docker.createContainer({
        name: `${p}.sharer.db.1`,
        Image: image,
        Cmd: ['sleep', '3600'],
        Labels: {[LABELS.managed]: 'true', [LABELS.project]: p, [LABELS.stack]: 'sharer', [LABELS.service]: 'db', [LABELS.replica]: '1'},
        HostConfig: {Binds: [`${old}:/data`], Init: true},
      });
      const sharer = await deployIn('sharer', doc);
      assert.deepEqual(sharer.plan.create.volumes, []);
      assert.equal((await cat('sharer')).stdout, 'written before\n');
      await orch.remove(at('sharer'));
      await deployIn('sharer', doc);
      assert.deepEqual(await mounts('sharer'), [old]);

      // A stack new to the project gets its own volume, as with compose: it does not see the data.
      const fresh = await deployIn('fresh', doc);
      assert.deepEqual(fresh.plan.create.volumes, [`${p}.fresh_dbdata`]);
      assert.equal((await cat('fresh')).code, 1);
      const listed = (await orch.volumes(p)).volumes;
      assert.deepEqual(listed.map((v) => [v.name, v.stacks]), [[old, ['legacy', 'sharer']], [`${p}.fresh_dbdata`, ['fresh']]]);

      // `spin rm --volumes` of the stack that created it removes the old volume once no one mounts it.
      for (const stack of ['fresh', 'sharer']) await orch.remove(at(stack), {volumes: true});
      await orch.remove(at('legacy'), {volumes: true});
      assert.deepEqual(await orch.volumes(p), {volumes: []});
    } finally {
      await cleanupProject(docker, p);
    }
  });

  test('a container name taken by a foreign container is refused, and the foreign one is left alone', async () => {
    const name = `${project}.taken.web.1`;
    const foreign = await docker.createContainer({name, Image: image, Cmd: ['true'], Labels: {[LABELS.project]: project}});
    await assert.rejects(deploy('taken', await model('taken', {services: {web: SLEEPER}})), (err: unknown) =>
      err instanceof EngineError && err.code === 'engine.conflict' && err.message === `container name "${name}" is taken by a container that is not managed by Spin`,
    );
    assert.equal((await foreign.inspect()).Id, foreign.id);
  });
});
