// Caddy as the ingress proxy, driven through its admin API (JSON config, loaded over HTTP; Caddy
// swaps configs gracefully, so requests in flight finish on the config they started on).
//
// Spin owns one HTTP server in Caddy's config, named `spin`, and only ever writes that server: an
// existing Caddy given with --ingress-admin keeps the rest of its config. Automatic HTTPS is off
// and no TLS app is configured, so Caddy never creates a local CA nor touches the trust store. The
// Caddy the agent runs itself is two processes (see CaddyChild): their HOME and XDG folders and
// storage are inside the agent's data folder, the admin API is on 127.0.0.1 only, and nothing is
// autosaved.

import {spawn} from 'node:child_process';
import {closeSync, existsSync, openSync, readFileSync} from 'node:fs';
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises';
import http from 'node:http';
import {connect, createServer} from 'node:net';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';

import {OperationError, UnreachableError, UsageError} from '../errors.ts';
import type {IngressDriver, IngressRoute} from './types.ts';

export const SERVER_NAME = 'spin';
/** How long a request may wait for a routable replica (covers a replica going between config loads). */
const TRY_DURATION = '5s';
const TRY_INTERVAL = '100ms';
/** A replica that refused a connection is skipped this long. */
const FAIL_DURATION = '2s';
const ADMIN_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

type Json = Record<string, unknown>;

function routeJson(route: IngressRoute): Json {
  const handle =
    route.upstreams.length > 0
      ? {
          handler: 'reverse_proxy',
          upstreams: route.upstreams.map((dial) => ({dial})),
          load_balancing: {selection_policy: {policy: 'round_robin'}, try_duration: TRY_DURATION, try_interval: TRY_INTERVAL},
          health_checks: {passive: {fail_duration: FAIL_DURATION, max_fails: 1}},
        }
      : {handler: 'static_response', status_code: 503, headers: {'Retry-After': ['5']}, body: `no healthy replica of ${route.owner}\n`};
  return {match: [{host: [route.host]}], handle: [handle], terminal: true};
}

/** Spin's server in Caddy's JSON config: one route per host name, then a 404 for any other host. */
export function serverConfig(listen: string, routes: IngressRoute[]): Json {
  const sorted = [...routes].sort((a, b) => a.host.localeCompare(b.host));
  return {
    listen: [listen],
    automatic_https: {disable: true},
    routes: [...sorted.map(routeJson), {handle: [{handler: 'static_response', status_code: 404, body: 'no service answers to this host name\n'}]}],
  };
}

/** The whole config of a Caddy the agent runs itself. */
export function childConfig(options: {admin: string; listen: string; storage: string; routes?: IngressRoute[]}): Json {
  return {
    admin: {listen: options.admin, config: {persist: false}},
    storage: {module: 'file_system', root: options.storage},
    logging: {logs: {default: {level: 'ERROR'}}},
    apps: {http: {servers: {[SERVER_NAME]: serverConfig(options.listen, options.routes ?? [])}}},
  };
}

/** Where Caddy's admin API answers: a loopback URL, or a unix socket (`unix//abs/path`). */
export interface AdminTarget {
  /** The base of request URLs (for a socket, a placeholder host). */
  url: URL;
  socketPath?: string;
  /** How messages name it. */
  shown: string;
}

/**
 * `http://127.0.0.1:2019` or `unix//run/spin/admin.sock` → where to send admin calls. Only
 * loopback addresses and sockets are accepted: the admin API can change everything Caddy serves.
 */
export function parseAdminUrl(value: string): AdminTarget {
  if (value.startsWith('unix/')) {
    const socketPath = value.slice('unix/'.length);
    if (!socketPath.startsWith('/') || Buffer.byteLength(socketPath) > 100) {
      throw new UsageError(`invalid Caddy admin socket "${value}"`, {hint: 'give an absolute socket path of at most 100 bytes as unix//path/to/admin.sock'});
    }
    return {url: new URL('http://localhost/'), socketPath, shown: socketPath};
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`invalid Caddy admin URL "${value}"`, {hint: 'use http://127.0.0.1:2019'});
  }
  if (url.protocol !== 'http:' || !/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname)) {
    throw new UsageError(`Caddy admin URL "${value}" is not a loopback http:// address`, {
      hint: "Caddy's admin API can change everything Caddy serves: keep it on 127.0.0.1 and give e.g. http://127.0.0.1:2019",
    });
  }
  return {url, shown: url.origin};
}

