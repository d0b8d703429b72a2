// `spin deploy` as a user feels it: from the CLI process start to a stack reported healthy,
// beside docker-compose v1 bringing up the same ten services and someone waiting until Docker
// reports them all healthy. Each run starts from nothing; the teardown is not timed.

import {SERVICES, startFixture} from './agent-fixture.ts';
import {probe} from './cli-remote.ts';
import {findOnPath} from './measure.ts';
import type {Benchmark} from './types.ts';

export const cliDeploy: Benchmark = {
  name: 'cli-deploy',
  summary: `\`spin deploy\` of ${SERVICES} services with healthchecks to healthy vs \`docker-compose up -d\` + waiting until healthy`,
  defaultRuns: 5,
  cases: (ctx) => {
    const {dir} = startFixture(ctx);
    const compose = probe('docker-compose', `docker-compose up -d, then poll until ${SERVICES} healthy`, ['deploy-compose', dir]);
    return [
      {
        name: 'deploy',
        commands: [
          probe('spin', `spin deploy (${SERVICES} services, exits when healthy)`, ['deploy-spin', dir, 'clideploy']),
          findOnPath('docker-compose') ? compose : {...compose, missing: '"docker-compose" is not installed (not found on PATH)'},
        ],
      },
    ];
  },
};
