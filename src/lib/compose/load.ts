// The loader pipeline driver: runs the phases listed in README.md in order and gathers every
// diagnostic. Compose problems never throw: they come back in `diagnostics`, so `spin validate`
// can report them all at once. Only a missing or unreadable file given on the command line throws.

import {readFile, stat} from 'node:fs/promises';
import {homedir} from 'node:os';
import {basename, dirname, isAbsolute, resolve} from 'node:path';

import {fileError, InvalidInputError} from '../errors.ts';
import {checkBuildFiles} from './build-files.ts';
import {castTypes} from './cast.ts';
import {diagnostic, hasErrors} from './diagnostics.ts';
import {parseDotenv} from './dotenv.ts';
import {interpolate, type Lookup} from './interpolate.ts';
import {formatPath, Locations} from './locations.ts';
import {isMap, mergeAll, mergeModels, type Sourced} from './merge.ts';
import {normalize} from './normalize.ts';
import {LIMITS, parseYaml} from './parse.ts';
import {resolvePaths} from './paths.ts';
import {validateSchema} from './schema.ts';
import {checkConsistency} from './semantic.ts';
import type {Diagnostic, PathSegment, ComposeModel, RawMap} from './types.ts';

export const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const OVERRIDE_FILES: Record<string, string[]> = {
  'compose.yaml': ['compose.override.yaml', 'compose.override.yml'],
  'compose.yml': ['compose.override.yml', 'compose.override.yaml'],
  'docker-compose.yaml': ['docker-compose.override.yaml', 'docker-compose.override.yml'],
  'docker-compose.yml': ['docker-compose.override.yml', 'docker-compose.override.yaml'],
};

export interface LoadOptions {
  /** `-f` files in order; none means compose's default file names in `workingDir` (or COMPOSE_FILE). */
  files?: string[];
  workingDir?: string;
  /** `--env-file`: replace the project's `.env`. */
  envFiles?: string[];
  profiles?: string[];
  /** The process environment; it wins over env files. */
  env?: Record<string, string | undefined>;
  projectName?: string;
  /** Cross-reference checks (undefined services, networks ...). On by default. */
  consistency?: boolean;
  /** Check that build contexts and Dockerfiles exist (phase 14). On by default, unless `consistency` is off. */
  buildFiles?: boolean;
  /** Reads a file as text; `undefined` when it does not exist. Injected by tests. */
  readText?: (path: string) => Promise<string | undefined>;
}

export interface LoadResult {
  /** Absent when an error stopped the pipeline before normalization. */
  project?: ComposeModel;
  /** The merged model before normalization, for tools that want it. */
  raw?: RawMap;
  locations: Locations;
  diagnostics: Diagnostic[];
  files: string[];
  workingDir: string;
  /** The environment used for interpolation (process over env files). */
  environment: Record<string, string>;
}

async function defaultReadText(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), {code: 'EISDIR'});
    if (info.size > LIMITS.fileSize) {
      throw new InvalidInputError(`file "${path}" is larger than ${LIMITS.fileSize / 1024 / 1024} MiB`, {hint: 'compose and env files are small; check that this is the file you meant'});
    }
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof InvalidInputError) throw err;
    throw fileError(path, err);
  }
}

/** Compose's project name rule: lowercase letters, digits, dashes and underscores. */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[^a-z0-9]+/, '');
}

interface FileModel extends Sourced {
  value: RawMap;
  file: string;
}

class Loader {
  readonly diagnostics: Diagnostic[] = [];
  private readonly readText: (path: string) => Promise<string | undefined>;
  private readonly parsed = new Map<string, Promise<FileModel | undefined>>();

  constructor(readText: (path: string) => Promise<string | undefined>) {
    this.readText = readText;
  }

  /** Reads and parses one file (all its documents merged), without interpolation. Cached. */
  parse(file: string, required: boolean): Promise<FileModel | undefined> {
    let p = this.parsed.get(file);
    if (!p) {
      p = this.parseUncached(file, required);
      this.parsed.set(file, p);
    }
    return p;
  }

