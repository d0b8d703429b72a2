// The agent's core promise: a stack from deploy request to healthy at least as fast as
// docker-compose v1 brings up the same containers and they turn healthy. Both sides measure
// only that (agent-probe.ts); removing the stack after each run is not timed.

import {probe, SERVICES, startFixture} from './agent-fixture.ts';
import {findOnPath} from './measure.ts';
import type {Benchmark} from './types.ts';

export const agentDeploy: Benchmark = {
  name: 'agent-deploy',
  summary: `deploy of ${SERVICES} services with healthchecks through the agent, to all healthy, vs docker-compose up -d + polling health`,
  defaultRuns: 5,
  cases: (ctx) => {
    const {dir} = startFixture(ctx);
    const compose = probe('docker-compose', `docker-compose up -d, poll until ${SERVICES} healthy`, ['compose-deploy', dir]);
    return [
      {
        name: `${SERVICES} services`,
        commands: [
          probe('spin', `agent deploy of ${SERVICES} services until healthy`, ['spin-deploy', dir]),
          findOnPath('docker-compose') ? compose : {...compose, missing: '"docker-compose" is not installed (not found on PATH)'},
        ],
        target: {kind: 'ratio-at-most', peer: 'docker-compose', ratio: 0.8, text: "agent deploy at most 0.8x docker-compose's time"},
      },
    ];
  },
};
