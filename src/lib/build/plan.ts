// What `spin build` and `spin push` act on: the compose project's services that have a `build:`
// section, each with the image name it builds to. Shared by both commands (and `spin up`), so
// build and push always agree on names.

import type Dockerode from 'dockerode';

import {hasErrors} from '../compose/diagnostics.ts';
import {loadProject, type LoadOptions} from '../compose/load.ts';
import type {Diagnostic, Project} from '../compose/types.ts';
import {InvalidInputError, UsageError} from '../errors.ts';
import type {ImageTarget} from './build.ts';
import {checkTag, defaultTag, parseReference, repositoryName, resolveNaming, serviceImage, type GitRunner} from './naming.ts';
import {latestLocalTag} from './push.ts';

/** The compose project did not load; carries every diagnostic for the command to print. */
export class ComposeInvalidError extends InvalidInputError {
  readonly diagnostics: Diagnostic[];

  constructor(diagnostics: Diagnostic[]) {
    const n = diagnostics.filter((d) => d.severity === 'error').length;
    super(`the compose project is invalid: ${n} error${n === 1 ? '' : 's'}`, {hint: 'fix the problems above (`spin validate` lists them too); nothing was built or pushed'});
    this.diagnostics = diagnostics;
  }
}

export interface PlanImagesOptions extends LoadOptions {
  /** SERVICE arguments; none means every service with `build:`. */
  services?: string[];
  registry?: string;
  project?: string;
  /** `--tag`; default: the git commit of the project folder, else a timestamp. */
  tag?: string;
  /** The current context's registry and project, if any. */
  context?: {registry?: string; project?: string};
  git?: GitRunner;
  now?: () => Date;
}

export interface ImagePlan {
  project: Project;
  registry?: string;
  projectName: string;
  tag: string;
  tagSource: 'flag' | 'git' | 'clock';
  targets: ImageTarget[];
  /** Selected services without `build:`, with the image they run instead. */
  skipped: {service: string; image?: string}[];
  warnings: Diagnostic[];
}

/** Loads the compose project and names the image of every selected service that builds one. */
export async function planImages(options: PlanImagesOptions): Promise<ImagePlan> {
  const loaded = await loadProject(options);
  if (!loaded.project || hasErrors(loaded.diagnostics)) throw new ComposeInvalidError(loaded.diagnostics);
  const project = loaded.project;
  const names = Object.keys(project.services);
  const unknown = (options.services ?? []).filter((s) => !Object.hasOwn(project.services, s));
  if (unknown.length) {
    throw new UsageError(`no such service${unknown.length > 1 ? 's' : ''}: ${unknown.map((s) => `"${s}"`).join(', ')}`, {
      hint: names.length ? `services of project "${project.name}": ${names.join(', ')}` : 'the compose project has no services (check --profile)',
    });
  }
  const selected = options.services?.length ? [...new Set(options.services)] : names;
  const naming = resolveNaming({flags: {registry: options.registry, project: options.project}, env: options.env ?? {}, context: options.context, composeProject: project.name});
  const tagged = options.tag !== undefined ? {tag: checkTag(options.tag), source: 'flag' as const} : await defaultTag(loaded.workingDir, {git: options.git, now: options.now});
  const targets: ImageTarget[] = [];
  const skipped: ImagePlan['skipped'] = [];
  for (const service of selected) {
    const def = project.services[service];
    if (!def.build) skipped.push({service, image: def.image});
    else targets.push({service, image: serviceImage(service, def.image, {...naming, tag: tagged.tag}), build: def.build});
  }
  return {
    project,
    registry: naming.registry,
    projectName: naming.project,
    tag: tagged.tag,
    tagSource: tagged.source,
    targets,
    skipped,
    warnings: loaded.diagnostics.filter((d) => d.severity !== 'error'),
  };
}

/**
 * The images to push. Spin-named images need a registry (a local-only name would go to Docker
 * Hub). A timestamp tag cannot be computed again at push time: push the newest local tag of each
 * Spin-named repository instead. Names from `image:` and from git or --tag stay as planned.
 */
export async function planPush(docker: Dockerode, plan: ImagePlan): Promise<ImageTarget[]> {
  const own = (t: ImageTarget) => plan.project.services[t.service].image === undefined;
  const local = plan.targets.filter(own);
  if (!plan.registry && local.length) {
    throw new UsageError(`no registry to push ${local.map((t) => `"${t.image}"`).join(', ')} to`, {
      hint: 'pass --registry HOST, set SPIN_REGISTRY, log in to an agent that advertises one, or set `image:` on the service',
    });
  }
  if (plan.tagSource !== 'clock') return plan.targets;
  return Promise.all(
    plan.targets.map(async (t) => {
      if (!own(t)) return t;
      const repository = repositoryName(parseReference(t.image));
      const tag = await latestLocalTag(docker, repository);
      return tag ? {...t, image: `${repository}:${tag}`} : t;
    }),
  );
}
