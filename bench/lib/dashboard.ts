// What the dashboard's pages cost beside the API's JSON for the same data: time to first byte of
// the stacks page of a project with 50 stacks, and of a stack page with 20 replicas, against
// `GET /v1/projects/P/stacks` and `GET /v1/projects/P/stacks/S`. Both sides call the same read
// functions (routes/stacks.ts) over the same store and orchestrator, so the ratio is what
// rendering, sessions and the page's extra reads (each stack's newest revision, for its health) add.
//
// One module, three roles: the Benchmark (for bench/lib/benchmarks.ts), its fixture process
// (`node dashboard.ts serve DIR`: the API and the dashboard with the stacks deployed) and
// its probe (`node dashboard.ts probe DIR PAGE`: prints the median TTFB in ms of REQUESTS
// sequential requests, after signing in untimed).

import {request as httpRequest} from 'node:http';
import {fileURLToPath} from 'node:url';

import {launchFixture, readFixtureState, serveFixture, withTimeout} from './fixture.ts';
import {percentile} from './measure.ts';
import type {Benchmark, BenchContext, Command} from './types.ts';

const FILE = fileURLToPath(import.meta.url);
const STACKS = 50;
const REPLICAS = 20;
const BIG = 'big';
/** Sequential requests per run; the run's figure is their median. */
const REQUESTS = 20;

interface State {
  api: string;
  dashboard: string;
  token: string;
  project: string;
}

type Page = 'stacks-page' | 'stacks-api' | 'stack-page' | 'stack-api';

function probe(dir: string, tool: string, label: string, page: Page): Command {
  return {tool, label, argv: [process.execPath, FILE, 'probe', dir, page], measuresItself: true};
}

export const dashboardPages: Benchmark = {
  name: 'dashboard',
  summary: `dashboard pages vs the API's JSON for the same data: TTFB of the stacks page (${STACKS} stacks) and a stack page (${REPLICAS} replicas)`,
  defaultRuns: 5,
  cases: (ctx: BenchContext) => {
    const {dir} = launchFixture<State>(ctx, {
      what: 'the dashboard benchmark fixture',
      file: FILE,
      hint: 'check that the Docker engine runs (`docker info`) and the CLI is built (`npm run build`)',
    });
    return [
      {
        name: `stacks page, ${STACKS} stacks, TTFB median of ${REQUESTS}`,
        commands: [probe(dir, 'dashboard', 'GET / (HTML)', 'stacks-page'), probe(dir, 'api', 'GET /v1/projects/P/stacks (JSON)', 'stacks-api')],
        target: {kind: 'ratio-at-most', peer: 'api', ratio: 2, text: 'at most 2x the API'},
      },
      {
        name: `stack page, ${REPLICAS} replicas, TTFB median of ${REQUESTS}`,
        commands: [probe(dir, 'dashboard', `GET /projects/P/stacks/${BIG} (HTML)`, 'stack-page'), probe(dir, 'api', `GET /v1/projects/P/stacks/${BIG} (JSON)`, 'stack-api')],
        target: {kind: 'ratio-at-most', peer: 'api', ratio: 2, text: 'at most 2x the API'},
      },
    ];
  },
};

// ---- the fixture process

function model(replicas: number) {
  return {services: {web: {image: 'busybox', init: true, cap_drop: ['ALL'], user: '1000:1000', command: ['sleep', '3600'], deploy: {replicas}}}};
}

/**
 * The API and the dashboard on loopback listeners of one process, over the real SQLite store and
 * policy, with the tests' in-memory orchestrator standing in for the engine. Not the real engine
 * on purpose: 50 stacks are 50 networks, more than a shared engine's default address pools hold,
 * and an engine's answer time would be the same on both sides and only hide what the dashboard
 * adds. The figures are therefore the dashboard's own cost, an upper bound on the ratio.
 */
