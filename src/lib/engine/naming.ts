// How Spin names and labels what it creates on a Docker engine. Project, stack and service names
// are DNS labels: they may hold dashes but never dots, so names joined with `.` (`<project>.<stack>`,
// `<project>.<stack>.<service>.<n>`) can never be produced by another tuple. Joined with dashes they
// could: project `a` stack `x-s` and project `a-x` stack `s` would share names. Names are for people
// and for the engine's uniqueness check only: Spin finds its objects by their labels.

import {InvalidInputError} from '../errors.ts';
import type {Project} from '../compose/types.ts';
import {LABELS, type StackRef} from './types.ts';

/** The DESIGN's name rule for projects, stacks and services. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkRef(ref: StackRef): void {
  for (const [kind, value] of [['project', ref.project], ['stack', ref.stack]] as const) {
    if (typeof value !== 'string' || !DNS_LABEL.test(value)) {
      throw new InvalidInputError(`${kind} name ${JSON.stringify(value)} is not a DNS label`, {
        hint: 'use lower-case letters, digits and dashes, at most 63 characters, starting and ending with a letter or digit',
      });
    }
  }
}

export function checkServiceName(service: string): void {
  if (!DNS_LABEL.test(service)) {
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
 * Engine name of a project volume: `<project>.<name>`, where name is the volume's own `name` when
 * the file set one and its key otherwise (the loader's default `<stack>_<key>` is not a choice the
 * user made, and a volume is meant to be shared by the project's stacks).
 */
export function volumeName(project: string, model: Project, key: string): string {
  const def = model.volumes[key];
  if (def?.external === true) return def.name ?? key;
  const chosen = def?.name !== undefined && def.name !== `${model.name}_${key}` ? def.name : key;
  return `${project}.${chosen}`;
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
