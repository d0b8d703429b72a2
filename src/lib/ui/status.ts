// Tables for the read commands (ps, stacks, history, secrets, volumes, contexts) and the one-line
// progress of deploy-like operations. Each takes the agent's JSON and the terminal, returns text.
// Piped output keeps one token per cell (an empty cell is "-") so `awk '{print $N}'` stays right.

import type {ContextInfo} from '../client/contexts.ts';
import type {DeployEventJson, RevisionSummaryJson, SecretJson, StackRemovedJson, StackSummaryJson, VolumeJson} from '../api/types.ts';
import type {ServiceStatus, StackStatus} from '../engine/types.ts';
import {formatTime, renderTable} from './table.ts';
import {palette, type Palette, type Terminal} from './terminal.ts';

export interface RenderOptions extends Terminal {
  /** The clock for relative times on a TTY; tests pass a fixed one. */
  now?: number;
}

const DIGEST = /sha256:([0-9a-f]{12})[0-9a-f]*/;

/** `repo@sha256:3f2a…` or `sha256:3f2a…` → `3f2a9c1b7d4e`; anything else unchanged. */
export function shortDigest(ref: string): string {
  return DIGEST.exec(ref)?.[1] ?? ref;
}

/**
 * The image as people read it, the same in `spin ps` and `spin history`: the name and tag the
 * user wrote, then the first 12 hex digits of the digest it runs by (`registry/team/web:1.2@3f2a9c1b7d4e`).
 * A reference that is only a digest or an image ID shows as those 12 digits.
 */
export function imageLabel(service: Pick<ServiceStatus, 'image' | 'imageDigest'>): string {
  const name = /^(sha256:[0-9a-f]+|[0-9a-f]{64})$/.test(service.image) ? '' : service.image.replace(/@sha256:[0-9a-f]+$/, '');
  const short = [service.imageDigest, service.image].find((ref) => ref !== undefined && DIGEST.test(ref));
  if (!short) return name || '-';
  return name ? `${name}@${shortDigest(short)}` : shortDigest(short);
}

/** `0.0.0.0:8080->80/tcp`, as `docker ps` shows a published port. */
export function formatPorts(ports: ServiceStatus['ports']): string {
  return ports.map((p) => `${p.hostIp || '0.0.0.0'}:${p.published}->${p.target}/${p.protocol}`).join(',') || '-';
}

function stateColor(c: Palette, state: string): string {
  if (state === 'running') return c.green(state);
  if (state === 'exited' || state === 'dead') return c.red(state);
  return c.yellow(state);
}

function healthColor(c: Palette, health: string): string {
  if (health === 'healthy') return c.green(health);
  if (health === 'unhealthy') return c.red(health);
  if (health === 'starting') return c.yellow(health);
  return '-';
}

export const PS_HEADERS = ['NAME', 'SERVICE', 'STATE', 'HEALTH', 'PORTS', 'IMAGE'];

/** A cluster's status names each replica's node; one host's does not, and gets no NODE column. */
function hasNodes(status: StackStatus): boolean {
  return status.services.some((s) => s.replicas.some((r) => r.node !== undefined));
}

/** The headers for this status: PS_HEADERS, with NODE after STATE when replicas run on cluster nodes. */
export function psHeaders(status: StackStatus): string[] {
  return hasNodes(status) ? [...PS_HEADERS.slice(0, 3), 'NODE', ...PS_HEADERS.slice(3)] : PS_HEADERS;
}

/** One row per replica, sorted by service then replica number. */
/**
 * Names (DNS labels, ASCII) in code-point order. Not localeCompare: its first call loads ICU's
 * collation, about 10 ms of a `spin ps` that should take about as long as `docker ps`.
 */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function psRows(status: StackStatus, options: Pick<RenderOptions, 'color'>): string[][] {
  const c = palette(options.color);
  const nodes = hasNodes(status);
  const services = [...status.services].sort((a, b) => byCodePoint(a.service, b.service));
  return services.flatMap((s) =>
    [...s.replicas]
      .sort((a, b) => a.replica - b.replica)
      .map((r) => [
        `${s.service}-${r.replica}`,
        s.service,
        stateColor(c, r.state) + (r.state === 'exited' && r.exitCode !== undefined ? `(${r.exitCode})` : ''),
        ...(nodes ? [r.node ?? '-'] : []),
        // Docker keeps the last verdict of a stopped container ("unhealthy" after `spin stop`), which
        // says nothing about a replica that does not run.
        ['exited', 'dead', 'created'].includes(r.state) ? '-' : healthColor(c, r.health),
        // Behind the ingress, the URL comes first: that is where people reach the service.
        s.ingress ? [s.ingress.url, ...(s.ports.length ? [formatPorts(s.ports)] : [])].join(',') : formatPorts(s.ports),
        imageLabel(s),
      ]),
  );
}

export function renderPs(status: StackStatus, options: RenderOptions): string {
  return renderTable(psHeaders(status), psRows(status, options), options);
}

export function countContainers(status: StackStatus): number {
  return status.services.reduce((n, s) => n + s.replicas.length, 0);
}

