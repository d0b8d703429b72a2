// What the Docker backend reports about where services answer, against the real engine: the
// ingress URL of a service behind the proxy (never the loopback port only the proxy uses), and
// hints that name host ports the platform's policy allows.

import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {ComposeModel} from '../../../src/lib/compose/types.ts';
import {deploy as deployNow, planOnly} from '../../../src/lib/engine/deploy.ts';
import {DockerOrchestrator} from '../../../src/lib/engine/docker.ts';
import {InvalidInputError} from '../../../src/lib/errors.ts';
import type {IngressHooks} from '../../../src/lib/ingress/types.ts';
import {loadPolicy} from '../../../src/lib/policy/index.ts';
import {renderUrls} from '../../../src/lib/ui/deploy.ts';
import {psRows} from '../../../src/lib/ui/status.ts';
import {buildBusyboxImage, cleanupProject, dockerClient, requireEngine, uniqueName} from '../../helpers/docker.ts';

const docker = dockerClient();
const project = uniqueName('t');
const image = `spin-test-${project}:bb`;
let secretsDir: string;

/** The proxy itself is not under test: deploys only tell it about replicas. */
const hooks: IngressHooks = {hold() {}, async release() {}, async drain() {}, async sync() {}};
const SLEEPER = {image, init: true, command: ['sleep', '3600']};

async function model(stack: string, doc: Record<string, unknown>): Promise<ComposeModel> {
  const {project: p, diagnostics} = await loadDocument(doc, stack);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  assert.ok(p);
  return p;
}

before(async () => {
  await requireEngine(docker);
  secretsDir = await mkdtemp(join(tmpdir(), 'spin-secrets-'));
  await buildBusyboxImage(docker, image, project);
});

after(async () => {
  await cleanupProject(docker, project);
  if (secretsDir) await rm(secretsDir, {recursive: true, force: true});
});

describe('where services answer', () => {
  test('behind the ingress: status has the ingress URL, not the port only the proxy uses', async () => {
    const orch = new DockerOrchestrator({docker, secretsDir, publishHostIp: '127.0.0.1', pollMs: 500, ingress: {hooks, domain: 'localhost', port: 8088}});
    const ref = {project, stack: 'portal'};
    const m = await model('portal', {services: {web: {...SLEEPER, 'x-spin': {ingress: {port: 8080}}}, api: {...SLEEPER, ports: ['8080']}}});
    const result = await deployNow(orch, {ref, model: m, revision: 1, secrets: {}, timeoutMs: 60_000});
    assert.equal(result.outcome, 'healthy', JSON.stringify(result.failure));
    const status = await orch.status(ref);
    const web = status.services.find((s) => s.service === 'web')!;
    const api = status.services.find((s) => s.service === 'api')!;
    assert.deepEqual(web.ingress, {host: `web.portal.${project}.localhost`, url: `http://web.portal.${project}.localhost:8088`});
    assert.deepEqual(web.ports, [], 'the proxy-only loopback port is not a published port');
    // The engine did bind it: the proxy needs it.
    const [container] = await docker.listContainers({filters: {label: [`org.spin.project=${project}`, 'org.spin.service=web']}});
    assert.ok(container.Ports.some((p) => p.IP === '127.0.0.1' && p.PrivatePort === 8080 && p.PublicPort), JSON.stringify(container.Ports));
    // A port the service publishes itself stays, even one the engine picks on the same address.
    assert.equal(api.ingress, undefined);
    assert.equal(api.ports.length, 1);
    assert.match(api.ports[0].published, /^\d+$/);
    assert.equal(renderUrls({status}), `api: http://127.0.0.1:${api.ports[0].published}\nweb: http://web.portal.${project}.localhost:8088\n`);
    assert.deepEqual(psRows(status, {color: false}).map((row) => [row[0], row[4]]), [
      ['api-1', `127.0.0.1:${api.ports[0].published}->8080/tcp`],
      ['web-1', `http://web.portal.${project}.localhost:8088`],
    ]);
  });

  test('without an ingress on the agent: no URL, and still no proxy-only port', async () => {
    const orch = new DockerOrchestrator({docker, secretsDir, publishHostIp: '127.0.0.1', pollMs: 500});
    const status = await orch.status({project, stack: 'portal'});
    const web = status.services.find((s) => s.service === 'web')!;
    assert.equal(web.ingress, undefined);
    assert.deepEqual(web.ports, []);
    assert.doesNotMatch(renderUrls({status}), /^web:/m);
  });

  test('one fixed host port for several replicas: the hint suggests ports the policy allows', async () => {
    const policy = await loadPolicy();
    const orch = new DockerOrchestrator({docker, secretsDir, publishHostIp: '127.0.0.1', allowedPorts: policy.ports.allowed});
    const m = await model('scaled', {services: {web: {...SLEEPER, ports: ['60000:8080'], deploy: {replicas: 3}}}});
    await assert.rejects(planOnly(orch, {project, stack: 'scaled'}, m, {}), (err: unknown) => {
      assert.ok(err instanceof InvalidInputError);
      assert.equal(err.message, 'service "web" publishes host port 60000 and wants 3 replicas, but only one container can listen on a host port');
      assert.equal(err.hint, 'publish a range of 3 allowed host ports, one per replica (e.g. "60000-60002:8080"), or run one replica');
      return true;
    });
    const narrow = new DockerOrchestrator({docker, secretsDir, allowedPorts: [{min: 8080, max: 8080}]});
    await assert.rejects(planOnly(narrow, {project, stack: 'scaled'}, m, {}), (err: unknown) => err instanceof InvalidInputError && err.hint === 'run one replica: the platform allows no range of 3 host ports (allowed: 8080)');
  });
});
