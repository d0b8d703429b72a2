// Reading a big log: a service prints 200,000 lines, then `spin logs` (agent → NDJSON → the CLI's
// prefixed lines) and `docker logs` of the same container each read all of them into /dev/null.
// Lines per second = 200,000 / the median time.

import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {startFixture} from './agent-fixture.ts';
import {containerName, deployWithSpin, mustRun, remoteSpin} from './cli-remote.ts';
import {BenchError, type Benchmark} from './types.ts';

export const LOG_LINES = 200_000;
const STACK = 'clilogs';
const WAIT_MS = 60_000;

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

export const cliLogs: Benchmark = {
  name: 'cli-logs',
  summary: `\`spin logs\` vs \`docker logs\` reading ${LOG_LINES.toLocaleString('en')} lines of one container`,
  defaultRuns: 10,
  cases: (ctx) => {
    const {state} = startFixture(ctx);
    const file = join(ctx.tempDir(), 'compose.json');
    const service = {image: state.image, init: true, cap_drop: ['ALL'], command: ['sh', '-c', `seq 1 ${LOG_LINES}; exec sleep 3600`]};
    writeFileSync(file, JSON.stringify({services: {lines: service}}, null, 2));
    deployWithSpin(state, file, STACK);
    const container = containerName(state, STACK, 'lines');
    // The deploy returns once the container runs; the lines may still be on their way to the log.
    for (const end = Date.now() + WAIT_MS; mustRun('docker logs --tail 1', 'docker', ['logs', '--tail', '1', container]).trim() !== String(LOG_LINES); pause(200)) {
      if (Date.now() > end) throw new BenchError(`container "${container}" did not print ${LOG_LINES} lines within ${WAIT_MS / 1000}s`, `see \`docker logs ${container}\``);
    }
    return [
      {
        name: `${LOG_LINES / 1000}k lines`,
        commands: [
          remoteSpin(state, ['logs', '--stack', STACK], {label: 'spin logs --stack S', expectOutput: `lines-1 | ${LOG_LINES}\n`}),
          ctx.tool('docker', ['logs', container], {label: 'docker logs C', expectOutput: `\n${LOG_LINES}\n`}),
        ],
      },
    ];
  },
};
