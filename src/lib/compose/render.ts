// Prints a normalized project the way `docker compose config` does: sections in a fixed order,
// names sorted, so the output diffs well between runs.

import {dump} from 'js-yaml';

import {durationsAsText} from './durations.ts';
import type {ComposeModel, Service} from './types.ts';

const SECTIONS = ['name', 'services', 'networks', 'volumes', 'secrets', 'configs', 'models'];

function sortedKeys<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(map).sort().map((k) => [k, map[k]]));
}

const isEmpty = (v: unknown) => v !== null && typeof v === 'object' && Object.keys(v).length === 0;

/** The canonical model keeps every collection present for its readers; people need not see empty ones. */
function compactService(service: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(service).sort().filter((k) => !isEmpty(service[k])).map((k) => [k, service[k]]));
}

function ordered(project: ComposeModel): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of SECTIONS) {
    const v = project[key];
    if (v === undefined) continue;
    if (key !== 'name' && v && typeof v === 'object' && Object.keys(v).length === 0) continue;
    if (key === 'name') out[key] = v;
    else if (key === 'services') out[key] = Object.fromEntries(Object.entries(sortedKeys(project.services)).map(([n, svc]) => [n, compactService(svc)]));
    else out[key] = sortedKeys(v as Record<string, unknown>);
  }
  for (const key of Object.keys(project).sort()) if (!SECTIONS.includes(key)) out[key] = project[key];
  return out;
}

/** Values were interpolated already; `$$` keeps a literal `$` literal when the document is loaded again. */
function escapeDollars(v: unknown): unknown {
  if (typeof v === 'string') return v.includes('$') ? v.replaceAll('$', '$$$$') : v;
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = escapeDollars(x);
  }
  return v;
}

/** The canonical values the schema types differently are written its way: durations as text, deploy memory as a string of bytes. */
function asCompose(service: Service): Service {
  const out = durationsAsText(service);
  const resources = out.deploy?.resources;
  for (const part of [resources?.limits, resources?.reservations]) {
    if (part && typeof part.memory === 'number') (part as Record<string, unknown>).memory = String(part.memory);
  }
  return out;
}

function composeDocument(project: ComposeModel, escape: boolean): Record<string, unknown> {
  const doc = structuredClone(project);
  if (escape) escapeDollars(doc);
  for (const [name, service] of Object.entries(doc.services)) doc.services[name] = asCompose(service);
  return ordered(doc);
}

/**
 * The project as a compose file that loads back to the same project, `$` written `$$` since a
 * compose loader interpolates it: what `spin config` prints, for docker compose or spin to read.
 */
export function toComposeDocument(project: ComposeModel): Record<string, unknown> {
  return composeDocument(project, true);
}

/**
 * The project as a resolved compose document (`RESOLVED_MODEL_FORMAT`): the same document with
 * every value as it is, since its reader (the agent) interpolates nothing. The CLI sends this.
 */
export function toResolvedDocument(project: ComposeModel): Record<string, unknown> {
  return composeDocument(project, false);
}

export function renderModel(project: ComposeModel, format: 'yaml' | 'json'): string {
  const model = toComposeDocument(project);
  if (format === 'json') return `${JSON.stringify(model, null, 2)}\n`;
  // js-yaml writes several times faster than the yaml package; it quotes every string another
  // YAML reader could take for a number or boolean, so the output loads back the same.
  return dump(model, {lineWidth: -1, noRefs: true});
}
