// What the agent costs a host: its resident memory idle after start, and whether it grows with
// use (a leak check: a fresh agent's RSS after deploy 1, 10 and 100 of a stack). dockerd's
// resident memory is shown beside both, read at the same moments.

import {LEAK_DEPLOYS, probe, startFixture} from './agent-fixture.ts';
import type {Benchmark, Command} from './types.ts';

const [FIRST, , LAST] = LEAK_DEPLOYS;
/** The row that makes a leak-check run waits for its 100 deploys: two to four minutes here, on two busy cores. */
const LEAK_RUN_TIMEOUT_MS = 600_000;

export const agentMemory: Benchmark = {
  name: 'agent-memory',
  summary: `the agent's idle RSS after start, and after deploy ${LEAK_DEPLOYS.join(', ')} of a one-service stack (a leak check), beside dockerd's`,
  // Each round of the leak check is 100 deploys, two to four minutes here (the check run makes one more).
  defaultRuns: 2,
  cases: (ctx) => {
    const {dir} = startFixture(ctx);
    // Every row of the leak case reads the same runs of 100 deploys (shared-runs.ts); the
    // subject is the last figure, so the ratios show the growth since deploy 1 and 10.
    const leak = (figure: string, tool: string, label: string): Command => ({...probe(tool, label, ['agent-rss-leak', dir, figure]), timeoutMs: LEAK_RUN_TIMEOUT_MS});
    return [
      {
        name: 'idle after start',
        unit: 'MiB',
        commands: [probe('spin', 'spin agent start, idle RSS', ['agent-rss-start']), probe('dockerd', 'dockerd RSS', ['dockerd-rss'])],
        target: {kind: 'ratio-at-most', peer: 'dockerd', ratio: 1, text: "the agent's idle RSS at most dockerd's"},
      },
      {
        name: `leak check, ${LAST} deploys`,
        unit: 'MiB',
        commands: [
          ...[...LEAK_DEPLOYS].reverse().map((n) => leak(`rss${n}`, `spin@${n}`, `agent RSS after deploy ${n}`)),
          leak('dockerd', 'dockerd', `dockerd RSS after deploy ${LAST}`),
        ],
        target: {kind: 'ratio-at-most', peer: `spin@${FIRST}`, ratio: 1.1, text: `flat: the agent's RSS after deploy ${LAST} at most 1.1x after deploy ${FIRST}`},
      },
    ];
  },
};
