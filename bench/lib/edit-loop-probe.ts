// The edit loop's fixture and the runs that time themselves (Command.measuresItself).
//
//   node bench/lib/edit-loop-probe.ts serve DIR
//     the fixture: two copies of a two-service app (web + api, busybox FROM scratch, `init: true`,
//     healthchecks), one brought up with `spin up` on an embedded local agent of its own, the
//     other with `docker-compose up -d --build`; all of it removed when DIR goes away.
//   node bench/lib/edit-loop-probe.ts spin|compose DIR edit|same|first
//     edit: write a new line into web's page, then time `spin up` (or `docker-compose up -d
//     --build`) to its end and until the page shows it; same: the same with nothing changed;
//     first: an edit, timed until the page first shows it, watched while the command runs (the
//     command must still succeed). Each run checks that only web was recreated (edit, first)
//     or nothing (same), and fails otherwise. Prints the milliseconds alone on the last line.

import {spawn} from 'node:child_process';
import {cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';

import {BIN, ROOT} from '../../test/helpers/cli.ts';
import {BUSYBOX} from '../../test/helpers/docker.ts';
import {freePort} from '../../src/lib/ingress/caddy.ts';
import {COMPOSE_PROJECT_LABEL, removeComposeProject} from './agent-fixture.ts';
import {readFixtureState, serveFixture, withTimeout} from './fixture.ts';
import {timed} from './process.ts';

export const PROBE_FILE = fileURLToPath(import.meta.url);
const PAGE_TIMEOUT_MS = 60_000;

export interface EditLoopState {
  /** The spin copy: its folder (the stack is named after it), port and environment. */
  spin: {app: string; stack: string; port: number; env: Record<string, string>};
  compose: {app: string; project: string; port: number};
}

/** The app: the bundled example's two services with `init: true` and a 1 s healthcheck, published on `port`. */
function composeFile(port: number): string {
  const service = (name: string, path: string, extra: string[]) => [
    `  ${name}:`,
    `    build: ./${name}`,
    '    init: true',
    ...extra,
    '    user: "1000:1000"',
    '    cap_drop: [ALL]',
    '    healthcheck:',
    `      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080${path}"]`,
    '      interval: 1s',
    '      timeout: 2s',
    '      retries: 10',
  ];
  return [
    'services:',
    ...service('web', '/', [`    ports: ["${port}:8080"]`, '    environment:', '      API_URL: http://api:8080', '    depends_on:', '      api:', '        condition: service_healthy']),
    '',
    ...service('api', '/health', []),
    '',
  ].join('\n');
}

function writeApp(dir: string, port: number): void {
  for (const name of ['web', 'api']) {
    cpSync(join(ROOT, 'examples', 'hello', name), join(dir, name), {recursive: true, filter: (src) => !src.endsWith('/busybox')});
    cpSync(BUSYBOX, join(dir, name, 'busybox'));
  }
  writeFileSync(join(dir, 'compose.yaml'), composeFile(port));
  writeMarker(dir, 'first');
}

/** web's page, ending with the marker line the runs wait for. */
function writeMarker(app: string, marker: string): void {
  writeFileSync(join(app, 'web', 'www', 'index.html'), `<!doctype html>\n<title>edit loop</title>\n<p>${marker}</p>\n`);
}

function runIn(cwd: string, file: string, args: string[], env: Record<string, string | undefined>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'ignore', 'pipe']});
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${[file, ...args].join(' ')} exited with ${code}:\n${stderr.trimEnd()}`))));
  });
}

/** The environment `spin` runs with: its own local agent, config and build cache, no context. */
function spinEnvironment(dir: string): Record<string, string> {
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('SPIN_')));
  return {...env, HOME: join(dir, 'home'), XDG_CONFIG_HOME: join(dir, 'home', '.config'), XDG_CACHE_HOME: join(dir, 'home', '.cache'), SPIN_LOCAL_DIR: join(dir, 'spin-local'), NO_COLOR: '1', CI: '1'};
}

const spinUp = (s: EditLoopState['spin']) => runIn(s.app, process.execPath, [BIN, 'up'], s.env);
const composeUp = (c: EditLoopState['compose']) => runIn(c.app, 'docker-compose', ['-p', c.project, 'up', '-d', '--build'], {...process.env, COMPOSE_PROJECT_NAME: c.project});

async function pageShows(port: number, marker: string): Promise<void> {
  const end = Date.now() + PAGE_TIMEOUT_MS;
  while (Date.now() < end) {
    // A fresh connection each time, never waiting long: a port whose container is being replaced may not answer.
    const text = await fetch(`http://127.0.0.1:${port}/`, {headers: {connection: 'close'}, signal: AbortSignal.timeout(250)}).then((r) => r.text()).catch(() => '');
    if (text.includes(`<p>${marker}</p>`)) return;
    await sleep(10);
  }
  throw new Error(`the page on port ${port} did not show "${marker}" within ${PAGE_TIMEOUT_MS / 1000}s`);
}

// ---- the fixture

