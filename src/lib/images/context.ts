// The build context as the engine wants it: a tar of the context folder without what
// `.dockerignore` excludes (Docker's own matching, through @balena/dockerignore). The Dockerfile
// and `.dockerignore` are always sent, as the docker CLI does: the engine needs the first and
// removes both from the context itself when they are ignored. A Dockerfile outside the context,
// or a `dockerfile_inline`, travels under a generated name derived from its content, so the same
// text never busts the layer cache.

import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {lstat, readdir, readFile, readlink, stat} from 'node:fs/promises';
import {isAbsolute, join, relative, resolve, sep} from 'node:path';
import {Readable} from 'node:stream';

import dockerignore from '@balena/dockerignore';
import {pack as tarPack, type Header} from 'tar-stream';

type Headers = Partial<Header> & {name: string};

import {fileError, InvalidInputError} from '../errors.ts';

const MAX_IGNORE_BYTES = 1024 * 1024;
const MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024;

export interface ContextSpec {
  /** The context folder (absolute). */
  context: string;
  /** The Dockerfile, relative to the context or absolute. Default `Dockerfile`. */
  dockerfile?: string;
  /** Dockerfile text given in the compose file; wins over `dockerfile`. */
  dockerfileInline?: string;
}

export interface ContextEntry {
  /** Path inside the tar, `/`-separated. */
  name: string;
  type: 'file' | 'directory' | 'symlink';
  /** Absolute path on disk; absent for generated files. */
  source?: string;
  content?: Buffer;
  mode: number;
  size: number;
  mtime: Date;
  linkname?: string;
}

export interface ContextListing {
  entries: ContextEntry[];
  /** The Dockerfile's path inside the tar (the engine's `dockerfile` parameter). */
  dockerfile: string;
  /** The Dockerfile's text, for tools that look at it before building (base images). */
  dockerfileText: string;
  bytes: number;
}

async function readLimited(path: string, limit: number, what: string): Promise<string | undefined> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(path, err);
  }
  if (info.size > limit) throw new InvalidInputError(`${what} "${path}" is larger than ${limit / 1024 / 1024} MiB`, {hint: `check that "${path}" is the file you meant`});
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw fileError(path, err);
  }
}

const GENERATED_PREFIX = '.spin-dockerfile-';