  private async parseUncached(file: string, required: boolean): Promise<FileModel | undefined> {
    const text = await this.readText(file);
    if (text === undefined) {
      if (required) throw fileError(file, Object.assign(new Error('not found'), {code: 'ENOENT'}));
      return undefined;
    }
    const {documents, diagnostics} = parseYaml(text, file);
    this.diagnostics.push(...diagnostics);
    if (hasErrors(diagnostics)) return undefined;
    const merged = mergeAll(documents.map((d) => ({value: d.value, locations: d.locations})), true);
    return {...merged, file};
  }

  interpolate(model: FileModel, lookup: Lookup): FileModel {
    const r = interpolate(model.value, lookup, {locations: model.locations});
    this.diagnostics.push(...r.diagnostics);
    return {...model, value: r.value as RawMap};
  }

  /**
   * Loads a file as a self-contained model: parse, interpolate, resolve its includes and extends,
   * and make its relative paths absolute against `baseDir`.
   */
  async loadFile(file: string, lookup: Lookup, baseDir: string, stack: string[], env: Record<string, string | undefined>): Promise<FileModel | undefined> {
    const parsed = await this.parse(file, true);
    if (!parsed) return undefined;
    let model = this.interpolate(parsed, lookup);
    model = await this.resolveIncludes(model, baseDir, [...stack, file], env);
    model = await this.resolveExtends(model, lookup, baseDir, env);
    return {...model, value: resolvePaths(model.value, baseDir, env.HOME ?? homedir())};
  }

