// Builds the images of a compose project through the engine's build API (the classic builder's
// JSON stream, which every engine version speaks without a BuildKit session). Services build
// at most `concurrency` at a time; one whose Dockerfile starts FROM another service's image waits
// for that build. Progress goes to a callback; a failed step comes back as BuildFailedError with
// the step and what it printed.

import {createHash} from 'node:crypto';

import type Dockerode from 'dockerode';

import type {Service} from '../compose/types.ts';
import {engineError} from '../engine/errors.ts';
import {stableJson} from '../engine/hash.ts';
import {InvalidInputError, OperationError, UsageError} from '../errors.ts';
import {contentDigest, hashEntries} from './content.ts';
import {explainBuildFailure} from './failure.ts';
import {listContext, packEntries, type ContextListing} from './context.ts';
import type {KeyCache} from './key-cache.ts';
import {parseReference, repositoryName} from './naming.ts';
import {runJobs} from './schedule.ts';
import {readMessages} from './stream.ts';

export type BuildSpec = NonNullable<Service['build']>;

export interface ImageTarget {
  service: string;
  /** The name to build and tag (`<registry>/<project>/<service>:<tag>`, or the service's `image:`). */
  image: string;
  build: BuildSpec;
  /** The context as planned (plan.ts lists and hashes it to name the image); listed again when absent. */
  source?: TargetSource;
}

export interface TargetSource {
  listing: ContextListing;
  /** hashEntries of the listing. */
  files: string;
  /** The content digest (content.ts): what the image is made of. */
  digest: string;
}

export type BuildEvent =
  | {type: 'start'; service: string; image: string; files: number; bytes: number}
  | {type: 'step'; service: string; step: number; total: number; instruction: string}
  | {type: 'output'; service: string; line: string}
  | {type: 'warning'; service: string; message: string}
  | {type: 'done'; service: string; image: string; id: string};

export interface BuiltImage {
  service: string;
  image: string;
  /** The image ID (`sha256:…`). */
  id: string;
}

export interface BuildImagesOptions {
  docker: Dockerode;
  targets: readonly ImageTarget[];
  noCache?: boolean;
  /** Always try to pull newer base images. */
  pull?: boolean;
  /** `--build-arg` values; they win over the compose file's `args`. */
  buildArgs?: Record<string, string>;
  /** Builds at once. Default 2. */
  concurrency?: number;
  onProgress?: (event: BuildEvent) => void;
  /** Remembers which image each build key produced, so an unchanged rebuild is skipped. */
  keyCache?: KeyCache;
}

export interface FailedStep {
  step: number;
  total: number;
  instruction: string;
}

/** A build that failed in the Dockerfile: which service, which step, and that step's output. */
export class BuildFailedError extends OperationError {
  override readonly code = 'build.failed';
  readonly service: string;
  readonly image: string;
  readonly step?: FailedStep;
  readonly output: string[];

  constructor(init: {service: string; image: string; step?: FailedStep; output: string[]; reason: string; hint?: string}) {
    const at = init.step ? ` at step ${init.step.step}/${init.step.total}` : '';
    super(`building service "${init.service}" failed${at}: ${init.reason}`, {
      hint: init.hint ?? `fix the Dockerfile or the files it uses, then run \`spin build ${init.service}\` again`,
    });
    this.service = init.service;
    this.image = init.image;
    this.step = init.step;
    this.output = init.output;
  }
}

const HANDLED = new Set(['context', 'dockerfile', 'dockerfile_inline', 'args', 'target', 'labels', 'network', 'extra_hosts', 'shm_size', 'cache_from', 'tags', 'no_cache', 'pull']);
const MAX_FAILURE_LINES = 200;
const STEP = /^Step (\d+)\/(\d+) : (.*)$/;
/** The classic builder's own bookkeeping, not the step's output. */
const NOISE = /^( ---> |Removing intermediate container |Successfully (built|tagged) )/;

