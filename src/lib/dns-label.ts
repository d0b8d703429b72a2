// The platform's name rule for projects, stacks and services (DESIGN): a DNS label. The names
// become parts of container, network and host names, and a dot (which a label cannot hold)
// separates them in container names, so they can never collide.

export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** What a DNS label is, for hints. */
export const DNS_LABEL_RULE = 'lower-case letters, digits and dashes, at most 63 characters, starting and ending with a letter or digit';

export function isDnsLabel(value: unknown): value is string {
  return typeof value === 'string' && DNS_LABEL.test(value);
}

/** A DNS name: labels joined by dots (an ingress domain), at most 200 characters here. */
export function isDnsName(value: string): boolean {
  return value.length <= 200 && value.split('.').every((label) => DNS_LABEL.test(label));
}
