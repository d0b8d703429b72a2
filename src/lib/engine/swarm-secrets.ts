// Secrets and configs on a Swarm cluster, as Swarm secret and config objects. The values are the
// ones the single-host backend mounts (files.ts: resolved by the agent from Spin's secret store or
// the request, inline `content` for configs), with the same target, owner and mode rules.
//
// Swarm objects are immutable, so each is named by a hash of its value: a changed value is a new
// object, the service spec names it, and the rollout moves the tasks over instead of the update
// failing on "secret in use". The old object stays while any task may still mount it and is pruned
// only once the stack has converged: removing it earlier would leave a rollback nothing to mount.
// The hash mixes in the project, stack, kind and name, so one tenant's object never shares its
// name with another's, and the value itself is never in a name, a label or an error. It is an HMAC
// under a key only the agent holds (`swarm-names.key` in its data folder): anyone who can list the
// cluster's secrets (every manager's operator) sees the names, and a plain hash of a short or
// guessable value (a PIN, a dictionary password) could be found offline by hashing candidates.

import {createHmac} from 'node:crypto';

import type Docker from 'dockerode';

import type {ComposeModel} from '../compose/types.ts';
import {engineCall, engineError, isNotFound, statusOf} from './errors.ts';
import {NOBODY, serviceFiles, type ServiceFile} from './files.ts';
import {labelFilter, objectLabels, ownedBy} from './naming.ts';
import type {StackRef} from './types.ts';

/** Swarm's longest secret or config name. */
const SWARM_NAME_MAX = 64;
/** Hex digits of the value hash in a name: 64 bits, where a collision needs the same project, stack and name too. */
const HASH_CHARS = 16;
/** Which compose name an object holds (its engine name is hashed). */
export const FILE_LABEL = 'org.spin.file';

export interface SwarmFile extends ServiceFile {
  /** The Swarm object's name: `project_stack_name_<hash>`, shortened to fit Swarm's limit. */
  swarmName: string;
}

/**
 * The Swarm object name for a file's value, under the agent's name key. Deterministic for one key, so a deploy of the same value finds the
 * object an earlier deploy made, and different for any other value, project, stack, kind or name.
 */
export function swarmFileName(ref: StackRef, file: Pick<ServiceFile, 'kind' | 'name' | 'content'>, key: Buffer): string {
  const hash = createHmac('sha256', key).update(`spin-swarm-${file.kind}\0${ref.project}\0${ref.stack}\0${file.name}\0`).update(file.content).digest('hex').slice(0, HASH_CHARS);
  // Swarm names start and end with a letter or digit; the compose name may end in `.`, `_` or `-`.
  const base = `${ref.project}_${ref.stack}_${file.name}`.slice(0, SWARM_NAME_MAX - HASH_CHARS - 1).replace(/[^A-Za-z0-9]+$/, '');
  return `${base}_${hash}`;
}

/**
 * The secrets and configs a service mounts, named for the cluster. `strict` as in serviceFiles:
 * without values (a plan only) a missing one is no error.
 */
export function swarmFiles(ref: StackRef, model: ComposeModel, service: string, secrets: Record<string, Buffer>, strict: boolean, key: Buffer): SwarmFile[] {
  return serviceFiles(model, service, secrets, strict).map((f) => ({...f, swarmName: swarmFileName(ref, f, key)}));
}

/**
 * A file's mount in a task. Swarm writes the file with the uid, gid and mode given; a service that
 * runs as a named user (uid unknown here) gets a file anyone in the container can read, owned by
 * nobody, as on a single host.
 */
function fileTarget(f: ServiceFile): {Name: string; UID: string; GID: string; Mode: number} {
  const uid = f.uid ?? NOBODY;
  return {Name: f.target, UID: String(uid), GID: String(f.gid ?? uid), Mode: f.uid === undefined ? f.mode | 0o444 : f.mode};
}

/** The ContainerSpec's `Secrets` and `Configs` for these files; `ids` maps each swarmName to its object ID. */
export function fileReferences(files: SwarmFile[], ids: Map<string, string>): {Secrets?: Docker.SecretReference[]; Configs?: Docker.ConfigReference[]} {
  const secrets = files.filter((f) => f.kind === 'secret').map((f) => ({File: fileTarget(f), SecretID: ids.get(f.swarmName) ?? '', SecretName: f.swarmName}));
  const configs = files.filter((f) => f.kind === 'config').map((f) => ({File: fileTarget(f), ConfigID: ids.get(f.swarmName) ?? '', ConfigName: f.swarmName}));
  return {...(secrets.length ? {Secrets: secrets} : {}), ...(configs.length ? {Configs: configs} : {})};
}

interface EngineObject {
  ID: string;
  Spec?: {Name?: string; Labels?: Record<string, string>};
}

