// How Spin names and labels what it creates on a Docker engine. Project, stack and service names
// are DNS labels: they may hold dashes but never dots, so names joined with `.` (`<project>.<stack>`,
// `<project>.<stack>.<service>.<n>`) can never be produced by another tuple. Joined with dashes they
// could: project `a` stack `x-s` and project `a-x` stack `s` would share names. Names are for people
// and for the engine's uniqueness check only: Spin finds its objects by their labels.

import {InvalidInputError} from '../errors.ts';
import type {ComposeModel} from '../compose/types.ts';
import {DNS_LABEL_RULE, isDnsLabel} from '../dns-label.ts';
import {LABELS, type StackRef} from './types.ts';


export function checkRef(ref: StackRef): void {
  for (const [kind, value] of [['project', ref.project], ['stack', ref.stack]] as const) {
    if (!isDnsLabel(value)) {
      throw new InvalidInputError(`${kind} name ${JSON.stringify(value)} is not a DNS label`, {
        hint: `use ${DNS_LABEL_RULE}`,
      });
    }
  }
}

export function checkServiceName(service: string): void {
  if (!isDnsLabel(service)) {
    throw new InvalidInputError(`service name ${JSON.stringify(service)} is not a DNS label`, {
      hint: 'rename the service with lower-case letters, digits and dashes, e.g. "web-api"',
    });
  }
}

export function containerName(ref: StackRef, service: string, replica: number): string {
  return `${containerPrefix(ref)}${service}.${replica}`;
}

/** What every container name of a stack starts with. */
export function containerPrefix(ref: StackRef): string {
  return `${ref.project}.${ref.stack}.`;
}

/** The alias a single replica answers to inside the stack, next to the service's own name. */
export function replicaAlias(service: string, replica: number): string {
  return `${service}-${replica}`;
}

/**
 * Engine name of a stack network: the compose `default` network is `<project>.<stack>`, any other
 * network the stack defines is `<project>.<stack>.<key>`.
 */
export function networkName(ref: StackRef, key = 'default'): string {
  return key === 'default' ? `${ref.project}.${ref.stack}` : `${ref.project}.${ref.stack}.${key}`;
}

/**
 * Engine name of a volume: `<project>.` and then the volume's compose name, the one `spin config`
 * prints. That is the file's `name:` when it sets one, shared by every stack of the project that
 * names it, and otherwise the loader's `<stack>_<key>`, the stack's own (as compose scopes a volume
 * to its project). An external volume is used by the name written, which the policy keeps inside
 * the project's namespace.
 */
export function volumeName(project: string, model: ComposeModel, key: string): string {
  const def = model.volumes[key];
  if (def?.external === true) return def.name ?? key;
  return `${project}.${def?.name ?? defaultVolumeName(model, key)}`;
}

/** compose's name for a volume that sets none: `<stack>_<key>`. */
function defaultVolumeName(model: ComposeModel, key: string): string {
  return `${model.name}_${key}`;
}

/**
 * The name Spin gave a volume before volumes were scoped per stack: `<project>.<key>` for one
 * without a `name:` of its own (the loader's default name did not count as one). Undefined when
 * the name did not change (a `name:` set in the file, an external volume).
 */
export function legacyVolumeName(project: string, model: ComposeModel, key: string): string | undefined {
  const def = model.volumes[key];
  if (def?.external === true) return undefined;
  if (def?.name !== undefined && def.name !== defaultVolumeName(model, key)) return undefined;
  return `${project}.${key}`;
}

/** What the engine holds under a volume's current and legacy names, as far as the choice needs it. */
export interface VolumeCandidates {
  ref: StackRef;
  /** The name under today's rule, and whether the engine has it. */
  current: {name: string; exists: boolean};
  /** The engine's volume under the legacy name (see legacyVolumeName), when there is one. */
  legacy?: {name: string; labels?: Record<string, string> | null; mountedByStack: boolean};
  /** The legacy name an earlier deploy of this stack chose for this volume key. */
  recorded?: string;
}

/**
 * Which engine volume a stack mounts for a volume key. A stack deployed before volumes were named
 * per stack keeps the volume it has used, with its data: the legacy one when this project's, and
 * this stack created it (its stack label), mounts it now, or chose it on an earlier deploy; unless
 * the volume under today's name exists already. Any other stack gets its own volume.
 */
export function chooseVolume(c: VolumeCandidates): {name: string; legacy: boolean} {
  const {legacy} = c;
  if (!legacy || !ownedBy(legacy.labels, c.ref.project)) return {name: c.current.name, legacy: false};
  const ours = c.recorded === legacy.name || legacy.labels?.[LABELS.stack] === c.ref.stack || legacy.mountedByStack;
  if (ours && (c.recorded === legacy.name || !c.current.exists)) return {name: legacy.name, legacy: true};
  return {name: c.current.name, legacy: false};
}

/** Label filters (`key=value`) selecting a stack's objects, or a project's when stack is absent. */
export function labelFilter(project: string, stack?: string, service?: string): string[] {
  const out = [`${LABELS.managed}=true`, `${LABELS.project}=${project}`];
  if (stack !== undefined) out.push(`${LABELS.stack}=${stack}`);
  if (service !== undefined) out.push(`${LABELS.service}=${service}`);
  return out;
}

/** True when an object's labels say it is Spin's and belongs to this project (and stack, if given). */
export function ownedBy(labels: Record<string, string> | null | undefined, project: string, stack?: string): boolean {
  if (!labels || labels[LABELS.managed] !== 'true' || labels[LABELS.project] !== project) return false;
  return stack === undefined || labels[LABELS.stack] === stack;
}

/** Who owns an object, in words, for error messages. */
export function describeOwner(labels: Record<string, string> | null | undefined): string {
  if (!labels || labels[LABELS.managed] !== 'true') return 'is not managed by Spin';
  const stack = labels[LABELS.stack] ? ` stack "${labels[LABELS.stack]}"` : '';
  return `belongs to project "${labels[LABELS.project] ?? '?'}"${stack}`;
}

/** Labels for a network or volume Spin creates for a stack. */
export function objectLabels(ref: StackRef): Record<string, string> {
  return {[LABELS.managed]: 'true', [LABELS.project]: ref.project, [LABELS.stack]: ref.stack};
}

/** The stacks that objects with these labels belong to (Spin's only, of one project if given), sorted. */
export function stackRefsOf(labelSets: (Record<string, string> | null | undefined)[], project?: string): StackRef[] {
  const refs = new Map<string, StackRef>();
  for (const labels of labelSets) {
    const p = labels?.[LABELS.project];
    const s = labels?.[LABELS.stack];
    if (p && s && labels[LABELS.managed] === 'true' && (project === undefined || p === project)) refs.set(`${p}/${s}`, {project: p, stack: s});
  }
  return [...refs.values()].sort((a, b) => a.project.localeCompare(b.project) || a.stack.localeCompare(b.stack));
}
