// `spin build` + `spin push` of the bundled example beside `docker build` + `docker push` of the
// same Dockerfiles, each against its own fresh registry on 127.0.0.1: cold (no build cache, an
// empty registry) and warm (the unchanged app built and pushed again).

import {existsSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import {findOnPath} from './measure.ts';
import type {Benchmark, Command} from './types.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLE = join(ROOT, 'examples', 'hello');
const PROBE = join(ROOT, 'bench', 'lib', 'ship-probe.ts');

function probe(mode: 'cold' | 'warm', tool: 'spin' | 'docker', label: string): Command {
  const missing = !existsSync(join(EXAMPLE, 'web', 'busybox'))
    ? 'the example has no busybox copy: run scripts/setup.sh'
    : !findOnPath('docker-registry')
      ? '"docker-registry" is not installed'
      : tool === 'docker' && !findOnPath('docker')
        ? '"docker" is not installed'
        : undefined;
  return {tool, label, argv: [process.execPath, PROBE, mode, tool, EXAMPLE], measuresItself: true, ...(missing ? {missing} : {})};
}

export const ship: Benchmark = {
  name: 'ship',
  summary: '`spin build` + `spin push` of the example vs `docker build` + `docker push`, cold and warm',
  defaultRuns: 5,
  cases: () => [
    {
      name: 'cold',
      commands: [probe('cold', 'spin', 'spin build --no-cache + spin push (2 images)'), probe('cold', 'docker', 'docker build --no-cache + docker push (2 images)')],
      target: {kind: 'ratio-at-most', peer: 'docker', ratio: 1.1, text: "within 10% of docker's cold build + push"},
    },
    {
      name: 'warm',
      commands: [probe('warm', 'spin', 'spin build + spin push, unchanged app'), probe('warm', 'docker', 'docker build + docker push, unchanged app')],
      target: {kind: 'median-below-ms', ms: 1000, text: 'a warm rebuild + push of an unchanged app under a second'},
    },
  ],
};
