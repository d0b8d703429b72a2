// The stack's volumes on the Docker engine: which engine volume each volume key of the model means
// (a stack deployed before volumes were named per stack keeps the one it used, data and all), and
// the project's volumes as `spin volume ls|rm` see them.

import type Docker from 'dockerode';
import {mkdir, readdir, readFile, rename, rm, writeFile} from 'node:fs/promises';
import {join} from 'node:path';

import type {ComposeModel} from '../compose/types.ts';
import {DNS_LABEL} from '../dns-label.ts';
import {checkRef, chooseVolume, legacyVolumeName, labelFilter, ownedBy, volumeName} from './naming.ts';
import {inspectOrUndefined, stackContainers, type DockerEnv} from './docker-env.ts';
import {EngineError, engineCall, engineError, isNotFound, statusOf} from './errors.ts';
import type {Emit} from './ops.ts';
import {volumeCreateOptions} from './resources.ts';
import {LABELS, type ProjectVolume, type StackRef} from './types.ts';

export interface VolumeUse {
  key: string;
  name: string;
  external: boolean;
  /** What creating it takes (absent for an external volume). */
  create?: Docker.VolumeCreateOptions;
  /** The name Spin used before volumes were scoped per stack, when it differs (legacyVolumeName). */
  legacy?: string;
  /** `name` is the legacy one: the stack keeps the volume it used before (chooseVolume). */
  keptLegacy?: boolean;
}

/** A folder no stack can be named after (stack names are DNS labels). */
const VOLUME_CHOICES_DIR = '.volumes';

/** Where a stack's choice of legacy volumes is kept: outside the stack's folder, so `spin rm` keeps it with the volumes. */
function volumeChoicesFile(root: string, ref: StackRef): string {
  return join(root, ref.project, VOLUME_CHOICES_DIR, `${ref.stack}.json`);
}

/** The named volumes the model's services mount, by key. */
export function usedVolumes(ref: StackRef, model: ComposeModel): VolumeUse[] {
  const keys = new Set<string>();
  for (const s of Object.values(model.services)) for (const v of s.volumes) if (v.type === 'volume' && v.source !== undefined) keys.add(v.source);
  return [...keys].sort().map((key) => {
    const def = model.volumes[key] ?? {};
    const name = volumeName(ref.project, model, key);
    if (def.external === true) return {key, name, external: true};
    const legacy = legacyVolumeName(ref.project, model, key);
    return {key, name, external: false, create: volumeCreateOptions(ref, key, name, def), ...(legacy !== undefined && legacy !== name ? {legacy} : {})};
  });
}

/**
 * Settles which engine volume each volume key means. A stack deployed before volumes were scoped
 * per stack keeps the volume it used, data and all (chooseVolume); the choice is recorded so
 * that it holds after `spin rm` too.
 */
export async function chooseVolumes(env: DockerEnv, ref: StackRef, uses: VolumeUse[], emit: Emit): Promise<VolumeUse[]> {
  if (!uses.some((u) => u.legacy !== undefined)) return uses;
  const recorded = await volumeChoices(env.secretsDir, ref);
  let mounted: Promise<Set<string>> | undefined;
  const mountedByStack = (name: string) => {
    mounted ??= stackContainers(env, ref).then((list) => new Set(list.flatMap((c) => (c.Mounts ?? []).map((m) => m.Name ?? ''))));
    return mounted.then((names) => names.has(name));
  };
  return Promise.all(
    uses.map(async (u) => {
      const legacy = u.legacy;
      if (legacy === undefined) return u;
      const old = await inspectOrUndefined(() => env.docker.getVolume(legacy).inspect(), `inspect volume "${legacy}"`);
      if (!old || old.Name !== legacy) return u;
      const current = await inspectOrUndefined(() => env.docker.getVolume(u.name).inspect(), `inspect volume "${u.name}"`);
      const choice = chooseVolume({
        ref,
        current: {name: u.name, exists: current !== undefined},
        legacy: {name: legacy, labels: old.Labels, mountedByStack: await mountedByStack(legacy)},
        ...(recorded[u.key] !== undefined ? {recorded: recorded[u.key]} : {}),
      });
      if (!choice.legacy) return u;
      if (recorded[u.key] !== legacy) {
        emit('log', `volume "${u.key}" keeps engine volume "${legacy}", which this stack used before volumes were named per stack (a new stack's would be "${u.name}")`);
      }
      return {...u, name: legacy, keptLegacy: true, ...(u.create ? {create: {...u.create, Name: legacy}} : {})};
    }),
  );
}