/** The engine's calls for one kind, so secrets and configs share every step below. */
function api(docker: Docker, kind: ServiceFile['kind']) {
  return kind === 'secret'
    ? {
        list: (filters: object) => docker.listSecrets({filters}) as Promise<EngineObject[]>,
        create: (spec: object) => docker.createSecret(spec) as Promise<{id?: string; ID?: string}>,
        remove: (id: string) => docker.getSecret(id).remove() as Promise<unknown>,
      }
    : {
        list: (filters: object) => docker.listConfigs({filters}) as Promise<EngineObject[]>,
        create: (spec: object) => docker.createConfig(spec) as Promise<{id?: string; ID?: string}>,
        remove: (id: string) => docker.getConfig(id).remove() as Promise<unknown>,
      };
}

async function stackObjects(docker: Docker, ref: StackRef, kind: ServiceFile['kind']): Promise<EngineObject[]> {
  const list = await engineCall(`list the ${kind}s of stack "${ref.project}/${ref.stack}"`, () => api(docker, kind).list({label: labelFilter(ref.project, ref.stack)}));
  return list.filter((o) => ownedBy(o.Spec?.Labels, ref.project, ref.stack));
}

/**
 * Creates the objects the files need that the cluster lacks; returns every file's object ID by
 * swarmName. An object of the stack with the right name holds the right value (the name is its hash).
 */
export async function ensureFiles(docker: Docker, ref: StackRef, files: SwarmFile[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const kind of ['secret', 'config'] as const) {
    const wanted = new Map(files.filter((f) => f.kind === kind).map((f) => [f.swarmName, f]));
    if (wanted.size === 0) continue;
    for (const o of await stackObjects(docker, ref, kind)) if (o.Spec?.Name && wanted.has(o.Spec.Name)) ids.set(o.Spec.Name, o.ID);
    for (const [name, f] of wanted) {
      if (ids.has(name)) continue;
      const spec = {Name: name, Labels: {...objectLabels(ref), [FILE_LABEL]: f.name}, Data: f.content.toString('base64')};
      // Only the name reaches an error message: the spec holds the value.
      const made = await engineCall(`create ${kind} "${name}" (${kind} "${f.name}")`, async () => {
        try {
          return await api(docker, kind).create(spec);
        } catch (err) {
          // Made meanwhile by another deploy of the same value: take it.
          if (statusOf(err) !== 409) throw err;
          const found = (await stackObjects(docker, ref, kind)).find((o) => o.Spec?.Name === name);
          if (!found) throw err;
          return {ID: found.ID};
        }
      });
      ids.set(name, made.ID ?? made.id ?? '');
    }
  }
  return ids;
}

/** Object IDs the stack's services name in their specs (what a task may mount, now or on rollback). */
function referencedIds(services: {Spec?: Docker.ServiceSpec}[]): Set<string> {
  const out = new Set<string>();
  for (const s of services) {
    const template = s.Spec?.TaskTemplate;
    const container = template && 'ContainerSpec' in template ? template.ContainerSpec : undefined;
    for (const r of container?.Secrets ?? []) if (r.SecretID) out.add(r.SecretID);
    for (const r of container?.Configs ?? []) if (r.ConfigID) out.add(r.ConfigID);
  }
  return out;
}

/**
 * Removes the stack's secrets and configs no service of the stack names any more; call it only
 * once the stack has converged, so that no task still mounts one. An object the engine still
 * calls in use stays for the next converged deploy. Returns what was removed, in words.
 */
export async function pruneFiles(docker: Docker, ref: StackRef, services: {Spec?: Docker.ServiceSpec}[]): Promise<string[]> {
  const keep = referencedIds(services);
  const removed: string[] = [];
  for (const kind of ['secret', 'config'] as const) {
    for (const o of await stackObjects(docker, ref, kind)) {
      if (keep.has(o.ID)) continue;
      const name = o.Spec?.Name ?? o.ID;
      try {
        await api(docker, kind).remove(o.ID);
        removed.push(`${kind} "${name}"`);
      } catch (err) {
        // Gone already, or still held by a task on its way out (the engine answers 400 "in use").
        if (!isNotFound(err) && statusOf(err) !== 400) throw engineError(err, `remove ${kind} "${name}"`);
      }
    }
  }
  return removed;
}

/** Removes all of the stack's secrets and configs (the stack's services are gone). */
export async function removeStackFiles(docker: Docker, ref: StackRef): Promise<void> {
  for (const kind of ['secret', 'config'] as const) {
    for (const o of await stackObjects(docker, ref, kind)) {
      await engineCall(`remove ${kind} "${o.Spec?.Name ?? o.ID}"`, async () => {
        try {
          await api(docker, kind).remove(o.ID);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      });
    }
  }
}
