// The dashboard's live logs in a real browser, beside `spin logs -f` on the same stream: a real
// agent with its dashboard on the real engine, a service that writes LINES lines to its log on
// demand, and two followers of it, each already connected when the lines are written:
// - Chromium (Debian's, through playwright-core) on the stack's logs page, following; the figure
//   is the time from the write until the last line is on the page;
// - `spin logs -f --tail 0`; the figure is the time from the write until it printed the last line.
// Lines per second = LINES / the figure. A second case reads the agent's RSS while the page
// follows such a flood, beside a fresh agent's idle RSS (what the dashboard in use adds) and
// dockerd's.
//
// One module, four roles: the Benchmark, its fixture (`serve DIR`), and its probes (`page DIR`,
// `cli DIR`, `rss DIR`: each prints its own figure, see Command.measuresItself).

import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';

import type Docker from 'dockerode';

import {probe as agentProbe} from './agent-fixture.ts';
import {launchFixture, readFixtureState, serveFixture, withTimeout} from './fixture.ts';
import {rssMiB} from './memory.ts';
import {printFigure} from './process.ts';
import type {Benchmark, Command} from './types.ts';

const FILE = fileURLToPath(import.meta.url);
const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
export const LINES = 50_000;
const STACK = 'web';
/** How long a follower may take to connect, and the lines to arrive. */
const WAIT_MS = 60_000;
/** The page is polled this often for its last line (the CSP forbids the eval a page-side wait would use). */
const POLL_MS = 10;
/** Time given to the agent to settle (timers, GC) before its memory is read. */
const IDLE_MS = 2000;

interface State {
  dashboard: string;
  api: string;
  token: string;
  project: string;
  container: string;
  agentPid: number;
}

function probe(dir: string, tool: string, label: string, role: 'page' | 'cli' | 'rss'): Command {
  return {tool, label, argv: [process.execPath, FILE, role, dir], measuresItself: true, timeoutMs: 180_000};
}

export const dashboardLogs: Benchmark = {
  name: 'dashboard-logs',
  summary: `the dashboard's live logs page in Chromium vs \`spin logs -f\` on the same stream (${LINES.toLocaleString('en')} lines written at once), and the agent's RSS while the page follows`,
  defaultRuns: 5,
  cases: (ctx) => {
    const {dir} = launchFixture<State>(ctx, {
      what: 'the dashboard logs benchmark fixture',
      file: FILE,
      hint: 'check that the Docker engine runs (`docker info`), Chromium is installed (`bash scripts/setup.sh`) and the CLI is built (`npm run build`)',
    });
    return [
      {
        name: `${LINES / 1000}k lines followed live, time until the last is shown`,
        commands: [probe(dir, 'dashboard', 'logs page in Chromium, following', 'page'), probe(dir, 'spin', 'spin logs -f --tail 0', 'cli')],
        target: {kind: 'ratio-at-most', peer: 'spin', ratio: 2, text: "the page shows the lines at least half as fast as `spin logs -f` prints them"},
      },
      {
        name: 'agent RSS while the dashboard follows a flood of logs',
        unit: 'MiB',
        commands: [
          probe(dir, 'spin', 'agent RSS, the page following', 'rss'),
          agentProbe('spin-idle', 'a fresh agent, idle RSS', ['agent-rss-start']),
          agentProbe('dockerd', 'dockerd RSS', ['dockerd-rss']),
        ],
        target: {kind: 'ratio-at-most', peer: 'spin-idle', ratio: 1.15, text: "the dashboard in use adds at most 15% to the agent's idle RSS"},
      },
    ];
  },
};

// ---- the fixture process

async function serve(dir: string): Promise<void> {
  const [{startDashboardLab}, {dockerClient}, {LABELS}] = await Promise.all([
    import('../../test/helpers/dashboard.ts'),
    import('../../test/helpers/docker.ts'),
    import('../../src/lib/engine/types.ts'),
  ]);
  const docker = dockerClient();
  let lab: Awaited<ReturnType<typeof startDashboardLab>> | undefined;
  await serveFixture<State>(
    dir,
    async () => {
      lab = await startDashboardLab(docker);
      await lab.deploy(STACK, 'bench');
      const [container] = await docker.listContainers({filters: {label: [`${LABELS.project}=${lab.projectA}`, `${LABELS.stack}=${STACK}`]}});
      if (!container) throw new Error('the deployed stack has no running container');
      return {dashboard: lab.url, api: lab.agent.url, token: lab.tokens.alice, project: lab.projectA, container: container.Id, agentPid: lab.agent.process.pid!};
    },
    async () => {
      await withTimeout('remove the dashboard lab', async () => lab?.cleanup());
    },
  );
}

// ---- the probes