/** Volume key → legacy engine volume, as earlier deploys of the stack chose (chooseVolumes). */
async function volumeChoices(root: string, ref: StackRef): Promise<Record<string, string>> {
  try {
    const saved = JSON.parse(await readFile(volumeChoicesFile(root, ref), 'utf8')) as {volumes?: Record<string, unknown>};
    return Object.fromEntries(Object.entries(saved.volumes ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}

export async function saveVolumeChoices(root: string, ref: StackRef, volumes: VolumeUse[]): Promise<void> {
  const file = volumeChoicesFile(root, ref);
  const kept = Object.fromEntries(volumes.filter((v) => v.keptLegacy).map((v) => [v.key, v.name]));
  if (Object.keys(kept).length === 0) {
    await rm(file, {force: true});
    return;
  }
  await mkdir(join(root, ref.project, VOLUME_CHOICES_DIR), {recursive: true, mode: 0o700});
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify({volumes: kept}) + '\n', {mode: 0o600});
  await rename(tmp, file);
}

/** With its volumes gone, a stack's choices go too. */
export async function forgetVolumeChoices(root: string, ref: StackRef): Promise<void> {
  await rm(volumeChoicesFile(root, ref), {force: true});
}

/** Stack → the legacy volumes it keeps, for every stack of the project that keeps one. */
async function projectVolumeChoices(root: string, project: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const dir = join(root, project, VOLUME_CHOICES_DIR);
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    const stack = entry.replace(/\.json$/, '');
    if (!entry.endsWith('.json') || !DNS_LABEL.test(stack)) continue;
    out.set(stack, Object.values(await volumeChoices(root, {project, stack})));
  }
  return out;
}

/** The project's volumes, each with the stacks that use it. */
export async function projectVolumes(env: Pick<DockerEnv, 'docker' | 'secretsDir'>, project: string): Promise<ProjectVolume[]> {
  checkRef({project, stack: 'x'});
  const label = labelFilter(project);
  const [volumes, containers, kept] = await Promise.all([
    engineCall('list volumes', () => env.docker.listVolumes({filters: {label}})),
    engineCall('list containers', () => env.docker.listContainers({all: true, filters: {label}})),
    projectVolumeChoices(env.secretsDir, project),
  ]);
  return (volumes.Volumes ?? [])
    .filter((v) => ownedBy(v.Labels, project))
    .map((v) => {
      const stacks = new Set<string>();
      if (v.Labels?.[LABELS.stack]) stacks.add(v.Labels[LABELS.stack]);
      for (const c of containers) if (c.Mounts?.some((m) => m.Name === v.Name) && c.Labels[LABELS.stack]) stacks.add(c.Labels[LABELS.stack]);
      for (const [stack, names] of kept) if (names.includes(v.Name)) stacks.add(stack);
      const createdAt = (v as {CreatedAt?: string}).CreatedAt;
      return {name: v.Name, driver: v.Driver, ...(createdAt ? {createdAt} : {}), stacks: [...stacks].sort()};
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function removeProjectVolume(env: DockerEnv, project: string, name: string): Promise<void> {
  checkRef({project, stack: 'x'});
  let found: {Name: string; Labels?: Record<string, string> | null} | undefined;
  for (const candidate of [`${project}.${name}`, name]) {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(candidate)) continue;
    const info = await inspectOrUndefined(() => env.docker.getVolume(candidate).inspect(), `inspect volume "${candidate}"`);
    if (info && ownedBy(info.Labels, project)) {
      found = info;
      break;
    }
  }
  if (!found) {
    throw new EngineError('volume.not_found', `volume "${name}" not found in project "${project}"`, {hint: 'list the project volumes with `spin volume ls`'});
  }
  const volume = found.Name;
  const users = await engineCall('list containers', () => env.docker.listContainers({all: true, filters: {volume: [volume]}}));
  const inUse = (names: string[]) =>
    new EngineError('volume.in_use', `volume "${volume}" is in use by ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'a container'}`, {
      hint: 'remove the stack that mounts it (`spin rm`), then remove the volume',
    });
  if (users.length > 0) throw inUse(users.map((c) => (c.Names?.[0] ?? c.Id).replace(/^\//, '')));
  try {
    await env.docker.getVolume(volume).remove();
  } catch (err) {
    if (statusOf(err) === 409) throw inUse([]);
    if (!isNotFound(err)) throw engineError(err, `remove volume "${volume}"`);
  }
}
