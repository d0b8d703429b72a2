import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';
import {parse} from 'yaml';

import {InterpolationError, interpolate, interpolateString} from '../../../src/lib/compose/interpolate.ts';
import {Locations} from '../../../src/lib/compose/locations.ts';
import {Override, Reset} from '../../../src/lib/compose/tags.ts';

const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url));

function lookupIn(env: Record<string, string>): (name: string) => string | undefined {
  return (name) => (Object.hasOwn(env, name) ? env[name] : undefined);
}

const ENV = lookupIn({SET: 'value', EMPTY: '', A: 'a', B: 'b'});

describe('interpolateString', () => {
  const table: [template: string, expected: string, unset?: string[]][] = [
    ['no dollar here', 'no dollar here'],
    ['$SET', 'value'],
    ['${SET}', 'value'],
    ['x$SET.y', 'xvalue.y'],
    ['$SET-suffix', 'value-suffix'],
    ['${SET}suffix', 'valuesuffix'],
    ['$UNSET', '', ['UNSET']],
    ['${UNSET}', '', ['UNSET']],
    ['${SET:-d}', 'value'],
    ['${EMPTY:-d}', 'd'],
    ['${UNSET:-d}', 'd'],
    ['${SET-d}', 'value'],
    ['${EMPTY-d}', ''],
    ['${UNSET-d}', 'd'],
    ['${UNSET:-}', ''],
    ['${SET:?err}', 'value'],
    ['${EMPTY?err}', ''],
    ['${SET:+r}', 'r'],
    ['${EMPTY:+r}', ''],
    ['${UNSET:+r}', ''],
    ['${SET+r}', 'r'],
    ['${EMPTY+r}', 'r'],
    ['${UNSET+r}', ''],
    ['${UNSET:-${EMPTY:-${A}}}', 'a'],
    ['${UNSET:-$A-$B}', 'a-b'],
    ['${UNSET:-x ${B:-no} y}', 'x b y'],
    ['${UNSET:-{"json": 1}}', '{"json": 1}'],
    ['${SET:+${A}${B}}', 'ab'],
    ['$$', '$'],
    ['$$SET', '$SET'],
    ['$${SET}', '${SET}'],
    ['$$$SET', '$value'],
    ['${UNSET:-$$}', '$'],
    ['price: 5$', 'price: 5$'],
    ['$1 $ $-', '$1 $ $-'],
    ['$A$B$UNSET$UNSET', 'ab', ['UNSET']],
    ['${UNSET1}${UNSET2}', '', ['UNSET1', 'UNSET2']],
    ['ünïcode $A ✓', 'ünïcode a ✓'],
  ];
  for (const [template, value, unset = []] of table) {
    it(`${JSON.stringify(template)} → ${JSON.stringify(value)}`, () => {
      assert.deepEqual(interpolateString(template, ENV), {value, unset});
    });
  }

  it('evaluates only the branch it uses', () => {
    const asked: string[] = [];
    const lookup = (name: string) => {
      asked.push(name);
      return name === 'A' ? 'a' : undefined;
    };
    assert.deepEqual(interpolateString('${A:-$NOT_ASKED}${A:?${NOT_ASKED_2}}${NOPE+$NOT_ASKED_3}', lookup), {value: 'aa', unset: []});
    assert.deepEqual(asked, ['A', 'A', 'NOPE']);
  });

  const required: [template: string, message: string][] = [
    ['${UNSET:?please set it}', 'required variable UNSET is missing a value: please set it'],
    ['${EMPTY:?empty is not enough}', 'required variable EMPTY is missing a value: empty is not enough'],
    ['${UNSET?}', 'required variable UNSET is missing a value'],
    ['${UNSET:?needed by $A}', 'required variable UNSET is missing a value: needed by a'],
    ['${UNSET:-${INNER:?inner}}', 'required variable INNER is missing a value: inner'],
  ];
  for (const [template, message] of required) {
    it(`${JSON.stringify(template)} fails: ${message}`, () => {
      assert.throws(() => interpolateString(template, ENV), (err) => {
        assert.ok(err instanceof InterpolationError);
        assert.equal(err.kind, 'required');
        assert.equal(err.message, message);
        assert.equal(err.hint, `set ${err.variable} in the environment or in the .env file`);
        return true;
      });
    });
  }

  const malformed: [template: string, detail: string][] = [
    ['${', '"${" is not closed by "}"'],
    ['${SET', '"${" is not closed by "}"'],
    ['${SET:-x', '"${" is not closed by "}"'],
    ['${SET:', '"${" is not closed by "}"'],
    ['${}', '"${" must be followed by a variable name'],
    ['${1X}', '"${" must be followed by a variable name'],
    ['${ SET}', '"${" must be followed by a variable name'],
    ['${SET.x}', 'unexpected "." after variable name "SET"; expected "}", ":-", "-", ":?", "?", ":+" or "+"'],
    ['${SET:x}', 'unexpected ":x" after variable name "SET"; expected "}", ":-", "-", ":?", "?", ":+" or "+"'],
    // Checked even in a default that is not used.
    ['${SET:-${}}', '"${" must be followed by a variable name'],
  ];
  for (const [template, detail] of malformed) {
    it(`${JSON.stringify(template)} is malformed: ${detail}`, () => {
      assert.throws(() => interpolateString(template, ENV), (err) => {
        assert.ok(err instanceof InterpolationError);
        assert.equal(err.kind, 'format');
        assert.equal(err.detail, detail);
        assert.equal(err.message, `invalid interpolation format: ${JSON.stringify(template)} (${detail})`);
        assert.equal(err.hint, 'use $$ for a literal dollar sign');
        return true;
      });
    });
  }

  it('caps nesting and stays fast on long input', () => {
    const nest = (n: number) => `${'${U:-'.repeat(n)}x${'}'.repeat(n)}`;
    assert.equal(interpolateString(nest(64), ENV).value, 'x');
    for (const hostile of [nest(65), nest(100000), '${U:-'.repeat(100000)]) {
      assert.throws(() => interpolateString(hostile, ENV), {detail: '"${" nested more than 64 levels deep'});
    }
    const many = '$A'.repeat(200000);
    assert.equal(interpolateString(many, ENV).value.length, 200000);
  });
});