async function serve(dir: string): Promise<void> {
  const [{mkdtempSync, rmSync}, {tmpdir}, {join}, {agentContext, buildApp}, {openStore}, {buildDashboard}, {loadPolicy}, {FakeOrchestrator}] = await Promise.all([
    import('node:fs'),
    import('node:os'),
    import('node:path'),
    import('../../src/lib/agent/app.ts'),
    import('../../src/lib/agent/store.ts'),
    import('../../src/lib/dashboard/app.ts'),
    import('../../src/lib/policy/index.ts'),
    import('../../test/helpers/fake-orchestrator.ts'),
  ]);
  const data = mkdtempSync(join(tmpdir(), 'spin-bench-dashboard-'));
  const store = openStore(data);
  const options = {store, orchestrator: new FakeOrchestrator(), policy: await loadPolicy(), version: '0.0.0'};
  const api = buildApp(options);
  const web = buildDashboard({ctx: agentContext(options), secure: false});
  await serveFixture<State>(
    dir,
    async () => {
      const project = 'bench';
      const {token} = store.addUser({name: 'bench', uid: 1000, gid: 1000, projects: [project]});
      const stacks = [{name: BIG, replicas: REPLICAS}, ...Array.from({length: STACKS - 1}, (_, i) => ({name: `s${i}`, replicas: 1}))];
      for (const s of stacks) {
        const res = await api.inject({method: 'POST', url: `/v1/projects/${project}/stacks/${s.name}/deploy`, headers: {authorization: `Bearer ${token}`}, payload: {model: model(s.replicas)}});
        if (res.statusCode !== 200) throw new Error(`deploying ${s.name} failed: ${res.body}`);
      }
      const address = (app: typeof api) => app.listen({host: '127.0.0.1', port: 0});
      return {api: await address(api), dashboard: await address(web), token, project};
    },
    async () => {
      await withTimeout('close the servers', () => Promise.all([api.close(), web.close()]));
      store.close();
      rmSync(data, {recursive: true, force: true});
    },
  );
}

// ---- the probe

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Milliseconds from sending the request to its first byte (status line and headers). */
  ttfb: number;
}

function get(url: string, options: {method?: string; headers?: Record<string, string>; body?: string} = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = httpRequest(url, {method: options.method ?? 'GET', headers: options.headers}, (res) => {
      const ttfb = performance.now() - start;
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body, ttfb}));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const cookieOf = (a: Answer, name: string) => [a.headers['set-cookie'] ?? []].flat().map((c) => new RegExp(`^${name}=([^;]*)`).exec(c)?.[1]).find(Boolean);

async function signIn(state: State): Promise<string> {
  const form = await get(`${state.dashboard}/login`);
  const nonce = cookieOf(form, 'spin_login')!;
  const signed = await get(`${state.dashboard}/login`, {
    method: 'POST',
    headers: {'content-type': 'application/x-www-form-urlencoded', cookie: `spin_login=${nonce}`},
    body: new URLSearchParams({_csrf: nonce, token: state.token}).toString(),
  });
  const session = cookieOf(signed, 'spin_session');
  if (signed.status !== 303 || !session) throw new Error(`signing in to the dashboard failed: ${signed.status}`);
  return `spin_session=${session}`;
}

async function measure(dir: string, page: Page): Promise<number> {
  const state = readFixtureState<State>(dir);
  const html = page.endsWith('-page');
  const headers: Record<string, string> = html ? {cookie: await signIn(state)} : {authorization: `Bearer ${state.token}`};
  const url = {
    'stacks-page': `${state.dashboard}/`,
    'stacks-api': `${state.api}/v1/projects/${state.project}/stacks`,
    'stack-page': `${state.dashboard}/projects/${state.project}/stacks/${BIG}`,
    'stack-api': `${state.api}/v1/projects/${state.project}/stacks/${BIG}`,
  }[page];
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const a = await get(url, {headers});
    // Proof of the work: every stack on the list, every replica on the stack page.
    const expected = page.startsWith('stacks') ? STACKS : REPLICAS;
    const found = page.startsWith('stacks') ? (html ? a.body.match(/<tr data-stack=/g) : a.body.match(/"name":/g))?.length : (html ? a.body.match(/<td>web\.\d+<\/td>/g) : a.body.match(/"replica":/g))?.length;
    if (a.status !== 200 || found !== expected) throw new Error(`${url}: status ${a.status}, ${found} of ${expected} items`);
    times.push(a.ttfb);
  }
  return percentile(times.sort((x, y) => x - y), 0.5);
}

if (process.argv[1] === FILE && process.argv[2] === 'serve') await serve(process.argv[3]);
if (process.argv[1] === FILE && process.argv[2] === 'probe') process.stdout.write(`${(await measure(process.argv[3], process.argv[4] as Page)).toFixed(2)}\n`);
