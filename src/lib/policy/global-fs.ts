// Which host paths a service mounts, and whether one of them is on a global file system. The
// policy's global-fs rule decides from this whether a service must run as the caller's UID:GID;
// the agent asks the same question before it lets `spin exec` pick a user.

import type {ModelPath, ComposeModel, Service, ServiceVolume, VolumeDef} from '../compose/types.ts';
import {isWithin, normalizeHostPath} from './paths.ts';
import type {Policy} from './types.ts';

/** The `o` option of a local volume asks for a bind mount (`bind`, `rbind`, among others). */
export function isBindOption(o: unknown): boolean {
  return String(o ?? '')
    .split(',')
    .some((x) => ['bind', 'rbind'].includes(x.trim()));
}

/** The host folder of a local volume declared with `driver_opts: {o: bind, device: ...}`. */
export function boundDevice(def: VolumeDef | null | undefined): string | undefined {
  if (!def || def.external) return undefined;
  if (def.driver !== undefined && def.driver !== 'local') return undefined;
  const opts = def.driver_opts ?? {};
  if (!isBindOption(opts.o)) return undefined;
  return String(opts.device ?? '');
}

/** A service volume whose source is a host path rather than a volume name. */
export function isHostBind(v: ServiceVolume | null | undefined): boolean {
  return v?.type === 'bind' || v?.type === 'npipe';
}

export interface HostMount {
  /** Normalized absolute host path, or the raw value when it is not absolute. */
  source: string;
  path: ModelPath;
}

/** A written host path normalized when absolute; anything else as written (the rules report it). */
export function hostPath(p: string | undefined): string {
  return p && p.startsWith('/') ? normalizeHostPath(p) : (p ?? '');
}

/** Every host path a service mounts: its binds, and the devices of bind-typed named volumes. */
export function hostMounts(project: ComposeModel, svc: Service, name: string): HostMount[] {
  const out: HostMount[] = [];
  // Stored models may predate a field: treat a missing list as empty rather than crash.
  const volumes = Array.isArray(svc?.volumes) ? svc.volumes : [];
  volumes.forEach((v, i) => {
    if (isHostBind(v)) out.push({source: hostPath(v.source), path: ['services', name, 'volumes', i]});
    else if (v?.type === 'volume' && v.source) {
      const device = boundDevice(project.volumes?.[v.source]);
      if (device !== undefined) out.push({source: hostPath(device), path: ['services', name, 'volumes', i]});
    }
  });
  return out;
}

/**
 * The first host path service `serviceName` mounts that lies on one of the policy's global file
 * systems (`global_fs.roots`), or undefined when it mounts none (or there is no such service).
 */
export function globalFsMount(project: ComposeModel, serviceName: string, policy: Policy): string | undefined {
  const svc = Object.hasOwn(project.services ?? {}, serviceName) ? project.services[serviceName] : undefined;
  if (!svc) return undefined;
  const roots = policy.global_fs.roots.map(normalizeHostPath);
  return hostMounts(project, svc, serviceName).find((m) => m.source.startsWith('/') && roots.some((r) => isWithin(m.source, r)))?.source;
}
