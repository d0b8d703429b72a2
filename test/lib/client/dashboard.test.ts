// Where `spin dashboard` sends the user: the URL the agent reports, or an error that says how to
// get one; and the program that opens it per platform.

import assert from 'node:assert/strict';
import {test} from 'node:test';

import {findDashboard, openCommand} from '../../../src/lib/client/dashboard.ts';
import {OperationError} from '../../../src/lib/errors.ts';

const info = (dashboard: string | null | undefined) => ({info: async () => ({version: '1', registry: null, engine: {name: 'docker'}, ...(dashboard === undefined ? {} : {dashboard})})});

test('the URL the agent reports, with the context it came from', async () => {
  assert.deepEqual(await findDashboard(info('https://agent.example.org:7879'), {name: 'prod', url: 'https://agent.example.org:7878'}), {url: 'https://agent.example.org:7879', context: 'prod'});
});

test('no dashboard (or an older agent) is an operation error naming the context and the flag', async () => {
  for (const value of [null, undefined, 'javascript:alert(1)']) {
    await assert.rejects(findDashboard(info(value), {name: 'prod', url: 'https://a:7878'}), (err: OperationError) => {
      assert.ok(err instanceof OperationError);
      assert.equal(err.message, 'the agent of context "prod" (https://a:7878) serves no dashboard');
      assert.match(err.hint!, /--dashboard-listen/);
      return true;
    });
  }
  await assert.rejects(findDashboard(info(null), {name: 'local', url: 'http://127.0.0.1:1'}), /serves no dashboard/);
});

test('the opener per platform gets the URL as one argument, never through a shell string', () => {
  assert.deepEqual(openCommand('linux', 'http://x:1/?a=1&b=2'), ['xdg-open', ['http://x:1/?a=1&b=2']]);
  assert.deepEqual(openCommand('darwin', 'http://x:1'), ['open', ['http://x:1']]);
  assert.equal(openCommand('win32', 'http://x:1')[0], 'cmd');
});
