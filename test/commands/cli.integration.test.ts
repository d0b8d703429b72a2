// The run half of the CLI end to end: the built `spin` process against a real `spin agent start`
// on the real Docker engine, as a user (a temporary HOME holds the config file) and as a CI job
// (environment only). The tests share one stack and run in order: deploy, look, exec, scale,
// stop/start, remove; the failure modes follow. `after` removes everything this run labelled,
// even when a test fails.

import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdtemp, mkdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {LABELS} from '../../src/lib/engine/types.ts';
import {startAgent, type AgentProcess} from '../helpers/agent.ts';
import {BIN, runSpin, type RunOptions, type RunResult} from '../helpers/cli.ts';
import {buildBusyboxImage, cleanupProject, dockerClient, requireEngine, uniqueName} from '../helpers/docker.ts';

const docker = dockerClient();
const project = uniqueName('t');
const stack = 'app';
const image = `spin-test-${project}:bb`;

let root: string;
let home: string;
let appDir: string;
let agent: AgentProcess | undefined;
let token: string;

/** Service definitions every stack here reuses: no capabilities, so the default policy accepts them. */
const web = {
  image: '__IMAGE__',
  init: true,
  cap_drop: ['ALL'],
  command: ['sh', '-c', 'mkdir -p /www && echo hello > /www/index.html && echo web up && exec httpd -f -p 8080 -h /www'],
  healthcheck: {test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/'], interval: '1s', timeout: '2s', retries: 3},
};
const worker = {image: '__IMAGE__', init: true, cap_drop: ['ALL'], command: ['sh', '-c', 'echo worker started; echo worker ready; sleep 3600']};

/** A compose file as JSON text (valid YAML), with one value per line so diagnostics point at a line. */
function composeText(doc: Record<string, unknown>): string {
  return JSON.stringify(doc, null, 2).replaceAll('__IMAGE__', image) + '\n';
}

/** The user's environment: config in the temporary HOME, no CI overrides leaking in from outside. */
function userEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {HOME: home, XDG_CONFIG_HOME: join(home, '.config'), SPIN_CONFIG: undefined, SPIN_CONTEXT: undefined, SPIN_URL: undefined, SPIN_TOKEN: undefined, SPIN_PROJECT: undefined, SPIN_DEBUG: undefined, ...extra};
}

function spin(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runSpin(args, {cwd: appDir, ...options, env: userEnv(options.env)});
}

