// The client's side of `spin logs`: frames read across any chunk boundary, an error frame after
// the start becomes the agent's error, and an older agent's NDJSON answer arrives as frames too.

import assert from 'node:assert/strict';
import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';
import {after, before, test} from 'node:test';

import {errorFrame, linesFrame, LOG_FRAMES, sourcesFrame, type LogFrame} from '../../../src/lib/api/log-frames.ts';
import {AgentClient} from '../../../src/lib/client/agent.ts';

let server: Server;
let url: string;
/** What the next answer is: its content type and body. */
let answer: {type: string; body: Buffer};

before(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, {'content-type': answer.type});
    // One byte at a time: every frame is cut everywhere it can be.
    const body = answer.body;
    let i = 0;
    const next = () => (i < body.length ? res.write(body.subarray(i, ++i), next) : res.end());
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => server.close());

async function read(): Promise<LogFrame[]> {
  const client = new AgentClient({url, token: 't'});
  const got: LogFrame[] = [];
  try {
    for await (const f of client.logs('p', 's', {})) got.push(f);
  } finally {
    client.close();
  }
  return got;
}

test('frames arrive whole, however the bytes were cut', async () => {
  answer = {type: LOG_FRAMES, body: Buffer.concat([sourcesFrame([{service: 'web', replica: 1}]), ...linesFrame(0, 'stderr', Buffer.from('T a\nT b\n'))])};
  const got = await read();
  assert.deepEqual(got[0], {kind: 'sources', sources: [{service: 'web', replica: 1}]});
  assert.deepEqual(got.slice(1).map((f) => f.kind === 'lines' && [f.source, f.stream, f.data.toString()]), [[0, 'stderr', 'T a\nT b\n']]);
});

test('an error frame is the agent error it carries', async () => {
  answer = {type: LOG_FRAMES, body: Buffer.concat([sourcesFrame([]), errorFrame({error: {code: 'engine.unreachable', message: 'the engine went away', hint: 'start dockerd'}})])};
  await assert.rejects(read(), (err: Error & {hint?: string}) => /the engine went away/.test(err.message) && err.hint === 'start dockerd');
});

test('a stream cut in the middle of a frame is an error, not a silent end', async () => {
  answer = {type: LOG_FRAMES, body: Buffer.concat([sourcesFrame([]), ...linesFrame(0, 'stdout', Buffer.from('T a\n'))]).subarray(0, -2)};
  await assert.rejects(read(), /in the middle of a frame/);
});

test("an older agent's NDJSON lines come as frames, a sources frame for each new replica", async () => {
  const lines = [
    {service: 'web', replica: 1, stream: 'stdout', timestamp: 'T1', line: 'a'},
    {service: 'db', replica: 1, stream: 'stderr', timestamp: 'T2', line: 'b'},
  ];
  answer = {type: 'application/x-ndjson', body: Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(''))};
  const got = (await read()).map((f) => (f.kind === 'lines' ? [f.source, f.stream, f.data.toString()] : f));
  assert.deepEqual(got, [
    {kind: 'sources', sources: [{service: 'web', replica: 1}]},
    [0, 'stdout', 'T1 a\n'],
    {kind: 'sources', sources: [{service: 'web', replica: 1}, {service: 'db', replica: 1}]},
    [1, 'stderr', 'T2 b\n'],
  ]);
});
