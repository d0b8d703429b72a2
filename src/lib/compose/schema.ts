// Validates the interpolated, merged model against the compose-spec JSON schema (schemas/).
//
// ajv reports every failing branch of a oneOf, so a wrong value under `build:` yields one error
// for the string form and a handful for the mapping form. Users need one cause per place: we keep
// the branch whose type matches the value and say the rest in YAML words (mapping, sequence).
//
// Compiling this schema costs ~200 ms, so the build generates the validator ahead of time
// (scripts/gen-validators.js) and this module loads it on first use; when it is absent (tests run
// the .ts sources) the schema is compiled at first use instead. Nothing here loads ajv at import.

import {existsSync, readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';
import type {ErrorObject, Options as AjvOptions} from 'ajv';
import {closest} from '../suggest.ts';
import {diagnostic} from './diagnostics.ts';
import {formatPath, type Locations} from './locations.ts';
import type {Diagnostic, ModelPath, PathSegment} from './types.ts';

const SCHEMA_FILE = fileURLToPath(new URL('../../../schemas/compose-spec.json', import.meta.url));

/** File name of the generated validator, written next to the compiled form of this module. */
export const GENERATED_VALIDATOR = 'compose-spec.validate.cjs';

const AJV_OPTIONS: AjvOptions = {
  allErrors: true,
  strict: true,
  // The compose schema puts `additionalProperties` on oneOf branches without a `type`, which
  // strictTypes refuses although the meaning is clear.
  strictTypes: false,
  // Its `$schema` is the https spelling of draft-07, which ajv does not register; the schema is
  // our own data and a test checks it against the draft-07 meta-schema.
  validateSchema: false,
  // Errors then carry the schema that failed, which is how a oneOf's branches are told apart.
  verbose: true,
};

/** More problems than this in one model are summarised, not listed. */
const MAX_DIAGNOSTICS = 100;
const MAX_QUOTED = 60;

type Schema = {[keyword: string]: unknown};
type Validate = ((data: unknown) => boolean) & {errors?: ErrorObject[] | null};
type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

const ALL_TYPES: readonly JsonType[] = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'];
const YAML_WORDS: Record<JsonType, string> = {
  object: 'mapping',
  array: 'sequence',
  string: 'string',
  number: 'number',
  integer: 'integer',
  boolean: 'boolean',
  null: 'null',
};

let validateCompiled: Validate | undefined;
let rootSchema: Schema | undefined;

/** The schema itself, needed to compile it and to follow `$ref`s when explaining an error. */
function readSchema(): Schema {
  rootSchema ??= JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Schema;
  return rootSchema;
}

function compile(require: NodeJS.Require, root: Schema, extra: AjvOptions = {}) {
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  const ajv = new Ajv({...AJV_OPTIONS, ...extra});
  return {ajv, validate: ajv.compile(root)};
}

function validator(): Validate {
  if (validateCompiled) return validateCompiled;
  const require = createRequire(import.meta.url);
  const generated = fileURLToPath(new URL(`./${GENERATED_VALIDATOR}`, import.meta.url));
  validateCompiled = existsSync(generated) ? (require(generated) as Validate) : compile(require, readSchema()).validate;
  return validateCompiled;
}

/** Source of a CommonJS module exporting the compiled validator; used by scripts/gen-validators.js. */
export function generateValidatorSource(): string {
  const require = createRequire(import.meta.url);
  const standalone = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone/index.js')).default;
  const {ajv, validate} = compile(require, readSchema(), {code: {source: true}});
  return standalone(ajv, validate);
}

/**
 * Checks `model` (interpolated and merged, before normalization) against the compose schema.
 * Returns one error diagnostic (source `schema`) per problem, located through `locations`.
 */
export function validateSchema(model: unknown, locations?: Locations): Diagnostic[] {
  const validate = validator();
  if (validate(model)) return [];
  const issues = explain(validate.errors ?? [], model, readSchema());
  const out = issues.slice(0, MAX_DIAGNOSTICS).map((issue) => {
    const path = issue.path.length > 0 ? issue.path : undefined;
    const d = diagnostic(locations, {source: 'schema', message: issue.message, path, hint: issue.hint});
    // A key that is not allowed is easier to find at its own line than at its parent mapping's.
    const exact = locations?.get(issue.at ?? issue.path);
    if (exact) d.location = exact;
    return d;
  });
  if (issues.length > MAX_DIAGNOSTICS) {
    out.push(diagnostic(locations, {source: 'schema', message: `${issues.length - MAX_DIAGNOSTICS} more schema errors not shown`, hint: 'fix the errors above and validate again'}));
  }
  return out;
}

/** One problem, ready to become a diagnostic. */
interface Issue {
  path: PathSegment[];
  /** The schema object holding the keyword that failed. */
  owner: Schema | undefined;
  /** Two issues with the same key say the same thing: only the first is kept. */
  key: string;
  message: string;
  hint?: string;
  /** A more precise place to point at than `path`, e.g. the offending key. */
  at?: PathSegment[];
}

function explain(errors: readonly ErrorObject[], model: unknown, root: Schema): Issue[] {
  // ajv appends a oneOf's own error after the errors of its branches, all of which lie at or
  // under the oneOf's instance path: so the issues just before it on this stack are its branches.
  const stack: Issue[] = [];
  for (const err of errors) {
    const path = toSegments(err.instancePath, model);
    if (err.keyword === 'oneOf' || err.keyword === 'anyOf') {
      let start = stack.length;
      while (start > 0 && isWithin(stack[start - 1].path, path)) start--;
      stack.push(...pickBranch(err, path, stack.splice(start), model, root));
    } else {
      stack.push(describe(err, path, model, root));
    }
  }
  const unique = new Map<string, Issue>();
  for (const issue of stack) if (!unique.has(issue.key)) unique.set(issue.key, issue);
  return [...unique.values()];
}

/** Keeps the causes from the branches that accept the value's type, or says which types would do. */
function pickBranch(err: ErrorObject, path: PathSegment[], branches: Issue[], model: unknown, root: Schema): Issue[] {
  const value = valueAt(model, path);
  const type = jsonType(value);
  // A branch whose type does not fit the value fails at the value itself, never below it.
  const kept = branches.filter((issue) => issue.path.length > path.length || accepts(acceptedTypes(issue.owner, root), type));
  if (kept.length > 0) return kept;
  const subject = subjectOf(path);
  const owner = asSchema(err.parentSchema);
  const base = {path, owner, key: formatPath(path)};
  if (Array.isArray((err.params as {passingSchemas?: unknown}).passingSchemas)) {
    return [{...base, message: `${subject} matches more than one of the allowed forms`}];
  }
  const allowed = acceptedTypes(owner, root);
  if (allowed === 'any' || accepts(allowed, type)) {
    return [{...base, message: `${subject} does not match any of the allowed forms`}];
  }
  return [{...base, message: `${subject} must be ${typePhrase(allowed)}, not ${describeValue(value)}`}];
}

function describe(err: ErrorObject, path: PathSegment[], model: unknown, root: Schema): Issue {
  const subject = subjectOf(path);
  const where = formatPath(path);
  const value = valueAt(model, path);
  const owner = asSchema(err.parentSchema);
  const base = {path, owner, key: where};
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'type': {
      const types = [params.type].flat().flatMap((t) => String(t).split(',')) as JsonType[];
      return {...base, message: `${subject} must be ${typePhrase(new Set(types))}, not ${describeValue(value)}`};
    }
    case 'additionalProperties':
      return unknownProperty(String(params.additionalProperty), path, value, owner);
    case 'required': {
      const name = String(params.missingProperty);
      const enumValues = resolveSchema(asSchema(asSchema(owner?.properties)?.[name]), root)?.enum;
      const hint = Array.isArray(enumValues) ? `add ${name}: one of ${listValues(enumValues)}` : `add "${name}" to ${where || 'the top level'}`;
      const message = where ? `${where}: missing property "${name}"` : `missing property "${name}" at the top level`;
      return {...base, key: `${where}\0required\0${name}`, message, hint};
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]) ?? [];
      const close = typeof value === 'string' ? closest(value, allowed.filter((v): v is string => typeof v === 'string')) : undefined;
      return {
        ...base,
        message: `${subject} must be one of ${listValues(allowed)}, not ${quote(value)}`,
        hint: close ? `did you mean "${close}"?` : undefined,
      };
    }
    case 'const':
      return {...base, message: `${subject} must be ${quote(params.allowedValue)}, not ${quote(value)}`};
    case 'pattern':
      return {...base, message: `${subject} must match the pattern ${String(params.pattern)}, not ${quote(value)}`};
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const words: Record<string, string> = {'>=': 'at least', '<=': 'at most', '>': 'greater than', '<': 'less than'};
      return {...base, message: `${subject} must be ${words[String(params.comparison)] ?? String(params.comparison)} ${String(params.limit)}, not ${quote(value)}`};
    }
    case 'uniqueItems': {
      const [first, second] = [Number(params.j), Number(params.i)].sort((a, b) => a - b);
      return {
        ...base,
        message: `${subject} must not contain the same item twice: [${first}] and [${second}] are equal`,
        hint: `remove one of the duplicate entries`,
        at: [...path, second],
      };
    }
    default:
      return {...base, key: `${where}\0${err.keyword}`, message: `${subject} ${err.message ?? 'is not valid'}`};
  }
}