/** Fails with both streams in the message, so a broken run says why. */
function expectCode(r: RunResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

async function containersOf(stackName: string) {
  const list = await docker.listContainers({all: true, filters: {label: [`${LABELS.project}=${project}`, `${LABELS.stack}=${stackName}`]}});
  return list.map((c) => ({name: c.Names[0].replace(/^\//, ''), state: c.State})).sort((a, b) => a.name.localeCompare(b.name));
}

/** `spin ps` piped: one row per replica, whitespace-separated cells. */
function psRows(stdout: string): string[][] {
  return stdout.trimEnd().split('\n').map((l) => l.split(/\s+/));
}

before(async () => {
  await requireEngine(docker);
  root = await mkdtemp(join(tmpdir(), 'spin-cli-it-'));
  home = join(root, 'home');
  appDir = join(root, 'app');
  await mkdir(home, {recursive: true});
  await mkdir(appDir, {recursive: true});
  // `$$` is a literal `$`: it must reach the container as one, whatever the agent does with the model.
  await writeFile(join(appDir, 'compose.yaml'), composeText({name: stack, services: {web, worker: {...worker, environment: {PRICE: 'costs $$5, $${NOT_SET} and $$$$'}}}}));
  // The site narrows the ports the default policy allows: a stack that passes the laptop's check
  // can still be refused by the agent, and the CLI must point at the user's line either way.
  const policy = join(root, 'policy.yaml');
  await writeFile(policy, 'version: 1\nports:\n  allowed: [8080]\n');
  await buildBusyboxImage(docker, image, project);
  agent = await startAgent({args: ['--policy', policy]});
  token = await agent.addUser('alice', {projects: [project]});
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
  await cleanupProject(docker, project);
  if (root) await rm(root, {recursive: true, force: true});
});

describe('spin CLI against a real agent and engine', () => {
  test('login stores the context in a 0600 config file', async () => {
    const r = await spin(['login', agent!.url, '--token', token]);
    expectCode(r, 0, 'spin login');
    assert.equal(r.stdout, '');
    const context = new URL(agent!.url).host.replace(':', '-');
    assert.equal(r.stderr, `logged in to ${agent!.url} as alice; context "${context}" is now current, project "${project}"\n`);
    const file = join(home, '.config', 'spin', 'config.json');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(home, '.config', 'spin'))).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {
      contexts: {[context]: {url: agent!.url, token, user: 'alice', uid: 1000, gid: 1000, project}},
      current: context,
    });
    const who = await spin(['whoami', '--json']);
    expectCode(who, 0, 'spin whoami');
    assert.equal(JSON.parse(who.stdout).user, 'alice');
  });

  test('deploy: progress on stderr, the result on stdout, healthy', async () => {
    const r = await spin(['deploy']);
    expectCode(r, 0, 'spin deploy');
    assert.equal(
      r.stdout,
      `stack ${stack} in project ${project}: revision 1 healthy\n` +
        'SERVICE   RUNNING   HEALTHY   PORTS\n' +
        'web       1/1       1/1       -\n' +
        // No healthcheck: it runs, and nobody calls it healthy.
        'worker    1/1       -         -\n',
    );
    for (const event of ['plan: web: create (new service); worker: create (new service)', `web-1 create: created ${project}.${stack}.web.1`, 'web-1 healthy: web-1 is healthy', 'worker-1 running: worker-1 is running (no healthcheck)']) {
      assert.match(r.stderr, new RegExp(`^\\S+Z ${event.replace(/[()]/g, '\\$&')}$`, 'm'), `stderr has "${event}"`);
    }
    assert.doesNotMatch(r.stderr, /revision 1 healthy/);
    assert.deepEqual(await containersOf(stack), [
      {name: `${project}.${stack}.web.1`, state: 'running'},
      {name: `${project}.${stack}.worker.1`, state: 'running'},
    ]);
  });

  test('ps: stable columns when piped, and --json', async () => {
    const r = await spin(['ps']);
    expectCode(r, 0, 'spin ps');
    const rows = psRows(r.stdout);
    assert.deepEqual(rows[0], ['NAME', 'SERVICE', 'STATE', 'HEALTH', 'PORTS', 'IMAGE']);
    assert.deepEqual(rows.slice(1).map((row) => row.slice(0, 5)), [
      ['web-1', 'web', 'running', 'healthy', '-'],
      ['worker-1', 'worker', 'running', '-', '-'],
    ]);
    for (const row of rows.slice(1)) assert.match(row[5], new RegExp(`^${image.replace(/[.]/g, '\\.')}@[0-9a-f]{12}$`));
    assert.doesNotMatch(r.stdout, /\u001B\[/, 'no color when piped');

    const json = await spin(['ps', '--json']);
    expectCode(json, 0, 'spin ps --json');
    const status = JSON.parse(json.stdout);
    assert.deepEqual(status.ref, {project, stack});
    assert.deepEqual(
      status.services.map((s: {service: string; desired: number; running: number; healthy: number; replicas: {container: string; state: string; health: string}[]}) => [s.service, s.desired, s.running, s.healthy, s.replicas.map((x) => [x.container, x.state, x.health])]),
      [
        ['web', 1, 1, 1, [[`${project}.${stack}.web.1`, 'running', 'healthy']]],
        // No healthcheck: running, never counted healthy.
        ['worker', 1, 1, 0, [[`${project}.${stack}.worker.1`, 'running', 'none']]],
      ],
    );
  });

  test('logs: every replica, prefixed; --json lines', async () => {
    const r = await spin(['logs']);
    expectCode(r, 0, 'spin logs');
    // Padded to the widest replica of the stack from the first line on.
    const lines = r.stdout.trimEnd().split('\n').sort();
    assert.deepEqual(lines, ['web-1    | web up', 'worker-1 | worker ready', 'worker-1 | worker started']);
    const json = await spin(['logs', 'worker', '--json', '--tail', '1']);
    expectCode(json, 0, 'spin logs --json');
    const parsed = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(parsed.map((l: {service: string; replica: number; stream: string; line: string}) => [l.service, l.replica, l.stream, l.line]), [['worker', 1, 'stdout', 'worker ready']]);
    assert.match(parsed[0].timestamp, /^\d{4}-\d\d-\d\dT/);
  });

  test('exec: piped stdin, separate streams, the exit code', async () => {
    const cat = await spin(['exec', 'web', '-i', '--', 'cat'], {input: 'piped line 1\npiped line 2\n'});
    expectCode(cat, 0, 'spin exec -i -- cat');
    assert.equal(cat.stdout, 'piped line 1\npiped line 2\n');
    const seven = await spin(['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.deepEqual(seven, {code: 7, stdout: 'out\n', stderr: 'err\n'});
    const noTty = await spin(['exec', 'web', '--', 'tty']);
    assert.deepEqual(noTty, {code: 1, stdout: 'not a tty\n', stderr: ''});
  });

  test('a literal $ in the compose file reaches the container as written', async () => {
    const r = await spin(['exec', 'worker', '--', 'sh', '-c', 'echo "$PRICE"']);
    assert.deepEqual(r, {code: 0, stdout: 'costs $5, ${NOT_SET} and $$\n', stderr: ''});
  });

  test('exec: everything after the service is the command, its flags included, as with docker compose exec', async () => {
    // A word of the command equal to the service name stays in the command.
    assert.deepEqual(await spin(['exec', 'web', '--', 'echo', 'hello', 'web', 'world']), {code: 0, stdout: 'hello web world\n', stderr: ''});
    assert.deepEqual(await spin(['exec', 'web', 'echo', 'hello', 'web', 'world']), {code: 0, stdout: 'hello web world\n', stderr: ''});
    // The command's own flags are not spin's.
    assert.deepEqual(await spin(['exec', 'web', 'ls', '-d', '/www']), {code: 0, stdout: '/www\n', stderr: ''});
    assert.deepEqual(await spin(['exec', '-i', 'web', 'sh', '-c', 'cat; exit 4'], {input: 'in\n'}), {code: 4, stdout: 'in\n', stderr: ''});
    const none = await spin(['exec', 'web']);
    expectCode(none, 2, 'spin exec without a command');
    assert.equal(none.stderr, 'error: no command given\nhint: put the command after the service name, e.g. `spin exec web sh`\n');
  });

  test('exec -t on a pseudo-terminal: a remote terminal, its size, the exit code', async () => {
    const r = await spin(['exec', 'web', '-t', '--', 'sh', '-c', 'tty; exit 3'], {tty: true});
    assert.equal(r.code, 3, r.stdout);
    // `script` passes the end of its (empty) input on as a NUL the terminal may echo as ^@.
    assert.match(r.stdout.replaceAll('^@', ''), /^\/dev\/pts\/\d+\r*\n$/);
    // The local window size reaches the remote terminal. It is sent once the session is open,
    // after the engine started the command (Engine API 1.41 takes no initial size), hence the sleep.
    const sized = await new Promise<{code: number | null; out: string}>((resolve, reject) => {
      const line = `stty cols 91 rows 33; exec '${process.execPath}' '${BIN}' exec web -t -- sh -c 'sleep 1; stty size'`;
      const child = spawn('script', ['-qefc', line, '/dev/null'], {cwd: appDir, env: {...process.env, ...(userEnv() as Record<string, string>)}, stdio: ['pipe', 'pipe', 'pipe']});
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({code, out}));
      child.stdin.end();
    });
    assert.equal(sized.code, 0, sized.out);
    assert.equal(sized.out.replaceAll('^@', '').replaceAll('\r', ''), '33 91\n');
  });

  test('scale web=2: a second healthy replica', async () => {
    const r = await spin(['scale', 'web=2']);
    expectCode(r, 0, 'spin scale');
    // One rendering with deploy: progress lines on stderr, the result table on stdout.
    assert.match(r.stderr, /^\S+Z web-2 \w+: started /m);
    assert.match(r.stdout, new RegExp(`^stack ${stack} in project ${project}: revision 2 healthy\nSERVICE +RUNNING +HEALTHY +PORTS\nweb +2/2 +2/2 +-\n`));
    const ps = psRows((await spin(['ps'])).stdout);
    assert.deepEqual(ps.slice(1).map((row) => row.slice(0, 4)), [
      ['web-1', 'web', 'running', 'healthy'],
      ['web-2', 'web', 'running', 'healthy'],
      ['worker-1', 'worker', 'running', '-'],
    ]);
    const second = await spin(['exec', 'web', '--index', '2', '--', 'hostname']);
    expectCode(second, 0, 'spin exec --index 2');
  });

  test('logs -f ends when the followed containers stop; start brings them back', async () => {
    const following = spin(['logs', '-f', 'worker']);
    // Give the follow a moment to attach before the containers go away.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stop = await spin(['stop', 'worker']);
    expectCode(stop, 0, 'spin stop worker');
    assert.equal(stop.stderr, `stopped "worker" in stack "${stack}" of project "${project}"\n`);
    const logs = await following;
    expectCode(logs, 0, 'spin logs -f');
    assert.deepEqual(logs.stdout.split('\n').filter(Boolean).map((l) => l.replace(/ +\| /, ' | ')), ['worker-1 | worker started', 'worker-1 | worker ready']);
    assert.deepEqual((await containersOf(stack)).map((c) => c.state), ['running', 'running', 'exited']);

    const stopAll = await spin(['stop']);
    expectCode(stopAll, 0, 'spin stop');
    assert.deepEqual((await containersOf(stack)).map((c) => c.state), ['exited', 'exited', 'exited']);
    // A stopped replica shows no health: the engine's last verdict ("unhealthy") would mislead.
    const ps = psRows((await spin(['ps'])).stdout);
    assert.deepEqual(ps.slice(1).map((row) => row.slice(0, 4)), [
      ['web-1', 'web', 'exited(143)', '-'],
      ['web-2', 'web', 'exited(143)', '-'],
      ['worker-1', 'worker', 'exited(143)', '-'],
    ]);
    const start = await spin(['start', '--json']);
    expectCode(start, 0, 'spin start');
    assert.equal(start.stderr, `started stack "${stack}" of project "${project}"\n`);
    assert.deepEqual(JSON.parse(start.stdout).services.map((s: {service: string; running: number}) => [s.service, s.running]), [['web', 2], ['worker', 1]]);
    assert.deepEqual((await containersOf(stack)).map((c) => c.state), ['running', 'running', 'running']);
  });

  test('a one-shot service: logs -f returns once it has exited', async () => {
    const dir = join(root, 'oneshot');
    await mkdir(dir);
    await writeFile(join(dir, 'compose.yaml'), composeText({name: 'oneshot', services: {job: {image: '__IMAGE__', cap_drop: ['ALL'], restart: 'no', command: ['sh', '-c', 'for i in 1 2 3; do echo line $$i; done']}}}));
    expectCode(await spin(['deploy'], {cwd: dir}), 0, 'spin deploy (one-shot)');
    const r = await spin(['logs', '-f'], {cwd: dir});
    expectCode(r, 0, 'spin logs -f');
    assert.equal(r.stdout, 'job-1 | line 1\njob-1 | line 2\njob-1 | line 3\n');
  });

  test('rm asks for --yes when nobody can answer, then removes the stack', async () => {
    const refused = await spin(['rm']);
    expectCode(refused, 2, 'spin rm without --yes');
    assert.equal(refused.stderr, `error: removing stack "${stack}" in project "${project}" needs confirmation, and there is no terminal to ask\nhint: pass --yes to confirm: \`spin rm --stack ${stack} --project ${project} --yes\`\n`);
    assert.equal((await containersOf(stack)).length, 3, 'nothing removed');
    const r = await spin(['rm', '--yes']);
    expectCode(r, 0, 'spin rm --yes');
    assert.equal(r.stderr, `removed stack "${stack}" from project "${project}"\n`);
    assert.deepEqual(await containersOf(stack), []);
    const ps = await spin(['ps']);
    expectCode(ps, 1, 'spin ps after rm');
    assert.match(ps.stderr, new RegExp(`^error: stack "${stack}" not found in project "${project}"$`, 'm'));
  });

  test('CI: no login, the environment only, deploy --json is NDJSON events then the result', async () => {
    const ciHome = join(root, 'ci-home');
    await mkdir(ciHome);
    const r = await runSpin(['deploy', '--json', '--stack', 'ci'], {cwd: appDir, env: {...userEnv(), HOME: ciHome, XDG_CONFIG_HOME: undefined, SPIN_URL: agent!.url, SPIN_TOKEN: token, SPIN_PROJECT: project}});
    expectCode(r, 0, 'spin deploy --json');
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    const events = lines.slice(0, -1);
    const result = lines.at(-1);
    assert.ok(events.length >= 5, `events: ${r.stdout}`);
    for (const e of events) {
      assert.ok(['plan', 'pull', 'create', 'start', 'waiting', 'healthy', 'running'].includes(e.type), `event type ${e.type}`);
      assert.match(e.time, /^\d{4}-\d\d-\d\dT.+Z$/);
    }
    assert.equal(events[0].type, 'plan');
    assert.deepEqual(events.filter((e) => e.type === 'healthy').map((e) => e.service), ['web']);
    assert.deepEqual(events.filter((e) => e.type === 'running').map((e) => e.service), ['worker']);
    assert.equal(result.type, 'result');
    assert.equal(result.project, project);
    assert.equal(result.stack, 'ci');
    assert.equal(result.revision, 1);
    assert.equal(result.outcome, 'healthy');
    assert.deepEqual(result.status.services.map((s: {service: string; running: number; healthy: number}) => [s.service, s.running, s.healthy]), [['web', 1, 1], ['worker', 1, 0]]);
    assert.doesNotMatch(r.stderr, /^\{/m, 'no JSON on stderr');
    await assert.rejects(stat(join(ciHome, '.config')), {code: 'ENOENT'}, 'CI mode writes no config');
    expectCode(await runSpin(['rm', '--yes', '--stack', 'ci'], {env: {...userEnv(), HOME: ciHome, SPIN_URL: agent!.url, SPIN_TOKEN: token, SPIN_PROJECT: project}}), 0, 'spin rm (CI)');
  });

  test('a wrong token exits 4', async () => {
    const r = await spin(['ps', '--stack', stack], {env: {SPIN_URL: agent!.url, SPIN_TOKEN: 'spin_not-a-valid-token', SPIN_PROJECT: project}});
    expectCode(r, 4, 'spin ps with a wrong token');
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: the token is invalid or was revoked$/m);
  });

  test('the policy refuses privileged: exit 3, the located diagnostic on stderr, nothing deployed', async () => {
    const dir = join(root, 'privileged');
    await mkdir(dir);
    await writeFile(join(dir, 'compose.yaml'), composeText({name: 'priv', services: {web: {...worker, privileged: true}}}));
    const r = await spin(['deploy'], {cwd: dir});
    expectCode(r, 3, 'spin deploy (privileged)');
    const line = (await readFile(join(dir, 'compose.yaml'), 'utf8')).split('\n').findIndex((l) => l.includes('"privileged"')) + 1;
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `compose.yaml:${line}:7: error: services.web.privileged: service "web" sets privileged: true [privileged]\n  hint: remove privileged from service "web"; add back only the capabilities it needs with cap_add\nerror: the stack is invalid: 1 error\nhint: fix the problems above; nothing was sent to the agent\n`);
    assert.deepEqual(await containersOf('priv'), []);
  });

  test("the agent's own policy refuses a port the laptop allows: exit 3, located at the user's line", async () => {
    const dir = join(root, 'port');
    await mkdir(dir);
    await writeFile(join(dir, 'compose.yaml'), composeText({name: 'port', services: {web: {...worker, ports: ['8443:8080']}}}));
    const r = await spin(['deploy'], {cwd: dir});
    expectCode(r, 3, 'spin deploy (port refused by the agent)');
    const line = (await readFile(join(dir, 'compose.yaml'), 'utf8')).split('\n').findIndex((l) => l.includes('8443:8080')) + 1;
    assert.match(r.stderr, new RegExp(`^compose\\.yaml:${line}:\\d+: error: services\\.web\\.ports\\[0\\]\\.published: service "web" publishes host port 8443, outside the allowed ports 8080 \\[ports\\]$`, 'm'));
    assert.match(r.stderr, /^error: /m);
    assert.deepEqual(await containersOf('port'), []);
    const stacks = await spin(['stacks', '--json']);
    expectCode(stacks, 0, 'spin stacks');
    assert.ok(!JSON.stringify(JSON.parse(stacks.stdout)).includes('"port"'), stacks.stdout);
  });

  test('a service that fails its healthcheck: exit 1 with its last log lines', async () => {
    const dir = join(root, 'sick');
    await mkdir(dir);
    const sick = {...worker, command: ['sh', '-c', 'echo starting sick; echo config file /etc/sick.conf missing >&2; sleep 3600'], healthcheck: {test: ['CMD', 'test', '-f', '/etc/sick.conf'], interval: '1s', timeout: '1s', retries: 1}};
    await writeFile(join(dir, 'compose.yaml'), composeText({name: 'sick', services: {sick}}));
    const r = await spin(['deploy', '--timeout', '60s'], {cwd: dir});
    expectCode(r, 1, 'spin deploy (failing healthcheck)');
    assert.match(r.stdout, new RegExp(`^stack sick in project ${project}: revision 1 failed$`, 'm'));
    assert.match(r.stderr, /^ {2}sick \| starting sick$/m);
    assert.match(r.stderr, /^ {2}sick \| config file \/etc\/sick\.conf missing$/m);
    assert.match(r.stderr, /^error: deploy failed: service "sick" replica 1: .*health/m);
  });

  test('a deploy the agent rolled back: the summary says so, the last log lines come with the result, history marks what runs', async () => {
    const dir = join(root, 'crashy');
    await mkdir(dir);
    await writeFile(join(dir, 'compose.yaml'), composeText({name: 'crashy', services: {worker}}));
    expectCode(await spin(['deploy'], {cwd: dir}), 0, 'spin deploy (revision 1)');
    const crashing = {...worker, command: ['sh', '-c', 'echo boom before the crash; echo the config is wrong >&2; exit 3']};
    await writeFile(join(dir, 'compose.yaml'), composeText({name: 'crashy', services: {worker: crashing}}));
    const r = await spin(['deploy', '--timeout', '60s'], {cwd: dir});
    expectCode(r, 1, 'spin deploy (revision 2 crashes)');
    assert.equal(r.stdout, `stack crashy in project ${project}: revision 2 failed and was rolled back to revision 1, which runs healthy\nSERVICE   RUNNING   HEALTHY   PORTS\nworker    1/1       -         -\n`);
    // The failed replica is gone: its last lines come with the deploy's answer.
    assert.match(r.stderr, /^ {2}worker \| boom before the crash$/m);
    assert.match(r.stderr, /^ {2}worker \| the config is wrong$/m);
    assert.match(r.stderr, /^error: deploy failed: service "worker" replica 1: exited with code 3$/m);
    assert.match(r.stderr, /^hint: the rollback removed the failed replica, so `spin logs` shows revision 1 only: its last log lines are above; `spin history` keeps why it failed$/m);
    const json = await spin(['deploy', '--json', '--timeout', '60s'], {cwd: dir});
    // A failed deploy under --json: the events, one result line, then the error line.
    const lines = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.slice(-2).map((l) => l.type), ['result', 'error']);
    assert.equal(lines.at(-1).error.code, 'spin.failed');
    const result = lines.at(-2);
    // stdout and stderr reach the engine's log through two pipes: their order between them is not kept.
    assert.deepEqual([result.outcome, result.rollback, [...result.failure.logs].sort()], ['failed', {revision: 1, outcome: 'healthy'}, ['boom before the crash', 'the config is wrong']]);

    const history = await spin(['history'], {cwd: dir});
    expectCode(history, 0, 'spin history');
    const rows = psRows(history.stdout);
    assert.deepEqual(rows.map((row) => [row[0], row[1], row[4]]), [
      ['CURRENT', 'REV', 'OUTCOME'],
      ['-', '3', 'rolled-back'],
      ['-', '2', 'rolled-back'],
      ['*', '1', 'healthy'],
    ]);
    // One image, named the same way in both: its tag and the same short digest.
    const ps = psRows((await spin(['ps'], {cwd: dir})).stdout);
    assert.match(ps[1][5], new RegExp(`^spin-test-${project}:bb@[0-9a-f]{12}$`));
    assert.equal(rows[3][5], `worker=${ps[1][5]}`);
    assert.equal(JSON.parse((await spin(['history', '--json'], {cwd: dir})).stdout).currentRevision, 1);
  });

  test('the agent is down: exit 6', async () => {
    await agent!.stop();
    const r = await spin(['ps', '--stack', stack]);
    expectCode(r, 6, 'spin ps with the agent stopped');
    assert.equal(r.stderr, `error: cannot reach the Spin agent at ${agent!.url} (ECONNREFUSED)\nhint: check that the agent is running and the URL is right: curl ${agent!.url}/v1/health\n`);
  });
});
