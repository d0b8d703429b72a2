// The allow-list against the compose specification: every field the schema lets a user write is
// decided in src/lib/policy/fields.ts (so a field added to compose later fails this test until
// someone decides), the table names no field the schema lacks, and the container spec the
// engine builds reads only fields the table accepts.

import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {describe, test} from 'node:test';

import {containerSpec, type SpecContext} from '../../../src/lib/engine/container-spec.ts';
import type {Service} from '../../../src/lib/compose/types.ts';
import {fieldProblems, PROJECT_FIELDS, SERVICE_FIELDS, type Shape} from '../../../src/lib/policy/fields.ts';

type Schema = {$ref?: string; properties?: Record<string, Schema>; items?: Schema; oneOf?: Schema[]; anyOf?: Schema[]; patternProperties?: Record<string, Schema>; additionalProperties?: Schema | boolean; type?: string | string[]};

const spec = JSON.parse(readFileSync(new URL('../../../schemas/compose-spec.json', import.meta.url), 'utf8')) as Schema & {definitions: Record<string, Schema>};

function deref(s: Schema): Schema {
  let out = s;
  for (let i = 0; out.$ref && i < 20; i++) out = spec.definitions[out.$ref.replace('#/definitions/', '')];
  return out;
}

/** The object forms a schema node allows (through $ref, oneOf/anyOf, and a map's values when `map`). */
function objectForms(node: Schema, each?: 'list' | 'map'): Schema[] {
  const s = deref(node);
  const alternatives = [...(s.oneOf ?? []), ...(s.anyOf ?? [])];
  if (alternatives.length > 0) return alternatives.flatMap((a) => objectForms(a, each));
  if (each === 'list') return s.items ? objectForms(s.items) : [];
  if (each === 'map') {
    const values = [...Object.values(s.patternProperties ?? {}), ...(typeof s.additionalProperties === 'object' ? [s.additionalProperties] : [])];
    return values.flatMap((v) => objectForms(v));
  }
  return s.properties ? [s] : [];
}

/** Fields the table knows that the schema does not: Spin's own, written by its loader or client. */
const SPIN_ONLY = new Set(['secrets.*.content']);

interface Gap {
  missing: string[];
  extra: string[];
}

function compare(shape: Shape, forms: Schema[], at: string, gap: Gap): void {
  const names = new Set(forms.flatMap((f) => Object.keys(f.properties ?? {})));
  for (const name of names) if (!Object.hasOwn(shape, name)) gap.missing.push(`${at}${name}`);
  for (const [name, field] of Object.entries(shape)) {
    if (!names.has(name)) {
      const generic = `${at.split('.').slice(0, 1).join('.')}.*.${name}`;
      if (!SPIN_ONLY.has(generic)) gap.extra.push(`${at}${name}`);
      continue;
    }
    if (!field.shape) continue;
    const child = forms.flatMap((f) => (f.properties?.[name] ? objectForms(f.properties[name], field.each) : []));
    if (child.length > 0) compare(field.shape, child, `${at}${name}${field.each ? '.*' : ''}.`, gap);
  }
}

describe('the allow-list covers the compose specification', () => {
  test('every field of the schema is decided, and the table invents none', () => {
    const gap: Gap = {missing: [], extra: []};
    compare(PROJECT_FIELDS, [spec], '', gap);
    assert.deepEqual(gap.missing, [], `fields in schemas/compose-spec.json that src/lib/policy/fields.ts neither accepts nor refuses:\n${gap.missing.join('\n')}`);
    assert.deepEqual(gap.extra, [], `fields in src/lib/policy/fields.ts that the schema does not have:\n${gap.extra.join('\n')}`);
  });

  test('the walk reaches nested objects (a field removed from a nested table is reported)', () => {
    const {healthcheck, ...rest} = SERVICE_FIELDS;
    const trimmed = {...rest, healthcheck: {...healthcheck, shape: {test: healthcheck.shape!.test}}};
    const gap: Gap = {missing: [], extra: []};
    compare({...PROJECT_FIELDS, services: {...PROJECT_FIELDS.services, shape: trimmed}}, [spec], '', gap);
    assert.ok(gap.missing.includes('services.*.healthcheck.interval'), gap.missing.join(', '));
  });
});

describe('fieldProblems', () => {
  test('a field nobody decided on is refused with its path', () => {
    const ps = fieldProblems({services: {web: {image: 'x', future_field: {a: 1}}}});
    assert.deepEqual(ps.map((p) => p.path), [['services', 'web', 'future_field']]);
    assert.match(ps[0].message, /services\.web\.future_field is not a field the platform accepts/);
  });

  test('refused fields count only when set; extensions and client-side fields pass', () => {
    const model = {services: {web: {image: 'x', oom_kill_disable: false, external_links: [], annotations: {}, 'x-anything': {runtime: 'evil'}, build: {context: '.', privileged: true}}}};
    assert.deepEqual(fieldProblems(model), []);
    assert.equal(fieldProblems({services: {web: {oom_kill_disable: true}}}).length, 1);
  });

  test('nested lists and maps are walked', () => {
    const ps = fieldProblems({
      services: {web: {ports: [{target: 80, weird: 1}], networks: {default: {link_local_ips: ['169.254.0.1']}}, deploy: {resources: {reservations: {generic_resources: [{discrete_resource_spec: {kind: 'gpu', value: 1}}]}}}}},
      volumes: {v: {driver_opts: {}, unknown: 1}},
    });
    assert.deepEqual(
      ps.map((p) => p.path.join('.')),
      ['services.web.ports.0.weird', 'services.web.networks.default.link_local_ips', 'services.web.deploy.resources.reservations.generic_resources', 'volumes.v.unknown'],
    );
  });
});

describe('the engine reads only accepted fields', () => {
  test('containerSpec touches no service field the table refuses, does not know, or leaves to the client', () => {
    const read = new Set<string>();
    const service = {image: 'x', environment: {}, ports: [], volumes: [], depends_on: {}, networks: {default: null}, secrets: [], configs: [], cap_add: [], cap_drop: ['ALL'], security_opt: [], devices: [], device_cgroup_rules: [], volumes_from: [], sysctls: {}} as unknown as Service;
    const spy = new Proxy(service, {
      get(target, key) {
        if (typeof key === 'string') read.add(key);
        return Reflect.get(target, key);
      },
    });
    const ctx: SpecContext = {ref: {project: 'p', stack: 's'}, service: 'web', replica: 1, replicas: 1, revision: 1, configHash: 'h', image: 'x', networks: {default: 'p.s'}, volumes: {}, files: [], publishHostIp: '127.0.0.1'};
    containerSpec(spy, ctx);
    const bad = [...read].filter((key) => {
      const d = SERVICE_FIELDS[key]?.decision;
      return !d || d.kind === 'refused' || d.kind === 'client' || d.kind === 'unused';
    });
    assert.deepEqual(bad, [], 'containerSpec reads fields the allow-list does not accept; decide them in src/lib/policy/fields.ts first');
    assert.ok(read.size > 20, `the spy saw only ${read.size} fields`);
  });
});
