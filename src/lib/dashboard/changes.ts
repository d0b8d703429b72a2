// What changed between two revisions of a stack, per service: the image (by digest where the
// revision recorded one) and every configuration field that differs, as dotted paths. Pure:
// the dashboard's compare and rollback pages render it.

export interface FieldChange {
  path: string;
  /** JSON text of the value; undefined when the field is absent on that side. */
  from?: string;
  to?: string;
}

export interface ServiceChanges {
  service: string;
  change: 'added' | 'removed' | 'changed' | 'same';
  image?: {from?: string; to?: string};
  fields: FieldChange[];
}

/** Shown instead of an environment value: secrets are often passed that way. */
export const HIDDEN = '(hidden)';

/** At most this many fields per service are listed; the page says how many more. */
export const MAX_FIELDS = 200;

function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && path) out.set(path, '{}');
    for (const [k, v] of entries) flatten(v, path ? `${path}.${k}` : k, out);
    return;
  }
  if (value === undefined) return;
  out.set(path, JSON.stringify(value));
}

function fieldsOf(service: Record<string, unknown> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!service) return out;
  const {image: _image, ...rest} = service;
  flatten(rest, '', out);
  for (const key of out.keys()) if (key.startsWith('environment.')) out.set(key, HIDDEN);
  return out;
}

function sameHidden(path: string, a: unknown, b: unknown): boolean {
  const env = path.slice('environment.'.length);
  return JSON.stringify(a?.[env as never]) === JSON.stringify(b?.[env as never]);
}

/** A revision as the API returns it (revisionDetail): its model's services and the images it ran. */
export interface RevisionSide {
  model: {services?: unknown};
  images: Record<string, string>;
}

export function revisionChanges(from: RevisionSide, to: RevisionSide): ServiceChanges[] {
  const servicesA = (from.model.services ?? {}) as Record<string, Record<string, unknown>>;
  const servicesB = (to.model.services ?? {}) as Record<string, Record<string, unknown>>;
  const names = [...new Set([...Object.keys(servicesA), ...Object.keys(servicesB)])].sort();
  return names.map((service) => {
    const a = Object.hasOwn(servicesA, service) ? servicesA[service] : undefined;
    const b = Object.hasOwn(servicesB, service) ? servicesB[service] : undefined;
    const fa = fieldsOf(a);
    const fb = fieldsOf(b);
    const fields: FieldChange[] = [];
    for (const path of [...new Set([...fa.keys(), ...fb.keys()])].sort()) {
      const x = fa.get(path);
      const y = fb.get(path);
      // Hidden values compare by the real ones, so a changed secret still shows as a change.
      const differs = path.startsWith('environment.') && x !== undefined && y !== undefined ? !sameHidden(path, a?.environment, b?.environment) : x !== y;
      if (differs) fields.push({path, ...(x === undefined ? {} : {from: x}), ...(y === undefined ? {} : {to: y})});
    }
    const imageFrom = from.images[service] ?? (a?.image as string | undefined);
    const imageTo = to.images[service] ?? (b?.image as string | undefined);
    const image = imageFrom !== imageTo ? {from: imageFrom, to: imageTo} : undefined;
    const change = !a ? 'added' : !b ? 'removed' : image || fields.length > 0 ? 'changed' : 'same';
    return {service, change, ...(image ? {image} : {}), fields};
  });
}