/** Writes `text` as lines to the service's log (PID 1's stdout, which the engine collects). */
async function write(docker: Docker, state: State, script: string): Promise<void> {
  const exec = await docker.getContainer(state.container).exec({Cmd: ['sh', '-c', `(${script}) > /proc/1/fd/1`], AttachStdout: true, AttachStderr: true});
  const stream = await exec.start({});
  stream.resume();
  await new Promise((resolve, reject) => stream.on('end', resolve).on('error', reject));
  const {ExitCode} = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`writing to the log exited with ${ExitCode}`);
}

/**
 * Waits until the follower shows a line written after it started (so it is connected), then
 * writes LINES lines and a marker and returns the milliseconds until the follower shows the marker.
 */
async function measure(docker: Docker, state: State, shows: (text: string) => Promise<boolean>): Promise<number> {
  const run = Math.random().toString(36).slice(2, 10);
  for (let i = 0, end = Date.now() + WAIT_MS; ; i++) {
    await write(docker, state, `echo ping-${run}-${i}`);
    const until = Date.now() + 500;
    while (Date.now() < until && !(await shows(`ping-${run}-${i}`))) await sleep(POLL_MS);
    if (await shows(`ping-${run}-${i}`)) break;
    if (Date.now() > end) throw new Error('the follower did not connect');
  }
  const marker = `end-${run}`;
  const start = performance.now();
  await write(docker, state, `seq 1 ${LINES}; echo ${marker}`);
  for (const end = Date.now() + WAIT_MS; !(await shows(marker)); await sleep(POLL_MS)) {
    if (Date.now() > end) throw new Error(`the last of ${LINES} lines was not shown within ${WAIT_MS / 1000}s`);
  }
  return performance.now() - start;
}

/** Chromium signed in, on the stack's logs page, following from now on. */
async function followInBrowser<T>(state: State, fn: (lastLine: () => Promise<string>) => Promise<T>): Promise<T> {
  const [{chromium}, {CHROMIUM}] = await Promise.all([import('playwright-core'), import('../../test/helpers/dashboard.ts')]);
  // Chromium's sandbox needs user namespaces a root run does not have.
  const browser = await chromium.launch({executablePath: CHROMIUM, args: ['--no-sandbox']});
  try {
    const page = await browser.newPage();
    await page.goto(`${state.dashboard}/login`);
    await page.getByLabel('Token').fill(state.token);
    await page.getByRole('button', {name: 'Sign in'}).click();
    await page.waitForURL(`${state.dashboard}/`);
    await page.goto(`${state.dashboard}/projects/${state.project}/stacks/${STACK}/logs?tail=0`);
    const last = page.locator('#log > div:last-child');
    return await fn(async () => ((await last.count()) > 0 ? ((await last.textContent()) ?? '') : ''));
  } finally {
    await browser.close();
  }
}

async function pageFigure(docker: Docker, state: State): Promise<number> {
  return followInBrowser(state, (lastLine) => measure(docker, state, async (text) => (await lastLine()).endsWith(` | ${text}`)));
}

async function cliFigure(docker: Docker, state: State): Promise<number> {
  const home = mkdtempSync(join(tmpdir(), 'spin-bench-logs-'));
  const env: NodeJS.ProcessEnv = {...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), SPIN_URL: state.api, SPIN_TOKEN: state.token, SPIN_PROJECT: state.project};
  delete env.SPIN_CONTEXT;
  const child = spawn(process.execPath, [BIN, 'logs', '-f', '--tail', '0', '--stack', STACK], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Only the end of the output matters: the marker is the last line written.
  let tail = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (tail = (tail + d).slice(-200)));
  try {
    return await measure(docker, state, async (text) => tail.endsWith(` | ${text}\n`));
  } finally {
    child.kill();
    rmSync(home, {recursive: true, force: true});
  }
}

async function rssFigure(docker: Docker, state: State): Promise<number> {
  return followInBrowser(state, async (lastLine) => {
    await measure(docker, state, async (text) => (await lastLine()).endsWith(` | ${text}`));
    await sleep(IDLE_MS);
    return rssMiB(state.agentPid);
  });
}

if (process.argv[1] === FILE) {
  const [role, dir] = process.argv.slice(2);
  if (role === 'serve') {
    await serve(dir);
  } else {
    await printFigure(async () => {
      const {dockerClient} = await import('../../test/helpers/docker.ts');
      const docker = dockerClient();
      const state = readFixtureState<State>(dir);
      if (role === 'page') return pageFigure(docker, state);
      if (role === 'cli') return cliFigure(docker, state);
      if (role === 'rss') return rssFigure(docker, state);
      throw new Error(`unknown role "${role}" (serve, page, cli or rss)`);
    });
  }
}