  private async resolveIncludes(model: FileModel, baseDir: string, stack: string[], env: Record<string, string | undefined>): Promise<FileModel> {
    const includes = model.value.include;
    if (includes === undefined) return model;
    const {include: _drop, ...rest} = model.value;
    let acc: FileModel = {...model, value: rest};
    if (!Array.isArray(includes)) {
      this.diagnostics.push(diagnostic(model.locations, {source: 'include', message: 'include must be a sequence', path: ['include'], hint: 'write `include:` followed by a list of files'}));
      return acc;
    }
    for (const [i, entry] of includes.entries()) {
      const spec = typeof entry === 'string' ? {path: entry} : isMap(entry) ? entry : undefined;
      const paths = spec ? (Array.isArray(spec.path) ? spec.path : [spec.path]).filter((p): p is string => typeof p === 'string') : [];
      if (!spec || paths.length === 0) {
        this.diagnostics.push(diagnostic(model.locations, {source: 'include', message: `include[${i}] must name a file`, path: ['include', i], hint: 'use `- path/to/compose.yaml` or `- path: path/to/compose.yaml`'}));
        continue;
      }
      const files = paths.map((p) => resolve(baseDir, p));
      const cycle = files.find((f) => stack.includes(f));
      if (cycle) {
        this.diagnostics.push(diagnostic(model.locations, {source: 'include', message: `include cycle detected: ${[...stack, cycle].map((f) => basename(f)).join(' -> ')}`, path: ['include', i], hint: 'remove the include that leads back to a file already being included'}));
        continue;
      }
      const projectDir = typeof spec.project_directory === 'string' ? resolve(baseDir, spec.project_directory) : dirname(files[0]);
      const envFiles = spec.env_file === undefined ? [resolve(projectDir, '.env')] : (Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file]).map((f) => resolve(baseDir, String(f)));
      const includeEnv = await this.environment(envFiles, spec.env_file !== undefined, env);
      const lookup: Lookup = (name) => includeEnv[name];
      const loaded: FileModel[] = [];
      for (const f of files) {
        const m = await this.loadFile(f, lookup, projectDir, stack, env);
        if (m) loaded.push(m);
      }
      if (loaded.length === 0) continue;
      const included = mergeAll(loaded);
      acc = {...acc, ...this.addIncluded(acc, {...included, file: files[0]}, files[0])};
    }
    return acc;
  }

  /** Included resources join the model; defining the same one differently in both is an error. */
  private addIncluded(model: FileModel, included: FileModel, file: string): {value: RawMap; locations: Locations} {
    const value: RawMap = {...model.value};
    const locations = model.locations.clone();
    for (const section of ['services', 'networks', 'volumes', 'secrets', 'configs']) {
      const inc = included.value[section];
      if (!isMap(inc)) continue;
      const own = isMap(value[section]) ? {...(value[section] as RawMap)} : {};
      for (const [name, def] of Object.entries(inc)) {
        if (Object.hasOwn(own, name) && JSON.stringify(own[name]) !== JSON.stringify(def)) {
          this.diagnostics.push(diagnostic(model.locations, {source: 'include', message: `${section}.${name} is defined both here and in included file "${basename(file)}"`, path: [section, name], hint: `rename one of them, or override it with a later -f file instead`}));
          continue;
        }
        own[name] = def;
        locations.copy(included.locations, [section, name], [section, name], false);
      }
      value[section] = own;
    }
    return {value, locations};
  }

  private async resolveExtends(model: FileModel, lookup: Lookup, baseDir: string, env: Record<string, string | undefined>): Promise<FileModel> {
    const services = model.value.services;
    if (!isMap(services) || !Object.values(services).some((s) => isMap(s) && s.extends !== undefined)) return model;
    const resolved = new Map<string, {value: RawMap; locations: Locations} | undefined>();
    const out: RawMap = {};
    const locations = model.locations.clone();
    for (const name of Object.keys(services)) {
      const r = await this.extendService(model, name, lookup, baseDir, env, [], resolved);
      if (r) {
        out[name] = r.value;
        locations.delete(['services', name]);
        locations.copy(r.locations, [], ['services', name]);
      }
    }
    return {...model, value: {...model.value, services: out}, locations};
  }

  /** Resolves one service's `extends` chain; the result's locations are relative to the service. */
  private async extendService(
    model: FileModel,
    name: string,
    lookup: Lookup,
    baseDir: string,
    env: Record<string, string | undefined>,
    chain: string[],
    memo: Map<string, {value: RawMap; locations: Locations} | undefined>,
  ): Promise<{value: RawMap; locations: Locations} | undefined> {
    const id = `${model.file}#${name}`;
    if (memo.has(id)) return memo.get(id);
    const path: PathSegment[] = ['services', name];
    const services = model.value.services as RawMap;
    const service = services[name];
    const own = {value: service ?? {}, locations: model.locations, path};
    if (!isMap(service) || service.extends === undefined) {
      const placed = mergeModels(undefined, own, path);
      memo.set(id, placed);
      return placed;
    }
    if (chain.includes(id)) {
      this.diagnostics.push(diagnostic(model.locations, {source: 'extends', message: `extends cycle: ${[...chain, id].map((c) => c.split('#')[1]).join(' -> ')}`, path: [...path, 'extends'], hint: 'a service cannot extend itself, directly or through others'}));
      return undefined;
    }
    const ext = service.extends;
    const spec = typeof ext === 'string' ? {service: ext} : isMap(ext) ? ext : undefined;
    if (!spec || typeof spec.service !== 'string' || spec.service === '') {
      this.diagnostics.push(diagnostic(model.locations, {source: 'extends', message: `services.${name}.extends.service is required`, path: [...path, 'extends'], hint: 'name the service to extend: `extends: {service: base}` or `extends: base`'}));
      return undefined;
    }
    let baseModel = model;
    let nextBaseDir = baseDir;
    if (spec.file !== undefined) {
      // Relative to the model's project directory (an included file's is its project_directory).
      const file = resolve(baseDir, String(spec.file));
      const parsed = await this.parse(file, true);
      if (!parsed) return undefined;
      nextBaseDir = dirname(file);
      const interpolated = this.interpolate(parsed, lookup);
      baseModel = {...interpolated, value: resolvePaths(interpolated.value, nextBaseDir, env.HOME ?? homedir())};
    }
    const baseServices = baseModel.value.services;
    if (!isMap(baseServices) || !Object.hasOwn(baseServices, spec.service)) {
      const where = spec.file !== undefined ? ` in "${String(spec.file)}"` : '';
      this.diagnostics.push(diagnostic(model.locations, {source: 'extends', message: `service "${name}" extends undefined service "${spec.service}"${where}`, path: [...path, 'extends'], hint: `define a service named "${spec.service}"${where}, or fix the name`}));
      return undefined;
    }
    const base = await this.extendService(baseModel, spec.service, lookup, nextBaseDir, env, [...chain, id], memo);
    if (!base) return undefined;
    const {extends: _drop, ...local} = service;
    const merged = mergeModels({value: base.value, locations: base.locations, path: []}, {value: local, locations: model.locations, path}, path);
    memo.set(id, merged);
    return merged;
  }

  /** Env files (`.env` or `--env-file`) under the process environment, which wins. */
  async environment(files: string[], required: boolean, processEnv: Record<string, string | undefined>): Promise<Record<string, string>> {
    const fromFiles: Record<string, string> = {};
    const lookup: Lookup = (name) => processEnv[name] ?? fromFiles[name];
    for (const f of files) {
      const text = await this.readText(f);
      if (text === undefined) {
        if (required) throw fileError(f, Object.assign(new Error('not found'), {code: 'ENOENT'}));
        continue;
      }
      Object.assign(fromFiles, parseDotenv(text, {filename: f, lookup}));
    }
    const out: Record<string, string> = {...fromFiles};
    for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) out[k] = v;
    return out;
  }
}

