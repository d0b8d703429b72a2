// Upgrades without downtime on a Swarm cluster: a rolling upgrade of 3 replicas under a constant
// request rate, by Spin (its cluster ingress in front, start-first, one at a time) beside `docker
// service update` of the same service made directly on the manager, reached through host-mode
// ports on each node with the client balancing over the node addresses, as a user without the
// routing mesh would (it cannot work here: no IPVS). Failed requests and duration, read from the
// same upgrades (swarm-upgrade-probe.ts). The bench starts its own 3-node cluster
// (swarm-fixture.ts); it needs root.

import {fileURLToPath} from 'node:url';

import {mustRun} from './cli-remote.ts';
import {findOnPath} from './measure.ts';
import {startSwarmFixture} from './swarm-fixture.ts';
import {UPGRADE_RATE, UPGRADE_REPLICAS} from './swarm-upgrade-probe.ts';
import type {Benchmark, Command} from './types.ts';

const PROBE = fileURLToPath(new URL('./swarm-upgrade-probe.ts', import.meta.url));
/** An upgrade and the untimed one back, on three busy nodes. */
const RUN_TIMEOUT_MS = 600_000;
/** The peer's settings, in every row that reads it, so nobody compares unlike things silently. */
const PEER = 'stop-first: host-mode port, 1 task per node';

export const swarmUpgrade: Benchmark = {
  name: 'swarm-upgrade',
  summary: `on a 3-node Swarm: rolling upgrade of ${UPGRADE_REPLICAS} replicas at ${UPGRADE_RATE} requests/s through the cluster ingress (failed requests, p99, duration) vs \`docker service update\` through host-mode ports`,
  defaultRuns: 3,
  cases: (ctx) => {
    const missing = findOnPath('docker') ? undefined : '"docker" is not installed (not found on PATH)';
    const {dir} = startSwarmFixture(ctx, {upgrade: true});
    if (!missing) mustRun('preparing the Swarm upgrade benchmark', process.execPath, [PROBE, 'setup', dir], {}, RUN_TIMEOUT_MS);
    const probe = (tool: string, label: string, side: 'spin' | 'peer', metric: string): Command => ({
      tool,
      label,
      argv: [process.execPath, PROBE, side, dir, metric],
      measuresItself: true,
      timeoutMs: RUN_TIMEOUT_MS,
      ...(missing ? {missing} : {}),
    });
    const spin = (metric: string, label: string) => probe('spin', label, 'spin', metric);
    const peer = (tool: string, metric: string, label: string) => probe(tool, label, 'peer', metric);
    // Failed requests get a table each: a ratio of two counts near zero says nothing.
    return [
      {
        name: 'failed requests, spin upgrade',
        unit: 'requests',
        commands: [spin('failed', `spin upgrade (start-first, 1 at a time), ${UPGRADE_RATE}/s through the ingress`)],
        target: {kind: 'median-below-ms', ms: 0.5, text: 'no failed request during spin upgrade (target 0)'},
      },
      {
        name: 'failed requests, docker service update',
        unit: 'requests',
        commands: [peer('docker', 'failed', `docker service update (${PEER}), ${UPGRADE_RATE}/s round robin over the 3 nodes`)],
      },
      {
        // Of the requests answered: a request to a node whose task is being replaced can wait
        // for a TCP retry instead of failing.
        name: 'p99 latency',
        commands: [spin('p99', 'during spin upgrade, through the ingress'), peer('docker', 'p99', `during docker service update (${PEER}), straight to the nodes`)],
      },
      {
        name: 'upgrade duration',
        commands: [
          spin('duration', 'spin upgrade, request to every v2 task healthy (start-first)'),
          peer('docker', 'duration', `docker service update --detach=false (${PEER})`),
          peer('swarm-tasks', 'converged', `the same update until 3 v2 tasks run, polled (${PEER})`),
        ],
      },
    ];
  },
};
