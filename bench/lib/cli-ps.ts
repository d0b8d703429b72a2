// `spin ps` on a deployed ten-service stack (a round trip to the agent, which asks the engine)
// beside docker-compose v1's `ps` and `docker ps` filtered to the same compose project.

import {COMPOSE_PROJECT_LABEL, SERVICES, STACK, startFixture} from './agent-fixture.ts';
import {mustRun, remoteSpin} from './cli-remote.ts';
import {findOnPath} from './measure.ts';
import type {Benchmark} from './types.ts';

export const cliPs: Benchmark = {
  name: 'cli-ps',
  summary: `\`spin ps\` on a deployed ${SERVICES}-service stack vs \`docker-compose ps\` and \`docker ps --filter\``,
  defaultRuns: 15,
  cases: (ctx) => {
    const {state} = startFixture(ctx, {deploy: true});
    const last = `svc${SERVICES - 1}`;
    const compose = ['-p', state.composeProject, '-f', state.composeFile];
    // The same services run under docker-compose too, so its `ps` lists as much; the fixture
    // removes them with the rest.
    const dockerCompose = findOnPath('docker-compose');
    if (dockerCompose) mustRun('docker-compose up -d', dockerCompose, ['--compatibility', ...compose, 'up', '-d']);
    return [
      {
        name: 'ps',
        commands: [
          remoteSpin(state, ['ps', '--stack', STACK], {label: 'spin ps', expectOutput: `${last}-1`}),
          ctx.tool('docker-compose', [...compose, 'ps'], {label: 'docker-compose -p P -f F ps', expectOutput: last}),
          ctx.tool('docker', ['ps', '--filter', `label=${COMPOSE_PROJECT_LABEL}=${state.composeProject}`], {label: 'docker ps --filter label=…project=P', expectOutput: last}),
        ],
      },
    ];
  },
};
