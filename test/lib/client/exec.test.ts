// spin exec's client against a plain WebSocket server that answers as the agent does: the exit
// code a user gets is the remote command's, or the error table's for the agent's refusals and
// failures (not a blanket 1).

import assert from 'node:assert/strict';
import http from 'node:http';
import {PassThrough} from 'node:stream';
import {after, before, describe, test} from 'node:test';

import {WebSocketServer, type WebSocket} from 'ws';

import {AgentClient} from '../../../src/lib/client/agent.ts';
import {runExec, type ExecIO} from '../../../src/lib/client/exec.ts';
import {ExitCode, type SpinError} from '../../../src/lib/errors.ts';

/** How the server answers the next exec: refuse the upgrade, or accept it and run `session`. */
let answer: {refuse: {status: number; body: string}} | {session: (ws: WebSocket) => void};
let server: http.Server;
let client: AgentClient;

before(async () => {
  server = http.createServer();
  const wss = new WebSocketServer({noServer: true});
  server.on('upgrade', (req, socket, head) => {
    if ('refuse' in answer) {
      const {status, body} = answer.refuse;
      socket.end(`HTTP/1.1 ${status} No\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    const {session} = answer;
    wss.handleUpgrade(req, socket, head, (ws) => session(ws));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new AgentClient({url: `http://127.0.0.1:${(server.address() as {port: number}).port}`, token: 't'});
});

after(async () => {
  client.close();
  await new Promise((resolve) => server.close(resolve));
});

function io(): ExecIO & {out: () => string} {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (d: Buffer) => (text += d.toString('utf8')));
  return {stdin: new PassThrough(), stdout, stderr: new PassThrough(), out: () => text};
}

const request = {project: 'p', stack: 's', service: 'web', cmd: ['true'], tty: false, interactive: false};

async function failure(): Promise<SpinError> {
  return runExec(client, request, io()).then(
    (code) => assert.fail(`expected a failure, got exit ${code}`),
    (err: SpinError) => err,
  );
}

describe('spin exec exit codes', () => {
  test("the remote command's exit code and output", async () => {
    answer = {
      session: (ws) => {
        ws.send(Buffer.concat([Buffer.from([1]), Buffer.from('hello\n')]));
        ws.send(JSON.stringify({type: 'exit', code: 42}));
        ws.close();
      },
    };
    const streams = io();
    assert.equal(await runExec(client, request, streams), 42);
    assert.equal(streams.out(), 'hello\n');
  });

  test('an engine the agent cannot reach, after the session opened: exit 6 with the agent\'s message and hint', async () => {
    answer = {
      session: (ws) => {
        ws.send(JSON.stringify({type: 'error', error: {code: 'engine.unreachable', message: 'node n2 does not answer', hint: 'check --swarm-node-engine'}}));
        ws.close();
      },
    };
    const err = await failure();
    assert.equal(err.exitCode, ExitCode.unreachable);
    assert.equal(err.message, 'node n2 does not answer');
    assert.equal(err.hint, 'check --swarm-node-engine');
  });

  test('a refused upgrade keeps the code of its envelope', async () => {
    answer = {refuse: {status: 404, body: JSON.stringify({error: {code: 'service.not_found', message: 'no service "db" in stack "s"'}})}};
    const notFound = await failure();
    assert.equal(notFound.exitCode, ExitCode.failed);
    assert.equal(notFound.message, 'no service "db" in stack "s"');

    answer = {refuse: {status: 401, body: JSON.stringify({error: {code: 'auth.unauthenticated', message: 'token not accepted'}})}};
    const auth = await failure();
    assert.equal(auth.exitCode, ExitCode.auth);
    assert.match(auth.hint ?? '', /spin login/);

    answer = {refuse: {status: 429, body: JSON.stringify({error: {code: 'auth.rate_limited', message: 'too many failed sign-ins'}})}};
    assert.equal((await failure()).exitCode, ExitCode.auth);
  });

  test('a refusal that is not the envelope: the status decides', async () => {
    answer = {refuse: {status: 502, body: '<html>bad gateway</html>'}};
    const err = await failure();
    assert.equal(err.exitCode, ExitCode.unreachable);
    assert.match(err.message, /refused the exec \(502\)/);
  });
});
