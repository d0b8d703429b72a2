// Where the current context's dashboard is, as its agent says (`GET /v1/info`), and opening it in
// the user's browser. The URL never carries a token: the dashboard asks for one on its own page.

import {spawn} from 'node:child_process';

import {OperationError} from '../errors.ts';
import type {AgentClient} from './agent.ts';

export interface DashboardInfo {
  url: string;
  context: string;
}

export async function findDashboard(client: Pick<AgentClient, 'info'>, context: {name: string; url: string}): Promise<DashboardInfo> {
  const info = await client.info();
  if (typeof info.dashboard === 'string' && /^https?:\/\//.test(info.dashboard)) return {url: info.dashboard, context: context.name};
  const hint =
    context.name === 'local'
      ? 'the local agent `spin up` starts serves no dashboard; run one with `spin agent start --dashboard-listen 127.0.0.1:7879` and log in to it'
      : `ask the agent's administrator to start it with \`spin agent start --dashboard-listen HOST:PORT\` (agents older than the dashboard do not report one)`;
  throw new OperationError(`the agent of context "${context.name}" (${context.url}) serves no dashboard`, {hint});
}

/** The program that opens a URL in the default browser on this platform. */
export function openCommand(platform: NodeJS.Platform, url: string): [string, string[]] {
  if (platform === 'darwin') return ['open', [url]];
  if (platform === 'win32') return ['cmd', ['/c', 'start', '""', url]];
  return ['xdg-open', [url]];
}

/** Opens the URL in the default browser; rejects when no opener program could be started. */
export function openInBrowser(url: string, platform: NodeJS.Platform = process.platform): Promise<void> {
  const [cmd, args] = openCommand(platform, url);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {stdio: 'ignore', detached: true});
    child.once('error', (err) => reject(new OperationError(`cannot open a browser: ${cmd} failed (${err.message})`, {hint: 'open the printed URL yourself'})));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
