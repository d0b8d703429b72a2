import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

import {Ajv} from 'ajv';
import {parse} from 'yaml';

import {InvalidInputError} from '../../../src/lib/errors.ts';
import {DEFAULT_POLICY_FILE, generatePolicyValidatorSource, loadPolicy, POLICY_FILE_LIMIT} from '../../../src/lib/policy/load.ts';
import {RULE_IDS} from '../../../src/lib/policy/types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const files = resolve(here, '../../fixtures/policy/policy-files');
const repo = resolve(here, '../../..');

async function rejection(file: string): Promise<InvalidInputError> {
  try {
    await loadPolicy(file);
  } catch (err) {
    assert.ok(err instanceof InvalidInputError, `expected InvalidInputError, got ${String(err)}`);
    assert.equal(err.exitCode, 3);
    return err;
  }
  assert.fail(`${file} was accepted`);
}

describe('the default policy', () => {
  test('validates against the schema on its own, with every section present', async () => {
    const schema = JSON.parse(await readFile(join(repo, 'schemas/spin-policy.schema.json'), 'utf8')) as object;
    const raw = parse(await readFile(join(repo, 'policies/default.yaml'), 'utf8')) as Record<string, unknown>;
    const validate = new Ajv({strict: true}).compile(schema);
    assert.equal(validate(raw), true, JSON.stringify(validate.errors));
    const sections = Object.keys((schema as {properties: object}).properties);
    assert.deepEqual(Object.keys(raw).sort(), sections.sort());
    assert.equal(DEFAULT_POLICY_FILE, join(repo, 'policies/default.yaml'));
  });

  test('loads with the documented values', async () => {
    const p = await loadPolicy();
    assert.deepEqual(p.disabled_rules, []);
    assert.deepEqual(p.registry.allowed, ['docker.io']);
    assert.deepEqual(p.capabilities, {require_drop_all: true, allowed_add: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'KILL', 'SETGID', 'SETUID', 'NET_BIND_SERVICE']});
    assert.deepEqual(p.security_opt.refused, ['seccomp=unconfined', 'apparmor=unconfined', 'label=disable', 'systempaths=unconfined']);
    assert.deepEqual(p.devices, {allowed: false});
    assert.deepEqual(p.bind_mounts.allowed_roots, ['/global/cfs/cdirs/{project}']);
    assert.deepEqual(p.bind_mounts.forbidden_sources, ['/var/run/docker.sock', '/run/docker.sock', '/', '/etc', '/proc', '/sys']);
    assert.deepEqual(p.global_fs, {roots: ['/global'], allowed_cap_add: ['NET_BIND_SERVICE']});
    assert.deepEqual(p.ports.allowed, [
      {min: 8080, max: 8080},
      {min: 8443, max: 8443},
      {min: 60000, max: 60050},
    ]);
    assert.equal(p.names.pattern, '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$');
    assert.deepEqual(p.isolation.allowed_sysctls, ['kernel.msg*', 'kernel.sem', 'kernel.shm*', 'fs.mqueue.*', 'net.*']);
    assert.deepEqual(p.resources, {max: {memory: 16 * 1024 ** 3, cpus: 8, pids: 4096}, defaults: {memory: 1024 ** 3, cpus: 1, pids: 1024}});
    assert.deepEqual(p.security_opt.allowed, ['no-new-privileges', 'no-new-privileges=true', 'apparmor=docker-default']);
    assert.deepEqual(p.registry.shared, []);
    assert.deepEqual(p.ports.host_ips, ['0.0.0.0', '::', '127.0.0.1', '::1']);
    assert.deepEqual(p.limits, {replicas: 100, services: 100, shm_size: 1024 ** 3, ulimits: {nofile: 1048576, nproc: 65536, memlock: 67108864, stack: 67108864, core: 0}});
    assert.deepEqual(p.networks, {drivers: ['bridge']});
    assert.deepEqual(p.volumes, {drivers: ['local'], shared_drivers: []});
    assert.deepEqual(p.placement, {projects: {}, default: [], pin_labels: []});
    assert.deepEqual(p.logging, {drivers: ['json-file', 'local'], max_size: 100 * 1024 ** 2, max_file: 10});
  });

  test('each call returns its own copy', async () => {
    const a = await loadPolicy();
    a.ports.allowed.length = 0;
    assert.equal((await loadPolicy()).ports.allowed.length, 3);
  });
});

describe('a site policy file', () => {
  test('changes ranges and lists; sections it leaves out keep the default', async () => {
    const p = await loadPolicy(join(files, 'site.yaml'));
    assert.deepEqual(p.ports.allowed, [
      {min: 443, max: 443},
      {min: 9000, max: 9009},
    ]);
    assert.deepEqual(p.registry.allowed, ['docker.io', 'registry.example.org/science']);
    assert.deepEqual(p.resources.max, {memory: 64 * 1024 ** 3, cpus: 8, pids: 4096});
    assert.deepEqual(p.resources.defaults, {memory: 1024 ** 3, cpus: 1, pids: 1024});
    assert.deepEqual(p.bind_mounts.allowed_roots, ['/global/cfs/cdirs/{project}']);
  });

  test('may be JSON; capability names are canonicalized', async () => {
    const p = await loadPolicy(join(files, 'site.json'));
    assert.deepEqual(p.disabled_rules, ['devices']);
    assert.deepEqual(p.capabilities.allowed_add, ['CHOWN', 'KILL']);
  });

  test('an empty file is the default policy', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spin-policy-'));
    try {
      await writeFile(join(dir, 'empty.yaml'), '');
      assert.deepEqual(await loadPolicy(join(dir, 'empty.yaml')), await loadPolicy());
    } finally {
      await rm(dir, {recursive: true});
    }
  });
});

