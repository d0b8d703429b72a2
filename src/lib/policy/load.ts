// Reading a policy file: size-limited read, YAML (or JSON) parse, schema check, then the checks a
// schema cannot express (ranges in order, the name pattern compiles, defaults within the maximum).
// A site file is laid over policies/default.yaml, so it only states what it changes.

import {existsSync} from 'node:fs';
import {open} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';

import type {ErrorObject, ValidateFunction} from 'ajv';
import {parse as parseYaml} from 'yaml';

import {fileError, InvalidInputError} from '../errors.ts';
import {formatPath} from '../compose/locations.ts';
import type {PathSegment} from '../compose/types.ts';
import {parseBytes} from '../compose/units.ts';
import type {Policy, ResourceValues} from './types.ts';
import {canonicalCapability, formatBytes, parsePortRange, type PortRange} from './values.ts';

export const POLICY_FILE_LIMIT = 1024 * 1024;

// Same depth from src/lib/policy and dist/lib/policy, so this works before and after the build.
export const DEFAULT_POLICY_FILE = fileURLToPath(new URL('../../../policies/default.yaml', import.meta.url));
const SCHEMA_FILE = fileURLToPath(new URL('../../../schemas/spin-policy.schema.json', import.meta.url));

type RawPolicy = Record<string, unknown>;

/** Loads and checks a policy file; with no file, the default policy. */
export async function loadPolicy(file?: string): Promise<Policy> {
  const base = await defaultRaw();
  if (file === undefined) return normalize(structuredClone(base), 'the default policy');
  const raw = await readRaw(file);
  return normalize(overlay(structuredClone(base), raw), `policy file "${file}"`);
}

let defaultPromise: Promise<RawPolicy> | undefined;

function defaultRaw(): Promise<RawPolicy> {
  defaultPromise ??= readRaw(DEFAULT_POLICY_FILE).catch((err: unknown) => {
    defaultPromise = undefined;
    throw err;
  });
  return defaultPromise;
}

let validatorPromise: Promise<ValidateFunction> | undefined;

/** File name of the generated validator, written by the build next to the compiled form of this module. */
export const GENERATED_POLICY_VALIDATOR = 'spin-policy.validate.cjs';
const AJV_OPTIONS = {allErrors: true, strict: true, verbose: true};

/**
 * The schema's validator on first use only (`spin --help` never pays for it): the one the build
 * generated (scripts/gen-validators.js), else ajv compiles the schema (~100 ms, when the .ts
 * sources run, as in tests). Every `spin up`, `deploy` and `validate` checks the policy.
 */
function validator(): Promise<ValidateFunction> {
  validatorPromise ??= (async () => {
    const generated = fileURLToPath(new URL(`./${GENERATED_POLICY_VALIDATOR}`, import.meta.url));
    if (existsSync(generated)) return createRequire(import.meta.url)(generated) as ValidateFunction;
    const [{Ajv}, text] = await Promise.all([import('ajv'), readLimited(SCHEMA_FILE)]);
    return new Ajv(AJV_OPTIONS).compile(JSON.parse(text) as object);
  })().catch((err: unknown) => {
    validatorPromise = undefined;
    throw err;
  });
  return validatorPromise;
}

/** Source of a CommonJS module exporting the compiled validator; used by scripts/gen-validators.js. */
export async function generatePolicyValidatorSource(): Promise<string> {
  const require = createRequire(import.meta.url);
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  const standalone = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js')).default;
  const ajv = new Ajv({...AJV_OPTIONS, code: {source: true}});
  return standalone(ajv, ajv.compile(JSON.parse(await readLimited(SCHEMA_FILE)) as object));
}

async function readLimited(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new InvalidInputError(`policy file "${file}" is not a regular file`, {hint: 'pass a YAML or JSON policy file'});
    }
    if (stat.size > POLICY_FILE_LIMIT) {
      throw new InvalidInputError(`policy file "${file}" is ${stat.size} bytes, more than the ${POLICY_FILE_LIMIT} allowed`, {
        hint: 'a policy is a few kilobytes of YAML; check that you passed the right file',
      });
    }
    const buf = Buffer.alloc(POLICY_FILE_LIMIT + 1);
    const {bytesRead} = await handle.read(buf, 0, buf.length, 0);
    if (bytesRead > POLICY_FILE_LIMIT) {
      throw new InvalidInputError(`policy file "${file}" is larger than ${POLICY_FILE_LIMIT} bytes`, {hint: 'check that you passed the right file'});
    }
    return buf.subarray(0, bytesRead).toString('utf8');
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw fileError(file, err);
  } finally {
    await handle?.close();
  }
}

