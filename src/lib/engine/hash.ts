// The config hash decides whether a running container still matches the model: equal hashes mean
// "keep", so the same model deployed twice changes nothing. It covers everything that shapes the
// container and nothing that only says how many or how to roll out.

import {createHash} from 'node:crypto';

import {durationsAsText} from '../compose/durations.ts';
import type {Service} from '../compose/types.ts';

/** Bumped when the mapping from model to container changes, so old containers get recreated. */
const HASH_VERSION = 1;

/**
 * JSON with object keys sorted at every level, so equal values always give equal text whatever the
 * order the loader built them in. `undefined` members are dropped, as JSON.stringify does.
 */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : stableJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface HashInputs {
  /** The image ID the reference resolves to on the engine (or a marker when it is not there yet). */
  imageId: string;
  /** sha256 of each secret and config file's content, by file name. */
  files: Record<string, string>;
  /** Engine names of the networks and volumes the service uses. */
  networks: string[];
  volumes: string[];
}

/**
 * The service as it shapes a container: replica counts, rollout settings and build instructions
 * (client-side paths that differ between machines; the image ID covers what they produce) are left
 * out.
 */
export function hashedService(service: Service): Record<string, unknown> {
  // Durations as the text they were hashed as before the model held nanoseconds, so containers
  // deployed then are kept.
  const {deploy, build: _build, develop: _develop, scale: _scale, ...rest} = durationsAsText(service);
  if (!deploy) return rest;
  const {replicas: _replicas, update_config: _update, rollback_config: _rollback, ...kept} = deploy;
  // `deploy: {replicas: 3}` shapes the container exactly like no deploy section at all.
  return Object.keys(kept).length > 0 ? {...rest, deploy: kept} : rest;
}

export function configHash(service: Service, inputs: HashInputs): string {
  return sha256(stableJson({v: HASH_VERSION, service: hashedService(service), ...inputs, networks: [...inputs.networks].sort(), volumes: [...inputs.volumes].sort()}));
}
