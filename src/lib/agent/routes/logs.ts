// Container logs, streamed until the logs end or the client goes away: as frames of raw lines to
// a client that asks for them (the CLI: api/log-frames.ts), else as NDJSON, one object per line.

import {Readable} from 'node:stream';

import type {FastifyInstance, FastifyReply} from 'fastify';

import {errorFrame, linesFrame, LOG_FRAMES, sourcesFrame} from '../../api/log-frames.ts';
import {logLines} from '../../engine/logs.ts';
import type {LogStream} from '../../engine/types.ts';

import {checkServiceNames, invalidRequest, toEnvelope} from '../errors.ts';
import {quote} from '../auth.ts';
import {addRoute, findStack, knownServices, stackRef, type AgentContext} from './context.ts';
import {batched, sendNdjson} from './ndjson.ts';

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

/** The log stream as frames, batched into large writes; a failure after the start ends it with an error frame. */
function sendFrames(reply: FastifyReply, stream: LogStream, onError: (err: unknown) => void): FastifyReply {
  async function* frames() {
    yield sourcesFrame(stream.sources);
    try {
      yield* batched(stream.chunks, (c) => linesFrame(c.source, c.stream, c.data));
    } catch (err) {
      onError(err);
      yield errorFrame({error: toEnvelope(err).body.error});
    }
  }
  void reply.code(200).header('content-type', LOG_FRAMES).header('cache-control', 'no-store').send(Readable.from(frames(), {objectMode: false}));
  return reply;
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
    const stream = await ctx.orchestrator.logs(ref, {services, follow: q.follow === true, since, tail: q.tail, timestamps: q.timestamps === true, signal: abort.signal});
    const onError = (err: unknown) => {
      if (!abort.signal.aborted) request.log.warn({err}, 'log stream failed');
    };
    if ((request.headers.accept ?? '').toLowerCase().includes(LOG_FRAMES)) return sendFrames(reply, stream, onError);
    return sendNdjson(reply, logLines(stream), onError);
  });
}
