// Small value helpers shared by the policy file loader and the rules: port ranges appear both in
// the policy (`60000-60050`) and in compose's `published` field (`8000-8010`), capability names in
// both. The policy file's byte sizes are parsed by the compose loader's units.ts, so `16g` means
// there what it means in a compose file; the normalized model holds its sizes as bytes already.

export interface PortRange {
  min: number;
  max: number;
}

const PORT_RANGE = /^(\d{1,5})(?:-(\d{1,5}))?$/;

/** `"8080"`, `8080` or `"8000-8010"` → a range; undefined when malformed or outside 1..65535. */
export function parsePortRange(value: string | number): PortRange | undefined {
  const m = PORT_RANGE.exec(String(value).trim());
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  if (min < 1 || max > 65535 || min > max) return undefined;
  return {min, max};
}

export function formatPortRange(r: PortRange): string {
  return r.min === r.max ? String(r.min) : `${r.min}-${r.max}`;
}

/** Collapses sorted ports into ranges for messages: `[8000, 8001, 8002, 8005]` → `8000-8002, 8005`. */
export function formatPorts(ports: readonly number[]): string {
  const ranges: PortRange[] = [];
  for (const p of ports) {
    const last = ranges.at(-1);
    if (last && p === last.max + 1) last.max = p;
    else ranges.push({min: p, max: p});
  }
  return ranges.map(formatPortRange).join(', ');
}

/**
 * `count` consecutive host ports inside one allowed range, for a hint (`60000-60002`); the first
 * range wide enough wins. Undefined when no range holds that many.
 */
export function suggestPortRange(allowed: readonly PortRange[], count: number): string | undefined {
  const fits = allowed.find((r) => r.max - r.min + 1 >= count);
  return fits ? formatPortRange({min: fits.min, max: fits.min + Math.max(count, 1) - 1}) : undefined;
}

const UNITS = {k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4} as const;

/** Bytes for messages: whole binary units when exact (`16g`), else bytes. */
export function formatBytes(n: number): string {
  for (const unit of ['t', 'g', 'm', 'k'] as const) {
    if (n >= UNITS[unit] && n % UNITS[unit] === 0) return `${n / UNITS[unit]}${unit}`;
  }
  return `${n} bytes`;
}

/** `cap_sys_admin`, `CAP_SYS_ADMIN` and `SYS_ADMIN` are the same capability. */
export function canonicalCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper.slice(4) : upper;
}
