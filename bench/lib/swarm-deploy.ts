// Spin on a Swarm cluster beside Docker's own way to run a stack there: a deploy of 10 services
// x 2 replicas through the agent, request to every task running healthy, vs `docker stack deploy`
// of the same stack (pinned by the same digest) against the manager, polled until every task runs
// healthy; and what the agent costs in memory with 100 services deployed, beside the manager's
// dockerd. The bench starts its own 3-node cluster (swarm-fixture.ts); it needs root.

import {fileURLToPath} from 'node:url';

import {findOnPath} from './measure.ts';
import {BIG_SERVICES, startSwarmFixture, SWARM_REPLICAS, SWARM_SERVICES} from './swarm-fixture.ts';
import type {Benchmark, Command} from './types.ts';

const PROBE_FILE = fileURLToPath(new URL('./swarm-probe.ts', import.meta.url));
/** A deploy on three busy nodes, and the 100-service stack the first memory row deploys. */
const RUN_TIMEOUT_MS = 660_000;

function probe(tool: string, label: string, args: string[]): Command {
  return {tool, label, argv: [process.execPath, PROBE_FILE, ...args], measuresItself: true, timeoutMs: RUN_TIMEOUT_MS};
}

export const swarmDeploy: Benchmark = {
  name: 'swarm-deploy',
  summary: `on a 3-node Swarm: deploy of ${SWARM_SERVICES} services x ${SWARM_REPLICAS} replicas through the agent vs \`docker stack deploy\` + polling, and the agent's RSS with ${BIG_SERVICES} services deployed`,
  defaultRuns: 3,
  cases: (ctx) => {
    const {dir} = startSwarmFixture(ctx);
    const stack = probe('docker', `docker stack deploy, poll until ${SWARM_SERVICES * SWARM_REPLICAS} tasks healthy`, ['stack-deploy', dir]);
    return [
      {
        name: `${SWARM_SERVICES} services x ${SWARM_REPLICAS} replicas`,
        commands: [
          probe('spin', `agent deploy of ${SWARM_SERVICES}x${SWARM_REPLICAS} until healthy`, ['spin-deploy', dir]),
          findOnPath('docker') ? stack : {...stack, missing: '"docker" is not installed (not found on PATH)'},
        ],
      },
      {
        name: `memory, ${BIG_SERVICES} services deployed`,
        unit: 'MiB',
        commands: [probe('spin', `agent RSS, ${BIG_SERVICES} services on the cluster`, ['agent-rss', dir]), probe('dockerd', "the manager dockerd's RSS", ['manager-rss', dir])],
      },
    ];
  },
};
