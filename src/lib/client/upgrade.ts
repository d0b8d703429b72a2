// `spin upgrade web --image web=registry.example.org/team/web:2.1`: the flags become the body the
// agent's upgrade route takes.

import {UsageError} from '../errors.ts';

const ASSIGNMENT = /^([^=\s]+)=(\S+)$/s;

/** Parses `--image SERVICE=REF` values; a malformed or repeated one is a usage error that quotes it. */
export function parseImages(values: readonly string[]): Record<string, string> {
  const images: Record<string, string> = {};
  for (const value of values) {
    const match = ASSIGNMENT.exec(value);
    if (!match) {
      throw new UsageError(`--image "${value.slice(0, 80)}" is not of the form SERVICE=IMAGE`, {hint: 'e.g. `spin upgrade --image web=registry.example.org/team/web:2.1`'});
    }
    const [, service, image] = match;
    if (Object.hasOwn(images, service)) throw new UsageError(`--image names service "${service}" twice`, {hint: 'give one image per service'});
    images[service] = image;
  }
  return images;
}
