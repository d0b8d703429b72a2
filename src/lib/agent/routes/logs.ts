// Container logs as NDJSON, streamed until the logs end or the client goes away.

import type {FastifyInstance} from 'fastify';

import {checkServiceNames, invalidRequest} from '../errors.ts';
import {quote} from '../auth.ts';
import {addRoute, findStack, knownServices, stackRef, type AgentContext} from './context.ts';
import {sendNdjson} from './ndjson.ts';

interface LogsQuery {
  service?: string[];
  follow?: boolean;
  since?: string;
  tail?: number;
  timestamps?: boolean;
}

/** `since` as unix seconds: given so, or as an RFC 3339 time. */
export function parseSince(value: string): number {
  if (/^[0-9]{1,12}(\.[0-9]+)?$/.test(value)) return Math.floor(Number(value));
  const ms = /^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?)?$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw invalidRequest(`invalid since ${quote(value)}`, 'use unix seconds (1700000000) or an RFC 3339 time (2024-05-01T12:00:00Z)');
  }
  return Math.floor(ms / 1000);
}

export function logRoutes(app: FastifyInstance, ctx: AgentContext): void {
  addRoute(app, ctx, 'get', '/v1/projects/{project}/stacks/{stack}/logs', async (request, reply) => {
    const ref = stackRef(request);
    const q = request.query as LogsQuery;
    const since = q.since === undefined ? undefined : parseSince(q.since);
    const services = q.service && q.service.length > 0 ? q.service : undefined;
    checkServiceNames(ref.stack, services ?? [], knownServices(ctx, ref, await findStack(ctx, ref)));
    // The engine's stream is stopped when the client disconnects, not left following forever.
    const abort = new AbortController();
    reply.raw.on('close', () => abort.abort());
    const lines = ctx.orchestrator.logs(ref, {services, follow: q.follow === true, since, tail: q.tail, timestamps: q.timestamps === true, signal: abort.signal});
    return sendNdjson(reply, lines, (err) => {
      if (!abort.signal.aborted) request.log.warn({err}, 'log stream failed');
    });
  });
}
