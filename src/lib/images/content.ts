// What an image is made of, as one digest: the files the build context sends (after
// .dockerignore, the Dockerfile included), the build options that change what a build produces
// (build args, target, labels, network, extra hosts, shm size) and the digests of the images this
// project builds that it starts FROM. The default tag is this digest, so `spin build`, `spin push`,
// `spin deploy` and `spin up` name the same content the same way, in any order and on any day,
// and different content never shares a name: unlike a clock or a `-dirty` commit. Base images
// from elsewhere count by name only (their bytes are not known before a pull); the build key
// (build.ts) adds their local IDs to decide whether a build can be skipped.

import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';

import {stableJson} from '../engine/hash.ts';
import {fileError} from '../errors.ts';
import type {ContextEntry} from './context.ts';

/** Bumped when what goes into the digest changes, so old tags are not taken for new content. */
const CONTENT_VERSION = 1;
/** Hex digits of the digest in a tag: 64 bits, as unlikely to collide as a git short commit is rare. */
export const CONTENT_TAG_LENGTH = 16;

/** Engine build options that do not change the image: names, cache use, clean-up, the builder's version. */
const NOT_CONTENT = new Set(['t', 'nocache', 'pull', 'rm', 'forcerm', 'version', 'cachefrom']);

/** sha256 over every entry's name, type, mode, link target and bytes (not its mtime: a fresh checkout is the same content). */
export async function hashEntries(entries: readonly ContextEntry[]): Promise<string> {
  const hash = createHash('sha256');
  for (const e of entries) {
    hash.update(`\0${e.type}:${e.name}:${e.mode}:${e.linkname ?? ''}:${e.size}\0`);
    if (e.type !== 'file') continue;
    if (e.content) {
      hash.update(e.content);
      continue;
    }
    try {
      for await (const chunk of createReadStream(e.source!)) hash.update(chunk as Buffer);
    } catch (err) {
      throw fileError(e.source!, err);
    }
  }
  return hash.digest('hex');
}

export interface ContentInputs {
  /** hashEntries of the context. */
  files: string;
  /** The engine's build options; those that only name or cache are left out here. */
  engine: Record<string, unknown>;
  /** Content digests of the project's own images this one builds on, by service. */
  upstream?: Record<string, string>;
}

/** The content digest (64 hex digits). */
export function contentDigest(inputs: ContentInputs): string {
  const shaping = Object.fromEntries(Object.entries(inputs.engine).filter(([k]) => !NOT_CONTENT.has(k)));
  return createHash('sha256')
    .update(stableJson({v: CONTENT_VERSION, files: inputs.files, build: shaping, upstream: inputs.upstream ?? {}}))
    .digest('hex');
}

/** The default tag for a content digest. */
export function contentTag(digest: string): string {
  return digest.slice(0, CONTENT_TAG_LENGTH);
}
