import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {dockerfileBaseImages, extraHosts, parseBuildArgs} from '../../../src/lib/images/build.ts';
import {runJobs} from '../../../src/lib/images/schedule.ts';

describe('build inputs', () => {
  test('--build-arg NAME=VALUE, NAME from the environment, bad names refused', () => {
    assert.deepEqual(parseBuildArgs(['A=1', 'B=x=y', 'C=', 'HOME_DIR', 'UNSET'], {HOME_DIR: '/h'}), {A: '1', B: 'x=y', C: '', HOME_DIR: '/h'});
    assert.throws(() => parseBuildArgs(['=1'], {}), {exitCode: 2, message: 'invalid --build-arg "=1"'});
  });

  test('extra_hosts in list and map form become host:ip lines', () => {
    assert.deepEqual(extraHosts(['db:10.0.0.2', 'cache=10.0.0.3']), ['db:10.0.0.2', 'cache:10.0.0.3']);
    assert.deepEqual(extraHosts({db: '10.0.0.2', v6: ['::1', '10.0.0.4']}), ['db:10.0.0.2', 'v6:::1', 'v6:10.0.0.4']);
    assert.deepEqual(extraHosts(undefined), []);
  });

  test('base images of a Dockerfile: FROM and COPY --from, args expanded, stages and scratch left out', () => {
    const text = ['ARG BASE=p/base:1', 'ARG TAG', 'FROM ${BASE} AS deps', 'RUN make \\', '  all', 'FROM --platform=linux/amd64 scratch', 'COPY --from=deps /a /a', 'COPY --from=p/tools:$TAG /t /t', 'FROM deps'].join('\n');
    assert.deepEqual(dockerfileBaseImages(text, {TAG: '7'}), ['p/base:1', 'p/tools:7']);
    assert.deepEqual(dockerfileBaseImages(text, {BASE: 'other', TAG: '7'}), ['other', 'p/tools:7']);
  });
});

describe('job scheduling', () => {
  const tick = () => new Promise((r) => setTimeout(r, 5));

  test('at most `limit` at once; a job starts after the jobs it needs', async () => {
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const job = (id: string, after: string[] = []) => ({
      id,
      after,
      run: async () => {
        running++;
        peak = Math.max(peak, running);
        log.push(`start ${id}`);
        await tick();
        log.push(`end ${id}`);
        running--;
        return id.toUpperCase();
      },
    });
    const results = await runJobs([job('app', ['base']), job('base'), job('a'), job('b')], 2);
    assert.equal(peak, 2);
    assert.ok(log.indexOf('end base') < log.indexOf('start app'), log.join(', '));
    assert.deepEqual([...results.entries()].sort(), [['a', 'A'], ['app', 'APP'], ['b', 'B'], ['base', 'BASE']]);
  });

  test('after a failure nothing new starts, the running job finishes, the failure is thrown', async () => {
    const started: string[] = [];
    const job = (id: string, fail = false) => ({
      id,
      after: [],
      run: async () => {
        started.push(id);
        await tick();
        if (fail) throw new Error(`${id} broke`);
        return id;
      },
    });
    await assert.rejects(runJobs([job('x', true), job('y'), job('z')], 2), {message: 'x broke'});
    assert.deepEqual(started, ['x', 'y']);
  });
});
