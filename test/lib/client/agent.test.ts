// The client's NDJSON reading against a plain HTTP server that answers as the agent does.

import assert from 'node:assert/strict';
import http from 'node:http';
import {after, before, describe, test} from 'node:test';

import {AgentClient} from '../../../src/lib/client/agent.ts';
import {ExitCode, type SpinError} from '../../../src/lib/errors.ts';

/** The chunks the server writes for the next request. */
let chunks: string[] = [];
let server: http.Server;
let client: AgentClient;

before(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(200, {'content-type': 'application/x-ndjson'});
    for (const c of chunks) res.write(c);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new AgentClient({url: `http://127.0.0.1:${(server.address() as {port: number}).port}`, token: 't'});
});

after(async () => {
  client.close();
  await new Promise((resolve) => server.close(resolve));
});

const event = (message: string) => ({type: 'create', time: '2025-01-01T00:00:00Z', service: 'web', message});
const result = {revision: 1, outcome: 'healthy', plan: {services: [], create: {networks: [], volumes: []}, noop: true}, status: {ref: {project: 'p', stack: 's'}, services: []}, images: {}, warnings: []};

describe('AgentClient streams', () => {
  test('a deploy: its events in order across chunk boundaries, then the result', async () => {
    const text = [event('one'), event('two'), {type: 'result', result}].map((v) => `${JSON.stringify(v)}\n`).join('');
    chunks = [text.slice(0, 30), text.slice(30, 31), text.slice(31)];
    const seen: string[] = [];
    const out = await client.deploy('p', 's', {model: {}}, (e) => seen.push(e.message));
    assert.deepEqual(seen, ['one', 'two']);
    assert.deepEqual(out, result);
  });

  test('an error line after the stream began: its code decides the exit code', async () => {
    chunks = [`${JSON.stringify(event('one'))}\n`, `${JSON.stringify({type: 'error', error: {code: 'engine.unreachable', message: 'gone'}})}\n`];
    await assert.rejects(client.deploy('p', 's', {model: {}}), (err: SpinError & {remoteCode?: string}) => {
      assert.equal(err.exitCode, ExitCode.unreachable);
      assert.equal(err.remoteCode, 'engine.unreachable');
      assert.equal(err.message, 'gone');
      return true;
    });
  });

  test('an NDJSON log stream (an older agent) ended by `{"error": …}`: the lines before it, then the error', async () => {
    const line = {service: 'web', replica: 1, stream: 'stdout', timestamp: '', line: 'hi'};
    chunks = [`${JSON.stringify(line)}\n${JSON.stringify({error: {code: 'auth.unauthenticated', message: 'token revoked'}})}\n`];
    const seen: unknown[] = [];
    await assert.rejects(
      (async () => {
        for await (const l of client.logs('p', 's', {})) seen.push(l);
      })(),
      (err: SpinError) => err.exitCode === ExitCode.auth && /spin login/.test(err.hint ?? ''),
    );
    assert.deepEqual(seen, [
      {kind: 'sources', sources: [{service: 'web', replica: 1}]},
      {kind: 'lines', source: 0, stream: 'stdout', data: Buffer.from('hi\n')},
    ]);
  });

  test('a line that is not JSON is a clear error', async () => {
    chunks = ['<html>\n'];
    await assert.rejects(client.deploy('p', 's', {model: {}}), /sent a line that is not JSON/);
  });
});