async function readRaw(file: string): Promise<RawPolicy> {
  const text = await readLimited(file);
  let value: unknown;
  try {
    // JSON is YAML, so one parser reads both. Aliases are capped: a policy has no use for them.
    value = parseYaml(text, {maxAliasCount: 100, uniqueKeys: true});
  } catch (err) {
    throw new InvalidInputError(`policy file "${file}" is not valid YAML: ${(err as Error).message.split('\n')[0].replace(/:$/, '')}`, {
      hint: 'fix the YAML syntax at the line shown',
      cause: err,
    });
  }
  if (value === null || value === undefined) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(`policy file "${file}" must be a mapping of policy sections`, {
      hint: 'start from policies/default.yaml and change the values you need',
    });
  }
  const validate = await validator();
  if (!validate(value)) {
    const problems = describeSchemaErrors(validate.errors ?? []);
    const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
    throw new InvalidInputError(`policy file "${file}" is invalid: ${shown}`, {
      hint: 'compare with policies/default.yaml; the schema is schemas/spin-policy.schema.json',
    });
  }
  return value as RawPolicy;
}

/**
 * One line per problem. A failed `oneOf` also reports why each alternative failed; those lines
 * are replaced by one that says which forms are accepted (the schema's description).
 */
function describeSchemaErrors(errors: ErrorObject[]): string[] {
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf');
  const isBranch = (e: ErrorObject) => oneOfs.some((o) => o !== e && e.instancePath === o.instancePath && e.schemaPath.startsWith(`${o.schemaPath}/`));
  return errors.filter((e) => !isBranch(e)).map(describeSchemaError);
}

function describeSchemaError(e: ErrorObject): string {
  const path = pointerToPath(e.instancePath);
  const where = path.length ? formatPath(path) : '(top level)';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `${where}: unknown key "${String(p.additionalProperty)}"`;
    case 'enum':
      return `${where}: must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${where}: must be ${JSON.stringify(p.allowedValue)}`;
    case 'pattern':
      return `${where}: ${JSON.stringify(e.data)} does not match ${String(p.pattern)}`;
    case 'oneOf': {
      const described = (e.parentSchema as {description?: string} | undefined)?.description;
      return `${where}: ${JSON.stringify(e.data)} is not ${described ?? 'an accepted value'}`;
    }
    default:
      return `${where}: ${e.message ?? 'is invalid'}`;
  }
}

function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Sections and keys of `over` replace those of `base`; lists replace, they do not append. */
function overlay(base: RawPolicy, over: RawPolicy): RawPolicy {
  for (const [key, value] of Object.entries(over)) {
    const current = base[key];
    if (isPlainObject(value) && isPlainObject(current)) overlay(current, value);
    else base[key] = value;
  }
  return base;
}

