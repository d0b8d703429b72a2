// Reading big logs, to the end, into /dev/null:
// - one service prints 200,000 lines, then `spin logs` (agent → the CLI's prefixed lines) and
//   `docker logs` of the same container each read all of them; lines per second = 200,000 / the
//   median time;
// - a stack of 10 services prints as many lines each, then `spin logs` of the stack and
//   `docker-compose logs` of the same services run by docker-compose v1, both prefixing and
//   merging every container's lines.
// Each check run counts the lines (per container where they are prefixed), so that no side is
// timed printing less than the other.

import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {LABELS} from '../../src/lib/engine/types.ts';
import {COMPOSE_PROJECT_LABEL, composeDocument, stackDocument, startFixture, type FixtureState} from './agent-fixture.ts';
import {containerName, deployWithSpin, mustRun, remoteSpin, upWithCompose} from './cli-remote.ts';
import {findOnPath} from './measure.ts';
import {BenchError, type BenchContext, type Benchmark, type Case} from './types.ts';

export const LOG_LINES = 200_000;
const STACK = 'clilogs';
/** The stack case: services, and lines each prints (a round of docker-compose v1 takes a few seconds). */
export const STACK_SERVICES = 10;
export const STACK_LINES = 10_000;
const MANY_STACK = 'clilogs10';
const WAIT_MS = 60_000;

const pause = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const printLines = (n: number) => ['sh', '-c', `seq 1 ${n}; exec sleep 3600`];

/** The deploy returns once the containers run; their lines may still be on their way to the log. */
function waitForLastLine(containers: string[], lines: number): void {
  for (const container of containers) {
    for (const end = Date.now() + WAIT_MS; mustRun('docker logs --tail 1', 'docker', ['logs', '--tail', '1', container]).trim() !== String(lines); pause(200)) {
      if (Date.now() > end) throw new BenchError(`container "${container}" did not print ${lines} lines within ${WAIT_MS / 1000}s`, `see \`docker logs ${container}\``);
    }
  }
}

/** IDs of the containers that carry all these labels; exactly `n` of them, or the bench stops. */
function containersLabelled(labels: string[], n: number): string[] {
  const ids = mustRun('docker ps', 'docker', ['ps', '-aq', ...labels.flatMap((l) => ['--filter', `label=${l}`])]).trim().split('\n').filter(Boolean);
  if (ids.length !== n) throw new BenchError(`found ${ids.length} containers labelled ${labels.join(', ')}, not ${n}`, 'run `docker ps -a` to see what the deploy made');
  return ids;
}

function oneContainer(ctx: BenchContext, state: FixtureState, file: string): Case {
  writeFileSync(file, JSON.stringify({services: {lines: {image: state.image, init: true, cap_drop: ['ALL'], command: printLines(LOG_LINES)}}}, null, 2));
  deployWithSpin(state, file, STACK);
  const container = containerName(state, STACK, 'lines');
  waitForLastLine([container], LOG_LINES);
  return {
    name: `${LOG_LINES / 1000}k lines, one container`,
    commands: [
      remoteSpin(state, ['logs', '--stack', STACK], {label: 'spin logs --stack S', expectOutput: `lines-1 | ${LOG_LINES}\n`, expectLines: {lines: LOG_LINES, sources: 1}}),
      ctx.tool('docker', ['logs', container], {label: 'docker logs C', expectOutput: `\n${LOG_LINES}\n`, expectLines: {lines: LOG_LINES}}),
    ],
    target: {kind: 'ratio-at-most', peer: 'docker', ratio: 1.25, text: "spin logs at most 1.25x docker logs' time (at least 0.8x its throughput)"},
  };
}

function stack(ctx: BenchContext, state: FixtureState, file: string): Case {
  const total = STACK_SERVICES * STACK_LINES;
  // No health check: its execs would only add load while the logs are read.
  writeFileSync(file, composeDocument(stackDocument(state.image, STACK_SERVICES, {command: printLines(STACK_LINES), healthcheck: false})));
  deployWithSpin(state, file, MANY_STACK);
  const waitFor = [containersLabelled([`${LABELS.project}=${state.project}`, `${LABELS.stack}=${MANY_STACK}`], STACK_SERVICES)];
  if (findOnPath('docker-compose')) {
    upWithCompose(file, state.composeProject);
    waitFor.push(containersLabelled([`${COMPOSE_PROJECT_LABEL}=${state.composeProject}`], STACK_SERVICES));
  }
  waitForLastLine(waitFor.flat(), STACK_LINES);
  const expectLines = {lines: total, sources: STACK_SERVICES};
  return {
    name: `${STACK_SERVICES} services × ${STACK_LINES / 1000}k lines`,
    commands: [
      remoteSpin(state, ['logs', '--stack', MANY_STACK], {label: 'spin logs --stack S', expectLines}),
      ctx.tool('docker-compose', ['-p', state.composeProject, '-f', file, 'logs', '--no-color'], {label: 'docker-compose -p P -f F logs --no-color', expectLines}),
    ],
  };
}

export const cliLogs: Benchmark = {
  name: 'cli-logs',
  summary: `\`spin logs\` vs \`docker logs\` reading ${LOG_LINES.toLocaleString('en')} lines of one container, and vs \`docker-compose logs\` of ${STACK_SERVICES} services × ${STACK_LINES.toLocaleString('en')} lines`,
  defaultRuns: 10,
  cases: (ctx) => {
    const {state} = startFixture(ctx);
    const dir = ctx.tempDir();
    return [oneContainer(ctx, state, join(dir, 'compose.json')), stack(ctx, state, join(dir, 'compose-stack.json'))];
  },
};
