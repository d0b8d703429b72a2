// Host paths as the engine will mount them. A bind source is a path the kernel follows at mount
// time, symlinks and all: `/global/cfs/cdirs/genomics/link` may well be `/etc`. The agent runs on
// the engine's host, so before the policy looks at a model it resolves every host path the model
// mounts and writes the real path back into the model: the policy then checks, and the engine
// then mounts, the same path. The policy's own path lists are resolved the same way, so a site
// whose roots sit behind a symlink (`/global` -> `/mnt/global`) still recognizes them.
//
// What this cannot close: a tenant who owns a folder on the real path can swap it for a symlink
// between the check and the mount. Only the engine could mount without following links.

import {realpath as fsRealpath} from 'node:fs/promises';
import {posix} from 'node:path';

import {diagnostic} from '../compose/diagnostics.ts';
import {formatPath} from '../compose/locations.ts';
import type {Diagnostic, ModelPath, ComposeModel, Service, VolumeDef} from '../compose/types.ts';
import {isBindOption, isHostBind} from '../policy/global-fs.ts';
import {PROJECT_PLACEHOLDER} from '../policy/paths.ts';
import type {Policy} from '../policy/types.ts';

/** fs.realpath's contract: the canonical absolute path, or an error with a `code` (ENOENT ...). */
export type Realpath = (path: string) => Promise<string>;

const isMissing = (err: unknown) => ['ENOENT', 'ENOTDIR'].includes(String((err as NodeJS.ErrnoException)?.code));

/**
 * The real path `path` names: symlinks followed, no `.` or `..` left. A path that does not exist
 * yet (the engine creates a missing bind folder) is resolved one segment at a time, so a symlink
 * anywhere on the way is still followed. Relative paths come back as they are. Other errors
 * (EACCES, ELOOP) are thrown: a path the agent cannot resolve is not a path it can vouch for.
 */
export async function resolveHostPath(path: string, realpath: Realpath = fsRealpath): Promise<string> {
  if (!path.startsWith('/')) return path;
  try {
    return await realpath(path);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  // `real` never holds a symlink, so its parent is what `..` names.
  let real = '/';
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      real = posix.dirname(real);
      continue;
    }
    const next = posix.join(real, part);
    try {
      real = await realpath(next);
    } catch (err) {
      if (!isMissing(err)) throw err;
      real = next;
    }
  }
  return real;
}

const reason = (err: unknown) => String((err as NodeJS.ErrnoException)?.code ?? (err instanceof Error ? err.message : err));

export interface ResolvedHostPaths {
  project: ComposeModel;
  /** The paths that changed, by model path (`services.web.volumes[0]`), to explain a refusal. */
  changed: {path: string; written: string; real: string}[];
  /** Paths that could not be resolved. */
  diagnostics: Diagnostic[];
}

/**
 * The model with every host path it mounts replaced by its real path: service volumes of type
 * bind (their `source`) and top-level volumes whose `driver_opts.o` binds (their `device`). A
 * path that cannot be resolved stays as written and comes back as a `bind-mounts` error.
 */
export async function resolveHostPaths(model: ComposeModel, realpath: Realpath = fsRealpath): Promise<ResolvedHostPaths> {
  const diagnostics: Diagnostic[] = [];
  const changed: ResolvedHostPaths['changed'] = [];
  const resolve = async (source: string, path: ModelPath, who: string): Promise<string> => {
    try {
      const real = await resolveHostPath(source, realpath);
      if (real !== source) changed.push({path: formatPath(path), written: source, real});
      return real;
    } catch (err) {
      diagnostics.push(
        diagnostic(undefined, {
          source: 'policy',
          rule: 'bind-mounts',
          message: `${who} mounts host path "${source}", which the agent cannot resolve (${reason(err)})`,
          path,
          hint: 'mount a folder that exists and that the agent can read, without symlink loops',
        }),
      );
      return source;
    }
  };

  const services: Record<string, Service> = {};
  for (const [name, svc] of Object.entries(model.services ?? {})) {
    const volumes = Array.isArray(svc?.volumes) ? svc.volumes : undefined;
    if (!volumes?.some(isHostBind)) {
      services[name] = svc;
      continue;
    }
    const resolved = await Promise.all(
      volumes.map(async (v, i) => (isHostBind(v) && typeof v.source === 'string' ? {...v, source: await resolve(v.source, ['services', name, 'volumes', i], `service "${name}"`)} : v)),
    );
    services[name] = {...svc, volumes: resolved};
  }

  const volumes: Record<string, VolumeDef> = {};
  for (const [name, def] of Object.entries(model.volumes ?? {})) {
    const device = def?.driver_opts?.device;
    if (!def || def.external || !isBindOption(def.driver_opts?.o) || typeof device !== 'string') {
      volumes[name] = def;
      continue;
    }
    const real = await resolve(device, ['volumes', name, 'driver_opts', 'device'], `volume "${name}" (driver_opts o: bind)`);
    volumes[name] = {...def, driver_opts: {...def.driver_opts, device: real}};
  }

  return {project: {...model, services, ...(model.volumes ? {volumes} : {})}, changed, diagnostics};
}

/**
 * A root as it resolves on this host; the part from the first `{project}` segment on stays as
 * written (the site's folders are followed, a project's own folder is not: a tenant must not
 * widen its root by turning its folder into a link). Undefined when it resolves to itself or
 * cannot be resolved.
 */
async function resolvedRoot(root: string, realpath: Realpath): Promise<string | undefined> {
  if (!root.startsWith('/')) return undefined;
  const segments = root.split('/').filter((s) => s !== '');
  const at = segments.findIndex((s) => s.includes(PROJECT_PLACEHOLDER));
  const fixed = `/${(at === -1 ? segments : segments.slice(0, at)).join('/')}`;
  let real: string;
  try {
    real = await resolveHostPath(fixed, realpath);
  } catch {
    return undefined;
  }
  const out = at === -1 ? real : posix.join(real, ...segments.slice(at));
  return posix.normalize(out) === posix.normalize(root) ? undefined : out;
}

async function withResolved(list: string[], realpath: Realpath): Promise<string[]> {
  const extra = await Promise.all(list.map((p) => resolvedRoot(p, realpath)));
  return [...new Set([...list, ...extra.filter((p): p is string => p !== undefined)])];
}

/**
 * The policy with its host path lists (bind roots, forbidden sources, global file systems)
 * holding both each path as written and its real path, to check models whose paths are real.
 */
export async function resolvePolicyPaths(policy: Policy, realpath: Realpath = fsRealpath): Promise<Policy> {
  const [allowed, forbidden, globalRoots] = await Promise.all([
    withResolved(policy.bind_mounts.allowed_roots, realpath),
    withResolved(policy.bind_mounts.forbidden_sources, realpath),
    withResolved(policy.global_fs.roots, realpath),
  ]);
  return {
    ...policy,
    bind_mounts: {...policy.bind_mounts, allowed_roots: allowed, forbidden_sources: forbidden},
    global_fs: {...policy.global_fs, roots: globalRoots},
  };
}
