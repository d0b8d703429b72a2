// Prefix tests on slash-separated paths (host folders, registry repositories), with the policy's
// `{project}` placeholder. Comparison is by whole segments: `/data/ab` is not under `/data/a`.

import {posix} from 'node:path';

export const PROJECT_PLACEHOLDER = '{project}';

/** Resolves `.`, `..` and doubled slashes, and drops a trailing slash (except for `/`). */
export function normalizeHostPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function segments(p: string): string[] {
  return p.split('/').filter((s) => s !== '');
}

/** True when `inner` is `outer` or inside it (both normalized, same kind of path). */
export function isWithin(inner: string, outer: string): boolean {
  const a = segments(inner);
  const b = segments(outer);
  return b.length <= a.length && b.every((s, i) => s === a[i]);
}

/** A project name usable in a path: one non-empty segment that is not `.` or `..`. */
function safeProject(project: string | undefined): string | undefined | null {
  if (project === undefined) return undefined;
  return project !== '' && project !== '.' && project !== '..' && !project.includes('/') ? project : null;
}

/**
 * True when `path` is at or under `root`, where `{project}` in the root is the caller's project.
 * Without a project (a local check before anyone is known), `{project}` matches any one segment;
 * with a project name that could escape its folder, it matches nothing.
 */
export function isWithinRoot(path: string, root: string, project: string | undefined): boolean {
  const project_ = safeProject(project);
  if (project_ === null && root.includes(PROJECT_PLACEHOLDER)) return false;
  const p = segments(path);
  const r = segments(root);
  if (r.length > p.length) return false;
  return r.every((seg, i) => segmentMatches(p[i], seg, project_ ?? undefined));
}

function segmentMatches(actual: string, pattern: string, project: string | undefined): boolean {
  if (!pattern.includes(PROJECT_PLACEHOLDER)) return actual === pattern;
  if (project !== undefined) return actual === pattern.split(PROJECT_PLACEHOLDER).join(project);
  const re = pattern
    .split(PROJECT_PLACEHOLDER)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${re}$`).test(actual);
}

/** The root as the user should read it: the project filled in when known. */
export function showRoot(root: string, project: string | undefined): string {
  const p = safeProject(project);
  return typeof p === 'string' ? root.split(PROJECT_PLACEHOLDER).join(p) : root;
}