export function renderStacks(stacks: StackSummaryJson[], options: RenderOptions): string {
  const c = palette(options.color);
  const rows = [...stacks]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => {
      const counts = `${s.running}/${s.desired}`;
      return [s.name, s.running === s.desired ? counts : c.yellow(counts), s.currentRevision == null ? '-' : String(s.currentRevision), formatTime(s.updatedAt, options.tty, options.now)];
    });
  return renderTable(['NAME', 'SERVICES', 'REVISION', 'UPDATED'], rows, options);
}

function outcomeColor(c: Palette, outcome: string): string {
  if (outcome === 'healthy' || outcome === 'started') return c.green(outcome);
  if (outcome === 'failed' || outcome === 'timeout' || outcome === 'rolled-back') return c.red(outcome);
  return c.yellow(outcome);
}

/**
 * `db=postgres:16@88aa01c2d3e4,web=team/web:1.2@3f2a9c1b7d4e`, services in name order: each as
 * imageLabel shows it in `spin ps` (without the names, from an older agent: the digests alone).
 */
export function formatImages(images: Record<string, string>, refs: Record<string, string> = {}): string {
  const services = [...new Set([...Object.keys(images), ...Object.keys(refs)])].sort((a, b) => a.localeCompare(b));
  return services.map((service) => `${service}=${imageLabel({image: refs[service] ?? images[service], imageDigest: images[service]})}`).join(',') || '-';
}

/** Newest first; CURRENT marks the revision the stack runs (as `spin context ls` marks the current context). */
export function renderHistory(revisions: RevisionSummaryJson[], options: RenderOptions & {current?: number | null}): string {
  const c = palette(options.color);
  const rows = revisions.map((r) => [
    r.number === options.current ? '*' : options.tty ? '' : '-',
    String(r.number),
    formatTime(r.createdAt, options.tty, options.now),
    r.user,
    outcomeColor(c, r.outcome),
    formatImages(r.images, r.imageRefs),
    oneLine(r.message),
  ]);
  return renderTable(['CURRENT', 'REV', 'CREATED', 'USER', 'OUTCOME', 'IMAGES', 'MESSAGE'], rows, options);
}

/** The message column is last, so it may hold spaces, but never a line break. */
function oneLine(text: string | null | undefined): string {
  const line = (text ?? '').replace(/\s+/g, ' ').trim();
  return line.length > 72 ? `${line.slice(0, 71)}…` : line;
}

/** Bytes for scripts; KiB with one decimal for people. */
export function formatSize(bytes: number, tty: boolean): string {
  if (!tty || bytes < 1024) return String(bytes);
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export function renderSecrets(secrets: SecretJson[], options: RenderOptions): string {
  const rows = [...secrets]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((s) => [s.name, formatSize(s.size, options.tty), formatTime(s.createdAt, options.tty, options.now), formatTime(s.updatedAt, options.tty, options.now)]);
  return renderTable(['NAME', 'SIZE', 'CREATED', 'UPDATED'], rows, options);
}

export function renderVolumes(volumes: VolumeJson[], options: RenderOptions): string {
  // A NODE column only on a cluster, where one name can be on several nodes.
  const nodes = volumes.some((v) => v.node !== undefined);
  const rows = [...volumes]
    .sort((a, b) => a.name.localeCompare(b.name) || (a.node ?? '').localeCompare(b.node ?? ''))
    .map((v) => [v.name, ...(nodes ? [v.node ?? '-'] : []), v.driver, formatTime(v.createdAt, options.tty, options.now), [...v.stacks].sort().join(',') || '-']);
  return renderTable(['NAME', ...(nodes ? ['NODE'] : []), 'DRIVER', 'CREATED', 'STACKS'], rows, options);
}

/**
 * What `spin rm` did: the stack, then with --volumes each volume removed and each kept with why
 * (another stack still uses it; it is not the stack's own), never "its volumes" for ones that stayed.
 */
export function renderRemoved(project: string, stack: string, volumes?: StackRemovedJson['volumes']): string {
  const lines = [`removed stack "${stack}" from project "${project}"`];
  if (volumes) {
    if (volumes.removed.length === 0 && volumes.kept.length === 0) lines[0] += '; it had no volumes';
    for (const name of volumes.removed) lines.push(`removed volume "${name}"`);
    for (const k of volumes.kept) lines.push(`kept volume "${k.name}": ${k.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderContexts(contexts: ContextInfo[], options: RenderOptions): string {
  const rows = contexts.map((x) => [x.current ? '*' : options.tty ? '' : '-', x.name, x.url, x.user ?? '-', x.project ?? '-']);
  return renderTable(['CURRENT', 'NAME', 'URL', 'USER', 'PROJECT'], rows, options);
}

/** One progress line of a deploy or scale: `web-2: container started`. */
export function formatEvent(event: DeployEventJson, options: Pick<RenderOptions, 'color'>): string {
  const c = palette(options.color);
  const target = event.service ? `${event.service}${event.replica ? `-${event.replica}` : ''}: ` : '';
  // A line of an unknown shape from a newer agent prints as what it has, never "undefined".
  const text = event.message ?? event.type;
  const message = event.type === 'failed' ? c.red(text) : event.type === 'healthy' || event.type === 'running' || event.type === 'done' ? c.green(text) : text;
  return `${target ? c.dim(target) : ''}${message}`;
}
