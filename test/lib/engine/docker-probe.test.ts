// Spin's own healthcheck probes are capped across the agent: a burst of starting replicas cannot
// turn into a burst of execs that starves the engine.

import assert from 'node:assert/strict';
import {PassThrough} from 'node:stream';
import {test} from 'node:test';

import type Docker from 'dockerode';

import type {Service} from '../../../src/lib/compose/types.ts';
import type {DockerEnv} from '../../../src/lib/engine/docker-env.ts';
import {MAX_PROBES, probeOf} from '../../../src/lib/engine/docker-probe.ts';

test(`at most ${MAX_PROBES} probes run at once; the others are skipped (false), not queued`, async () => {
  let execs = 0;
  const streams: PassThrough[] = [];
  const docker = {
    getContainer: () => ({
      exec: async () => {
        execs++;
        return {
          start: async () => {
            const s = new PassThrough();
            streams.push(s);
            return s;
          },
          inspect: async () => ({Running: false, ExitCode: 0}),
        };
      },
    }),
  } as unknown as Docker;
  const env = {docker, probedHealthy: new Set<string>(), probes: {running: 0}} as unknown as DockerEnv;
  const service = {name: 'web', healthcheck: {test: ['CMD', 'true']}} as unknown as Service;
  const probes = Array.from({length: MAX_PROBES + 2}, (_, i) => probeOf(env, `c${i}`, service).probe!());
  const early = await Promise.race([Promise.all(probes.slice(MAX_PROBES)), new Promise((r) => setTimeout(() => r('waited'), 1000))]);
  assert.deepEqual(early, [false, false], 'the probes past the cap answer at once');
  while (streams.length < MAX_PROBES) await new Promise((r) => setImmediate(r));
  assert.equal(execs, MAX_PROBES);
  for (const s of streams) s.end();
  assert.deepEqual(await Promise.all(probes.slice(0, MAX_PROBES)), Array(MAX_PROBES).fill(true));
  assert.equal(env.probes.running, 0, 'every slot is given back');
  const later = probeOf(env, 'later', service).probe!();
  while (streams.length < MAX_PROBES + 1) await new Promise((r) => setImmediate(r));
  streams.at(-1)!.end();
  assert.equal(await later, true, 'a probe after the burst runs again');
});