describe('interpolate', () => {
  it('interpolates string values in nested maps and lists, never keys, and keeps other scalars', () => {
    const model = {
      services: {
        $SET: {image: 'app:${A}', command: ['echo', '$B', 1, true, null], healthcheck: {retries: 3}},
      },
    };
    const {value, diagnostics} = interpolate(model, ENV);
    assert.deepEqual(value, {
      services: {$SET: {image: 'app:a', command: ['echo', 'b', 1, true, null], healthcheck: {retries: 3}}},
    });
    assert.deepEqual(diagnostics, []);
  });

  it('does not mutate its input', () => {
    const model = {services: {web: {image: '$A', labels: ['x=$B'], deploy: new Override({replicas: '${A}'})}}};
    const before = structuredClone(model);
    const {value} = interpolate(model, ENV);
    assert.deepEqual(model.services.web.labels, before.services.web.labels);
    assert.equal(model.services.web.image, '$A');
    assert.deepEqual((model.services.web.deploy as Override).value, {replicas: '${A}'});
    assert.notEqual((value as typeof model).services.web, model.services.web);
  });

  it('passes !reset through and rebuilds !override with its value interpolated', () => {
    const reset = new Reset();
    const {value} = interpolate({ports: reset, environment: new Override({X: '$A'})}, ENV);
    const out = value as {ports: unknown; environment: unknown};
    assert.equal(out.ports, reset);
    assert.ok(out.environment instanceof Override);
    assert.deepEqual(out.environment.value, {X: 'a'});
  });

  it('warns once per unset variable, at its first occurrence', () => {
    const locations = new Locations();
    locations.set(['services', 'web', 'image'], {file: 'compose.yaml', line: 3, column: 12});
    locations.set(['services', 'web', 'environment'], {file: 'compose.yaml', line: 4, column: 5});
    const model = {services: {web: {image: '$TAG', environment: ['A=$TAG', 'B=${OTHER}']}}};
    const {value, diagnostics} = interpolate(model, ENV, {locations});
    assert.deepEqual(value, {services: {web: {image: '', environment: ['A=', 'B=']}}});
    assert.deepEqual(diagnostics, [
      {
        severity: 'warning',
        source: 'interpolation',
        message: 'variable "TAG" is not set; substituting an empty string',
        path: 'services.web.image',
        location: {file: 'compose.yaml', line: 3, column: 12},
        hint: 'set TAG in the environment or in the .env file, or give a default with ${TAG:-default}',
      },
      {
        severity: 'warning',
        source: 'interpolation',
        message: 'variable "OTHER" is not set; substituting an empty string',
        path: 'services.web.environment[1]',
        location: {file: 'compose.yaml', line: 4, column: 5},
        hint: 'set OTHER in the environment or in the .env file, or give a default with ${OTHER:-default}',
      },
    ]);
  });

  it('reports errors with the value path, keeps the text, and goes on', () => {
    const {value, diagnostics} = interpolate({image: 'x${', user: '${WHO:?}', name: '$A'}, ENV, {path: ['services', 'web']});
    assert.deepEqual(value, {image: 'x${', user: '${WHO:?}', name: 'a'});
    assert.deepEqual(diagnostics, [
      {
        severity: 'error',
        source: 'interpolation',
        message: 'invalid interpolation format for services.web.image: "x${" ("${" is not closed by "}")',
        path: 'services.web.image',
        hint: 'use $$ for a literal dollar sign',
      },
      {
        severity: 'error',
        source: 'interpolation',
        message: 'required variable WHO is missing a value',
        path: 'services.web.user',
        hint: 'set WHO in the environment or in the .env file',
      },
    ]);
  });

  it('treats a __proto__ key as data', () => {
    const model = parse('__proto__: $A\nother: $B\n') as Record<string, unknown>;
    const {value} = interpolate(model, ENV);
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, 'a');
  });
});

