// What every command that talks to the agent does first: connect to the current context's agent
// (or SPIN_URL/SPIN_TOKEN) and name the stack. No oclif here: the fast path (fast.ts) runs it.

import {basename} from 'node:path';

import type {Factory} from './factory.ts';
import {loadOptionsFrom, type ComposeFlagValues} from './options.ts';

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
