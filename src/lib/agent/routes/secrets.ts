// Project secrets. Values go in and never come out: listings carry names, times and sizes.

import type {FastifyInstance} from 'fastify';

import {ApiError} from '../errors.ts';
import {addRoute, audited, type AgentContext} from './context.ts';

export function secretRoutes(app: FastifyInstance, ctx: AgentContext): void {
  addRoute(app, ctx, 'get', '/v1/projects/{project}/secrets', async (request) => {
    const {project} = request.params as {project: string};
    return {secrets: ctx.store.secrets(project)};
  });

  addRoute(
    app,
    ctx,
    'post',
    '/v1/projects/{project}/secrets',
    async (request, reply) => {
      const {project} = request.params as {project: string};
      const {name, value} = request.body as {name: string; value: string};
      const info = await audited(ctx, request, 'secret.create', name, async () => {
        const bytes = Buffer.from(value, 'base64');
        if (bytes.length > ctx.limits.secretValue) {
          throw new ApiError(413, 'request.too_large', `secret "${name}" is ${bytes.length} bytes, more than the ${ctx.limits.secretValue / 1024} KiB allowed`, {
            hint: 'store large files in a volume and keep only credentials in secrets',
          });
        }
        return ctx.store.putSecret(project, name, bytes);
      });
      return reply.code(201).send(info);
    },
    {bodyLimit: ctx.limits.secretBody},
  );

  addRoute(app, ctx, 'delete', '/v1/projects/{project}/secrets/{secret}', async (request) => {
    const {project, secret} = request.params as {project: string; secret: string};
    return audited(ctx, request, 'secret.remove', secret, async () => {
      if (!ctx.store.deleteSecret(project, secret)) {
        throw new ApiError(404, 'secret.not_found', `secret "${secret}" not found in project "${project}"`, {hint: 'list secrets with `spin secret ls`'});
      }
      return {removed: true as const};
    });
  });
}
