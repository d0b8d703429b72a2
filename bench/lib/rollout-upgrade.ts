// Upgrades without downtime: a rolling upgrade of 3 replicas behind the agent's ingress while a
// constant stream of requests goes through it, beside the same upgrade done with
// `docker-compose up -d` (it recreates the containers) behind the same proxy (a Caddy with the
// same settings), in the same run. The three rows read the same upgrades (rollout-probe.ts).

import {fileURLToPath} from 'node:url';

import {startFixture} from './agent-fixture.ts';
import {mustRun} from './cli-remote.ts';
import {findOnPath} from './measure.ts';
import {RATE, REPLICAS} from './rollout-probe.ts';
import type {Benchmark, Command} from './types.ts';

const PROBE = fileURLToPath(new URL('./rollout-probe.ts', import.meta.url));

function probe(tool: string, label: string, args: string[]): Command {
  return {tool, label, argv: [process.execPath, PROBE, ...args], measuresItself: true};
}

export const rolloutUpgrade: Benchmark = {
  name: 'rollout-upgrade',
  summary: `rolling upgrade of ${REPLICAS} replicas at ${RATE} requests/s through the ingress: failed requests, p99 latency, duration; vs docker-compose up -d (recreate)`,
  defaultRuns: 2,
  cases: (ctx) => {
    const missing = [findOnPath('caddy') ? undefined : '"caddy" is not installed (not found on PATH)', findOnPath('docker-compose') ? undefined : '"docker-compose" is not installed (not found on PATH)'];
    const {dir} = startFixture(ctx, {ingress: true});
    if (!missing[0]) mustRun('preparing the rollout benchmark', process.execPath, [PROBE, 'setup', dir]);
    const spin = (metric: string, label: string): Command => ({...probe('spin', label, ['spin', dir, metric]), ...(missing[0] ? {missing: missing[0]} : {})});
    const compose = (metric: string, label: string): Command => ({...probe('docker-compose', label, ['compose', dir, metric]), ...(missing[0] ?? missing[1] ? {missing: missing[0] ?? missing[1]} : {})});
    // Failed requests get a table each: a ratio of two counts near zero says nothing.
    return [
      {
        name: 'failed requests, spin upgrade',
        unit: 'requests',
        commands: [spin('failed', 'spin upgrade (rolling, start-first, health-gated)')],
        target: {kind: 'median-below-ms', ms: 0.5, text: 'no failed request during spin upgrade (target 0)'},
      },
      {
        // Behind the proxy, requests wait (up to 5 s) for compose's new containers instead of
        // failing: that shows in the p99 row. Requests sent straight to its ports show the gap.
        name: 'failed requests, docker-compose',
        unit: 'requests',
        commands: [compose('failed', 'docker-compose up -d (recreate), behind the same Caddy'), compose('failedDirect', `docker-compose up -d (recreate), ${RATE / 4}/s straight to its ports`)],
      },
      {
        name: 'p99 latency',
        commands: [spin('p99', 'during spin upgrade'), {...probe('spin', 'same load, no upgrade', ['baseline', dir]), ...(missing[0] ? {missing: missing[0]} : {})}, compose('p99', 'during docker-compose up -d')],
      },
      {
        name: 'upgrade duration',
        commands: [spin('duration', 'spin upgrade, request to all healthy'), compose('duration', 'docker-compose up -d, to all healthy')],
      },
    ];
  },
};
