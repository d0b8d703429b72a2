// The real things `spin doctor` looks at: the Docker engine (DOCKER_HOST or the default socket),
// the CLI's context and its agent, the credential store and the registry it logs in to, and this
// machine's ports.

import {readFile} from 'node:fs/promises';
import {createServer} from 'node:net';

import type {DoctorContext, DoctorDeps} from './checks.ts';
import {templatePorts} from '../init/templates.ts';

/** A doctor answers quickly: a registry that takes longer than this to answer `GET /v2/` is a problem of its own. */
const REGISTRY_TIMEOUT_MS = 5000;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer().once('error', () => resolve(false));
    // Any address, as a published port binds (0.0.0.0): a listener on any interface takes it.
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

async function requiredNode(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {engines?: {node?: string}};
  return pkg.engines?.node?.replace(/^[^0-9]*/, '') ?? '22.18';
}

export async function doctorDeps(env: NodeJS.ProcessEnv = process.env): Promise<DoctorDeps> {
  return {
    nodeVersion: process.versions.node,
    requiredNode: await requiredNode(),
    async engineVersion() {
      const {default: Docker} = await import('dockerode');
      const v = await new Docker().version();
      return {version: v.Version, apiVersion: v.ApiVersion};
    },
    async context() {
      const {resolveContext} = await import('../client/config.ts');
      const ctx = await resolveContext(env);
      return ctx && {name: ctx.name, url: ctx.url, registry: ctx.registry, project: ctx.project};
    },
    async agent(ctx: DoctorContext) {
      const [{requireContext}, {AgentClient}] = await Promise.all([import('../client/config.ts'), import('../client/agent.ts')]);
      const full = await requireContext(env);
      const client = new AgentClient({url: full.url, token: full.token, ca: full.ca});
      const me = await client.whoami();
      // The agent's clock: Node's HTTP server sends a Date header with every answer.
      const date = await fetch(new URL('/v1/health', ctx.url), {signal: AbortSignal.timeout(5000)}).then(
        (res) => res.headers.get('date'),
        () => null,
      );
      return {user: me.name, projects: me.projects, date: date ? new Date(date) : undefined};
    },
    async registryLogin(registry: string) {
      const [{getCredentials}, {pingRegistry}] = await Promise.all([import('../images/credentials.ts'), import('../images/registry.ts')]);
      const credentials = await getCredentials(registry, {env});
      if (!credentials) return 'none';
      await pingRegistry(registry, credentials, {timeoutMs: REGISTRY_TIMEOUT_MS});
      return 'ok';
    },
    portFree,
    ports: await templatePorts(),
    now: () => new Date(),
  };
}
