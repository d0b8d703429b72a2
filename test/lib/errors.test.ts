// One table of the agent API's error codes (src/lib/api/error-codes.ts): an error the agent
// raises (ApiError) and the error the client makes of the agent's answer carry the same exit code.

import assert from 'node:assert/strict';
import http from 'node:http';
import {after, before, describe, test} from 'node:test';

import {ApiError, projectNotFound, stackNotFound, toEnvelope} from '../../src/lib/agent/errors.ts';
import {ERROR_CODES, exitCodeForStatus, exitCodeOf} from '../../src/lib/api/error-codes.ts';
import {AgentClient} from '../../src/lib/client/agent.ts';
import {EngineError} from '../../src/lib/engine/errors.ts';
import {ExitCode, OperationError, type SpinError} from '../../src/lib/errors.ts';

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
  test('the agent and the client agree, code by code', async () => {
    for (const [code, {status, exit}] of Object.entries(ERROR_CODES) as [keyof typeof ERROR_CODES, (typeof ERROR_CODES)[keyof typeof ERROR_CODES]][]) {
      const agent = new ApiError(code, `failed with ${code}`);
      assert.equal(agent.status, status, `agent's status, ${code}`);
      assert.equal(agent.exitCode, exit, `agent, ${code}`);
      assert.equal(toEnvelope(agent).status, status);
      const cli = await clientSide(agent);
      assert.equal(cli.exitCode, exit, `client, ${code}`);
      assert.equal(cli.message, `failed with ${code}`);
    }
  });

  test('not found is "the operation failed" (1) on both sides, never "invalid input" (3)', async () => {
    for (const err of [stackNotFound('demo', 'web'), projectNotFound('demo')]) {
      assert.equal(err.exitCode, ExitCode.failed);
      assert.equal((await clientSide(err)).exitCode, ExitCode.failed);
    }
    // An engine error whose code the API has keeps it and its status.
    const engine = new EngineError('volume.not_found', 'volume "data" not found');
    assert.deepEqual([toEnvelope(engine).status, toEnvelope(engine).body.error.code], [404, 'volume.not_found']);
    assert.equal((await clientSide(engine)).exitCode, ExitCode.failed);
  });

  test('an engine error with a code the API lacks is engine.failed (500), not passed through', () => {
    const envelope = toEnvelope(new EngineError('replica.not_found', 'replica 3 of "web" not found'));
    assert.deepEqual([envelope.status, envelope.body.error.code], [500, 'engine.failed']);
  });

  test('a code the client does not know (a newer agent) exits by the HTTP status', async () => {
    for (const [status, exit] of [
      [400, ExitCode.invalid],
      [401, ExitCode.auth],
      [403, ExitCode.auth],
      [404, ExitCode.failed],
      [409, ExitCode.failed],
      [413, ExitCode.invalid],
      [422, ExitCode.invalid],
      [500, ExitCode.failed],
      [502, ExitCode.unreachable],
      [503, ExitCode.unreachable],
      [504, ExitCode.timeout],
    ] as const) {
      assert.equal(exitCodeForStatus(status), exit);
      answer = {status, body: {error: {code: 'newer.thing', message: `failed with ${status}`}}};
      const cli = await client.whoami().then(
        () => assert.fail('the request did not fail'),
        (e: SpinError) => e,
      );
      assert.equal(cli.exitCode, exit, `client, ${status}`);
    }
  });

  test('a stream that fails after its status: the code decides, else "the operation failed"', () => {
    assert.equal(exitCodeOf('policy.violation'), ExitCode.invalid);
    assert.equal(exitCodeOf('engine.unreachable'), ExitCode.unreachable);
    assert.equal(exitCodeOf('secret.in_use'), ExitCode.failed);
    assert.equal(exitCodeOf('something.else'), ExitCode.failed);
    assert.equal(exitCodeOf(undefined), ExitCode.failed);
    // A code named like a built-in (`toString`) is not in the table.
    assert.equal(exitCodeOf('toString', 400), ExitCode.invalid);
    assert.ok(new OperationError('x').exitCode === exitCodeForStatus(500));
  });
});
