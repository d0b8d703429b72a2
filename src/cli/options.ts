// Flag values turned into what the library takes, without oclif: the fast path of `spin ps`
// (fast.ts) runs these too, and it must not load oclif.

export interface ComposeFlagValues {
  file?: string[];
  'env-file'?: string[];
  profile?: string[];
}

/** The loader's options from the flags, read in the command's folder and environment. */
export function loadOptionsFrom(flags: ComposeFlagValues, where: {cwd: string; env: NodeJS.ProcessEnv}) {
  return {files: flags.file, envFiles: flags['env-file'], profiles: flags.profile, workingDir: where.cwd, env: where.env};
}

/** `--timeout` in whole seconds; a bare number means seconds. */
export async function timeoutSeconds(value: string): Promise<number> {
  const [{parseDuration}, {UsageError}] = await Promise.all([import('../lib/compose/units.ts'), import('../lib/errors.ts')]);
  const ns = parseDuration(/^\d+$/.test(value) ? `${value}s` : value);
  if (ns === undefined || ns <= 0) throw new UsageError(`invalid --timeout "${value}"`, {hint: 'use a duration such as 90s, 5m or 1h'});
  return Math.ceil(ns / 1e9);
}
