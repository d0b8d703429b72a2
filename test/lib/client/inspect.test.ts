import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import type {RevisionJson, StackDetailJson} from '../../../src/lib/api/types.ts';
import type {AgentClient} from '../../../src/lib/client/agent.ts';
import {describeStack} from '../../../src/lib/client/inspect.ts';
import {ExitCode} from '../../../src/lib/errors.ts';

const webStatus = {service: 'web', image: 'web:1', desired: 1, running: 1, healthy: 1, ports: [], replicas: []};
const detail: StackDetailJson = {name: 'portal', project: 'demo', currentRevision: 2, latestRevision: 3, status: {ref: {project: 'demo', stack: 'portal'}, services: [webStatus]}};
const revision: RevisionJson = {
  number: 2,
  project: 'demo',
  stack: 'portal',
  user: 'alice',
  createdAt: '2025-06-01T10:00:00Z',
  outcome: 'healthy',
  images: {web: 'web@sha256:00'},
  plan: {services: [], create: {networks: [], volumes: []}, noop: true},
  model: {name: 'portal', services: {web: {image: 'web:1'}, worker: {image: 'worker:1'}}, volumes: {data: {}}, networks: {}},
};

/** The two calls describeStack makes, recorded. */
function fakeClient(stackDetail: StackDetailJson) {
  const calls: string[] = [];
  const client = {
    stack: async (p: string, s: string) => (calls.push(`stack ${p}/${s}`), stackDetail),
    revision: async (p: string, s: string, n: number) => (calls.push(`revision ${p}/${s}/${n}`), revision),
  };
  return {client: client as unknown as AgentClient, calls};
}

describe('describeStack', () => {
  test('status and the current revision model per service, stack-wide resources, revision summary without the model', async () => {
    const {client, calls} = fakeClient(detail);
    const d = await describeStack(client, 'demo', 'portal');
    assert.deepEqual(calls, ['stack demo/portal', 'revision demo/portal/2']);
    assert.deepEqual(d, {
      name: 'portal',
      project: 'demo',
      currentRevision: 2,
      latestRevision: 3,
      revision: {number: 2, project: 'demo', stack: 'portal', user: 'alice', createdAt: '2025-06-01T10:00:00Z', outcome: 'healthy', images: {web: 'web@sha256:00'}},
      services: {web: {status: webStatus, model: {image: 'web:1'}}, worker: {model: {image: 'worker:1'}}},
      resources: {volumes: {data: {}}},
    });
  });

  test('one service only', async () => {
    const d = await describeStack(fakeClient(detail).client, 'demo', 'portal', 'worker');
    assert.deepEqual(d.services, {worker: {model: {image: 'worker:1'}}});
    assert.equal(d.resources, undefined);
  });

  test('an unknown service names the known ones', async () => {
    await assert.rejects(describeStack(fakeClient(detail).client, 'demo', 'portal', 'db'), (err: {exitCode: number; message: string; hint: string}) => {
      assert.equal(err.exitCode, ExitCode.failed);
      assert.equal(err.message, 'service "db" not found in stack "portal" of project "demo"');
      assert.equal(err.hint, 'services: web, worker');
      return true;
    });
  });

  test('a stack without a revision has status only', async () => {
    const {client, calls} = fakeClient({...detail, currentRevision: null, latestRevision: null});
    const d = await describeStack(client, 'demo', 'portal');
    assert.deepEqual(calls, ['stack demo/portal']);
    assert.deepEqual(d.services, {web: {status: webStatus}});
    assert.equal(d.revision, undefined);
  });
});
