// What `spin build` and `spin push` share: the flags that name images, and the step from flags
// to the list of images (compose project + registry + project + tag).

import {Flags} from '@oclif/core';

import type {Factory} from './factory.ts';
import {composeFlags} from './flags.ts';
import {loadOptionsFrom, type ComposeFlagValues} from './options.ts';

export const imageFlags = {
  ...composeFlags,
  tag: Flags.string({char: 't', description: 'Image tag. Default: a digest of what the image is built from (the context after .dockerignore, the Dockerfile, build args, target), the same in build, push, deploy and up.', helpValue: 'TAG'}),
  registry: Flags.string({description: "Registry to name images for. Default: SPIN_REGISTRY, else the current context's registry; none: local names `<project>/<service>`.", helpValue: 'HOST'}),
  project: Flags.string({char: 'p', description: "Project part of image names. Default: SPIN_PROJECT, else the context's project, else the compose project name.", helpValue: 'NAME'}),
  json: Flags.boolean({description: 'Print the result as JSON on stdout.'}),
};

export interface ImageFlagValues extends ComposeFlagValues {
  tag?: string;
  registry?: string;
  project?: string;
}

/** The compose project's images for these flags and SERVICE arguments; warnings and skipped services on stderr. */
export async function planFromFlags(factory: Factory, flags: ImageFlagValues, services: string[], buildArgs?: Record<string, string>) {
  const {planImages} = await import('../lib/images/plan.ts');
  const {resolveContext} = await import('../lib/client/config.ts');
  const {renderDiagnostics} = await import('../lib/ui/diagnostics.ts');
  const context = await resolveContext(factory.env);
  // An invalid project throws ComposeInvalidError: the command's catch (base.ts) prints its diagnostics.
  const plan = await planImages({...loadOptionsFrom(flags, factory), services, tag: flags.tag, registry: flags.registry, project: flags.project, context, buildArgs});
  const {stream, terminal} = factory.stderr;
  if (plan.warnings.length) stream.write(renderDiagnostics(plan.warnings, {color: terminal.color, cwd: factory.cwd}));
  for (const s of plan.skipped) stream.write(`skipping service "${s.service}": it has no build section${s.image ? ` (it runs image "${s.image}")` : ''}\n`);
  return plan;
}
