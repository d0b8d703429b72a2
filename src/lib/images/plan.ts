// What `spin build` and `spin push` act on: the compose project's services that have a `build:`
// section, each with the image name it builds to. Shared by both commands (and `spin up`), so
// build and push always agree on names.

import {hasErrors} from '../compose/diagnostics.ts';
import {loadProject, type LoadOptions} from '../compose/load.ts';
import type {Diagnostic, ComposeModel} from '../compose/types.ts';
import {InvalidInputError, UsageError} from '../errors.ts';
import {buildArgsOf, dockerfileBaseImages, engineOptions, targetSource, type ImageTarget, type TargetSource} from './build.ts';
import {contentDigest, contentTag} from './content.ts';
import {checkTag, parseReference, repositoryName, resolveNaming, serviceImage, type ImageNaming} from './naming.ts';

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
  /** `--tag`; default: each image's content digest (content.ts). */
  tag?: string;
  /** `--build-arg` values: they change the content, so the tag. */
  buildArgs?: Record<string, string>;
  /** The current context's registry and project, if any. */
  context?: {registry?: string; project?: string};
  /** The project already loaded and checked (a deploy did); else it is loaded here. */
  loaded?: ComposeModel;
}

export interface ImagePlan {
  project: ComposeModel;
  registry?: string;
  projectName: string;
  /** `--tag` when given; else every target has its content digest as tag. */
  tag?: string;
  targets: ImageTarget[];
  /** Selected services without `build:`, with the image they run instead. */
  skipped: {service: string; image?: string}[];
  warnings: Diagnostic[];
}

async function loaded(options: PlanImagesOptions): Promise<{project: ComposeModel; warnings: Diagnostic[]}> {
  if (options.loaded) return {project: options.loaded, warnings: []};
  const result = await loadProject(options);
  if (!result.project || hasErrors(result.diagnostics)) throw new ComposeInvalidError(result.diagnostics);
  return {project: result.project, warnings: result.diagnostics.filter((d) => d.severity !== 'error')};
}

/**
 * Loads the compose project and names the image of every selected service that builds one:
 * `serviceImage` with the content digest as tag, so the name depends only on what is built.
 */
export async function planImages(options: PlanImagesOptions): Promise<ImagePlan> {
  const {project, warnings} = await loaded(options);
  const names = Object.keys(project.services);
  const unknown = (options.services ?? []).filter((s) => !Object.hasOwn(project.services, s));
  if (unknown.length) {
    throw new UsageError(`no such service${unknown.length > 1 ? 's' : ''}: ${unknown.map((s) => `"${s}"`).join(', ')}`, {
      hint: names.length ? `services of project "${project.name}": ${names.join(', ')}` : 'the compose project has no services (check --profile)',
    });
  }
  const selected = options.services?.length ? [...new Set(options.services)] : names;
  const naming = resolveNaming({flags: {registry: options.registry, project: options.project}, env: options.env ?? {}, context: options.context, composeProject: project.name});
  const tag = options.tag !== undefined ? checkTag(options.tag) : undefined;
  const sources = tag === undefined ? contentSources(project, naming, options.buildArgs) : undefined;
  const targets: ImageTarget[] = [];
  const skipped: ImagePlan['skipped'] = [];
  for (const service of selected) {
    const def = project.services[service];
    if (!def.build) {
      skipped.push({service, image: def.image});
      continue;
    }
    const source = await sources?.(service);
    const image = serviceImage(service, def.image, {...naming, tag: tag ?? contentTag(source!.digest)});
    targets.push({service, image, build: def.build, ...(source ? {source} : {})});
  }
  return {project, registry: naming.registry, projectName: naming.project, ...(tag !== undefined ? {tag} : {}), targets, skipped, warnings};
}

/**
 * The content digest of each service that builds, on demand. A Dockerfile that starts FROM an
 * image another service builds takes that service's digest in, so a change there renames both.
 */
function contentSources(project: ComposeModel, naming: Omit<ImageNaming, 'tag'>, buildArgs: Record<string, string> | undefined): (service: string) => Promise<TargetSource> {
  // Who builds a repository: `image:` names match exactly; Spin names by repository, whatever the tag.
  const byRepository = new Map<string, string>();
  for (const [name, s] of Object.entries(project.services)) {
    if (!s.build) continue;
    try {
      byRepository.set(repositoryName(parseReference(serviceImage(name, s.image, {...naming, tag: 'latest'}))), name);
    } catch {
      // A service that cannot be named is reported when it is built itself, not here.
    }
  }
  const memo = new Map<string, Promise<TargetSource>>();
  const visit = (service: string, path: string[]): Promise<TargetSource> => {
    if (path.includes(service)) {
      throw new InvalidInputError(`services build FROM each other: ${[...path.slice(path.indexOf(service)), service].join(' -> ')}`, {hint: 'one of these Dockerfiles must start from an image no other service builds'});
    }
    let found = memo.get(service);
    if (!found) {
      found = (async () => {
        const def = project.services[service];
        const target = {image: serviceImage(service, def.image, {...naming, tag: 'latest'}), build: def.build!};
        const own = await targetSource(target, buildArgs);
        const upstream: Record<string, string> = {};
        for (const base of dockerfileBaseImages(own.listing.dockerfileText, buildArgsOf(target, buildArgs))) {
          let from: string | undefined;
          try {
            from = byRepository.get(repositoryName(parseReference(base)));
          } catch {
            // A FROM this project cannot parse is the engine's to report.
          }
          if (from !== undefined && from !== service) upstream[from] = (await visit(from, [...path, service])).digest;
        }
        if (Object.keys(upstream).length === 0) return own;
        return {...own, digest: contentDigest({files: own.files, engine: engineOptions(target, own.listing.dockerfile, {buildArgs}), upstream})};
      })();
      memo.set(service, found);
    }
    return found;
  };
  return (service) => visit(service, []);
}

/** The images to push. Spin-named images need a registry (a local-only name would go to Docker Hub). */
export function planPush(plan: ImagePlan): ImageTarget[] {
  const local = plan.targets.filter((t) => plan.project.services[t.service].image === undefined);
  if (!plan.registry && local.length) {
    throw new UsageError(`no registry to push ${local.map((t) => `"${t.image}"`).join(', ')} to`, {
      hint: 'pass --registry HOST, set SPIN_REGISTRY, log in to an agent that advertises one, or set `image:` on the service',
    });
  }
  return plan.targets;
}
