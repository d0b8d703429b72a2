// Running the agent: open the state, load the policy once, reach the engine, reconcile what a
// previous process left behind, then listen. Refuses to serve tokens in clear text beyond the
// loopback interface unless told that something else terminates TLS.

import {readFile} from 'node:fs/promises';
import {isIP} from 'node:net';
import {join} from 'node:path';

import type Docker from 'dockerode';

import {isDnsName} from '../dns-label.ts';

import {fileError, UsageError} from '../errors.ts';
import type {Orchestrator} from '../engine/types.ts';
import type {AppOptions} from './app.ts';
import {FailedAuthLimiter} from './auth-limit.ts';
import {Operations} from './operations.ts';
import type {ReconcileReport} from './reconcile.ts';

export interface AgentServerOptions {
  dataDir: string;
  /** `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback). */
  listen: string;
  policyFile?: string;
  /** `unix:///path`, `tcp://host:port`, `http(s)://host:port`; default DOCKER_HOST, else the local socket. */
  dockerHost?: string;
  registry?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Allow plain HTTP on a non-loopback address (a TLS proxy in front). */
  insecure?: boolean;
  publishHostIp?: string;
  policyMode?: 'enforce' | 'warn';
  version: string;
  logStream?: NodeJS.WritableStream;
  logLevel?: string;
  /** How long in-flight requests may take to finish on shutdown. Default 5000. */
  graceMs?: number;
  /** Serve the ingress (host-name routing to healthy replicas) on this `HOST:PORT`; off when absent. */
  ingressListen?: string;
  /** Drive the Caddy whose admin API answers here instead of starting one. */
  ingressAdmin?: string;
  /** Default host names are `<service>.<stack>.<project>.<domain>`. Default `localhost`. */
  ingressDomain?: string;
  /** The Caddy program to start. Default `caddy` on PATH. */
  caddyBin?: string;
  /** Serve the web dashboard on this `HOST:PORT` (same TLS as the API); off when absent. */
  dashboardListen?: string;
  /** Which backend drives the engine; `detect` (the default): swarm when the engine is an active Swarm manager, else docker. */
  orchestrator?: 'docker' | 'swarm' | 'detect';
  /** Swarm only: engines of the cluster's nodes for exec (`NODE=URL`), inline and from a file, and the TLS client identity for `tcp://` ones. */
  swarmNodeEngines?: {entries?: string[]; file?: string; tlsDir?: string};
}

export interface RunningAgent {
  url: string;
  dataDir: string;
  /** Where the ingress serves (`http://HOST:PORT`), when it runs. */
  ingressUrl?: string;
  /** Where the dashboard serves, when it runs. */
  dashboardUrl?: string;
  reconcile: ReconcileReport;
  /** The backend in use: `docker` (one host) or `swarm`. */
  orchestrator: string;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes the store. */
  close(): Promise<void>;
}

export function parseListen(value: string): {host: string; port: number} {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new UsageError(`invalid listen address "${value}"`, {hint: 'use HOST:PORT, e.g. 127.0.0.1:7878, 0.0.0.0:7878 or [::1]:7878'});
  }
  return {host: m[1] ?? (m[2] || '127.0.0.1'), port};
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** A dockerode client for a DOCKER_HOST-style URL; none means dockerode's own default (DOCKER_HOST, else the socket). */
export async function dockerFromHost(url: string | undefined): Promise<Docker> {
  const {default: DockerClass} = await import('dockerode');
  if (!url) return new DockerClass();
  if (url.startsWith('unix://')) return new DockerClass({socketPath: url.slice('unix://'.length)});
  const m = /^(tcp|http|https):\/\/([^:/]+|\[[^\]]+\]):([0-9]{1,5})\/?$/.exec(url);
  if (!m) {
    throw new UsageError(`invalid Docker host "${url}"`, {hint: 'use unix:///var/run/docker.sock or tcp://HOST:PORT'});
  }
  return new DockerClass({host: m[2].replace(/^\[|\]$/g, ''), port: Number(m[3]), protocol: m[1] === 'https' ? 'https' : 'http'});
}

async function readPem(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw fileError(path, err);
  }
}

