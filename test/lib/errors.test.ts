// One table from the agent API's HTTP status to the CLI's exit code: an error the agent raises
// (ApiError) and the error the client makes of the agent's answer carry the same exit code.

import assert from 'node:assert/strict';
import http from 'node:http';
import {after, before, describe, test} from 'node:test';

import {ApiError, projectNotFound, stackNotFound, toEnvelope} from '../../src/lib/agent/errors.ts';
import {AgentClient} from '../../src/lib/client/agent.ts';
import {EngineError} from '../../src/lib/engine/errors.ts';
import {ExitCode, exitCodeForStatus, OperationError, statusOfCode, type SpinError} from '../../src/lib/errors.ts';

/** Answers every request with the envelope of the error under test. */
let answer: {status: number; body: unknown};
let server: http.Server;
let client: AgentClient;

before(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(answer.status, {'content-type': 'application/json'});
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as {port: number};
  client = new AgentClient({url: `http://127.0.0.1:${address.port}`, token: 't'});
});

after(async () => {
  client.close();
  await new Promise((resolve) => server.close(resolve));
});

/** What the CLI makes of the agent's answer to `err`. */
async function clientSide(err: unknown): Promise<SpinError> {
  answer = toEnvelope(err);
  try {
    await client.whoami();
  } catch (e) {
    return e as SpinError;
  }
  throw new Error('the request did not fail');
}

describe('exit codes of agent errors', () => {
  test('the agent and the client agree, status by status', async () => {
    for (const [status, code, exit] of [
      [400, 'request.invalid', ExitCode.invalid],
      [401, 'auth.unauthenticated', ExitCode.auth],
      [403, 'auth.forbidden', ExitCode.auth],
      [404, 'stack.not_found', ExitCode.failed],
      [409, 'stack.locked', ExitCode.failed],
      [409, 'secret.in_use', ExitCode.failed],
      [413, 'request.too_large', ExitCode.invalid],
      [422, 'policy.violation', ExitCode.invalid],
      [500, 'engine.failed', ExitCode.failed],
      [502, 'engine.unreachable', ExitCode.unreachable],
      [503, 'engine.unreachable', ExitCode.unreachable],
      [504, 'engine.timeout', ExitCode.timeout],
    ] as const) {
      const agent = new ApiError(status, code, `failed with ${status}`);
      assert.equal(agent.exitCode, exit, `agent, ${status}`);
      assert.equal(exitCodeForStatus(status), exit);
      const cli = await clientSide(agent);
      assert.equal(cli.exitCode, exit, `client, ${status}`);
      assert.equal(cli.message, `failed with ${status}`);
    }
  });

  test('not found is "the operation failed" (1) on both sides, never "invalid input" (3)', async () => {
    for (const err of [stackNotFound('demo', 'web'), projectNotFound('demo')]) {
      assert.equal(err.exitCode, ExitCode.failed);
      assert.equal((await clientSide(err)).exitCode, ExitCode.failed);
    }
    // A backend's own `<thing>.not_found` (a replica to exec in) is a 404 like the API's.
    const engine = new EngineError('replica.not_found', 'replica 3 of "web" not found');
    assert.equal(toEnvelope(engine).status, 404);
    assert.equal((await clientSide(engine)).exitCode, ExitCode.failed);
  });

  test('a stream that fails after its status: the code decides, through the same table', () => {
    assert.equal(statusOfCode('policy.violation'), 422);
    assert.equal(statusOfCode('secret.in_use'), 409);
    assert.equal(statusOfCode('volume.not_found'), 404);
    assert.equal(statusOfCode('replica.not_found'), 404);
    assert.equal(statusOfCode('auth.expired'), 401);
    assert.equal(statusOfCode('something.else'), undefined);
    assert.ok(new OperationError('x').exitCode === exitCodeForStatus(500));
  });
});
