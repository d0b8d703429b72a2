// How the agent answers a crowd: many clients asking for one stack's status at once. Each answer
// costs the agent a container listing, an inspect per container and its own records; the peer is
// the bare engine listing with the same label filter, the least any status can cost.

import {CONCURRENT_REQUESTS, probe, SERVICES, STACK, startFixture} from './agent-fixture.ts';
import type {Benchmark, Case} from './types.ts';

const METRICS = [
  {name: 'p50', what: 'median latency'},
  {name: 'p99', what: 'p99 latency'},
  {name: 'wall', what: 'wall time of all'},
];

export const agentStatus: Benchmark = {
  name: 'agent-status',
  summary: `${CONCURRENT_REQUESTS} concurrent GET of a ${SERVICES}-service stack's status vs as many engine listContainers with its label filter`,
  defaultRuns: 10,
  cases: (ctx) => {
    const {dir} = startFixture(ctx, {deploy: true});
    return METRICS.map(
      ({name, what}): Case => ({
        name: `${CONCURRENT_REQUESTS} concurrent, ${what}`,
        commands: [
          probe('spin', `GET /v1/projects/P/stacks/${STACK} ×${CONCURRENT_REQUESTS}`, ['spin-status', dir, name]),
          probe('engine', `engine listContainers label filter ×${CONCURRENT_REQUESTS}`, ['engine-status', dir, name]),
        ],
      }),
    );
  },
};