export async function startAgent(options: AgentServerOptions): Promise<RunningAgent> {
  const {host, port} = parseListen(options.listen);
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together', {hint: 'pass both the certificate and its private key (PEM files)'});
  }
  const tls = options.tlsCert !== undefined;
  const dashboard = options.dashboardListen === undefined ? undefined : parseListen(options.dashboardListen);
  for (const where of [{host, port}, ...(dashboard ? [dashboard] : [])]) {
    if (!tls && !isLoopback(where.host) && !options.insecure) {
      throw new UsageError(`refusing to listen on ${where.host}:${where.port} without TLS: bearer tokens would cross the network in clear text`, {
        hint: 'pass --tls-cert FILE --tls-key FILE, or --insecure when a TLS proxy in front of the agent terminates HTTPS',
      });
    }
  }
  const https = tls ? {cert: await readPem(options.tlsCert!), key: await readPem(options.tlsKey!)} : undefined;

  const [{loadPolicy}, {openStore}, {buildApp}, {reconcile}] = await Promise.all([
    import('../policy/index.ts'),
    import('./store.ts'),
    import('./app.ts'),
    import('./reconcile.ts'),
  ]);
  const policy = await loadPolicy(options.policyFile);
  const docker = await dockerFromHost(options.dockerHost);
  const secretsDir = join(options.dataDir, 'secrets');
  // Pulls use the agent user's own Docker credentials (`docker login` / `spin registry login`).
  const registryAuth = async (registry: string) => {
    const {getCredentials} = await import('../images/credentials.ts');
    const found = await getCredentials(registry);
    return found && found.username !== undefined ? {username: found.username, password: found.password ?? ''} : undefined;
  };
  const kind = await orchestratorKind(options.orchestrator ?? 'detect', docker);
  // Everything that can refuse the start comes before the ingress, which starts a proxy.
  const engineFlags = options.swarmNodeEngines ?? {};
  if (kind === 'docker' && (engineFlags.entries?.length || engineFlags.file !== undefined || engineFlags.tlsDir !== undefined)) {
    throw new UsageError('--swarm-node-engine, --swarm-node-engines and --swarm-node-tls-dir are for a Swarm cluster, and this agent drives one host', {hint: 'leave them out, or start the agent against a Swarm manager (--orchestrator swarm)'});
  }
  const nodeEngines = kind === 'swarm' ? await checkedNodeEngines(engineFlags, docker) : undefined;
  const nameKey = kind === 'swarm' ? await swarmNameKey(options.dataDir) : undefined;
  const ingress = await startIngress(options, docker, kind);
  const allowedPorts = policy.disabled_rules.includes('ports') ? undefined : policy.ports.allowed;
  const orchestrator: Orchestrator =
    kind === 'swarm'
      ? new (await import('../engine/swarm.ts')).SwarmOrchestrator({
          docker,
          registryAuth,
          secretsDir,
          placement: policy.placement,
          nameKey: nameKey!,
          nodeEngines: nodeEngines?.engines,
          ...(ingress ? {ingress: {domain: ingress.domain, port: ingress.port}} : {}),
          volumes: {sharedDrivers: policy.volumes.shared_drivers, pinLabels: policy.placement.pin_labels},
        })
      : new (await import('../engine/docker.ts')).DockerOrchestrator({docker, secretsDir, publishHostIp: options.publishHostIp, registryAuth, allowedPorts, ...(ingress ? {ingress: {hooks: ingress.controller, domain: ingress.domain, port: ingress.port}} : {})});
  try {
    await orchestrator.ping();
  } catch (err) {
    await ingress?.controller.close();
    throw err;
  }

  const store = openStore(options.dataDir);
  try {
    // Known once the dashboard listens, after the API is built.
    const dashboardAt: {port?: number} = {};
    const operations = new Operations();
    const appOptions: AppOptions = {
      operations,
      authLimiter: new FailedAuthLimiter(),
      store,
      orchestrator,
      policy,
      registry: options.registry,
      policyMode: options.policyMode,
      version: options.version,
      logger: {level: options.logLevel ?? 'info', stream: options.logStream ?? process.stderr},
      secretsDir,
      engineVersion: async () => (await docker.version()).Version,
      https,
      dashboardUrl: (apiHost) => (dashboard && dashboardAt.port !== undefined ? dashboardUrl(dashboard.host, dashboardAt.port, tls, apiHost) : undefined),
    };
    const app = buildApp(appOptions);
    await app.ready();
    for (const check of nodeEngines?.checks ?? []) app.log[check.outcome === 'ok' ? 'info' : 'warn'](check.message);
    ingress?.setLog((level, message) => app.log[level](message));
    await ingress?.controller.start();
    const report = await reconcile({store, orchestrator, policy, policyMode: options.policyMode, registry: options.registry, secretsDir, log: (level, message) => app.log[level](message)});
    await app.listen({host, port});
    const address = app.server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    let web: Awaited<ReturnType<typeof startDashboard>> | undefined;
    try {
      web = dashboard && (await startDashboard(appOptions, dashboard, tls));
    } catch (err) {
      await app.close();
      throw err;
    }
    dashboardAt.port = web?.port;
    const shownHost = host.includes(':') ? `[${host}]` : host;
    let closing: Promise<void> | undefined;
    return {
      url: `${tls ? 'https' : 'http'}://${shownHost}:${actualPort}`,
      dataDir: options.dataDir,
      orchestrator: orchestrator.name,
      ...(ingress ? {ingressUrl: `http://${options.ingressListen}`} : {}),
      ...(web && dashboard ? {dashboardUrl: dashboardUrl(dashboard.host, web.port, tls)} : {}),
      reconcile: report,
      close() {
        closing ??= (async () => {
          // Long streams (logs --follow, exec) and rollouts would hold close() for minutes: after
          // the grace period, rollouts in flight end where they are (the next start reconciles
          // them) and connections are cut.
          const grace = options.graceMs ?? 5000;
          const timer = setTimeout(() => {
            app.server.closeAllConnections?.();
            web?.app.server.closeAllConnections?.();
          }, grace);
          try {
            // Changes started from the dashboard have no request to wait for: the store stays open until they end.
            await Promise.all([app.close(), web?.app.close(), operations.stop(grace)]);
          } finally {
            clearTimeout(timer);
            store.close();
            orchestrator.close?.();
            await ingress?.controller.close().catch(() => undefined);
          }
        })();
        return closing;
      },
    };
  } catch (err) {
    store.close();
    orchestrator.close?.();
    await ingress?.controller.close().catch(() => undefined);
    throw err;
  }
}

