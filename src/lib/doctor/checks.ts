// `spin doctor`: what a trainee's machine and context need, each check with its fix. The checks
// get everything they look at through `DoctorDeps` (the engine, the agent, the credential store,
// the clock, the ports), so tests hand in small fakes and `deps.ts` wires the real ones.

import {AuthError} from '../errors.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable id for scripts: node, engine, context, agent, registry, clock, ports. */
  id: string;
  status: CheckStatus;
  /** One line: what was found. */
  message: string;
  /** How to fix it (absent when the check passed). */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
}

export interface DoctorContext {
  name: string;
  url: string;
  registry?: string;
  project?: string;
}

export interface DoctorDeps {
  nodeVersion: string;
  /** The lowest Node the package supports (package.json `engines`), e.g. `22.18`. */
  requiredNode: string;
  /** The engine's version; throws when it does not answer. */
  engineVersion(): Promise<{version: string; apiVersion: string}>;
  /** The context in use; undefined means the local agent `spin up` starts. Throws a SpinError when it is unusable (logged out, unknown). */
  context(): Promise<DoctorContext | undefined>;
  /** Asks the context's agent who the token is (throws a SpinError when it cannot), and the agent's clock (its HTTP Date header) when it sent one. */
  agent(ctx: DoctorContext): Promise<{user: string; projects: string[]; date?: Date}>;
  /**
   * Tries the login stored for the registry (docker config or a credential helper) on the registry
   * itself, with one time-limited authenticated call: 'none' when no login is stored. Throws an
   * AuthError when the registry refuses it, another SpinError when the registry does not answer.
   */
  registryLogin(registry: string): Promise<'ok' | 'none'>;
  /** Whether nothing listens on the port on this machine. */
  portFree(port: number): Promise<boolean>;
  /** Host ports the templates publish. */
  ports: number[];
  now(): Date;
}

/** Docker Engine 20.10 (API 1.41) is the oldest Spin is tested with. */
const MIN_ENGINE_API = [1, 41];
/** A token check or a TLS certificate can fail when clocks disagree by more than this. */
const MAX_SKEW_MS = 30_000;

const numbers = (v: string) => v.replace(/^v/, '').split('.').map((n) => Number.parseInt(n, 10) || 0);
function atLeast(have: number[], want: number[]): boolean {
  for (let i = 0; i < want.length; i++) if ((have[i] ?? 0) !== want[i]) return (have[i] ?? 0) > want[i];
  return true;
}

function failure(err: unknown): {message: string; hint?: string} {
  const e = err as {message?: string; hint?: string};
  return {message: e.message ?? String(err), hint: e.hint};
}

function checkNode(deps: DoctorDeps): CheckResult {
  if (atLeast(numbers(deps.nodeVersion), numbers(deps.requiredNode))) return {id: 'node', status: 'ok', message: `Node ${deps.nodeVersion}`};
  return {id: 'node', status: 'fail', message: `Node ${deps.nodeVersion} is older than ${deps.requiredNode}`, fix: `install Node.js ${deps.requiredNode} or newer (https://nodejs.org), then run spin again`};
}

async function checkEngine(deps: DoctorDeps): Promise<CheckResult> {
  try {
    const {version, apiVersion} = await deps.engineVersion();
    if (!atLeast(numbers(apiVersion), MIN_ENGINE_API)) {
      return {id: 'engine', status: 'warn', message: `Docker Engine ${version} (API ${apiVersion}) is older than Spin is tested with (20.10, API 1.41)`, fix: 'upgrade Docker: https://docs.docker.com/engine/install/'};
    }
    return {id: 'engine', status: 'ok', message: `Docker Engine ${version} (API ${apiVersion})`};
  } catch (err) {
    return {
      id: 'engine',
      status: 'fail',
      message: `the Docker engine does not answer (${failure(err).message})`,
      fix: 'start Docker (Docker Desktop, or `sudo systemctl start docker`); if it runs elsewhere, set DOCKER_HOST; on Linux your user may need to be in the "docker" group',
    };
  }
}