/**
 * Compose's default files, as docker compose finds them: in `dir`, else in the nearest parent
 * folder that has one, up to the file system root. Their folder is the project directory.
 */
async function findDefaultFiles(dir: string, readText: (p: string) => Promise<string | undefined>): Promise<string[]> {
  for (let folder = dir; ; folder = dirname(folder)) {
    // A parent folder we may not read is one without a compose file, as for compose.
    const exists = async (file: string) => (folder === dir ? readText(file) : readText(file).catch(() => undefined)).then((text) => text !== undefined);
    for (const name of DEFAULT_FILES) {
      const file = resolve(folder, name);
      if (!(await exists(file))) continue;
      for (const o of OVERRIDE_FILES[name]) {
        const override = resolve(folder, o);
        if (await exists(override)) return [file, override];
      }
      return [file];
    }
    if (dirname(folder) === folder) break;
  }
  throw new InvalidInputError(`no compose file found in "${dir}" or any parent folder`, {hint: `create ${DEFAULT_FILES[0]}, or pass one with -f FILE`});
}

function activeProfiles(options: LoadOptions, env: Record<string, string>): Set<string> {
  const out = new Set(options.profiles ?? []);
  if (out.size === 0 && env.COMPOSE_PROFILES) for (const p of env.COMPOSE_PROFILES.split(',')) if (p.trim()) out.add(p.trim());
  return out;
}

/** Profiles phase: drops services whose profiles are all inactive. */
function applyProfiles(model: RawMap, locations: Locations, profiles: Set<string>, diagnostics: Diagnostic[]): RawMap {
  const services = model.services;
  if (!isMap(services) || profiles.has('*')) return model;
  const enabled: RawMap = {};
  const disabled = new Map<string, string[]>();
  for (const [name, s] of Object.entries(services)) {
    const p = isMap(s) && Array.isArray(s.profiles) ? (s.profiles as unknown[]).map(String) : [];
    if (p.length === 0 || p.some((x) => profiles.has(x))) enabled[name] = s;
    else disabled.set(name, p);
  }
  if (disabled.size === 0) return model;
  for (const [name, s] of Object.entries(enabled)) {
    const deps = isMap(s) ? s.depends_on : undefined;
    const required = (dep: string) => !(isMap(deps) && isMap(deps[dep]) && deps[dep].required === false);
    const names = Array.isArray(deps) ? deps.map(String) : isMap(deps) ? Object.keys(deps) : [];
    for (const dep of names) {
      const p = disabled.get(dep);
      if (p && required(dep)) {
        diagnostics.push(diagnostic(locations, {source: 'profiles', message: `service "${name}" depends on service "${dep}", which is disabled by its profiles (${p.join(', ')})`, path: ['services', name, 'depends_on'], hint: `enable it with --profile ${p[0]}, or mark the dependency \`required: false\``}));
      }
    }
  }
  return {...model, services: enabled};
}

