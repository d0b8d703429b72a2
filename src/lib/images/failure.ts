// What a failed build step means in the user's terms, where the engine's words leave them
// guessing: a COPY or ADD whose source is not in the build context names the file, says whether
// .dockerignore hid it, and where a file that is not in git usually comes from.

import {stat} from 'node:fs/promises';
import {join} from 'node:path';

export interface BuildFailureContext {
  service: string;
  /** The build context folder (absolute). */
  context: string;
  /** The failing instruction as the builder printed it (`COPY busybox /bin/busybox`). */
  instruction?: string;
}

export interface ExplainedFailure {
  reason: string;
  hint: string;
}

export type Exists = (path: string) => Promise<boolean>;

const fileExists: Exists = (path) => stat(path).then(() => true, () => false);

// The classic builder's words, then BuildKit's, for a source that is not in the context.
const NOT_FOUND = /^(COPY|ADD) failed: file not found in build context or excluded by \.dockerignore: stat (.+): file does not exist$/;
const NO_MATCH = /^(COPY|ADD) failed: no source files were specified$/;
const BUILDKIT_NOT_FOUND = /^failed to (?:compute cache key|calculate checksum).*"\/?([^"]+)": not found$/;

/** Files a Dockerfile copies in that are not in git, and how one gets them. */
const KNOWN_SOURCES: Record<string, (dir: string) => string> = {
  busybox: (dir) => `it is a static busybox taken from the host, not kept in git: \`cp /bin/busybox ${dir}/\` (Debian's busybox-static; scripts/setup.sh does this for examples/hello)`,
};

/** The sources of a COPY or ADD line: its words without flags and without the destination. */
function sources(instruction: string | undefined): string[] {
  const words = (instruction ?? '').trim().split(/\s+/).slice(1);
  if (words[0]?.startsWith('[')) return [];
  const plain = words.filter((w) => !w.startsWith('--'));
  return plain.slice(0, -1);
}

/**
 * A clearer reason and hint for a failed build step, or undefined when the engine's own message
 * says enough. `exists` is injected by tests.
 */
export async function explainBuildFailure(reason: string, ctx: BuildFailureContext, exists: Exists = fileExists): Promise<ExplainedFailure | undefined> {
  const notFound = NOT_FOUND.exec(reason);
  const buildkit = notFound ? null : BUILDKIT_NOT_FOUND.exec(reason);
  if (notFound || buildkit) {
    const verb = notFound?.[1] ?? (ctx.instruction?.split(/\s+/)[0]?.toUpperCase() || 'COPY');
    const file = (notFound?.[2] ?? buildkit?.[1] ?? '').replace(/^\.\//, '');
    const where = `the build context "${ctx.context}"`;
    if (await exists(join(ctx.context, file))) {
      return {
        reason: `${verb} failed: "${file}" is in ${where} but .dockerignore excludes it`,
        hint: `remove the .dockerignore pattern that matches "${file}" (or add "!${file}"), then run \`spin build ${ctx.service}\` again`,
      };
    }
    const known = KNOWN_SOURCES[file.split('/').pop() ?? ''];
    return {
      reason: `${verb} failed: "${file}" is not in ${where}`,
      hint: known
        ? known(ctx.context)
        : `put "${file}" into "${ctx.context}", or fix the ${verb} line: its sources are relative to the build context, not to the Dockerfile; a file git does not track must be made before the build`,
    };
  }
  const noMatch = NO_MATCH.exec(reason);
  if (noMatch) {
    const patterns = sources(ctx.instruction);
    const named = patterns.length > 0 ? patterns.map((p) => `"${p}"`).join(', ') : 'its sources';
    return {
      reason: `${noMatch[1]} failed: nothing in the build context "${ctx.context}" matches ${named}`,
      hint: `create the files, or fix the pattern: ${noMatch[1]} sources are relative to the build context; check that .dockerignore does not exclude them`,
    };
  }
  return undefined;
}
