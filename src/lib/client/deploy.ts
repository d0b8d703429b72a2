// `spin deploy` as a library call: validate locally with the same code and policy the agent
// runs (most mistakes never leave the laptop), read the secrets the compose file points at,
// then send the resolved model to the agent and follow its progress.

import {readFile, stat} from 'node:fs/promises';

import {toResolvedDocument} from '../compose/render.ts';
import {withImages as withModelImages} from '../compose/with-images.ts';
import {parsePath, type Locations} from '../compose/locations.ts';
import {RESOLVED_MODEL_FORMAT, type Diagnostic, type ComposeModel} from '../compose/types.ts';
import {InvalidInputError, type SpinError} from '../errors.ts';
import {validateStack, type ValidateOptions} from '../validate.ts';
import type {AgentClient, RemoteFailure} from './agent.ts';
import type {DeployEventJson, DeployResultJson} from '../api/types.ts';

import {MAX_SECRET_BYTES} from '../limits.ts';

/** Thrown when the compose project or the policy refuses the stack; carries every diagnostic. */
export class StackRejectedError extends InvalidInputError {
  readonly diagnostics: Diagnostic[];
  /** The agent's error code (`policy.violation`) when the agent refused it; none when refused here. */
  readonly remoteCode?: string;

  constructor(message: string, diagnostics: Diagnostic[], hint?: string, remoteCode?: string) {
    super(message, {hint});
    this.diagnostics = diagnostics;
    this.remoteCode = remoteCode;
  }
}

export interface PreparedDeploy {
  project: ComposeModel;
  stack: string;
  secrets: Record<string, string>;
  warnings: Diagnostic[];
  locations: Locations;
}

/**
 * The document the agent gets: resolved (sent with `modelFormat`, so nothing in it is interpolated
 * again), with no host file paths for secrets; their content travels beside it.
 */
export function agentDocument(project: ComposeModel): Record<string, unknown> {
  const document = toResolvedDocument(project);
  for (const def of Object.values((document.secrets as Record<string, Record<string, unknown>>) ?? {})) {
    delete def.file;
    delete def.environment;
  }
  return document;
}

/** Loads and checks the project and gathers the secret values it needs from files and env. */
export async function prepareDeploy(options: ValidateOptions & {stack?: string; env?: NodeJS.ProcessEnv}): Promise<PreparedDeploy> {
  // The stack name is the compose project name, as `docker compose -p` sets it: the default names
  // of volumes (`<stack>_<key>`) are then the stack's own, not those of the folder's usual stack.
  const result = await validateStack(options.stack !== undefined && options.projectName === undefined ? {...options, projectName: options.stack} : options);
  if (!result.valid || !result.project) {
    throw new StackRejectedError(`the stack is invalid: ${result.errors} error${result.errors === 1 ? '' : 's'}`, result.diagnostics, 'fix the problems above; nothing was sent to the agent');
  }
  const project = result.project;
  const stack = options.stack ?? project.name;
  const secrets: Record<string, string> = {};
  const env = options.env ?? process.env;
  for (const [name, def] of Object.entries(project.secrets)) {
    if (def.external) continue;
    if (typeof def.file === 'string') {
      const info = await stat(def.file).catch(() => undefined);
      if (!info?.isFile()) throw new InvalidInputError(`secret "${name}": file "${def.file}" does not exist`, {hint: 'create the file, or store the secret on the platform with `spin secret create` and mark it `external: true`'});
      if (info.size > MAX_SECRET_BYTES) throw new InvalidInputError(`secret "${name}": file "${def.file}" is larger than 512 KiB`);
      secrets[name] = (await readFile(def.file)).toString('base64');
    } else if (typeof def.environment === 'string') {
      const value = env[def.environment];
      if (value === undefined) throw new InvalidInputError(`secret "${name}": environment variable ${def.environment} is not set`, {hint: `export ${def.environment}=… before deploying`});
      secrets[name] = Buffer.from(value).toString('base64');
    }
  }
  return {project, stack, secrets, warnings: result.diagnostics.filter((d) => d.severity === 'warning'), locations: result.locations};
}

/** The prepared deploy with these images (built, pushed, pinned) in place of the compose file's. */
export function withImages(prepared: PreparedDeploy, images: Record<string, string>): PreparedDeploy {
  if (Object.keys(images).length === 0) return prepared;
  return {...prepared, project: withModelImages(prepared.project, images)};
}

/** Points the agent's diagnostics (paths only) at the user's own files and lines. */
export function locateRemote(diagnostics: Diagnostic[], locations: Locations): Diagnostic[] {
  return diagnostics.map((d) => {
    if (d.location || !d.path) return d;
    const loc = locations.find(parsePath(d.path));
    return loc ? {...d, location: loc} : d;
  });
}

export interface DeployOptions {
  client: AgentClient;
  projectName: string;
  prepared: PreparedDeploy;
  dryRun?: boolean;
  wait?: boolean;
  timeoutSeconds?: number;
  onEvent?: (e: DeployEventJson) => void;
  signal?: AbortSignal;
}

export async function deploy(options: DeployOptions): Promise<DeployResultJson> {
  const {client, prepared} = options;
  try {
    return await client.deploy(
      options.projectName,
      prepared.stack,
      {model: agentDocument(prepared.project), modelFormat: RESOLVED_MODEL_FORMAT, secrets: prepared.secrets, dryRun: options.dryRun ?? false, wait: options.wait ?? true, timeoutSeconds: options.timeoutSeconds},
      options.onEvent,
      options.signal,
    );
  } catch (err) {
    const remote = err as SpinError & RemoteFailure;
    if (remote.diagnostics?.length) {
      const diagnostics = locateRemote(remote.diagnostics, prepared.locations);
      // The diagnostics are printed with their hints; an envelope that only repeats one of them
      // (a single missing secret, a single violation) would print the same line twice.
      const errors = diagnostics.filter((d) => d.severity === 'error').length;
      const message = diagnostics.some((d) => d.message === remote.message) ? `the agent refused the stack: ${errors} error${errors === 1 ? '' : 's'}` : remote.message;
      const hint = !remote.hint || diagnostics.some((d) => d.hint === remote.hint) ? 'fix the problems above' : remote.hint;
      throw new StackRejectedError(message, diagnostics, hint, remote.remoteCode);
    }
    throw err;
  }
}
