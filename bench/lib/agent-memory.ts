// What the agent costs a host while it waits: its resident memory idle after start, and idle
// again after deploys. dockerd's resident memory is shown beside it for scale, not as a target.

import {probe, SERVICES, startFixture} from './agent-fixture.ts';
import type {Benchmark} from './types.ts';

export const agentMemory: Benchmark = {
  name: 'agent-memory',
  summary: `the agent's idle RSS after start and after ${SERVICES}-service deploys, beside dockerd's`,
  defaultRuns: 3,
  cases: (ctx) => {
    const {dir} = startFixture(ctx);
    const dockerd = probe('dockerd', 'dockerd RSS', ['dockerd-rss']);
    return [
      {name: 'idle after start', unit: 'MiB', commands: [probe('spin', 'spin agent start, idle RSS', ['agent-rss-start']), dockerd]},
      {name: 'idle after deploys', unit: 'MiB', commands: [probe('spin', `agent RSS after each ${SERVICES}-service deploy and removal`, ['agent-rss-deployed', dir]), dockerd]},
    ];
  },
};