function unknownProperty(name: string, path: PathSegment[], value: unknown, owner: Schema | undefined): Issue {
  const where = formatPath(path);
  const base = {path, owner, key: `${where}\0additional\0${name}`, at: [...path, name]};
  const known = Object.keys(asSchema(owner?.properties) ?? {});
  const patterns = Object.keys(asSchema(owner?.patternProperties) ?? {}).filter((p) => p !== '^x-');
  if (known.length === 0 && patterns.length > 0) {
    // A mapping of user-chosen names (services, volumes, ...): the name itself is wrong.
    return {...base, message: `${where || 'the top level'}: "${name}" is not a valid name`, hint: `names must match ${patterns.join(' or ')}`};
  }
  const message = where ? `${where}: additional property "${name}" is not allowed` : `additional property "${name}" is not allowed at the top level`;
  const close = closest(name, known);
  let hint: string;
  if (close) hint = `did you mean "${close}"?`;
  else if (path.length === 0 && looksLikeService(asSchema(asSchema(value)?.[name]))) {
    hint = `the version 1 format is not supported: put "${name}" under a top-level "services:" key`;
  } else if (asSchema(owner?.patternProperties)?.['^x-']) hint = `remove it, or rename it to "x-${name}" to keep it as an extension`;
  else hint = 'remove it';
  return {...base, message, hint};
}