/** `--build-arg K=V` (or `K`, taking the value from the environment, like docker). */
export function parseBuildArgs(list: readonly string[], env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    const key = eq >= 0 ? item.slice(0, eq) : item;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UsageError(`invalid --build-arg "${item}"`, {hint: 'write --build-arg NAME=VALUE, or --build-arg NAME to take the value from the environment'});
    }
    const value = eq >= 0 ? item.slice(eq + 1) : env[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** `extra_hosts` in any compose form, as the engine's `host:ip` lines. */
export function extraHosts(value: unknown): string[] {
  if (Array.isArray(value)) {
    return value.map((h) => String(h)).map((h) => {
      const eq = h.indexOf('=');
      return eq >= 0 ? `${h.slice(0, eq)}:${h.slice(eq + 1)}` : h;
    });
  }
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([host, ip]) => (Array.isArray(ip) ? ip : [ip]).map((i) => `${host}:${String(i)}`));
  }
  return [];
}

function canonical(ref: string): string | undefined {
  try {
    const r = parseReference(ref);
    return `${r.registry}/${r.repository}${r.digest ? `@${r.digest}` : `:${r.tag ?? 'latest'}`}`;
  } catch {
    return undefined;
  }
}

/** The images a Dockerfile builds on (`FROM`, `COPY --from=`), build args substituted; stage names left out. */
export function dockerfileBaseImages(text: string, args: Record<string, string> = {}): string[] {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const vars: Record<string, string> = {};
  const stages = new Set<string>();
  const images = new Set<string>();
  let seenFrom = false;
  const expand = (s: string) =>
    s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a?: string, def?: string, b?: string) => vars[a ?? b!] ?? def ?? '');
  for (const raw of lines) {
    const line = raw.trim();
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?/i.exec(line);
    if (arg && !seenFrom) {
      vars[arg[1]] = args[arg[1]] ?? arg[2]?.replace(/^"(.*)"$/, '$1') ?? '';
      continue;
    }
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      seenFrom = true;
      const image = expand(from[1]);
      if (!stages.has(image.toLowerCase()) && image !== 'scratch') images.add(image);
      if (from[2]) stages.add(from[2].toLowerCase());
      continue;
    }
    const copy = /^COPY\s+.*--from=(\S+)/i.exec(line);
    if (copy && !/^\d+$/.test(copy[1]) && !stages.has(copy[1].toLowerCase())) images.add(expand(copy[1]));
  }
  return [...images];
}

/** The compose file's build args with `--build-arg` values over them. */
export function buildArgsOf(target: Pick<ImageTarget, 'build'>, overrides: Record<string, string> | undefined): Record<string, string> {
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.build.args ?? {})) if (typeof v === 'string') args[k] = v;
  return {...args, ...overrides};
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')]));
}

/** The engine's build parameters for a target. */
export function engineOptions(target: Pick<ImageTarget, 'image' | 'build'>, dockerfile: string, options: Pick<BuildImagesOptions, 'noCache' | 'pull' | 'buildArgs'>): Record<string, unknown> {
  const b = target.build;
  const tags = [target.image, ...(Array.isArray(b.tags) ? b.tags.map(String) : [])];
  const hosts = extraHosts(b.extra_hosts);
  const cacheFrom = Array.isArray(b.cache_from) ? b.cache_from.map(String) : [];
  const opts: Record<string, unknown> = {
    t: tags,
    dockerfile,
    buildargs: buildArgsOf(target, options.buildArgs),
    rm: true,
    // Intermediate containers of a failed step are removed too: a build leaves nothing behind.
    forcerm: true,
    nocache: Boolean(options.noCache || b.no_cache === true),
    pull: Boolean(options.pull || b.pull === true),
    version: '1',
  };
  if (typeof b.target === 'string') opts.target = b.target;
  const labels = stringMap(b.labels);
  if (labels) opts.labels = labels;
  if (typeof b.network === 'string') opts.networkmode = b.network;
  if (hosts.length) opts.extrahosts = hosts;
  if (typeof b.shm_size === 'number') opts.shmsize = b.shm_size;
  if (cacheFrom.length) opts.cachefrom = JSON.stringify(cacheFrom);
  return opts;
}

