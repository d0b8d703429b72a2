// Commands run in this process through their factory (test/helpers/cli.ts runCommand): exact
// stdout and stderr, the exit status, and that every agent client made is closed. No build and
// no spawn; the spawned tests (remote.test.ts, cli.integration.test.ts) keep the end-to-end view.

import assert from 'node:assert/strict';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import Deploy from '../../src/commands/deploy.ts';
import Ps from '../../src/commands/ps.ts';
import Rollback from '../../src/commands/rollback.ts';
import Scale from '../../src/commands/scale.ts';
import Validate from '../../src/commands/validate.ts';
import type {DeployEventJson, DeployResultJson} from '../../src/lib/api/types.ts';
import {InvalidInputError} from '../../src/lib/errors.ts';
import {runCommand} from '../helpers/cli.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const COMPOSE = `name: portal\nservices:\n  web:\n    image: busybox:1.36@${DIGEST}\n    cap_drop: [ALL]\n`;
const PRIVILEGED = `name: portal\nservices:\n  web:\n    image: busybox:1.36@${DIGEST}\n    cap_drop: [ALL]\n    privileged: true\n`;

const FINDING = 'compose.yaml:6:5: error: services.web.privileged: service "web" sets privileged: true [privileged]\n  hint: remove privileged from service "web"; add back only the capabilities it needs with cap_add\n';

const EVENT: DeployEventJson = {type: 'running', time: '2026-01-01T00:00:01Z', service: 'web', replica: 1, message: 'web-1 started'} as DeployEventJson;
const RESULT: DeployResultJson = {
  revision: 2,
  outcome: 'healthy',
  plan: {services: [], create: {networks: [], volumes: []}, noop: false},
  status: {services: []} as unknown as DeployResultJson['status'],
  images: {web: `busybox@${DIGEST}`},
  warnings: [],
};

/** A fake agent answering every stack change with one progress event and RESULT. */
function change(calls: string[]) {
  return async (...args: unknown[]) => {
    calls.push(args.slice(0, 2).join('/'));
    const onEvent = args.find((a) => typeof a === 'function') as ((e: DeployEventJson) => void) | undefined;
    onEvent?.(EVENT);
    return RESULT;
  };
}

let dir: string;
let env: Record<string, string>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spin-in-process-'));
  await writeFile(join(dir, 'compose.yaml'), COMPOSE);
  // HOME in the temporary folder: no config file, no local agent state of the machine.
  env = {HOME: dir, SPIN_URL: 'http://agent.invalid', SPIN_TOKEN: 'spin_test', SPIN_PROJECT: 'demo'};
});

after(() => rm(dir, {recursive: true, force: true}));

describe('commands in-process', () => {
  test('deploy --json: one event per line, then one result line; the client is closed', async () => {
    const calls: string[] = [];
    const r = await runCommand(Deploy, ['--json'], {cwd: dir, env, agent: {deploy: change(calls)}});
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(calls, ['demo/portal']);
    assert.equal(r.stdout, `${JSON.stringify(EVENT)}\n${JSON.stringify({type: 'result', project: 'demo', stack: 'portal', ...RESULT})}\n`);
    assert.equal(r.stderr, '');
    assert.equal(r.closed, 1);
  });

  test('deploy --json refused by the agent: the last stdout line is the error with code and diagnostics; exit 3', async () => {
    const refusal = Object.assign(new InvalidInputError('the stack violates the policy', {hint: 'fix it'}), {
      remoteCode: 'policy.violation',
      diagnostics: [{severity: 'error' as const, source: 'policy', rule: 'privileged', message: 'privileged is refused', path: ['services', 'web', 'privileged'], hint: 'remove privileged'}],
    });
    const r = await runCommand(Deploy, ['--json'], {cwd: dir, env, agent: {deploy: () => Promise.reject(refusal)}});
    assert.equal(r.code, 3);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 1);
    assert.equal(lines[0].type, 'error');
    assert.equal(lines[0].error.code, 'policy.violation');
    assert.equal(lines[0].error.message, 'the stack violates the policy');
    assert.equal(lines[0].error.hint, 'fix it');
    assert.equal(lines[0].error.diagnostics.length, 1);
    assert.equal(lines[0].error.diagnostics[0].message, 'privileged is refused');
    assert.equal(r.stderr, 'error: the stack violates the policy\nhint: fix it\n');
    assert.equal(r.closed, 1);
  });

  test('deploy refused by the local policy: problems and the error on stderr, nothing on stdout, nothing sent; exit 3', async () => {
    const folder = join(dir, 'privileged');
    await rm(folder, {recursive: true, force: true});
    await mkdir(folder);
    await writeFile(join(folder, 'compose.yaml'), PRIVILEGED);
    const calls: string[] = [];
    const r = await runCommand(Deploy, [], {cwd: folder, env, agent: {deploy: change(calls)}});
    assert.equal(r.code, 3);
    assert.deepEqual(calls, []);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `${FINDING}error: the stack is invalid: 1 error\nhint: fix the problems above; nothing was sent to the agent\n`);
    assert.equal(r.closed, 1);
  });

  test('scale: progress on stderr, the result table on stdout, and its client closed', async () => {
    const calls: string[] = [];
    const r = await runCommand(Scale, ['web=3', '--stack', 'portal'], {cwd: dir, env, agent: {scale: change(calls)}});
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(calls, ['demo/portal']);
    assert.equal(r.stderr, '2026-01-01T00:00:01Z web-1 running: web-1 started\n');
    assert.equal(r.stdout, 'stack portal in project demo: revision 2 healthy\nSERVICE   RUNNING   HEALTHY   PORTS\n');
    assert.equal(r.closed, 1);
  });

  test('rollback --json: NDJSON like deploy', async () => {
    const calls: string[] = [];
    const r = await runCommand(Rollback, ['--to', '1', '--stack', 'portal', '--json'], {cwd: dir, env, agent: {rollback: change(calls)}});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${JSON.stringify(EVENT)}\n${JSON.stringify({type: 'result', project: 'demo', stack: 'portal', ...RESULT})}\n`);
    assert.equal(r.stderr, '');
    assert.equal(r.closed, 1);
  });

  test('validate: the findings are the result (stdout), the summary on stderr; exit 3', async () => {
    const folder = join(dir, 'privileged');
    const r = await runCommand(Validate, [], {cwd: folder, env: {HOME: dir, SPIN_PROJECT: 'demo'}});
    assert.equal(r.code, 3);
    assert.equal(r.stdout, FINDING);
    assert.equal(r.stderr, 'portal is invalid: 1 error\n');
  });

  test('an unknown context: one error line and a hint on stderr, exit 2, no client made', async () => {
    const r = await runCommand(Ps, ['--stack', 'portal'], {cwd: dir, env: {HOME: dir, SPIN_CONTEXT: 'nope'}});
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: context "nope" does not exist\nhint: see `spin context ls`, or log in with `spin login URL --token T --context nope`\n');
    assert.equal(r.code, 2);
    assert.equal(r.closed, 0);
  });
});
