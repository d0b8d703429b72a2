// What a user feels on every command: spin's start-up beside bare Node (the floor spin cannot go
// under) and docker-compose v1 (the tool it replaces).

import type {Benchmark} from './types.ts';

export const startup: Benchmark = {
  name: 'startup',
  summary: '`spin --version` vs `node -e 0` vs `docker-compose version`',
  defaultRuns: 20,
  cases: (ctx) => [
    {
      name: 'version',
      commands: [
        ctx.spin(['--version']),
        {tool: 'node', label: 'node -e 0', argv: [process.execPath, '-e', '0']},
        ctx.tool('docker-compose', ['version']),
      ],
      target: {kind: 'median-below-ms', ms: 100, text: 'spin --version median under 100 ms on Node 24'},
    },
  ],
};