/**
 * The dashboard's URL. An agent listening on every interface (0.0.0.0, ::) is reached by the name
 * the client used for the API, so the CLI is told that name with the dashboard's port.
 */
export function dashboardUrl(host: string, port: number, tls: boolean, apiHost?: string): string {
  const unspecified = host === '0.0.0.0' || host === '::';
  const name = unspecified ? (apiHost ?? '127.0.0.1') : host;
  return `${tls ? 'https' : 'http'}://${name.includes(':') && !name.startsWith('[') ? `[${name}]` : name}:${port}`;
}

/** The dashboard on its own listener, with the API's context and TLS. */
async function startDashboard(appOptions: AppOptions, where: {host: string; port: number}, tls: boolean) {
  const [{buildDashboard}, {agentContext}] = await Promise.all([import('../dashboard/app.ts'), import('./app.ts')]);
  const app = buildDashboard({ctx: agentContext(appOptions), secure: tls, https: appOptions.https, logger: appOptions.logger});
  await app.listen(where);
  const address = app.server.address();
  return {app, port: typeof address === 'object' && address ? address.port : where.port};
}

/** The key of the Swarm secret and config names, kept (0600) beside the database so it outlives restarts. */
async function swarmNameKey(dataDir: string): Promise<Buffer> {
  const [{prepareDataDir}, {loadOrCreateKey}] = await Promise.all([import('./store.ts'), import('./crypto.ts')]);
  prepareDataDir(dataDir);
  return loadOrCreateKey(join(dataDir, 'swarm-names.key'));
}

/**
 * The Swarm node engines given to the agent, each asked which node it is. One that answers as
 * another node (or outside any Swarm) stops the start: exec would reach the wrong host. One that
 * does not answer, or names a node the cluster does not have, is logged: a node can be down or
 * gone while the agent starts, and exec on it fails with its own message then.
 */
