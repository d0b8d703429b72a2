// `spin ps` on a deployed stack (a round trip to the agent) beside `docker ps` filtered to the
// same containers (the least a status can cost), at 10 and at 100 services: Spin's cost should
// stay a small multiple of `docker ps`'s, and the multiple flat as the stack grows. At 10,
// docker-compose v1's `ps` of the same services run by docker-compose is there too.

import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

import {LABELS} from '../../src/lib/engine/types.ts';
import {SERVICES, STACK, stackDocument, startFixture, type FixtureState} from './agent-fixture.ts';
import {deployWithSpin, remoteSpin, upWithCompose} from './cli-remote.ts';
import {findOnPath} from './measure.ts';
import type {Benchmark, BenchContext, Case} from './types.ts';

/**
 * The big stack: the most services the default policy lets a stack have, without health checks
 * (see ServiceOptions.healthcheck), so its replicas report `running` rather than `healthy`;
 * listing them costs the same.
 */
export const BIG_SERVICES = 100;
const BIG_STACK = 'bench100';
/** 100 containers created by two busy cores. */
const BIG_DEPLOY_TIMEOUT_S = 600;
/**
 * docker-compose v1's `ps` of 100 services took 10 s a run on two busy cores (Python, an inspect
 * per container), against 2.6 s for `spin ps`: it would have made most of the benchmark's time
 * for a peer the target does not name. Measured once, not in every round.
 */
const COMPOSE_PS_LEFT_OUT = `left out at ${BIG_SERVICES} services: about 10 s a run (measured once), most of the benchmark's time`;

/** The case for stack `stack` of `n` services; `compose` runs the same services, or says why not. */
function psCase(ctx: BenchContext, state: FixtureState, n: number, stack: string, compose: {project: string; file: string} | {leftOut: string}): Case {
  const last = `svc${n - 1}`;
  const composePs =
    'leftOut' in compose
      ? {tool: 'docker-compose', label: 'docker-compose -p P -f F ps', argv: [], missing: compose.leftOut}
      : ctx.tool('docker-compose', ['-p', compose.project, '-f', compose.file, 'ps'], {label: 'docker-compose -p P -f F ps', expectOutput: last});
  return {
    name: `${n} services`,
    commands: [
      remoteSpin(state, ['ps', '--stack', stack], {label: 'spin ps', expectOutput: `${last}-1`}),
      // Spin's own containers, filtered by its labels: what `spin ps` reports, listed by the engine.
      ctx.tool('docker', ['ps', '--filter', `label=${LABELS.project}=${state.project}`, '--filter', `label=${LABELS.stack}=${stack}`], {label: 'docker ps --filter label=…project=P --filter label=…stack=S', expectOutput: `.${last}.1`}),
      composePs,
    ],
    target: {kind: 'ratio-at-most', peer: 'docker', ratio: 3, text: "spin ps at most 3x docker ps --filter's time"},
  };
}

export const cliPs: Benchmark = {
  name: 'cli-ps',
  summary: `\`spin ps\` on deployed ${SERVICES}- and ${BIG_SERVICES}-service stacks vs \`docker ps --filter\` (and \`docker-compose ps\` at ${SERVICES})`,
  defaultRuns: 15,
  cases: (ctx) => {
    const {dir, state} = startFixture(ctx, {deploy: true});
    const big = join(dir, `compose-${BIG_SERVICES}.json`);
    writeFileSync(big, JSON.stringify(stackDocument(state.image, BIG_SERVICES, {healthcheck: false})));
    deployWithSpin(state, big, BIG_STACK, BIG_DEPLOY_TIMEOUT_S);
    // The same services run under docker-compose too, so its `ps` lists as much; the fixture
    // removes them with the rest.
    const small = {project: state.composeProject, file: state.composeFile};
    if (findOnPath('docker-compose')) upWithCompose(small.file, small.project);
    return [psCase(ctx, state, SERVICES, STACK, small), psCase(ctx, state, BIG_SERVICES, BIG_STACK, {leftOut: COMPOSE_PS_LEFT_OUT})];
  },
};