function isPlainObject(v: unknown): v is RawPolicy {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Turns the validated file into the Policy the rules read, checking what the schema cannot. */
function normalize(raw: RawPolicy, what: string): Policy {
  const problems: string[] = [];
  const section = <T>(key: string): T => (raw[key] ?? {}) as T;

  const ports = section<{allowed?: (string | number)[]}>('ports');
  const ranges: PortRange[] = [];
  (ports.allowed ?? []).forEach((v, i) => {
    const r = parsePortRange(v);
    if (r) ranges.push(r);
    else problems.push(`${formatPath(['ports', 'allowed', i])}: ${JSON.stringify(v)} is not a port (1-65535) or a range "first-last" with first <= last`);
  });

  const names = section<{pattern?: string}>('names');
  const pattern = names.pattern ?? '';
  try {
    new RegExp(pattern);
  } catch (err) {
    problems.push(`names.pattern: not a valid regular expression: ${(err as Error).message}`);
  }

  const resources = section<{max?: Record<string, unknown>; defaults?: Record<string, unknown>}>('resources');
  const max = resourceValues(resources.max);
  const defaults = resourceValues(resources.defaults);
  for (const key of ['memory', 'cpus', 'pids'] as const) {
    const d = defaults[key];
    const m = max[key];
    if (d !== undefined && m !== undefined && d > m) {
      const show = key === 'memory' ? formatBytes : String;
      problems.push(`resources.defaults.${key}: ${show(d)} is more than resources.max.${key} (${show(m)})`);
    }
  }

  if (problems.length) {
    throw new InvalidInputError(`${what} is invalid: ${problems.join('; ')}`, {
      hint: 'compare with policies/default.yaml',
    });
  }

  const registry = section<{allowed?: string[]; shared?: string[]}>('registry');
  const securityOpt = section<{allowed?: string[]; refused?: string[]}>('security_opt');
  const limits = section<{replicas?: number; services?: number; shm_size?: unknown; ulimits?: Record<string, number>}>('limits');
  const logging = section<{drivers?: string[]; max_size?: unknown; max_file?: number}>('logging');
  const capabilities = section<{require_drop_all?: boolean; allowed_add?: string[]}>('capabilities');
  const binds = section<{allowed_roots?: string[]; forbidden_sources?: string[]}>('bind_mounts');
  const globalFs = section<{roots?: string[]; allowed_cap_add?: string[]}>('global_fs');
  return {
    version: 1,
    disabled_rules: (raw.disabled_rules ?? []) as Policy['disabled_rules'],
    registry: {allowed: registry.allowed ?? [], shared: registry.shared ?? []},
    capabilities: {
      require_drop_all: capabilities.require_drop_all ?? true,
      allowed_add: (capabilities.allowed_add ?? []).map(canonicalCapability),
    },
    devices: {allowed: section<{allowed?: boolean}>('devices').allowed ?? false},
    security_opt: {allowed: securityOpt.allowed ?? [], refused: securityOpt.refused ?? []},
    bind_mounts: {allowed_roots: binds.allowed_roots ?? [], forbidden_sources: binds.forbidden_sources ?? []},
    global_fs: {roots: globalFs.roots ?? [], allowed_cap_add: (globalFs.allowed_cap_add ?? []).map(canonicalCapability)},
    ports: {allowed: ranges, host_ips: section<{host_ips?: string[]}>('ports').host_ips ?? []},
    names: {pattern},
    isolation: {allowed_sysctls: section<{allowed_sysctls?: string[]}>('isolation').allowed_sysctls ?? []},
    resources: {max, defaults},
    // The schema has checked the shapes and the default policy sets every key.
    limits: {
      replicas: limits.replicas ?? 1,
      services: limits.services ?? 1,
      shm_size: parseBytes(limits.shm_size ?? 0) ?? 0,
      ulimits: {...limits.ulimits},
    },
    networks: {drivers: section<{drivers?: string[]}>('networks').drivers ?? []},
    volumes: {drivers: section<{drivers?: string[]}>('volumes').drivers ?? [], shared_drivers: section<{shared_drivers?: string[]}>('volumes').shared_drivers ?? []},
    placement: {
      projects: {...section<{projects?: Record<string, string[]>}>('placement').projects},
      default: section<{default?: string[]}>('placement').default ?? [],
      pin_labels: section<{pin_labels?: string[]}>('placement').pin_labels ?? [],
    },
    logging: {drivers: logging.drivers ?? [], max_size: parseBytes(logging.max_size ?? 0) ?? 0, max_file: logging.max_file ?? 1},
  };
}

function resourceValues(raw: Record<string, unknown> | undefined): ResourceValues {
  const out: ResourceValues = {};
  if (!raw) return out;
  // The schema has already checked the shapes, so parseBytes cannot fail here.
  if (raw.memory !== undefined) out.memory = parseBytes(raw.memory);
  if (raw.cpus !== undefined) out.cpus = raw.cpus as number;
  if (raw.pids !== undefined) out.pids = raw.pids as number;
  return out;
}