export class CaddyAdmin implements IngressDriver {
  readonly admin: AdminTarget;
  private readonly listen: string;
  private applied?: string;
  private parentsReady = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(adminUrl: string, listen: string) {
    this.admin = parseAdminUrl(adminUrl);
    this.listen = listen;
  }

  /** One admin call; a 4xx/5xx becomes an error quoting Caddy's answer. */
  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const res = await new Promise<{status: number; text: string}>((resolve, reject) => {
      const req = http.request(
        new URL(path, this.admin.url),
        {
          method,
          // A fresh connection each time: Caddy may replace its admin server when a config loads.
          agent: false,
          // On a socket Caddy accepts only an empty Host (no network name can reach it).
          ...(this.admin.socketPath ? {socketPath: this.admin.socketPath, setHost: false} : {}),
          headers: {...(this.admin.socketPath ? {host: ''} : {}), ...(payload ? {'content-type': 'application/json', 'content-length': String(payload.length)} : {})},
          timeout: ADMIN_TIMEOUT_MS,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (c: Buffer) => {
            size += c.length;
            if (size <= MAX_ANSWER_BYTES) chunks.push(c);
          });
          response.on('end', () => resolve({status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8')}));
          response.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${ADMIN_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(payload);
    }).catch((err: Error) => {
      throw new UnreachableError(`the ingress proxy's admin API at ${this.admin.shown} does not answer: ${err.message}`, {
        hint: 'check that Caddy runs (`caddy run`) and that --ingress-admin names its admin address',
        cause: err,
      });
    });
    if (res.status >= 400) {
      let message = res.text.trim();
      try {
        message = String((JSON.parse(res.text) as {error?: unknown}).error ?? message);
      } catch {
        // not JSON: keep the text
      }
      throw new OperationError(`the ingress proxy refused ${method} ${path}: ${message.slice(0, 500)}`, {hint: "see Caddy's own log for details"});
    }
    return res.text.trim() === '' ? undefined : JSON.parse(res.text);
  }

  /** Creates the objects above Spin's server when an existing Caddy has none (an empty config). */
  private async ensureParents(): Promise<void> {
    if (this.parentsReady) return;
    const chain = ['apps', 'http', 'servers'];
    let depth = chain.length;
    while (depth > 0) {
      // Caddy answers a path below a missing object with an error, not null.
      const found = await this.call('GET', `/config/${chain.slice(0, depth).join('/')}`).catch((err: unknown) => {
        if (err instanceof UnreachableError) throw err;
        return undefined;
      });
      if (found !== null && typeof found === 'object') break;
      depth--;
    }
    if (depth < chain.length) {
      let value: unknown = {};
      for (let i = chain.length - 1; i > depth; i--) value = {[chain[i]]: value};
      await this.call('POST', `/config/${chain.slice(0, depth + 1).join('/')}`, value);
    }
    this.parentsReady = true;
  }

  apply(routes: IngressRoute[]): Promise<void> {
    const next = this.queue.then(async () => {
      const config = serverConfig(this.listen, routes);
      const text = JSON.stringify(config);
      if (text === this.applied) return;
      await this.ensureParents();
      await this.call('POST', `/config/apps/http/servers/${SERVER_NAME}`, config);
      this.applied = text;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Takes Spin's server out of an existing Caddy; a Caddy the agent started is stopped instead. */
  async close(): Promise<void> {
    await this.queue;
    await this.call('DELETE', `/config/apps/http/servers/${SERVER_NAME}`).catch(() => undefined);
  }
}

/** A TCP port nothing listens on now, on 127.0.0.1 (the caller binds it soon after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

interface ChildState {
  /** The Caddy that holds the routes (reloaded on every change). */
  pid: number;
  /** The Caddy on the TCP address (never reloaded). */
  frontPid: number;
  admin: string;
  listen: string;
}

function runs(pid: number, configFile: string): boolean {
  try {
    // Only a process that runs our own config file is ours to adopt or stop.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(configFile);
  } catch {
    return false;
  }
}

/**
 * Signals a Caddy and its process group: started detached, each Caddy leads a group of its own,
 * so nothing it may have started stays behind either.
 */
function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, sig);
    return true;
  } catch {
    try {
      process.kill(pid, sig);
      return true;
    } catch {
      return false;
    }
  }
}

async function stopPid(pid: number): Promise<void> {
  if (!signal(pid, 'SIGTERM')) return;
  for (const end = Date.now() + STOP_TIMEOUT_MS; Date.now() < end; await sleep(50)) {
    if (!signal(pid, 0)) return;
  }
  signal(pid, 'SIGKILL');
}

function canConnect(address: string): Promise<boolean> {
  const at = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = connect({host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1))});
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The config of the Caddy on the TCP address: everything to the routing Caddy's unix socket. It
 * is loaded once and never changed, because a Caddy that reloads re-opens its TCP listeners
 * (SO_REUSEPORT) and the kernel resets connections still queued on the old one; a unix socket
 * is handed over from one config to the next as is, so the routing Caddy can reload freely.
 */
export function frontConfig(listen: string, socket: string): Json {
  return {
    admin: {disabled: true, config: {persist: false}},
    logging: {logs: {default: {level: 'ERROR'}}},
    apps: {
      http: {
        servers: {
          [`${SERVER_NAME}-front`]: {
            listen: [listen],
            automatic_https: {disable: true},
            routes: [{handle: [{handler: 'reverse_proxy', upstreams: [{dial: `unix/${socket}`}], load_balancing: {try_duration: TRY_DURATION, try_interval: TRY_INTERVAL}}]}],
          },
        },
      },
    },
  };
}

export interface CaddyChildOptions {
  /** Folder for Caddy's config, storage, socket, HOME and XDG folders (inside the agent's data folder). */
  dir: string;
  /** Where the proxy serves, `127.0.0.1:PORT`. */
  listen: string;
  /** The `caddy` program. Default: `caddy` on PATH. */
  bin?: string;
}

/** The Caddies of this process not stopped yet; one 'exit' listener serves them all. */
const running = new Set<CaddyChild>();

function stopAllNow(): void {
  for (const caddy of running) caddy.killNow();
}

/** A Caddy the agent runs, and the config file that tells it from any other process with its pid. */
interface Child {
  pid: number;
  configFile: string;
}

/**
 * The ingress as two Caddy processes run by the agent: one on the TCP address whose config never
 * changes (see frontConfig), passing every request to one that holds the routes on a unix socket
 * and takes every change. `close()` stops them, and so does any end of the agent's process that
 * runs its code (a signal it handles, an uncaught error, process.exit): only an agent killed
 * outright (SIGKILL, the OOM killer) leaves them running, routes and all, so that a restarted
 * agent on the same data folder adopts them when they serve where asked (no downtime), or stops
 * them otherwise.
 */
export class CaddyChild extends CaddyAdmin {
  private readonly children: Child[];
  private readonly stateFile: string;

  private constructor(admin: string, socket: string, children: Child[], stateFile: string) {
    super(admin, `unix/${socket}`);
    this.children = children;
    this.stateFile = stateFile;
    running.add(this);
    if (running.size === 1) process.on('exit', stopAllNow);
  }

  /** On the way out of the process, where nothing can be awaited: a signal to each group that is still ours. */
  killNow(): void {
    for (const r of this.children) if (runs(r.pid, r.configFile)) signal(r.pid, 'SIGTERM');
  }

  static async start(options: CaddyChildOptions): Promise<CaddyChild> {
    const dir = options.dir;
    const home = join(dir, 'home');
    await mkdir(home, {recursive: true, mode: 0o700});
    const socket = join(dir, 'ingress.sock');
    if (Buffer.byteLength(socket) > 100) {
      throw new OperationError(`the ingress socket path "${socket}" is too long for a unix socket`, {hint: 'start the agent with a shorter --data-dir'});
    }
    const configFile = join(dir, 'caddy.json');
    const frontFile = join(dir, 'front.json');
    const stateFile = join(dir, 'state.json');
    const previous = await readFile(stateFile, 'utf8').then((t) => JSON.parse(t) as ChildState, () => undefined);
    if (previous) {
      const alive = runs(previous.pid, configFile) && runs(previous.frontPid, frontFile);
      if (alive && previous.listen === options.listen) {
        const adopted = new CaddyChild(previous.admin, socket, [{pid: previous.pid, configFile}, {pid: previous.frontPid, configFile: frontFile}], stateFile);
        if (await adopted.call('GET', '/config/').then(() => true, () => false)) return adopted;
        adopted.forget();
      }
      if (runs(previous.pid, configFile)) await stopPid(previous.pid);
      if (runs(previous.frontPid, frontFile)) await stopPid(previous.frontPid);
    }
    await rm(socket, {force: true});
    const admin = `127.0.0.1:${await freePort()}`;
    await writeFile(configFile, JSON.stringify(childConfig({admin, listen: `unix/${socket}`, storage: join(dir, 'storage')}), null, 2), {mode: 0o600});
    await writeFile(frontFile, JSON.stringify(frontConfig(options.listen, socket), null, 2), {mode: 0o600});
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_DATA_HOME: join(home, 'data'),
      XDG_CACHE_HOME: join(home, 'cache'),
    };
    const bin = options.bin ?? 'caddy';
    // Logs go to a file, not a pipe: a Caddy that outlives a crashed agent must not die writing to it.
    const logFile = join(dir, 'caddy.log');
    const logFd = openSync(logFile, 'w', 0o600);
    const launch = (file: string) => {
      const child = spawn(bin, ['run', '--config', file], {env, stdio: ['ignore', 'ignore', logFd], detached: true});
      let outcome: string | undefined;
      child.once('error', (err) => (outcome ??= `could not run "${bin}": ${err.message}`));
      child.once('exit', (code, signal) => (outcome ??= `exited with ${signal ?? code}`));
      return {child, outcome: () => outcome};
    };
    const failed = (why: string) => {
      const last = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n') : '';
      return new OperationError(`the ingress proxy (Caddy) did not start: ${why}${last ? `\n${last}` : ''}`, {
        hint: /ENOENT/.test(why)
          ? 'install Caddy (`apt-get install caddy`), or start the agent without --ingress-listen'
          : `check that nothing else listens on ${options.listen} (the ingress address) and look at the lines above`,
      });
    };
    const started: ReturnType<typeof launch>[] = [];
    const waitFor = async (p: ReturnType<typeof launch>, ready: () => Promise<boolean>, what: string) => {
      for (const end = Date.now() + START_TIMEOUT_MS; ; await sleep(50)) {
        const out = p.outcome();
        if (out !== undefined) throw failed(out);
        if (await ready()) return;
        if (Date.now() > end) throw failed(`${what} did not answer within ${START_TIMEOUT_MS / 1000}s`);
      }
    };
    let caddy: CaddyChild | undefined;
    try {
      const back = launch(configFile);
      started.push(back);
      const routing = new CaddyChild(`http://${admin}`, socket, [{pid: back.child.pid ?? -1, configFile}], stateFile);
      caddy = routing;
      await waitFor(back, () => routing.call('GET', '/config/').then(() => true, () => false), 'its admin API');
      // Readiness below is "the address answers": checked free first, so that another program
      // already there is reported, not taken for Caddy (a race a busy machine lost).
      if (await canConnect(options.listen)) throw failed(`${options.listen} is already in use by another program`);
      const front = launch(frontFile);
      started.push(front);
      await waitFor(front, () => canConnect(options.listen), `its listener on ${options.listen}`);
      // A port taken since shows up as an early exit.
      await sleep(100);
      for (const p of started) if (p.outcome() !== undefined) throw failed(p.outcome() as string);
      for (const p of started) p.child.unref();
      routing.children.push({pid: front.child.pid ?? -1, configFile: frontFile});
      const state: ChildState = {pid: back.child.pid ?? -1, frontPid: front.child.pid ?? -1, admin: `http://${admin}`, listen: options.listen};
      await writeFile(stateFile, JSON.stringify(state), {mode: 0o600});
      return routing;
    } catch (err) {
      for (const p of started) if (p.child.pid !== undefined) signal(p.child.pid, 'SIGKILL');
      caddy?.forget();
      throw err;
    } finally {
      closeSync(logFd);
    }
  }

  /** Stops watching the process exit for these Caddies (they were stopped, or never were ours). */
  private forget(): void {
    running.delete(this);
    if (running.size === 0) process.off('exit', stopAllNow);
  }

  override async close(): Promise<void> {
    await Promise.all(this.children.map((r) => stopPid(r.pid)));
    this.forget();
    await rm(this.stateFile, {force: true});
  }
}

/** True when a program of that name is on PATH (for a clear message before starting it). */
export function onPath(bin: string): boolean {
  if (bin.includes('/')) return existsSync(bin);
  return (process.env.PATH ?? '').split(':').some((dir) => dir !== '' && existsSync(join(dir, bin)));
}