async function checkedNodeEngines(given: NonNullable<AgentServerOptions['swarmNodeEngines']>, docker: Docker) {
  const {checkNodeEngines, nodeEnginesFrom} = await import('../engine/swarm-exec.ts');
  const engines = await nodeEnginesFrom(given);
  if (!engines) return undefined;
  const checks = await checkNodeEngines(engines, docker);
  const wrong = checks.filter((c) => c.outcome === 'wrong-engine');
  if (wrong.length > 0) {
    throw new UsageError(wrong.map((c) => c.message).join('; '), {hint: 'give each node its own engine: NODE is the node\'s ID or address as `spin agent node ls` shows it, URL where that node\'s dockerd listens'});
  }
  return {engines, checks};
}

/**
 * The backend asked for, or the one the engine calls for: an active Swarm manager is driven as a
 * cluster (its services would otherwise be invisible to a single-host agent), anything else as
 * one host. An engine that does not answer is left to the orchestrator's ping to report.
 */
async function orchestratorKind(wanted: 'docker' | 'swarm' | 'detect', docker: Docker): Promise<'docker' | 'swarm'> {
  if (wanted !== 'detect') return wanted;
  try {
    const info = (await docker.info()) as {Swarm?: {LocalNodeState?: string; ControlAvailable?: boolean}};
    return info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable === true ? 'swarm' : 'docker';
  } catch {
    return 'docker';
  }
}

/**
 * The ingress proxy and what keeps its routes up to date, when asked for: a Caddy of its own
 * (its files under the data folder), or an existing one driven through its admin API.
 */
async function startIngress(options: AgentServerOptions, docker: Docker, kind: 'docker' | 'swarm') {
  if (options.ingressListen === undefined) {
    if (options.ingressAdmin !== undefined) throw new UsageError('--ingress-admin needs --ingress-listen', {hint: 'give the address the proxy serves on too, e.g. --ingress-listen 127.0.0.1:8088'});
    return undefined;
  }
  const {host, port} = parseListen(options.ingressListen);
  const listen = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const domain = options.ingressDomain ?? 'localhost';
  if (!isDnsName(domain)) {
    throw new UsageError(`invalid ingress domain "${domain}"`, {hint: 'use a lower-case DNS name, e.g. localhost or apps.example.org'});
  }
  const [{CaddyAdmin, CaddyChild, onPath}, {IngressController}] = await Promise.all([import('../ingress/caddy.ts'), import('../ingress/controller.ts')]);
  let log: ((level: 'info' | 'warn' | 'error', message: string) => void) | undefined;
  if (kind === 'swarm') {
    if (options.ingressAdmin !== undefined) throw new UsageError('--ingress-admin is not supported with the swarm orchestrator', {hint: 'leave it out: the agent runs the cluster\'s proxy itself, in a container on the manager'});
    const [{SwarmProxy}, {SwarmRouteSource}] = await Promise.all([import('../ingress/swarm-proxy.ts'), import('../ingress/swarm-routes.ts')]);
    const proxy = await SwarmProxy.start({docker, dir: join(options.dataDir, 'swarm-ingress'), listen: {host, port}, ...(options.caddyBin?.includes('/') ? {caddyBin: options.caddyBin} : {})});
    // No task events on a manager: the periodic re-read is what sees a task fail, so it is frequent.
    const controller = new IngressController({docker, driver: proxy, source: new SwarmRouteSource(docker, proxy), domain, intervalMs: 1000, log: (level, message) => log?.(level, message)});
    return {controller, domain, port, setLog: (fn: typeof log) => (log = fn)};
  }
  let driver;
  if (options.ingressAdmin !== undefined) {
    driver = new CaddyAdmin(options.ingressAdmin, listen);
  } else {
    const bin = options.caddyBin ?? 'caddy';
    if (!onPath(bin)) throw new UsageError(`--ingress-listen needs Caddy, and "${bin}" is not on PATH`, {hint: 'install it (`apt-get install caddy`), or give an existing one with --ingress-admin URL'});
    driver = await CaddyChild.start({dir: join(options.dataDir, 'caddy'), listen, bin});
  }
  const controller = new IngressController({docker, driver, domain, log: (level, message) => log?.(level, message)});
  return {controller, domain, port, setLog: (fn: typeof log) => (log = fn)};
}
