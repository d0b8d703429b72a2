import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {dirname, resolve} from 'node:path';
import {describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

import {parse} from 'yaml';

import {castTypes} from '../../../src/lib/compose/cast.ts';
import {interpolate} from '../../../src/lib/compose/interpolate.ts';
import {Locations} from '../../../src/lib/compose/locations.ts';
import type {Diagnostic, RawMap} from '../../../src/lib/compose/types.ts';

const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/corpus');

function corpusModel(sample: string, env: Record<string, string> = {}): RawMap {
  const raw = parse(readFileSync(resolve(CORPUS, sample), 'utf8')) as RawMap;
  return interpolate(raw, (n) => env[n]).value as RawMap;
}

describe('castTypes', () => {
  test('casts every typed field of corpus valid/006 after interpolation', () => {
    const env = {theint: '555', thefloat: '3.14', thebool: 'true', theduration: '60s', thesize: '2gb'};
    const diagnostics: Diagnostic[] = [];
    const out = castTypes(corpusModel('valid/006-interpolation-type-cast-full/compose.yaml', env), {diagnostics});
    assert.deepEqual(diagnostics, []);
    const web = (out.services as RawMap).web as RawMap;
    assert.deepEqual(web.healthcheck, {retries: 555, disable: true});
    assert.deepEqual(web.deploy, {
      replicas: 555,
      update_config: {parallelism: 555, max_failure_ratio: 3.14},
      rollback_config: {parallelism: 555, max_failure_ratio: 3.14},
      restart_policy: {max_attempts: 555},
      placement: {max_replicas_per_node: 555},
    });
    // Short port strings are a syntax of their own; only the long form's target is a number.
    assert.deepEqual(web.ports, ['555', '34567', {target: 555, published: '555', 'x-foo-bar': true}]);
    assert.deepEqual(web.ulimits, {nproc: 555, nofile: {hard: 555, soft: 555}});
    for (const k of ['privileged', 'read_only', 'stdin_open', 'tty']) assert.equal(web[k], true, k);
    // Sizes, durations and octal modes are read by normalization, not here.
    assert.equal(web.shm_size, '2gb');
    assert.equal(web.stop_grace_period, '60s');
    assert.deepEqual(web.configs, [{source: 'appconfig', mode: '555'}]);
    assert.deepEqual(web.volumes, [{source: 'data', type: 'volume', target: '/data', read_only: true, volume: {nocopy: true}}]);
    assert.deepEqual(out.networks, {front: {external: true, internal: true, attachable: true}, back: null});
    assert.deepEqual(out.configs, {appconfig: {external: true}});
    assert.deepEqual(out.secrets, {super: {external: true}});
    assert.deepEqual(out.volumes, {data: {external: true}});
  });

  test('reads YAML 1.1 booleans in boolean fields, with a warning (corpus valid/013)', () => {
    const diagnostics: Diagnostic[] = [];
    const out = castTypes(corpusModel('valid/013-init-yes-yaml11-bool.yaml'), {diagnostics});
    assert.equal(((out.services as RawMap).test as RawMap).init, true);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0].severity, 'warning');
    assert.equal(diagnostics[0].path, 'services.test.init');
    assert.match(diagnostics[0].message, /"yes" is a YAML 1\.1 boolean, read as true/);
    for (const [text, value] of [['NO', false], ['off', false], ['On', true], ['y', true], ['False', false]] as const) {
      assert.equal(((castTypes({services: {s: {tty: text}}}).services as RawMap).s as RawMap).tty, value, text);
    }
  });

  test('leaves strings alone where strings are legitimate', () => {
    const raw = {services: {s: {image: 'yes', environment: {A: 'true', B: '5'}, labels: ['on'], command: '1', hostname: 'no'}}, 'x-n': '3'};
    assert.deepEqual(castTypes(raw), raw);
  });

  test('reports strings that do not cast in fields whose schema accepts strings', () => {
    const diagnostics: Diagnostic[] = [];
    const locations = new Locations();
    locations.set(['services', 's', 'privileged'], {file: 'c.yaml', line: 3, column: 17});
    const raw = {services: {s: {privileged: 'maybe', deploy: {replicas: '2.5'}, cpus: 'lots', cpu_count: 'x'}}};
    const out = castTypes(raw, {diagnostics, locations});
    assert.deepEqual((out.services as RawMap).s, raw.services.s);
    assert.deepEqual(diagnostics, [
      {
        severity: 'error',
        source: 'schema',
        message: 'services.s.privileged must be a boolean, got "maybe"',
        path: 'services.s.privileged',
        location: {file: 'c.yaml', line: 3, column: 17},
        hint: 'write true or false',
      },
      {severity: 'error', source: 'schema', message: 'services.s.deploy.replicas must be an integer, got "2.5"', path: 'services.s.deploy.replicas', hint: 'write a whole number, e.g. 3'},
      {severity: 'error', source: 'schema', message: 'services.s.cpus must be a number, got "lots"', path: 'services.s.cpus', hint: 'write a number, e.g. 0.5'},
    ]);
  });

  test('casts numeric device counts but keeps "all" for normalization', () => {
    const raw = {services: {s: {gpus: [{count: '2'}, {count: 'all'}], deploy: {resources: {reservations: {devices: [{count: '1', capabilities: ['gpu']}]}}}}}};
    const s = (castTypes(raw).services as RawMap).s as RawMap;
    assert.deepEqual(s.gpus, [{count: 2}, {count: 'all'}]);
    assert.deepEqual(s.deploy, {resources: {reservations: {devices: [{count: 1, capabilities: ['gpu']}]}}});
  });

  test('shares untouched subtrees and does not modify its input', () => {
    const big = {a: [1, 2, 3]};
    const raw = {services: {s: {tty: 'true', 'x-big': big}}, networks: {n: {driver: 'bridge'}}};
    const copy = structuredClone(raw);
    const out = castTypes(raw);
    assert.deepEqual(raw, copy);
    assert.equal(((out.services as RawMap).s as RawMap)['x-big'], big);
    assert.equal(out.networks, raw.networks);
  });
});
