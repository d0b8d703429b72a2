// Health, identity and agent information.

import type {FastifyInstance} from 'fastify';

import {addRoute, caller, type AgentContext} from './context.ts';

async function engineVersion(ctx: AgentContext): Promise<string | null> {
  if (!ctx.engineVersion) return null;
  try {
    return (await ctx.engineVersion()) ?? null;
  } catch {
    // /v1/info still answers when the engine does not; health shows in the deploy itself
    return null;
  }
}

export function systemRoutes(app: FastifyInstance, ctx: AgentContext): void {
  addRoute(app, ctx, 'get', '/v1/health', async () => ({ok: true as const, version: ctx.version}));

  addRoute(app, ctx, 'get', '/v1/whoami', async (request) => {
    const {name, uid, gid, admin, projects} = caller(request);
    return {name, uid, gid, admin, projects};
  });

  addRoute(app, ctx, 'get', '/v1/info', async (request) => ({
    version: ctx.version,
    registry: ctx.registry ?? null,
    engine: {name: ctx.orchestrator.name, version: await engineVersion(ctx)},
    dashboard: ctx.dashboardUrl?.(request.hostname) ?? null,
  }));
}
