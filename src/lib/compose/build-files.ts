// Phase 14 of the loader: the folders and Dockerfiles that `build:` names exist, as docker-compose
// checks before it builds. The only phase that looks at the disk beyond the files it reads, so
// only loadProject runs it (the agent's loadDocument has no files); the disk comes in as `probe`.

import {stat} from 'node:fs/promises';
import {isAbsolute, resolve} from 'node:path';

import {diagnostic} from './diagnostics.ts';
import type {Locations} from './locations.ts';
import {isRemoteContext} from './paths.ts';
import type {Diagnostic, ComposeModel} from './types.ts';

/** What is at a path: a folder, a file, something else, or nothing. */
export type PathKind = 'folder' | 'file' | 'other' | undefined;
export type PathProbe = (path: string) => Promise<PathKind>;

export const probePath: PathProbe = async (path) => {
  try {
    const info = await stat(path);
    return info.isDirectory() ? 'folder' : info.isFile() ? 'file' : 'other';
  } catch {
    return undefined;
  }
};

/**
 * A build whose context folder or Dockerfile is missing, as docker-compose reports it before
 * building: one error per service, at its `build`. A context that is a URL or git reference is
 * fetched by the builder and not checked, nor is the Dockerfile of a `dockerfile_inline` build.
 */
export async function checkBuildFiles(project: ComposeModel, locations: Locations | undefined, workingDir: string, probe: PathProbe = probePath): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const report = (name: string, message: string, hint: string) => out.push(diagnostic(locations, {source: 'build', message, path: ['services', name, 'build'], hint}));
  for (const [name, service] of Object.entries(project.services)) {
    const build = service.build;
    if (!build || typeof build.context !== 'string' || isRemoteContext(build.context) || !isAbsolute(build.context)) continue;
    const context = build.context;
    const kind = await probe(context);
    if (kind !== 'folder') {
      report(
        name,
        kind === undefined ? `build context "${context}" does not exist` : `build context "${context}" is not a folder`,
        `create the folder, or fix \`build\`: a relative context is relative to the compose file's folder "${workingDir}"`,
      );
      continue;
    }
    if (build.dockerfile_inline !== undefined) continue;
    const dockerfile = resolve(context, typeof build.dockerfile === 'string' ? build.dockerfile : 'Dockerfile');
    const found = await probe(dockerfile);
    if (found !== 'file') {
      report(
        name,
        found === undefined ? `Dockerfile "${dockerfile}" does not exist` : `Dockerfile "${dockerfile}" is not a file`,
        `create it, or fix \`build.dockerfile\` (relative to the build context "${context}"), or write the Dockerfile in the compose file with \`dockerfile_inline\``,
      );
    }
  }
  return out;
}