async function serve(dir: string): Promise<void> {
  const {dockerClient, uniqueName} = await import('../../test/helpers/docker.ts');
  const docker = dockerClient();
  const stack = uniqueName('editloop');
  const project = `${stack}c`;
  // The apps and spin's state live apart from DIR: the harness removes DIR first, and the local
  // agent must still be found (its state file) to remove the stack and stop it.
  const work = mkdtempSync(join(tmpdir(), 'spin-bench-edit-loop-'));
  const spinApp = join(work, stack);
  const composeApp = join(work, project);
  const env = spinEnvironment(work);
  const cleanup = async () => {
    await withTimeout(`remove stack "${stack}"`, () => runIn(work, process.execPath, [BIN, 'rm', '--yes', '--stack', stack], env));
    await withTimeout('stop the local agent', async () => {
      const pid = localAgentPid(env.SPIN_LOCAL_DIR);
      await runIn(work, process.execPath, [BIN, 'agent', 'stop'], env).catch(() => undefined);
      for (let i = 0; i < 50 && pid !== undefined && alive(pid); i++) await sleep(100);
      if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    });
    await withTimeout(`remove compose project "${project}"`, () => removeComposeProject(docker, project));
    await withTimeout('remove the images', async () => {
      // By name: the same content has the same image ID in other projects, which keep theirs.
      const ours = (await docker.listImages()).flatMap((img) => img.RepoTags ?? []).filter((t) => t.startsWith(`${stack}/`) || t.startsWith(`${project}_`));
      for (const tag of ours) await docker.getImage(tag).remove().catch(() => undefined);
    });
    rmSync(work, {recursive: true, force: true});
  };
  await serveFixture<EditLoopState>(
    dir,
    async () => {
      const [spinPort, composePort] = [await freePort(), await freePort()];
      mkdirSync(spinApp);
      mkdirSync(composeApp);
      writeApp(spinApp, spinPort);
      writeApp(composeApp, composePort);
      const state: EditLoopState = {spin: {app: spinApp, stack, port: spinPort, env}, compose: {app: composeApp, project, port: composePort}};
      await spinUp(state.spin);
      await composeUp(state.compose);
      await Promise.all([pageShows(spinPort, 'first'), pageShows(composePort, 'first')]);
      return state;
    },
    cleanup,
  );
}

/** The embedded local agent's process, from its state file, so it cannot outlive the fixture. */
function localAgentPid(localDir: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(localDir, 'local.json'), 'utf8')) as {pid?: number}).pid;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---- the timed runs

/** Container IDs of web and api, as each tool names its containers. */
async function containers(tool: 'spin' | 'compose', state: EditLoopState): Promise<{web: string; api: string}> {
  const {dockerClient} = await import('../../test/helpers/docker.ts');
  const docker = dockerClient();
  const id = async (service: string) => {
    const list =
      tool === 'spin'
        ? await docker.listContainers({filters: {name: [`^/local\\.${state.spin.stack}\\.${service}\\.1$`]}})
        : await docker.listContainers({filters: {label: [`${COMPOSE_PROJECT_LABEL}=${state.compose.project}`, `com.docker.compose.service=${service}`]}});
    if (list.length !== 1) throw new Error(`${tool}: expected one running "${service}" container, found ${list.length}`);
    return list[0].Id;
  };
  return {web: await id('web'), api: await id('api')};
}

type Mode = 'edit' | 'same' | 'first';

async function measure(tool: 'spin' | 'compose', dir: string, mode: Mode): Promise<number> {
  const state = readFixtureState<EditLoopState>(dir);
  const app = tool === 'spin' ? state.spin.app : state.compose.app;
  const port = tool === 'spin' ? state.spin.port : state.compose.port;
  const before = await containers(tool, state);
  const marker = `edit-${process.hrtime.bigint().toString(36)}`;
  const current = /<p>([^<]*)<\/p>\n$/.exec(readFileSync(join(app, 'web', 'www', 'index.html'), 'utf8'))?.[1] ?? 'first';
  if (mode !== 'same') writeMarker(app, marker);
  const upping = () => (tool === 'spin' ? spinUp(state.spin) : composeUp(state.compose));
  let ms: number;
  if (mode === 'first') {
    // The page is watched while the command runs: when a browser left open would show the edit.
    const start = process.hrtime.bigint();
    const command = upping();
    command.catch(() => undefined);
    await pageShows(port, marker);
    ms = Number(process.hrtime.bigint() - start) / 1e6;
    await command;
  } else {
    ms = await timed(async () => {
      await upping();
      await pageShows(port, mode === 'edit' ? marker : current);
    });
  }
  const after = await containers(tool, state);
  const recreated = (['web', 'api'] as const).filter((s) => before[s] !== after[s]);
  const expected = mode === 'same' ? [] : ['web'];
  if (tool === 'spin' && recreated.join() !== expected.join()) {
    throw new Error(`spin up recreated ${recreated.length ? recreated.join(' and ') : 'nothing'}; expected ${expected.length ? expected.join(' and ') : 'nothing'}`);
  }
  return ms;
}

if (process.argv[1] === PROBE_FILE) {
  const [mode, dir, what] = process.argv.slice(2);
  if (mode === 'serve' && dir) {
    await serve(dir);
  } else if ((mode === 'spin' || mode === 'compose') && dir && (what === 'edit' || what === 'same' || what === 'first')) {
    try {
      process.stdout.write(`${(await measure(mode, dir, what)).toFixed(1)}\n`);
    } catch (err) {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  } else {
    process.stderr.write('usage: edit-loop-probe.ts serve DIR | spin|compose DIR edit|same|first\n');
    process.exitCode = 2;
  }
}