export async function loadProject(options: LoadOptions = {}): Promise<LoadResult> {
  const readText = options.readText ?? defaultReadText;
  const cwd = resolve(options.workingDir ?? process.cwd());
  const processEnv = options.env ?? process.env;
  const loader = new Loader(readText);

  // The .env may set COMPOSE_FILE, so it is read before the files are known: from the first -f
  // file's folder, else the working dir.
  let files = (options.files ?? []).map((f) => (isAbsolute(f) ? f : resolve(cwd, f)));
  const envFilesGiven = (options.envFiles ?? []).length > 0;
  const firstDir = files.length ? dirname(files[0]) : cwd;
  const envFiles = envFilesGiven ? options.envFiles!.map((f) => resolve(cwd, f)) : [resolve(firstDir, '.env')];
  let env = await loader.environment(envFiles, envFilesGiven, processEnv);
  if (files.length === 0 && env.COMPOSE_FILE) {
    files = env.COMPOSE_FILE.split(env.COMPOSE_PATH_SEPARATOR || ':').filter(Boolean).map((f) => resolve(cwd, f));
  }
  if (files.length === 0) files = await findDefaultFiles(cwd, readText);
  // The project folder is the first file's. When that is another folder (COMPOSE_FILE pointed
  // there, or the file was found in a parent folder), compose reads its .env too, for the
  // variables not set yet.
  const workingDir = dirname(files[0]);
  if (!envFilesGiven && workingDir !== firstDir) env = await loader.environment([resolve(workingDir, '.env')], false, env);
  const result: LoadResult = {locations: new Locations(), diagnostics: loader.diagnostics, files, workingDir, environment: env};

  // The project name comes first: files may interpolate ${COMPOSE_PROJECT_NAME}. Last `name:` wins.
  const parsed: FileModel[] = [];
  for (const f of files) {
    const m = await loader.parse(f, true);
    if (m) parsed.push(m);
  }
  if (hasErrors(loader.diagnostics)) return result;
  // An empty override file is fine; a project with nothing in it is not.
  if (parsed.every((m) => Object.keys(m.value).length === 0)) {
    loader.diagnostics.push({severity: 'error', source: 'yaml', message: 'empty compose file', location: {file: files[0], line: 1, column: 1}, hint: 'add a `services:` section'});
    return result;
  }
  const lookupBase: Lookup = (name) => env[name];
  // Precedence as in compose: explicit option, COMPOSE_PROJECT_NAME, the last `name:`, the folder.
  let fileName: string | undefined;
  for (const m of parsed) {
    if (typeof m.value.name === 'string') fileName = String(interpolate(m.value.name, lookupBase).value);
  }
  const name = normalizeProjectName(options.projectName ?? env.COMPOSE_PROJECT_NAME ?? fileName ?? basename(workingDir));
  if (!name) {
    loader.diagnostics.push(diagnostic(undefined, {source: 'semantic', message: 'the project name is empty', hint: 'set `name:` in the compose file to lowercase letters, digits, dashes or underscores'}));
    return result;
  }
  const projectEnv: Record<string, string> = {...env, COMPOSE_PROJECT_NAME: name};
  const lookup: Lookup = (n) => projectEnv[n];

  const models: FileModel[] = [];
  for (const f of files) {
    const m = await loader.loadFile(f, lookup, workingDir, [], processEnv);
    if (m) models.push(m);
  }
  if (hasErrors(loader.diagnostics)) return result;

  const merged = mergeAll(models);
  result.locations = merged.locations;
  // An invalid `name:` stays for the schema phase to report.
  let raw: RawMap = merged.value.name === undefined || typeof merged.value.name === 'string' ? {...merged.value, name} : merged.value;
  raw = applyProfiles(raw, merged.locations, activeProfiles(options, projectEnv), loader.diagnostics);
  result.raw = raw;
  const checked = await checkModel(raw, {workingDir, projectName: name, locations: merged.locations, lookup, readText, consistency: options.consistency});
  loader.diagnostics.push(...checked.diagnostics);
  result.project = checked.project;
  if (checked.project && options.consistency !== false && options.buildFiles !== false) loader.diagnostics.push(...(await checkBuildFiles(checked.project, merged.locations, workingDir)));
  return result;
}

interface CheckContext {
  workingDir: string;
  projectName: string;
  locations: Locations;
  lookup: Lookup;
  readText: (path: string) => Promise<string | undefined>;
  consistency?: boolean;
  secretValuesSent?: boolean;
}

