// Project volumes on the engine.

import type {FastifyInstance} from 'fastify';

import {addRoute, audited, type AgentContext} from './context.ts';

export function volumeRoutes(app: FastifyInstance, ctx: AgentContext): void {
  addRoute(app, ctx, 'get', '/v1/projects/{project}/volumes', async (request) => {
    const {project} = request.params as {project: string};
    const {volumes, unlisted} = await ctx.orchestrator.volumes(project);
    return {
      volumes: volumes.map((v) => ({name: v.name, driver: v.driver, ...(v.createdAt ? {createdAt: v.createdAt} : {}), stacks: v.stacks, ...(v.node ? {node: v.node} : {})})),
      ...(unlisted?.length ? {unlisted} : {}),
    };
  });

  addRoute(app, ctx, 'delete', '/v1/projects/{project}/volumes/{volume}', async (request) => {
    const {project, volume} = request.params as {project: string; volume: string};
    // The backend finds the volume (by its engine name or the project-relative one) and refuses
    // one in use with volume.not_found / volume.in_use.
    return audited(ctx, request, 'volume.remove', volume, async () => {
      await ctx.orchestrator.removeVolume(project, volume);
      return {removed: true as const};
    });
  });
}
