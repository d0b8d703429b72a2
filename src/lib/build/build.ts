// Builds the images of a compose project through the engine's build API (the classic builder's
// JSON stream, which every engine version speaks without a BuildKit session). Services build
// at most `concurrency` at a time; one whose Dockerfile starts FROM another service's image waits
// for that build. Progress goes to a callback; a failed step comes back as BuildFailedError with
// the step and what it printed.

import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';

import type Dockerode from 'dockerode';

import type {Service} from '../compose/types.ts';
import {engineError} from '../engine/errors.ts';
import {InvalidInputError, OperationError, UsageError} from '../errors.ts';
import {listContext, packEntries} from './context.ts';
import type {KeyCache} from './key-cache.ts';
import {parseReference} from './naming.ts';
import {runJobs} from './schedule.ts';
import {readMessages} from './stream.ts';

export type BuildSpec = NonNullable<Service['build']>;

export interface ImageTarget {
  service: string;
  /** The name to build and tag (`<registry>/<project>/<service>:<tag>`, or the service's `image:`). */
  image: string;
  build: BuildSpec;
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

  constructor(init: {service: string; image: string; step?: FailedStep; output: string[]; reason: string}) {
    const at = init.step ? ` at step ${init.step.step}/${init.step.total}` : '';
    super(`building service "${init.service}" failed${at}: ${init.reason}`, {
      hint: `fix the Dockerfile or the files it uses, then run \`spin build ${init.service}\` again`,
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

function buildArgsOf(target: ImageTarget, overrides: Record<string, string> | undefined): Record<string, string> {
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.build.args ?? {})) if (typeof v === 'string') args[k] = v;
  return {...args, ...overrides};
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')]));
}

function engineOptions(target: ImageTarget, dockerfile: string, options: BuildImagesOptions): Record<string, unknown> {
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
 * What a build's result depends on: every file sent (names, modes, contents), the engine options,
 * and the local IDs of the base images. Same key, same image: a rebuild of an unchanged app is
 * skipped instead of sending the context again. `undefined` when a base image is not local.
 */
export async function buildKey(listing: Awaited<ReturnType<typeof listContext>>, engine: Record<string, unknown>, docker: Dockerode, args: Record<string, string>): Promise<string | undefined> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(engine));
  for (const base of dockerfileBaseImages(listing.dockerfileText, args)) {
    const id = await docker.getImage(base).inspect().then((i) => i.Id, () => undefined);
    if (!id) return undefined;
    hash.update(`\0base:${base}=${id}`);
  }
  for (const e of listing.entries) {
    hash.update(`\0${e.type}:${e.name}:${e.mode}:${e.linkname ?? ''}:${e.size}\0`);
    if (e.type !== 'file') continue;
    if (e.content) hash.update(e.content);
    else for await (const chunk of createReadStream(e.source!)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

async function buildOne(target: ImageTarget, options: BuildImagesOptions, listing: Awaited<ReturnType<typeof listContext>>): Promise<BuiltImage> {
  const {service, image} = target;
  const emit = options.onProgress ?? (() => {});
  for (const key of Object.keys(target.build)) {
    if (!HANDLED.has(key) && !key.startsWith('x-')) emit({type: 'warning', service, message: `build.${key} is not supported by spin build; it is ignored`});
  }
  emit({type: 'start', service, image, files: listing.entries.length, bytes: listing.bytes});
  const engine = engineOptions(target, listing.dockerfile, options);
  const key = engine.nocache || engine.pull ? undefined : await buildKey(listing, engine, options.docker, buildArgsOf(target, options.buildArgs));
  const cache = options.keyCache;
  if (key && cache) {
    const existing = await options.docker.getImage(image).inspect().catch(() => undefined);
    if (existing && cache.get(key) === existing.Id) {
      emit({type: 'output', service, line: 'unchanged since the last build: nothing to do'});
      emit({type: 'done', service, image, id: existing.Id});
      return {service, image, id: existing.Id};
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
  if (failure !== undefined) throw new BuildFailedError({service, image, step, output: stepOutput, reason: failure.trim()});
  if (!id) throw new OperationError(`building service "${service}" ended without an image`, {hint: 'the engine stopped answering; check `docker info` and try again'});
  const short = id;
  const full = short.startsWith('sha256:') ? short : (await options.docker.getImage(image).inspect().catch(() => ({Id: short}))).Id;
  if (key && cache) cache.set(key, full);
  emit({type: 'done', service, image, id: full});
  return {service, image, id: full};
}

/** Builds every target; resolves with the built images in the targets' order. */
export async function buildImages(options: BuildImagesOptions): Promise<BuiltImage[]> {
  const listings = new Map<string, Awaited<ReturnType<typeof listContext>>>();
  for (const t of options.targets) {
    listings.set(
      t.service,
      await listContext({context: t.build.context, dockerfile: t.build.dockerfile, dockerfileInline: t.build.dockerfile_inline}),
    );
  }
  const byImage = new Map<string, string>();
  for (const t of options.targets) {
    const key = canonical(t.image);
    if (key) byImage.set(key, t.service);
  }
  const jobs = options.targets.map((t) => {
    const listing = listings.get(t.service)!;
    const after = dockerfileBaseImages(listing.dockerfileText, buildArgsOf(t, options.buildArgs))
      .map((img) => byImage.get(canonical(img) ?? ''))
      .filter((s): s is string => s !== undefined && s !== t.service);
    return {id: t.service, after: [...new Set(after)], run: () => buildOne(t, options, listing)};
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
