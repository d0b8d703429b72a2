// A dashboard to point a real browser at: a real `spin agent start --dashboard-listen` on the real
// engine, two users in two projects, and a stack deployed through the CLI whose service writes to
// its log on demand. The Chromium test and scripts/screenshots.ts both start from here.

import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

import type Docker from 'dockerode';

import {startAgent, type AgentProcess} from './agent.ts';
import {runSpin, type RunResult} from './cli.ts';
import {buildBusyboxImage, cleanupProject, requireEngine, uniqueName} from './docker.ts';

export const CHROMIUM = process.env.SPIN_TEST_CHROMIUM ?? '/usr/bin/chromium';

export interface DashboardLab {
  agent: AgentProcess;
  /** The dashboard's URL, as the agent printed it. */
  url: string;
  projectA: string;
  projectB: string;
  tokens: {alice: string; bob: string; admin: string};
  image: string;
  /** Runs the CLI as alice (or another token) against the agent. */
  spin(args: string[], token?: string, project?: string): Promise<RunResult>;
  /** Deploys stack `stack` of alice's project with MESSAGE=message (through `spin deploy`). */
  deploy(stack: string, message: string, options?: {token?: string; project?: string; replicas?: number}): Promise<void>;
  /** Writes lines to the log of a stack's service (to PID 1's stdout, which the engine collects). */
  say(stack: string, text: string): Promise<void>;
  cleanup(): Promise<void>;
}

function composeFile(image: string, message: string, replicas: number): string {
  return `services:
  web:
    image: ${image}
    init: true
    cap_drop: [ALL]
    user: "1000:1000"
    environment:
      MESSAGE: ${JSON.stringify(message)}
    command: ["sh", "-c", "echo started: $$MESSAGE; exec sleep 3600"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 2s
      retries: 30
    deploy:
      replicas: ${replicas}
`;
}

export async function startDashboardLab(docker: Docker): Promise<DashboardLab> {
  await requireEngine(docker);
  const projectA = uniqueName('dsa');
  const projectB = uniqueName('dsb');
  const image = `spin-it/${projectA}:busybox`;
  const dir = await mkdtemp(join(tmpdir(), 'spin-dashboard-lab-'));
  let agent: AgentProcess | undefined;
  const cleanup = async () => {
    await agent?.stop();
    agent?.cleanup();
    await cleanupProject(docker, projectB);
    await cleanupProject(docker, projectA);
    await rm(dir, {recursive: true, force: true});
  };
  try {
    await buildBusyboxImage(docker, image, projectA);
    agent = await startAgent({args: ['--dashboard-listen', '127.0.0.1:0']});
    const m = /dashboard on (http:\/\/127\.0\.0\.1:\d+)/.exec(agent.logs());
    if (!m) throw new Error(`the agent did not say where its dashboard is:\n${agent.logs()}`);
    const tokens = {
      alice: await agent.addUser('alice', {projects: [projectA]}),
      bob: await agent.addUser('bob', {projects: [projectB]}),
      admin: await agent.addUser('admin', {projects: [], admin: true}),
    };
    const running = agent;
    const spin = (args: string[], token = tokens.alice, project = projectA) =>
      runSpin(args, {cwd: dir, env: {HOME: dir, XDG_CONFIG_HOME: join(dir, '.config'), SPIN_CONTEXT: undefined, SPIN_URL: running.url, SPIN_TOKEN: token, SPIN_PROJECT: project}});
    return {
      agent,
      url: m[1],
      projectA,
      projectB,
      tokens,
      image,
      spin,
      async deploy(stack, message, options = {}) {
        const file = join(dir, `${stack}-${options.project ?? projectA}.yaml`);
        await writeFile(file, composeFile(image, message, options.replicas ?? 1));
        const r = await spin(['deploy', '-f', file, '--stack', stack, '--timeout', '60s'], options.token, options.project);
        if (r.code !== 0) throw new Error(`spin deploy failed (${r.code}):\n${r.stderr}`);
      },
      async say(stack, text) {
        const r = await spin(['exec', 'web', '--stack', stack, '--', 'sh', '-c', 'printf "%s\\n" "$0" > /proc/1/fd/1', text]);
        if (r.code !== 0) throw new Error(`spin exec failed (${r.code}):\n${r.stderr}`);
      },
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