function generatedName(text: string): string {
  return `${GENERATED_PREFIX}${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

const toTarPath = (p: string) => p.split(sep).join('/');

/** Lists what goes into the context tar, sorted, with `.dockerignore` applied. */
export async function listContext(spec: ContextSpec): Promise<ContextListing> {
  const root = resolve(spec.context);
  const rootInfo = await stat(root).catch((err: unknown) => {
    throw (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? new InvalidInputError(`build context "${root}" does not exist`, {hint: 'fix `build.context` (relative paths are relative to the compose file)'})
      : fileError(root, err);
  });
  if (!rootInfo.isDirectory()) throw new InvalidInputError(`build context "${root}" is not a folder`, {hint: 'point `build.context` at the folder that holds the Dockerfile and sources'});

  let dockerfile: string;
  let dockerfileText: string;
  const generated: ContextEntry[] = [];
  const dockerfilePath = resolve(root, spec.dockerfile ?? 'Dockerfile');
  if (spec.dockerfileInline !== undefined) {
    dockerfileText = spec.dockerfileInline;
    dockerfile = generatedName(dockerfileText);
  } else {
    const text = await readLimited(dockerfilePath, MAX_DOCKERFILE_BYTES, 'Dockerfile');
    if (text === undefined) {
      throw new InvalidInputError(`Dockerfile "${dockerfilePath}" does not exist`, {hint: 'fix `build.dockerfile` (relative to the build context), or use `dockerfile_inline`'});
    }
    dockerfileText = text;
    const rel = relative(root, dockerfilePath);
    dockerfile = rel && !rel.startsWith('..') && !isAbsolute(rel) ? toTarPath(rel) : generatedName(text);
  }
  if (dockerfile.startsWith(GENERATED_PREFIX)) {
    const content = Buffer.from(dockerfileText);
    generated.push({name: dockerfile, type: 'file', content, mode: 0o644, size: content.length, mtime: new Date(0)});
  }

  // BuildKit's per-Dockerfile ignore file (`web.Dockerfile.dockerignore`) wins over the context's.
  const ownIgnore = spec.dockerfileInline === undefined ? await readLimited(`${dockerfilePath}.dockerignore`, MAX_IGNORE_BYTES, 'ignore file') : undefined;
  const ignoreText = ownIgnore ?? (await readLimited(join(root, '.dockerignore'), MAX_IGNORE_BYTES, 'ignore file')) ?? '';
  const patterns = ignoreText.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  // The package is CommonJS: its factory is also exported as `.default`, which is how TS sees it.
  const matcher = dockerignore.default().add(patterns);
  const hasExceptions = patterns.some((p) => p.startsWith('!'));
  const alwaysSent = new Set([dockerfile, '.dockerignore']);

  const entries: ContextEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    const names = (await readdir(dir).catch((err: unknown) => {
      throw fileError(dir, err);
    })).sort();
    for (const n of names) {
      const abs = join(dir, n);
      const name = toTarPath(relative(root, abs));
      const info = await lstat(abs).catch((err: unknown) => {
        throw fileError(abs, err);
      });
      const ignored = matcher.ignores(name) && !alwaysSent.has(name);
      if (info.isDirectory()) {
        if (!ignored) entries.push({name, type: 'directory', source: abs, mode: info.mode & 0o7777, size: 0, mtime: info.mtime});
        // An excluded folder may still hold re-included files (`!dir/keep`): then look inside.
        if (!ignored || hasExceptions) await walk(abs);
      } else if (ignored) {
        continue;
      } else if (info.isFile()) {
        entries.push({name, type: 'file', source: abs, mode: info.mode & 0o7777, size: info.size, mtime: info.mtime});
      } else if (info.isSymbolicLink()) {
        entries.push({name, type: 'symlink', source: abs, mode: info.mode & 0o7777, size: 0, mtime: info.mtime, linkname: await readlink(abs)});
      }
      // Sockets, fifos and devices have no place in an image build.
    }
  };
  await walk(root);
  // A Dockerfile inside an ignored folder was never visited: send it anyway.
  if (generated.length === 0 && !entries.some((e) => e.name === dockerfile)) {
    const info = await stat(dockerfilePath);
    entries.push({name: dockerfile, type: 'file', source: dockerfilePath, mode: info.mode & 0o7777, size: info.size, mtime: info.mtime});
  }
  const all = [...entries, ...generated];
  return {entries: all, dockerfile, dockerfileText, bytes: all.reduce((n, e) => n + e.size, 0)};
}

/** Streams the listed entries as an uncompressed tar (owner 0:0, as the docker CLI sends them). */
export function packEntries(entries: readonly ContextEntry[]): Readable {
  const pack = tarPack();
  const add = (header: Headers, body?: Buffer) =>
    new Promise<void>((ok, fail) => {
      const done = (err?: Error | null) => (err ? fail(err) : ok());
      if (body) pack.entry(header, body, done);
      else pack.entry(header, done);
    });
  const write = async () => {
    for (const e of entries) {
      const header: Headers = {name: e.name, mode: e.mode, mtime: e.mtime, uid: 0, gid: 0, uname: '', gname: ''};
      if (e.type === 'directory') await add({...header, type: 'directory'});
      else if (e.type === 'symlink') await add({...header, type: 'symlink', linkname: e.linkname});
      else if (e.content) await add({...header, type: 'file', size: e.content.length}, e.content);
      else await addFile(header, e);
    }
    pack.finalize();
  };
  // tar-stream's streams are streamx streams: feed them by hand, honouring backpressure.
  const addFile = async (header: Headers, e: ContextEntry) => {
    let sink!: ReturnType<typeof pack.entry>;
    const written = new Promise<void>((ok, fail) => {
      sink = pack.entry({...header, type: 'file', size: e.size}, (err) => (err ? fail(err) : ok()));
    });
    written.catch(() => {});
    try {
      for await (const chunk of createReadStream(e.source!)) {
        if (!sink.write(chunk)) await new Promise<void>((r) => sink.once('drain', () => r()));
      }
    } catch (err) {
      throw fileError(e.source!, err);
    }
    (sink as unknown as {end(): void}).end();
    await written;
  };
  write().catch((err: unknown) => pack.destroy(err as Error));
  return Readable.from(pack as AsyncIterable<Buffer>, {objectMode: false});
}

/** Lists and packs a context in one go: the tar stream and the Dockerfile's name inside it. */
export async function packContext(spec: ContextSpec): Promise<ContextListing & {tar: Readable}> {
  const listing = await listContext(spec);
  return {...listing, tar: packEntries(listing.entries)};
}
