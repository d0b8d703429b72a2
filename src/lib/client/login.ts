// `spin login`: check the token against the agent, then store the context (0600).

import {resolve} from 'node:path';

import {UsageError} from '../errors.ts';
import {AgentClient} from './agent.ts';
import {configPath, LOCAL_CONTEXT, readConfig, validateContextName, writeConfig, type Context} from './config.ts';

export interface LoginInput {
  url: string;
  token: string;
  project?: string;
  context?: string;
  ca?: string;
}

export interface LoginResult {
  context: string;
  url: string;
  user: string;
  project?: string;
  projects: string[];
  registry?: string;
  configFile: string;
}

/** A context name from the URL's host: `agent.example.org` → `agent.example.org`, `127.0.0.1:7878` → `127.0.0.1-7878`. */
export function contextNameFor(url: string): string {
  return new URL(url).host.replace(/[^A-Za-z0-9_.-]/g, '-');
}

export async function login(input: LoginInput, env: NodeJS.ProcessEnv = process.env): Promise<LoginResult> {
  const token = input.token.trim();
  if (!token) throw new UsageError('the token is empty', {hint: 'pass the token printed by `spin agent user add`'});
  if (input.context === LOCAL_CONTEXT) {
    throw new UsageError(`the context name "${LOCAL_CONTEXT}" is reserved for the agent \`spin up\` runs on this machine`, {hint: 'choose another name with --context, e.g. --context prod'});
  }
  const ca = input.ca ? resolve(input.ca) : undefined;
  const client = new AgentClient({url: input.url, token, ca});
  try {
    const [me, info] = await Promise.all([client.whoami(), client.info()]);
    if (input.project && !me.admin && !me.projects.includes(input.project)) {
      throw new UsageError(`user "${me.name}" is not a member of project "${input.project}"`, {hint: `choose one of: ${me.projects.join(', ') || '(none)'}`});
    }
    const name = validateContextName(input.context ?? contextNameFor(client.url));
    const file = configPath(env);
    const config = await readConfig(file);
    // Logging in again (after `spin logout`) keeps the project the context had, while it is still one of the user's.
    const kept = config.contexts[name]?.project;
    const project = input.project ?? (kept && (me.admin || me.projects.includes(kept)) ? kept : me.projects[0]);
    const context: Context = {url: client.url, token, user: me.name, uid: me.uid, gid: me.gid, project, ...(info.registry ? {registry: info.registry} : {}), ...(ca ? {ca} : {})};
    config.contexts[name] = context;
    config.current = name;
    await writeConfig(file, config);
    return {context: name, url: client.url, user: me.name, project: context.project, projects: me.projects, registry: context.registry, configFile: file};
  } finally {
    client.close();
  }
}