describe('an invalid policy file', () => {
  test('names the file and every problem path', async () => {
    const file = join(files, 'invalid.yaml');
    const err = await rejection(file);
    assert.equal(
      err.message,
      `policy file "${file}" is invalid: bind_mounts: unknown key "allowd_roots"; ports.allowed[1]: "eighty" is not a port (1-65535) or a range "first-last"`,
    );
    assert.equal(err.hint, 'compare with policies/default.yaml; the schema is schemas/spin-policy.schema.json');
  });

  test('an unknown rule id lists the known ones', async () => {
    const err = await rejection(join(files, 'unknown-rule.yaml'));
    assert.match(err.message, new RegExp(`disabled_rules\\[1\\]: must be one of ${RULE_IDS.map((id) => `"${id}"`).join(', ')}$`));
  });

  test('a reversed port range', async () => {
    const err = await rejection(join(files, 'reversed-range.yaml'));
    assert.match(err.message, /is invalid: ports\.allowed\[0\]: "9010-9000" is not a port \(1-65535\) or a range "first-last" with first <= last$/);
  });

  test('defaults above the maximum', async () => {
    const err = await rejection(join(files, 'defaults-above-max.yaml'));
    assert.match(err.message, /is invalid: resources\.defaults\.memory: 4g is more than resources\.max\.memory \(2g\)$/);
  });

  test('a name pattern that is not a regular expression', async () => {
    const err = await rejection(join(files, 'bad-pattern.yaml'));
    assert.match(err.message, /is invalid: names\.pattern: not a valid regular expression: /);
  });

  test('YAML syntax errors give the line', async () => {
    const err = await rejection(join(files, 'bad-yaml.yaml'));
    assert.match(err.message, /bad-yaml\.yaml" is not valid YAML: .* at line 3, column 1$/);
  });

  test('a top level that is not a mapping', async () => {
    const err = await rejection(join(files, 'not-a-map.yaml'));
    assert.match(err.message, /not-a-map\.yaml" must be a mapping of policy sections$/);
  });

  test('a missing file', async () => {
    const err = await rejection(join(files, 'nope.yaml'));
    assert.equal(err.message, `file "${join(files, 'nope.yaml')}" does not exist`);
  });

  test('a file over 1 MiB is refused before parsing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spin-policy-'));
    try {
      const big = join(dir, 'big.yaml');
      await writeFile(big, `# ${'x'.repeat(POLICY_FILE_LIMIT)}\n`);
      const err = await rejection(big);
      assert.match(err.message, /big\.yaml" is \d+ bytes, more than the 1048576 allowed$/);
    } finally {
      await rm(dir, {recursive: true});
    }
  });

  test('a directory is refused', async () => {
    const err = await rejection(files);
    assert.match(err.message, /is not a regular file$/);
  });
});

describe('Swarm node pools and shared volume drivers', () => {
  test('a site gives projects their pools; a constraint Swarm would not read is refused with its path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spin-policy-'));
    try {
      const good = join(dir, 'pools.yaml');
      await writeFile(good, 'placement:\n  projects:\n    genomics: ["node.labels.pool==bio"]\n  default: ["node.labels.pool != bio"]\n  pin_labels: [host]\nvolumes:\n  drivers: [local, nfs]\n  shared_drivers: [nfs]\n');
      const p = await loadPolicy(good);
      assert.deepEqual(p.placement, {projects: {genomics: ['node.labels.pool==bio']}, default: ['node.labels.pool != bio'], pin_labels: ['host']});
      assert.deepEqual(p.volumes, {drivers: ['local', 'nfs'], shared_drivers: ['nfs']});
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'placement:\n  projects:\n    genomics: ["pool=bio"]\n');
      const err = await rejection(bad);
      assert.match(err.message, /placement\.projects\.genomics\[0\]: "pool=bio" does not match/);
    } finally {
      await rm(dir, {recursive: true, force: true});
    }
  });
});

describe('the generated policy validator (the build writes it, so no run compiles the schema)', () => {
  test('is standalone code that reports the same verbose errors as the compiled schema', async () => {
    const module = {exports: {} as unknown};
    new Function('module', 'exports', 'require', await generatePolicyValidatorSource())(module, module.exports, createRequire(import.meta.url));
    type Validate = ((data: unknown) => boolean) & {errors: {instancePath: string; keyword: string; parentSchema?: unknown; data?: unknown}[]};
    const generated = module.exports as Validate;
    const compiled = new Ajv({allErrors: true, strict: true, verbose: true}).compile(JSON.parse(await readFile(join(repo, 'schemas/spin-policy.schema.json'), 'utf8')) as object) as unknown as Validate;
    assert.equal(generated(parse(await readFile(DEFAULT_POLICY_FILE, 'utf8'))), true);
    const invalid = parse(await readFile(join(files, 'invalid.yaml'), 'utf8'));
    assert.equal(generated(invalid), false);
    assert.equal(compiled(invalid), false);
    const shape = (v: Validate) => v.errors.map((e) => [e.instancePath, e.keyword, typeof e.parentSchema, JSON.stringify(e.data)]);
    assert.deepEqual(shape(generated), shape(compiled));
  });
});
