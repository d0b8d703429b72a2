// Project secrets. Values go in and never come out: listings carry names, times and sizes.

import type {FastifyInstance} from 'fastify';

import {ApiError} from '../errors.ts';
import type {Store} from '../types.ts';
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
          throw new ApiError('request.too_large', `secret "${name}" is ${bytes.length} bytes, more than the ${ctx.limits.secretValue / 1024} KiB allowed`, {
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
    const {force} = request.query as {force?: boolean};
    return audited(
      ctx,
      request,
      'secret.remove',
      secret,
      async () => {
        if (!ctx.store.secrets(project).some((s) => s.name === secret)) throw secretNotFound(project, secret);
        const users = force === true ? [] : stacksUsing(ctx.store, project, secret);
        if (users.length > 0) {
          const names = users.map((s) => `"${s}"`).join(', ');
          throw new ApiError('secret.in_use', `secret "${secret}" is used by stack${users.length === 1 ? '' : 's'} ${names} of project "${project}"`, {
            hint: 'remove it from those stacks and deploy them first, or force the removal (`spin secret rm --force`): running containers keep their copy, but their next deploy fails until it exists again',
          });
        }
        if (!ctx.store.deleteSecret(project, secret)) throw secretNotFound(project, secret);
        return {removed: true as const};
      },
      () => ({detail: force === true ? 'forced' : undefined}),
    );
  });
}

const secretNotFound = (project: string, secret: string) =>
  new ApiError('secret.not_found', `secret "${secret}" not found in project "${project}"`, {hint: 'list secrets with `spin secret ls`'});

/**
 * The project's stacks whose running or newest revision mounts this stored secret (an `external`
 * secret of that name), in name order.
 */
function stacksUsing(store: Store, project: string, secret: string): string[] {
  const users: string[] = [];
  for (const record of store.stacks(project)) {
    const ref = {project, stack: record.stack};
    const numbers = new Set([record.currentRevision, record.latestRevision].filter((n): n is number => n !== undefined));
    const uses = [...numbers].some((n) => {
      const model = store.revision(ref, n)?.model;
      if (!model) return false;
      const keys = Object.entries(model.secrets ?? {})
        .filter(([key, def]) => def?.external === true && (def.name ?? key) === secret)
        .map(([key]) => key);
      return Object.values(model.services).some((s) => s.secrets.some((use) => keys.includes(use.source)));
    });
    if (uses) users.push(record.stack);
  }
  return users.sort();
}