/** The login stored for the context's registry, tried on the registry: stored is not enough, a password expires. */
async function checkRegistry(deps: DoctorDeps, registry: string): Promise<CheckResult> {
  const login = `spin registry login ${registry} -u USER --password-stdin < password.txt`;
  const refused = ': spin push and spin deploy --build would be refused';
  try {
    if ((await deps.registryLogin(registry)) === 'ok') return {id: 'registry', status: 'ok', message: `logged in to registry ${registry}`};
    return {id: 'registry', status: 'fail', message: `not logged in to registry ${registry}${refused}`, fix: login};
  } catch (err) {
    const f = failure(err);
    if (err instanceof AuthError) {
      return {id: 'registry', status: 'fail', message: `the login stored for registry ${registry} does not work (${f.message})${refused}`, fix: `log in again with the current password (it may have changed or expired): ${login}`};
    }
    return {id: 'registry', status: 'fail', message: `could not try the login to registry ${registry}: ${f.message}`, fix: f.hint ?? 'check the registry address (`spin context ls`) and your network'};
  }
}

/** The context, its agent and token, its registry login and the agent's clock: each needs the one before. */
async function checkContext(deps: DoctorDeps): Promise<CheckResult[]> {
  let ctx: DoctorContext | undefined;
  try {
    ctx = await deps.context();
  } catch (err) {
    const f = failure(err);
    return [{id: 'context', status: 'fail', message: f.message, fix: f.hint ?? 'see `spin context ls`'}];
  }
  if (!ctx) {
    return [{id: 'context', status: 'ok', message: 'no platform context: `spin up` runs stacks on this machine (lesson 1); `spin login` adds one for deploying (lesson 2)'}];
  }
  const out: CheckResult[] = [{id: 'context', status: 'ok', message: `context "${ctx.name}": ${ctx.url}${ctx.project ? `, project "${ctx.project}"` : ''}`}];
  let date: Date | undefined;
  try {
    const me = await deps.agent(ctx);
    date = me.date;
    out.push({id: 'agent', status: 'ok', message: `the agent knows your token: user "${me.user}", projects ${me.projects.map((p) => `"${p}"`).join(', ') || '(none)'}`});
  } catch (err) {
    const f = failure(err);
    out.push({id: 'agent', status: 'fail', message: f.message, fix: f.hint ?? `check the URL and log in again: spin login ${ctx.url} --token-stdin < token.txt`});
  }
  if (ctx.registry) out.push(await checkRegistry(deps, ctx.registry));
  if (date) {
    const skew = deps.now().getTime() - date.getTime();
    const seconds = Math.round(Math.abs(skew) / 1000);
    out.push(
      Math.abs(skew) <= MAX_SKEW_MS
        ? {id: 'clock', status: 'ok', message: `clock within ${MAX_SKEW_MS / 1000}s of the agent's`}
        : {id: 'clock', status: 'fail', message: `this machine's clock is ${seconds}s ${skew > 0 ? 'ahead of' : 'behind'} the agent's: tokens and certificates can be refused, times in history and logs mislead`, fix: 'turn on network time: `sudo timedatectl set-ntp true` (Linux), or Settings > Date & Time > set automatically'},
    );
  }
  return out;
}

async function checkPorts(deps: DoctorDeps): Promise<CheckResult> {
  const taken = [];
  for (const port of deps.ports) if (!(await deps.portFree(port))) taken.push(port);
  if (taken.length === 0) return {id: 'ports', status: 'ok', message: `free: ${deps.ports.join(', ') || '(no ports to check)'}`};
  return {
    id: 'ports',
    status: 'warn',
    message: `port ${taken.join(', ')} is in use on this machine: a template's \`spin up\` would not get it`,
    fix: 'stop what listens there (`spin ps`, `docker ps`), or publish another port: PORT=60001 in a .env file next to compose.yaml',
  };
}

export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const [engine, context, ports] = await Promise.all([checkEngine(deps), checkContext(deps), checkPorts(deps)]);
  const checks = [checkNode(deps), engine, ...context, ports];
  return {ok: checks.every((c) => c.status !== 'fail'), checks};
}