/** Phases 10-13 on a merged model: cast, schema, normalize, consistency. */
async function checkModel(raw: RawMap, ctx: CheckContext): Promise<{project?: ComposeModel; diagnostics: Diagnostic[]}> {
  const diagnostics: Diagnostic[] = [];
  const cast = castTypes(raw, {locations: ctx.locations, diagnostics});
  diagnostics.push(...validateSchema(cast, ctx.locations));
  if (hasErrors(diagnostics)) return {diagnostics};
  const normalized = await normalize(cast, {workingDir: ctx.workingDir, projectName: ctx.projectName, locations: ctx.locations, lookup: ctx.lookup, readText: ctx.readText});
  diagnostics.push(...normalized.diagnostics);
  if (hasErrors(normalized.diagnostics)) return {diagnostics};
  if (ctx.consistency !== false) diagnostics.push(...checkConsistency(normalized.project, ctx.locations, {secretValuesSent: ctx.secretValuesSent}));
  return {project: normalized.project, diagnostics};
}

export const MAX_DOCUMENT_BYTES = 1024 * 1024;

/**
 * How deeply `value` nests mappings and sequences (0 for a scalar, 1 for `{}`). Counted with a
 * work list rather than recursion: the point is to measure documents too deep to recurse into.
 */
export function nestingDepth(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const [v, depth] = item;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth);
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
  }
  return deepest;
}

/** Service fields a resolved document cannot hold: the loader that resolved it folded each in. */
const UNRESOLVED = ['extends', 'env_file', 'label_file'];

/** `include`, `extends` and env or label files in a document that says it is resolved. */
function unresolvedParts(document: RawMap): Diagnostic[] {
  const out: Diagnostic[] = [];
  const refuse = (path: string[]) =>
    out.push(diagnostic(undefined, {source: 'schema', path, message: `${formatPath(path)}: a resolved compose document has no ${path[path.length - 1]}`, hint: 'send the document `spin config --format json` prints with `$$` as `$` (what spin deploy sends), or send the compose file without modelFormat'}));
  if (document.include !== undefined) refuse(['include']);
  if (isMap(document.services)) {
    for (const [name, service] of Object.entries(document.services)) {
      if (!isMap(service)) continue;
      for (const key of UNRESOLVED) if (service[key] !== undefined) refuse(['services', name, key]);
    }
  }
  return out;
}

export interface LoadDocumentOptions {
  /**
   * The document is resolved (`RESOLVED_MODEL_FORMAT`): a `$` is a `$`, and `include`, `extends`
   * and env files are refused. Otherwise it is interpolated with no environment, so only `$$`
   * escapes are undone (the shape CLIs sent before the format was named).
   */
  resolved?: boolean;
}

/**
 * Loads a compose document that is already resolved (the CLI submits it to the agent): no files,
 * no environment. The agent runs this on every submission: it never trusts the client's own checks.
 */
export async function loadDocument(document: unknown, projectName: string, options: LoadDocumentOptions = {}): Promise<{project?: ComposeModel; diagnostics: Diagnostic[]}> {
  if (!isMap(document)) {
    return {diagnostics: [diagnostic(undefined, {source: 'schema', message: 'the compose model must be a mapping'})]};
  }
  // A file is held to this depth by the YAML parser; a document sent as JSON is measured here,
  // before any phase recurses into it.
  const depth = nestingDepth(document);
  if (depth > LIMITS.depth) {
    return {
      diagnostics: [
        diagnostic(undefined, {source: 'schema', message: `the compose model nests ${depth} levels deep, more than the ${LIMITS.depth} allowed`, hint: 'flatten the structure; compose files never need this depth'}),
      ],
    };
  }
  const locations = new Locations();
  const noEnv: Lookup = () => undefined;
  const interpolated = options.resolved ? {value: document, diagnostics: unresolvedParts(document)} : interpolate(document, noEnv);
  const diagnostics = [...interpolated.diagnostics];
  if (hasErrors(diagnostics)) return {diagnostics};
  const raw = {...(interpolated.value as RawMap), name: projectName};
  // Every path in a resolved model is absolute, and env files were folded in: nothing to read.
  const checked = await checkModel(raw, {workingDir: '/', projectName, locations, lookup: noEnv, readText: async () => undefined, secretValuesSent: options.resolved});
  return {project: checked.project, diagnostics: [...diagnostics, ...checked.diagnostics]};
}
