// Secret and inline config files: written by the agent under its data folder and bind-mounted
// read-only, the way compose gives secrets to a container on a single engine. Folders are 0700 so
// that other host users never reach a value; the file is owned by the user the container runs as
// so that a 0400 file stays readable after `cap_drop: [ALL]`.
//
// The Engine API cannot mount a bind with nosuid, nodev or noexec, so the file itself must be
// harmless inside any container: no setuid, setgid or sticky bit and no execute bit (the mode is
// masked to 0666), and no root owner or group unless the container runs as root anyway. Otherwise
// `mode: 0o4755` with `uid: "0"` would hand a non-root service a setuid-root program.

import {randomBytes} from 'node:crypto';
import {chmod, chown, mkdir, readdir, rename, rm, writeFile} from 'node:fs/promises';
import {join, posix} from 'node:path';

import {InvalidInputError} from '../errors.ts';
import type {FileReference, ComposeModel, Service} from '../compose/types.ts';
import {sha256} from './hash.ts';
import type {StackRef} from './types.ts';

/** Configs go to a folder a secret cannot be named after (secret names never start with a dot). */
const CONFIGS_FOLDER = '.configs';
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface ServiceFile {
  kind: 'secret' | 'config';
  name: string;
  /** Absolute path inside the container. */
  target: string;
  content: Buffer;
  uid?: number;
  gid?: number;
  mode: number;
}

export function stackFilesDir(root: string, ref: StackRef): string {
  return join(root, ref.project, ref.stack);
}

export function serviceFilesDir(root: string, ref: StackRef, service: string): string {
  return join(stackFilesDir(root, ref), service);
}

export function hostPath(root: string, ref: StackRef, service: string, file: Pick<ServiceFile, 'kind' | 'name'>): string {
  const dir = serviceFilesDir(root, ref, service);
  return file.kind === 'secret' ? join(dir, file.name) : join(dir, CONFIGS_FOLDER, file.name);
}

function numericId(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}

/** Permission bits a mounted file may carry: read and write, never execute, setuid, setgid or sticky. */
const FILE_MODE_MASK = 0o666;

/** Owner and group for a file whose service runs as a user whose uid is unknown here (a name). */
export const NOBODY = 65534;

function fileMode(mode: unknown, fallback: number): number {
  return (typeof mode === 'number' && Number.isSafeInteger(mode) && mode >= 0 ? mode : fallback) & FILE_MODE_MASK;
}

/** The service runs as root: no user set (as compose runs it), or user 0 / root. */
function runsAsRoot(service: Service): boolean {
  const user = service.user === undefined || service.user === '' ? undefined : service.user.split(':')[0];
  return user === undefined || user === '0' || user === 'root';
}

/**
 * The uid:gid a file should belong to: the reference's own, else the service's numeric user and
 * group (root when it runs as root). A uid or gid 0 is kept only for a service that runs as root;
 * for any other it falls back to the service's user. uid undefined means a named user whose uid is
 * unknown here: the file is then made readable by all (see writeOne).
 */
function owner(service: Service, ref: FileReference): {uid?: number; gid?: number} {
  const [user, group] = service.user === undefined || service.user === '' ? [] : service.user.split(':');
  if (runsAsRoot(service)) return {uid: numericId(ref.uid) ?? numericId(user) ?? 0, gid: numericId(ref.gid) ?? numericId(group) ?? 0};
  const notRoot = (id: number | undefined) => (id === 0 ? undefined : id);
  const uid = notRoot(numericId(user));
  const gid = notRoot(numericId(group)) ?? uid;
  return {uid: notRoot(numericId(ref.uid)) ?? uid, gid: notRoot(numericId(ref.gid)) ?? gid ?? NOBODY};
}

/**
 * The files a service mounts, with their content. Secrets take their value from `secrets` (resolved
 * by the agent, by the name the model uses); configs must be inline (`content`), since a file path
 * in the model points at the client's machine. Missing values are refused with a hint.
 */