/**
 * What a build's result depends on: the content digest (content.ts), the other engine options but
 * not the names, and the local IDs of the base images. Same key, same image: the build is skipped
 * and the image only tagged. `undefined` when a base image is not local.
 */
export async function buildKey(content: string, engine: Record<string, unknown>, docker: Dockerode, bases: readonly string[]): Promise<string | undefined> {
  const {t: _names, ...rest} = engine;
  const hash = createHash('sha256');
  hash.update(`${content}\0${stableJson(rest)}`);
  for (const base of bases) {
    const id = await docker.getImage(base).inspect().then((i) => i.Id, () => undefined);
    if (!id) return undefined;
    hash.update(`\0base:${base}=${id}`);
  }
  return hash.digest('hex');
}

/** The listing and content digest of a target, as plan.ts computes them when naming images. */
export async function targetSource(target: Pick<ImageTarget, 'image' | 'build'>, buildArgs: Record<string, string> | undefined): Promise<TargetSource> {
  const b = target.build;
  const listing = await listContext({context: b.context, dockerfile: b.dockerfile, dockerfileInline: b.dockerfile_inline});
  const files = await hashEntries(listing.entries);
  return {listing, files, digest: contentDigest({files, engine: engineOptions(target, listing.dockerfile, {buildArgs})})};
}

/**
 * A build whose key names an image the engine still has needs no build: the image gets the
 * target's names (a tag is a pointer, so this is instant). Undefined when it must be built.
 */
async function reuse(target: ImageTarget, engine: Record<string, unknown>, key: string, cache: KeyCache, docker: Dockerode): Promise<{id: string; tagged: boolean} | undefined> {
  const id = cache.get(key);
  if (!id) return undefined;
  const existing = await docker.getImage(id).inspect().catch(() => undefined);
  if (!existing) return undefined;
  const have = new Set((existing.RepoTags ?? []).map(canonical));
  let tagged = false;
  for (const name of engine.t as string[]) {
    if (have.has(canonical(name))) continue;
    const ref = parseReference(name);
    if (ref.digest) return undefined;
    try {
      await docker.getImage(existing.Id).tag({repo: repositoryName(ref), tag: ref.tag ?? 'latest'});
    } catch (err) {
      throw engineError(err, `tag image "${name}" of service "${target.service}"`);
    }
    tagged = true;
  }
  return {id: existing.Id, tagged};
}

