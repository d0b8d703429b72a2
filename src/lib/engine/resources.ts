// The networks and volumes a stack creates or uses, as the Engine API wants them. Pure, so the
// allow-lists can be tested alone. The policy refuses other drivers and options before a model
// gets here; these checks are the engine side's own, because a driver option can mount any host
// device or reach into the host's network, and a crafted model may reach the API directly.

import {posix} from 'node:path';

import type Dockerode from 'dockerode';

import {InvalidInputError} from '../errors.ts';
import type {NetworkDef, VolumeDef} from '../compose/types.ts';
import {EngineError} from './errors.ts';
import {describeOwner, objectLabels} from './naming.ts';
import {LABELS, type StackRef} from './types.ts';

/** Network drivers Spin creates (overlay joins when Swarm does). */
const NETWORK_DRIVERS = new Set(['bridge']);

/** The model's labels without any `org.spin.` one (which only Spin sets), then Spin's. */
function labels(ref: StackRef, own: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(own ?? {})) if (!k.startsWith('org.spin.')) out[k] = String(v);
  return {...out, ...objectLabels(ref)};
}

function hasEntries(value: unknown): boolean {
  return value !== undefined && value !== null && (typeof value !== 'object' || Object.keys(value).length > 0);
}

export function networkCreateOptions(ref: StackRef, key: string, name: string, def: NetworkDef): Dockerode.NetworkCreateOptions {
  const driver = def.driver ?? 'bridge';
  if (!NETWORK_DRIVERS.has(driver)) {
    throw new InvalidInputError(`network "${key}" asks for driver "${driver}", but Spin only creates bridge networks`, {hint: 'drop `driver` (or write `driver: bridge`)'});
  }
  // Bridge options name host interfaces, disable isolation between networks, or set the MTU of
  // the host's bridge: none is a stack's business.
  if (hasEntries(def.driver_opts)) {
    throw new InvalidInputError(`network "${key}" sets driver_opts (${Object.keys(def.driver_opts ?? {}).join(', ')}), which Spin does not pass to the engine`, {hint: 'remove `driver_opts` from the network'});
  }
  return {
    Name: name,
    Driver: driver,
    CheckDuplicate: true,
    Internal: def.internal === true,
    Attachable: def.attachable === true,
    Labels: labels(ref, def.labels),
  };
}

const BIND_OPTIONS = new Set(['bind', 'rbind']);

/** `local` volume options: none, or a bind of a host folder (`type: none`, `o: bind[,ro]`, `device: /abs`). */
function volumeDriverOpts(key: string, opts: Record<string, string> | undefined): Record<string, string> {
  if (!hasEntries(opts)) return {};
  const refuse = (why: string) =>
    new InvalidInputError(`volume "${key}" has driver_opts that Spin does not pass to the engine: ${why}`, {
      hint: 'drop driver_opts, or bind a host folder with exactly `type: none`, `o: bind` (or `bind,ro`, `rbind`) and `device: /absolute/path`',
    });
  const entries = opts as Record<string, unknown>;
  const extra = Object.keys(entries).filter((k) => k !== 'type' && k !== 'o' && k !== 'device');
  if (extra.length > 0) throw refuse(`${extra.map((k) => `"${k}"`).join(', ')} is not allowed`);
  const {type, o, device} = entries;
  if (type !== 'none') throw refuse(`type must be "none" (a bind), not ${JSON.stringify(type)}`);
  const flags = typeof o === 'string' ? o.split(',') : [];
  const binds = flags.filter((f) => BIND_OPTIONS.has(f));
  const others = flags.filter((f) => !BIND_OPTIONS.has(f) && f !== 'ro');
  if (typeof o !== 'string' || binds.length !== 1 || others.length > 0 || new Set(flags).size !== flags.length) {
    throw refuse(`o must be "bind" or "rbind", optionally with "ro", not ${JSON.stringify(o)}`);
  }
  if (typeof device !== 'string' || !posix.isAbsolute(device) || posix.normalize(device) !== device) throw refuse(`device must be a normalized absolute path, not ${JSON.stringify(device)}`);
  return {type: 'none', o, device};
}

export function volumeCreateOptions(ref: StackRef, key: string, name: string, def: VolumeDef): Dockerode.VolumeCreateOptions {
  const driver = def.driver ?? 'local';
  if (driver !== 'local') {
    throw new InvalidInputError(`volume "${key}" asks for driver "${driver}", but Spin only creates local volumes`, {hint: 'drop `driver` (or write `driver: local`)'});
  }
  return {Name: name, Driver: driver, DriverOpts: volumeDriverOpts(key, def.driver_opts), Labels: labels(ref, def.labels)};
}

/** What an existing network or volume on the engine says about itself. */
export interface FoundObject {
  Name: string;
  Labels?: Record<string, string> | null;
}

/**
 * Refuses an existing network or volume a stack may not use. Spin's own objects are used by their
 * project only (and networks, which Spin creates per stack, by their stack unless external). An
 * external object without Spin's labels (an admin's) is acceptable when its name is in the
 * project's namespace, `<project>.…`; the policy checks external names too, but the engine side
 * must not rely on that alone.
 */
export function checkExisting(kind: 'network' | 'volume', ref: StackRef, wanted: {name: string; external: boolean}, found: FoundObject): void {
  const {name, external} = wanted;
  const owner = found.Labels ?? {};
  // The engine also resolves a network by ID or ID prefix: the object must really carry the name.
  if (found.Name !== name) {
    throw new EngineError('engine.conflict', `${kind} "${name}" resolves to the ${kind} "${found.Name}" on the engine, not one of that name`, {
      hint: `name the ${kind} by its full name`,
    });
  }
  const spins = owner[LABELS.managed] === 'true';
  if (spins && owner[LABELS.project] === ref.project && (external || kind === 'volume' || owner[LABELS.stack] === ref.stack)) return;
  if (external && !spins && name.startsWith(`${ref.project}.`)) return;
  throw new EngineError('engine.conflict', `${kind} "${name}" ${external ? 'exists but' : 'already exists and'} ${describeOwner(owner)}`, {
    hint: external
      ? `a stack of project "${ref.project}" can use its own project's ${kind}s, or one named "${ref.project}.<name>" that an admin created`
      : kind === 'network'
        ? 'remove that network, or deploy under another stack name'
        : 'rename the volume in the compose file',
  });
}