export function serviceFiles(model: ComposeModel, serviceName: string, secrets: Record<string, Buffer>, strict = true): ServiceFile[] {
  const service = model.services[serviceName];
  const out: ServiceFile[] = [];
  for (const ref of service.secrets) {
    if (!NAME.test(ref.source)) throw new InvalidInputError(`service "${serviceName}" uses secret ${JSON.stringify(ref.source)}, which is not a valid secret name`, {hint: 'secret names are letters, digits, ".", "_" and "-"'});
    const value = Object.hasOwn(secrets, ref.source) ? secrets[ref.source] : undefined;
    if (value === undefined && strict) {
      throw new InvalidInputError(`secret "${ref.source}" used by service "${serviceName}" has no value`, {hint: `create it with \`spin secret create ${ref.source}\``});
    }
    const target = ref.target === undefined ? `/run/secrets/${ref.source}` : posix.isAbsolute(ref.target) ? ref.target : `/run/secrets/${ref.target}`;
    out.push({kind: 'secret', name: ref.source, target, content: value ?? Buffer.alloc(0), mode: fileMode(ref.mode, 0o400), ...owner(service, ref)});
  }
  for (const ref of service.configs) {
    if (!NAME.test(ref.source)) throw new InvalidInputError(`service "${serviceName}" uses config ${JSON.stringify(ref.source)}, which is not a valid config name`, {hint: 'config names are letters, digits, ".", "_" and "-"'});
    const def = model.configs[ref.source];
    if (typeof def?.content !== 'string') {
      throw new InvalidInputError(`config "${ref.source}" used by service "${serviceName}" has no inline content`, {
        hint: 'the agent cannot read files on your machine: write the config with `content:` in the compose file',
      });
    }
    const target = ref.target ?? `/${ref.source}`;
    out.push({kind: 'config', name: ref.source, target, content: Buffer.from(def.content), mode: fileMode(ref.mode, 0o444), ...owner(service, ref)});
  }
  return out;
}

/** What the config hash sees of the files: content digest, mode and owner, never the value. */
export function fileDigests(files: ServiceFile[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of files) out[`${f.kind}:${f.name}`] = sha256(`${sha256(f.content)}:${f.mode}:${f.uid ?? ''}:${f.gid ?? ''}`);
  return out;
}

async function writeOne(path: string, file: ServiceFile): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, file.content, {mode: 0o600, flag: 'wx'});
  let mode = file.mode & FILE_MODE_MASK;
  const self = process.getuid?.();
  // A named user's uid is unknown here: let anyone read it; the 0700 folders keep host users out,
  // and the file goes to nobody rather than staying with a root agent.
  if (file.uid === undefined) mode |= 0o444;
  const uid = file.uid ?? NOBODY;
  if (uid !== self) {
    try {
      await chown(tmp, uid, file.gid ?? uid);
    } catch {
      // An agent that is not root cannot give the file away; readable by all still keeps it behind 0700 folders.
      mode |= 0o444;
    }
  }
  await chmod(tmp, mode);
  // A rename gives new containers the new content while a running one keeps the file it mounted.
  await rename(tmp, path);
}

/**
 * Writes a service's files and removes the ones it no longer uses. Returns the mounts for the
 * container spec.
 */
export async function writeServiceFiles(root: string, ref: StackRef, service: string, files: ServiceFile[]): Promise<{source: string; target: string}[]> {
  const dir = serviceFilesDir(root, ref, service);
  if (files.length === 0) {
    await rm(dir, {recursive: true, force: true});
    return [];
  }
  for (const d of [root, join(root, ref.project), stackFilesDir(root, ref), dir, join(dir, CONFIGS_FOLDER)]) {
    await mkdir(d, {recursive: true, mode: 0o700});
    await chmod(d, 0o700);
  }
  const mounts: {source: string; target: string}[] = [];
  for (const f of files) {
    const path = hostPath(root, ref, service, f);
    await writeOne(path, f);
    mounts.push({source: path, target: f.target});
  }
  await prune(dir, new Set(files.filter((f) => f.kind === 'secret').map((f) => f.name)), CONFIGS_FOLDER);
  await prune(join(dir, CONFIGS_FOLDER), new Set(files.filter((f) => f.kind === 'config').map((f) => f.name)));
  return mounts;
}

async function prune(dir: string, keep: Set<string>, alsoKeep?: string): Promise<void> {
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    if (!keep.has(entry) && entry !== alsoKeep) await rm(join(dir, entry), {recursive: true, force: true});
  }
}

/** Drops the folders of services the stack no longer has. */
export async function pruneServiceDirs(root: string, ref: StackRef, services: Set<string>): Promise<void> {
  await prune(stackFilesDir(root, ref), services, STATE_FILE);
}

export async function removeStackFiles(root: string, ref: StackRef): Promise<void> {
  await rm(stackFilesDir(root, ref), {recursive: true, force: true});
}

/** Desired replica counts per service, kept next to the files since engine labels cannot change. */
export const STATE_FILE = '.state.json';
