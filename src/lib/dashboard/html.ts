// HTML that escapes by default: every value interpolated into an `html` template is escaped
// unless it is itself the result of `html` (or `unsafeRaw`, for text the code wrote itself). A
// page cannot let a stack name, a log line or an audit detail become markup by forgetting a call.
//
// Our own forty lines rather than a template engine: pages are plain functions of typed data,
// the compiler checks what they read, nothing is compiled from template files at run time, and
// there is no "unescaped" tag syntax a template author could reach for by accident.

const ESCAPES: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Markup that is already safe: made by `html`, or written by this code itself. */
export class SafeHtml {
  readonly value: string;

  constructor(value: string) {
    this.value = value;
  }

  toString(): string {
    return this.value;
  }
}

/** A value a template may interpolate: arrays are joined, null, undefined and false render nothing. */
export type Interpolation = SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** Marks constant markup the code itself wrote as safe; never pass it data from a request or the engine. */
export function unsafeRaw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}
