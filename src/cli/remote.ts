// What every command that talks to the agent shares: the flags naming the project and stack,
// and the connection from the current context (or SPIN_URL/SPIN_TOKEN).

import {basename} from 'node:path';

import {Flags} from '@oclif/core';

import type {Factory} from './factory.ts';
import {composeFlags, loadOptionsFrom, type ComposeFlagValues} from './flags.ts';

export const projectFlag = {
  project: Flags.string({char: 'p', description: 'Platform project (team). Default: SPIN_PROJECT, else the context\'s project.', helpValue: 'NAME'}),
};

export const stackFlags = {
  ...projectFlag,
  stack: Flags.string({char: 's', description: 'Stack name. Default: the compose project name (`name:` in the compose file, else the folder name).', helpValue: 'NAME'}),
  file: composeFlags.file,
};

/**
 * The agent of the current context (or SPIN_URL/SPIN_TOKEN); the factory closes the client when
 * the command ends. With `startLocal` (the CLI's bin/run.js), a command that prepares a stack for
 * `spin up` (a secret, before the first up) starts the local agent as `up` would, instead of
 * failing because it is not running yet.
 */
export async function connect(factory: Factory, flags: {project?: string}, options: {startLocal?: string} = {}) {
  const {requireContext, requireProject, resolveContext} = await import('../lib/client/config.ts');
  if (options.startLocal && !(await resolveContext(factory.env))) {
    const {ensureLocalAgent} = await import('../lib/local/embedded.ts');
    const local = await ensureLocalAgent({spinBin: options.startLocal, env: factory.env});
    if (local.started) factory.stderr.stream.write(`started the local Spin agent at ${local.url} (state: ${local.dir})\n`);
  }
  const ctx = await requireContext(factory.env);
  const client = await factory.agentClient({url: ctx.url, token: ctx.token, ca: ctx.ca});
  return {ctx, client, project: () => requireProject(ctx, flags.project)};
}

/** The stack a command acts on: --stack, else the compose project's name, like compose. */
export async function stackName(factory: Factory, flags: {stack?: string} & ComposeFlagValues): Promise<string> {
  if (flags.stack) return flags.stack;
  const {loadProject, normalizeProjectName} = await import('../lib/compose/load.ts');
  try {
    const loaded = await loadProject({...loadOptionsFrom(flags, factory), consistency: false});
    if (loaded.project) return loaded.project.name;
  } catch {
    // No compose file here: the folder name, as compose would name the project.
  }
  return normalizeProjectName(basename(factory.cwd));
}

/** `--timeout` of the commands that wait for a stack to become healthy. */
export const timeoutFlag = {
  timeout: Flags.string({description: 'How long to wait for the stack to become healthy (e.g. 90s, 5m).', default: '5m', helpValue: 'DURATION'}),
};

/** `--timeout` in whole seconds; a bare number means seconds. */
export async function timeoutSeconds(value: string): Promise<number> {
  const [{parseDuration}, {UsageError}] = await Promise.all([import('../lib/compose/units.ts'), import('../lib/errors.ts')]);
  const ns = parseDuration(/^\d+$/.test(value) ? `${value}s` : value);
  if (ns === undefined || ns <= 0) throw new UsageError(`invalid --timeout "${value}"`, {hint: 'use a duration such as 90s, 5m or 1h'});
  return Math.ceil(ns / 1e9);
}
