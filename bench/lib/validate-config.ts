// Loading a big project: spin's validate and config beside docker-compose v1's `config`, which
// does the same parse, interpolation, schema check and normalization.

import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {generateCompose, serviceName} from './compose-gen.ts';
import type {Benchmark, Target} from './types.ts';

const services = 500;
const target: Target = {
  kind: 'ratio-at-most',
  peer: 'docker-compose',
  ratio: 0.25,
  text: "spin at most 0.25x docker-compose's time",
};

export const validateConfig: Benchmark = {
  name: 'validate-config',
  summary: `validate and config of a generated ${services}-service compose file, spin vs docker-compose`,
  defaultRuns: 15,
  cases: (ctx) => {
    const dir = ctx.tempDir();
    const file = join(dir, 'compose.yaml');
    writeFileSync(file, generateCompose(services));
    const last = serviceName(services - 1);
    return [
      {
        name: 'validate',
        commands: [
          ctx.spin(['validate', '--no-policy', '-f', file], {
            label: 'spin validate --no-policy -f F',
            cwd: dir,
            expectOutput: `${services} services`,
          }),
          ctx.tool('docker-compose', ['-f', file, 'config', '-q'], {label: 'docker-compose -f F config -q', cwd: dir}),
        ],
        target,
      },
      {
        name: 'config',
        commands: [
          ctx.spin(['config', '-f', file], {label: 'spin config -f F', cwd: dir, expectOutput: `${last}:`}),
          ctx.tool('docker-compose', ['-f', file, 'config'], {
            label: 'docker-compose -f F config',
            cwd: dir,
            expectOutput: `${last}:`,
          }),
        ],
        target,
      },
    ];
  },
};
