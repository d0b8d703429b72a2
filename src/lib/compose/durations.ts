// Where a service holds durations. The normalized model keeps them as nanoseconds (`DurationNs`);
// a compose document writes them as text (`1m30s`). One list serves the three crossings: normalize
// (text → number), render (number → text) and models stored before durations were numbers.

import type {ComposeModel} from './types.ts';
import {formatDuration, parseDuration} from './units.ts';

/** Every duration a service can set, as a path from the service. */
export const DURATION_FIELDS: readonly (readonly string[])[] = [
  ['stop_grace_period'],
  ['healthcheck', 'interval'],
  ['healthcheck', 'timeout'],
  ['healthcheck', 'start_period'],
  ['healthcheck', 'start_interval'],
  ['deploy', 'update_config', 'delay'],
  ['deploy', 'update_config', 'monitor'],
  ['deploy', 'rollback_config', 'delay'],
  ['deploy', 'rollback_config', 'monitor'],
  ['deploy', 'restart_policy', 'delay'],
  ['deploy', 'restart_policy', 'window'],
];

type Map = Record<string, unknown>;
const isMap = (v: unknown): v is Map => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The service with each duration it sets replaced by `fn`'s answer. Copies only the mappings on
 * the way to a changed value, so neither the input nor anything it shares is modified.
 */
export function mapDurations<T extends object>(service: T, fn: (value: unknown, path: readonly string[]) => unknown): T {
  let out = service as Map;
  for (const path of DURATION_FIELDS) {
    const parents: Map[] = [out];
    for (const key of path.slice(0, -1)) {
      const next = parents[parents.length - 1][key];
      if (!isMap(next)) break;
      parents.push(next);
    }
    if (parents.length !== path.length) continue;
    const last = path[path.length - 1];
    const value = parents[parents.length - 1][last];
    if (value === undefined || value === null) continue;
    const mapped = fn(value, path);
    if (mapped === value) continue;
    // Rebuild the chain of copies from the changed value up to the service.
    let child: unknown = mapped;
    for (let i = path.length - 1; i >= 0; i--) child = {...parents[i], [path[i]]: child};
    out = child as Map;
  }
  return out as T;
}

const asText = (v: unknown) => (typeof v === 'number' ? formatDuration(v) : v);
const asNumber = (v: unknown) => (typeof v === 'string' ? (parseDuration(v) ?? v) : v);

/** A service's durations as compose text (text already there stays); for documents and the config hash. */
export function durationsAsText<T extends object>(service: T): T {
  return mapDurations(service, asText);
}

/** Every service of the model through `fn`; the model itself when none changes. */
function mapServices(project: ComposeModel, fn: (value: unknown) => unknown): ComposeModel {
  if (!isMap(project.services)) return project;
  let services: ComposeModel['services'] | undefined;
  for (const [name, service] of Object.entries(project.services)) {
    const mapped = mapDurations(service, fn);
    if (mapped !== service) (services ??= {...project.services})[name] = mapped;
  }
  return services ? {...project, services} : project;
}

/**
 * The model with its durations as compose text: how the agent's API shows a revision's model
 * (`spin inspect`), as it did before the normalized model held numbers.
 */
export function withTextDurations(project: ComposeModel): ComposeModel {
  return mapServices(project, asText);
}

/**
 * The model with its durations as nanoseconds. For models recorded before the normalized model
 * held numbers: the agent's store reads revisions through this, so rollback, reconcile, scale and
 * upgrade see today's model. Text that is no duration stays as it is (it cannot have passed the
 * loader); a model that has numbers already comes back as it is.
 */
export function withNumericDurations(project: ComposeModel): ComposeModel {
  return mapServices(project, asNumber);
}