function looksLikeService(value: Schema | undefined): boolean {
  return value !== undefined && ('image' in value || 'build' in value);
}

function subjectOf(path: ModelPath): string {
  return path.length === 0 ? 'the compose file' : formatPath(path);
}

/** `['mapping']` → "a mapping"; several → "a boolean, null, number or string". */
function typePhrase(types: ReadonlySet<JsonType> | 'any'): string {
  const set = types === 'any' ? new Set(ALL_TYPES) : new Set(types);
  if (set.has('number')) set.delete('integer');
  const words = [...set].map((t) => YAML_WORDS[t] ?? String(t)).sort();
  const firstReal = words.findIndex((w) => w !== 'null');
  if (firstReal >= 0) words[firstReal] = `${/^[aeiou]/.test(words[firstReal]) ? 'an' : 'a'} ${words[firstReal]}`;
  return words.length === 1 ? words[0] : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

function acceptedTypes(schema: Schema | undefined, root: Schema, depth = 0): Set<JsonType> | 'any' {
  const resolved = resolveSchema(schema, root);
  if (!resolved || depth > 20) return 'any';
  if (resolved.type !== undefined) return new Set([resolved.type].flat() as JsonType[]);
  const branches = resolved.oneOf ?? resolved.anyOf;
  if (!Array.isArray(branches)) return 'any';
  const out = new Set<JsonType>();
  for (const branch of branches) {
    const types = acceptedTypes(asSchema(branch), root, depth + 1);
    if (types === 'any') return 'any';
    for (const t of types) out.add(t);
  }
  return out;
}

function accepts(types: Set<JsonType> | 'any', type: JsonType | 'undefined'): boolean {
  if (types === 'any') return true;
  if (type === 'undefined') return false;
  return types.has(type) || (type === 'integer' && types.has('number'));
}

function jsonType(value: unknown): JsonType | 'undefined' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'object') return typeof value as JsonType;
  return 'undefined';
}

function describeValue(value: unknown): string {
  const type = jsonType(value);
  if (type === 'object' || type === 'array') return `a ${YAML_WORDS[type]}`;
  if (type === 'null') return 'an empty value';
  return quote(value);
}

function quote(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'nothing' : typeof value === 'bigint' ? String(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED - 3)}...` : text;
}

function listValues(values: readonly unknown[]): string {
  return values.map(quote).join(', ');
}

/** Follows `$ref`s (local JSON pointers only, as in the compose schema). */
function resolveSchema(schema: Schema | undefined, root: Schema): Schema | undefined {
  let current = schema;
  for (let hops = 0; current && typeof current.$ref === 'string' && hops < 20; hops++) current = resolvePointer(root, current.$ref);
  return current;
}

function resolvePointer(root: Schema, pointer: string): Schema | undefined {
  const parts = pointer.replace(/^#\/?/, '').split('/').filter((p) => p !== '');
  let current: unknown = root;
  for (const raw of parts) {
    const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return asSchema(current);
}

function asSchema(value: unknown): Schema | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Schema) : undefined;
}

/** ajv's JSON pointer as model path segments; indexes into sequences become numbers. */
function toSegments(pointer: string, model: unknown): PathSegment[] {
  const out: PathSegment[] = [];
  let current = model;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment: PathSegment = Array.isArray(current) ? Number(key) : key;
    out.push(segment);
    current = current !== null && typeof current === 'object' ? (current as Record<PathSegment, unknown>)[segment] : undefined;
  }
  return out;
}

function valueAt(model: unknown, path: readonly PathSegment[]): unknown {
  let current = model;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PathSegment, unknown>)[segment];
  }
  return current;
}

function isWithin(path: readonly PathSegment[], ancestor: readonly PathSegment[]): boolean {
  return path.length >= ancestor.length && ancestor.every((segment, i) => path[i] === segment);
}
