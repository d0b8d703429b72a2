// `spin deploy` with compose secrets whose values the CLI reads itself (`file:` and
// `environment:`): the values travel beside the model, never in it, and the agent puts them in
// the containers. Before this test the agent refused such a model ("must declare either `file`
// or `environment`"), because the CLI rightly strips both from the document it sends.

import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';

import {LABELS} from '../../src/lib/engine/types.ts';
import {startAgent, type AgentProcess} from '../helpers/agent.ts';
import {runSpin} from '../helpers/cli.ts';
import {buildBusyboxImage, cleanupProject, dockerClient, requireEngine, uniqueName} from '../helpers/docker.ts';

const docker = dockerClient();
const project = uniqueName('sec');
const image = `spin-it/${project}:busybox`;
const dir = mkdtempSync(join(tmpdir(), 'spin-deploy-secrets-'));
let agent: AgentProcess | undefined;
let env: Record<string, string | undefined>;

before(async () => {
  await requireEngine(docker);
  await buildBusyboxImage(docker, image, project);
  agent = await startAgent();
  const token = await agent.addUser('alice', {projects: [project]});
  env = {HOME: dir, XDG_CONFIG_HOME: join(dir, '.config'), SPIN_CONTEXT: undefined, SPIN_URL: agent.url, SPIN_TOKEN: token, SPIN_PROJECT: project};
  writeFileSync(
    join(dir, 'compose.yaml'),
    `services:
  web:
    image: ${image}
    init: true
    cap_drop: [ALL]
    user: "1000:1000"
    command: ["sleep", "3600"]
    secrets: [db_password, api_key]
secrets:
  db_password:
    file: ./db_password.txt
  api_key:
    environment: API_KEY
`,
  );
});

after(async () => {
  await agent?.stop();
  agent?.cleanup();
  await cleanupProject(docker, project);
  await docker.getImage(image).remove({force: true}).catch(() => undefined);
  rmSync(dir, {recursive: true, force: true});
});

/** What each running replica of web reads at /run/secrets/NAME. */
async function secretsInside(name: string): Promise<string[]> {
  const containers = await docker.listContainers({filters: {label: [`${LABELS.project}=${project}`, `${LABELS.stack}=app`]}});
  const out: string[] = [];
  for (const c of containers) {
    const exec = await docker.getContainer(c.Id).exec({Cmd: ['cat', `/run/secrets/${name}`], AttachStdout: true, AttachStderr: true});
    const stream = await exec.start({});
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    await new Promise((resolve) => stream.on('end', resolve));
    // Multiplexed: 8-byte headers before each frame.
    const raw = Buffer.concat(chunks);
    let text = '';
    for (let i = 0; i + 8 <= raw.length; i += 8 + raw.readUInt32BE(i + 4)) text += raw.subarray(i + 8, i + 8 + raw.readUInt32BE(i + 4)).toString('utf8');
    out.push(text);
  }
  return out.sort();
}

test('file and environment secrets reach the container; a changed file rolls it; a scale keeps them', async () => {
  writeFileSync(join(dir, 'db_password.txt'), 'first-password-7f3a');
  const deployed = await runSpin(['deploy', '--stack', 'app', '--timeout', '60s'], {cwd: dir, env: {...env, API_KEY: 'key-from-the-environment-91b2'}});
  assert.equal(deployed.code, 0, deployed.stderr);
  assert.deepEqual(await secretsInside('db_password'), ['first-password-7f3a']);
  assert.deepEqual(await secretsInside('api_key'), ['key-from-the-environment-91b2']);

  writeFileSync(join(dir, 'db_password.txt'), 'second-password-c44e');
  const again = await runSpin(['deploy', '--stack', 'app', '--timeout', '60s'], {cwd: dir, env: {...env, API_KEY: 'key-from-the-environment-91b2'}});
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(await secretsInside('db_password'), ['second-password-c44e']);

  // Scale has no client values: the agent uses the ones of the last deploy.
  const scaled = await runSpin(['scale', '--stack', 'app', 'web=2'], {cwd: dir, env});
  assert.equal(scaled.code, 0, scaled.stderr);
  assert.deepEqual(await secretsInside('db_password'), ['second-password-c44e', 'second-password-c44e']);

  const printed = [deployed, again, scaled].map((r) => r.stdout + r.stderr).join('\n') + agent!.logs();
  for (const value of ['first-password-7f3a', 'second-password-c44e', 'key-from-the-environment-91b2']) assert.ok(!printed.includes(value), 'a secret value is never printed or logged');
});

test('an environment secret whose variable is not set is refused before anything is sent', async () => {
  const r = await runSpin(['deploy', '--stack', 'other', '--timeout', '60s'], {cwd: dir, env: {...env, API_KEY: undefined}});
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /secret "api_key": environment variable API_KEY is not set/);
});