async function buildOne(target: ImageTarget, options: BuildImagesOptions, source: TargetSource): Promise<BuiltImage> {
  const {listing} = source;
  const {service, image} = target;
  const emit = options.onProgress ?? (() => {});
  for (const key of Object.keys(target.build)) {
    if (!HANDLED.has(key) && !key.startsWith('x-')) emit({type: 'warning', service, message: `build.${key} is not supported by spin build; it is ignored`});
  }
  emit({type: 'start', service, image, files: listing.entries.length, bytes: listing.bytes});
  const engine = engineOptions(target, listing.dockerfile, options);
  const cache = options.keyCache;
  const bases = dockerfileBaseImages(listing.dockerfileText, buildArgsOf(target, options.buildArgs));
  const key = engine.nocache || engine.pull || !cache ? undefined : await buildKey(source.digest, engine, options.docker, bases);
  if (key && cache) {
    const reused = await reuse(target, engine, key, cache, options.docker);
    if (reused) {
      emit({type: 'output', service, line: reused.tagged ? `same content as image ${reused.id.slice(7, 19)}: tagged it, nothing to build` : 'unchanged since the last build: nothing to do'});
      emit({type: 'done', service, image, id: reused.id});
      return {service, image, id: reused.id};
    }
  }
  const tar = packEntries(listing.entries);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await options.docker.buildImage(tar, engine as Dockerode.ImageBuildOptions);
  } catch (err) {
    tar.destroy();
    throw engineError(err, `build service "${service}"`);
  }
  let step: FailedStep | undefined;
  let stepOutput: string[] = [];
  let partial = '';
  let id: string | undefined;
  let failure: string | undefined;
  const line = (text: string) => {
    const m = STEP.exec(text);
    if (m) {
      step = {step: Number(m[1]), total: Number(m[2]), instruction: m[3]};
      stepOutput = [];
      emit({type: 'step', service, ...step});
    } else {
      if (!NOISE.test(text)) {
        stepOutput.push(text);
        if (stepOutput.length > MAX_FAILURE_LINES) stepOutput.shift();
      }
      const built = /^Successfully built ([0-9a-f]+)$/.exec(text);
      if (built && !id) id = built[1];
    }
    emit({type: 'output', service, line: text});
  };
  try {
    await readMessages(stream, (m) => {
      if (typeof m.stream === 'string') {
        const parts = (partial + m.stream).split('\n');
        partial = parts.pop() ?? '';
        for (const p of parts) line(p.replace(/\r$/, ''));
      }
      if (m.aux && typeof m.aux.ID === 'string') id = m.aux.ID;
      if (m.error !== undefined || m.errorDetail !== undefined) failure = m.errorDetail?.message ?? m.error ?? 'unknown error';
    });
  } catch (err) {
    throw engineError(err, `build service "${service}"`);
  }
  if (partial) line(partial);
  if (failure !== undefined) {
    const explained = await explainBuildFailure(failure.trim(), {service, context: target.build.context, instruction: step?.instruction});
    throw new BuildFailedError({service, image, step, output: stepOutput, reason: failure.trim(), ...explained});
  }
  if (!id) throw new OperationError(`building service "${service}" ended without an image`, {hint: 'the engine stopped answering; check `docker info` and try again'});
  const short = id;
  const full = short.startsWith('sha256:') ? short : (await options.docker.getImage(image).inspect().catch(() => ({Id: short}))).Id;
  if (key && cache) cache.set(key, full);
  emit({type: 'done', service, image, id: full});
  return {service, image, id: full};
}

/** Builds every target; resolves with the built images in the targets' order. */
export async function buildImages(options: BuildImagesOptions): Promise<BuiltImage[]> {
  const sources = new Map<string, TargetSource>();
  for (const t of options.targets) sources.set(t.service, t.source ?? (await targetSource(t, options.buildArgs)));
  const byImage = new Map<string, string>();
  for (const t of options.targets) {
    const key = canonical(t.image);
    if (key) byImage.set(key, t.service);
  }
  const jobs = options.targets.map((t) => {
    const source = sources.get(t.service)!;
    const after = dockerfileBaseImages(source.listing.dockerfileText, buildArgsOf(t, options.buildArgs))
      .map((img) => byImage.get(canonical(img) ?? ''))
      .filter((s): s is string => s !== undefined && s !== t.service);
    return {id: t.service, after: [...new Set(after)], run: () => buildOne(t, options, source)};
  });
  checkCycles(jobs);
  const results = await runJobs(jobs, options.concurrency ?? 2);
  return options.targets.map((t) => results.get(t.service)!);
}

function checkCycles(jobs: readonly {id: string; after: string[]}[]): void {
  const deps = new Map(jobs.map((j) => [j.id, j.after]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      throw new InvalidInputError(`services build FROM each other: ${[...path.slice(path.indexOf(id)), id].join(' -> ')}`, {hint: 'one of these Dockerfiles must start from an image no other service builds'});
    }
    state.set(id, 'visiting');
    for (const d of deps.get(id) ?? []) visit(d, [...path, id]);
    state.set(id, 'done');
  };
  for (const j of jobs) visit(j.id, []);
}