describe('interpolate: corpus samples', () => {
  const manifest = readFileSync(`${CORPUS}MANIFEST.tsv`, 'utf8').trim().split('\n');
  const columns = manifest[0].split('\t');
  const rows = manifest.slice(1).map((line) => Object.fromEntries(line.split('\t').map((cell, i) => [columns[i], cell])));

  function load(prefix: string) {
    const row = rows.find((r) => r.path.startsWith(prefix));
    assert.ok(row, `${prefix} is in MANIFEST.tsv`);
    const env = row.env_json ? (JSON.parse(row.env_json) as Record<string, string>) : {};
    const file = row.path.endsWith('.yaml') ? row.path : `${row.path}/compose.yaml`;
    return {row, result: interpolate(parse(readFileSync(`${CORPUS}${file}`, 'utf8')), lookupIn(env))};
  }

  for (const [prefix, path] of [
    ['invalid/031-', 'services.servicea.image'],
    ['invalid/032-', 'services.myservice.environment.TESTVAR'],
    ['invalid/033-', 'services.myservice.environment.TESTVAR'],
  ]) {
    it(`${prefix}* is rejected`, () => {
      const {row, result} = load(prefix);
      const errors = result.diagnostics.filter((d) => d.severity === 'error');
      assert.equal(errors.length, 1);
      assert.ok(errors[0].message.includes(row.expected_error), `"${errors[0].message}" should contain "${row.expected_error}"`);
      assert.equal(errors[0].path, path);
    });
  }

  it('valid/005-interpolation-labels-drivers interpolates and warns about NONEXISTENT', () => {
    const {result} = load('valid/005-');
    const model = result.value as {services: {test: {labels: string[]}}; networks: {test: {driver: string}}; volumes: {test: {driver: string}}};
    assert.deepEqual(model.services.test.labels, ['home1=/home/foo', 'home2=/home/foo', 'nonexistent=', 'default=default']);
    assert.equal(model.networks.test.driver, '/home/foo');
    assert.equal(model.volumes.test.driver, '/home/foo');
    assert.deepEqual(
      result.diagnostics.map((d) => [d.severity, d.message, d.path]),
      [['warning', 'variable "NONEXISTENT" is not set; substituting an empty string', 'services.test.labels[2]']],
    );
  });
});
