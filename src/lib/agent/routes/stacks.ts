// Stacks: listing, status, revisions, deploy, scale, upgrade and rollback, lifecycle, removal.

import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify';

import type {DeployRequestJson, DeployResultJson, DeployStreamLineJson, LifecycleJson, RevisionJson, RevisionListJson, RevisionSummaryJson, RollbackRequestJson, ScaleRequestJson, StackDetailJson, StackRemovedJson, StackSummaryJson, UpgradeRequestJson} from '../../api/types.ts';
import {withTextDurations} from '../../compose/durations.ts';
import type {DeployEvent, StackRef, StackStatus} from '../../engine/types.ts';
import {deployStack, rollbackStack, scaleStack, upgradeStack, withStackLock, type DeployDeps} from '../deploy.ts';
import {ApiError, checkServiceNames, toEnvelope} from '../errors.ts';
import type {Revision} from '../types.ts';
import {addRoute, audited, caller, findStack, knownServices, readStatus, stackRef, type AgentContext} from './context.ts';
import {LazyNdjson, wantsNdjson} from './ndjson.ts';

const STACK = '/v1/projects/{project}/stacks/{stack}';

const nullable = <T>(v: T | undefined) => (v === undefined ? null : v);

function totals(status: StackStatus) {
  return {
    services: status.services.length,
    running: status.services.reduce((n, s) => n + s.running, 0),
    desired: status.services.reduce((n, s) => n + s.desired, 0),
  };
}

/** `images`: the digests it ran; `imageRefs`: each service's image as its model names it (the tag). */
function revisionSummary(r: Revision): RevisionSummaryJson {
  const imageRefs: Record<string, string> = {};
  for (const [name, service] of Object.entries(r.model.services)) if (service.image) imageRefs[name] = service.image;
  return {number: r.number, user: r.user, createdAt: r.createdAt, finishedAt: nullable(r.finishedAt), outcome: r.outcome, message: nullable(r.message), images: r.images, imageRefs};
}

const PINNED = /sha256:[0-9a-f]{64}/;

/**
 * Each service's digest as the revision its newest replica was deployed by recorded it, so that
 * `spin ps` and `spin history` name one image the same way (the engine would otherwise answer with
 * whichever registry digest the image has now, e.g. after a later push under another name).
 */
function withRecordedDigests(ctx: AgentContext, status: StackStatus): StackStatus {
  const revisions = new Map<number, Revision | undefined>();
  const recorded = (number: number) => {
    if (!revisions.has(number)) revisions.set(number, ctx.store.revision(status.ref, number));
    return revisions.get(number);
  };
  return {
    ...status,
    services: status.services.map((s) => {
      const numbers = s.replicas.map((r) => r.revision).filter((n): n is number => n !== undefined);
      const digest = numbers.length > 0 ? recorded(Math.max(...numbers))?.images[s.service] : undefined;
      return digest && PINNED.test(digest) ? {...s, imageDigest: digest} : s;
    }),
  };
}

export function deployDeps(ctx: AgentContext): DeployDeps {
  return {store: ctx.store, orchestrator: ctx.orchestrator, policy: ctx.policy, policyMode: ctx.policyMode, registry: ctx.registry, secretsDir: ctx.secretsDir, clock: ctx.clock, stopping: ctx.operations.signal};
}

/**
 * Answers a deploy-like request, as NDJSON events and a result line when the client asked for
 * them, else as one JSON result. Errors before the first event keep their status and envelope.
 */
async function answerDeploy(
  ctx: AgentContext,
  request: FastifyRequest,
  reply: FastifyReply,
  action: string,
  run: (onEvent?: (event: DeployEvent) => void) => Promise<DeployResultJson>,
): Promise<DeployResultJson | FastifyReply> {
  const ref = stackRef(request);
  const stream = wantsNdjson(request) ? new LazyNdjson<DeployStreamLineJson>(reply) : undefined;
  const describe = (r: DeployResultJson) => ({
    outcome: r.outcome === 'failed' || r.outcome === 'timeout' ? ('failed' as const) : ('ok' as const),
    detail: r.revision === null ? 'dry run' : `revision ${r.revision}: ${r.outcome}`,
  });
  try {
    // Tracked while it runs, so the dashboard can follow a change started from the CLI.
    const change = () => ctx.operations.run(ref, caller(request).name, action.replace(/^stack\./, ''), (onEvent) => run((e) => (onEvent(e), stream?.write(e))));
    const result = await audited(ctx, request, action, ref.stack, change, describe);
    if (!stream) return result;
    stream.write({type: 'result', result});
    stream.end();
    return reply;
  } catch (err) {
    if (!stream?.started) throw err;
    const envelope = toEnvelope(err);
    if (envelope.status >= 500) request.log.error({err}, `${action} failed`);
    stream.write({type: 'error', error: envelope.body.error});
    stream.end();
    return reply;
  }
}

// The reads below serve the API routes and the dashboard (src/lib/dashboard) alike.

/** A project's stacks: those with revisions and those the engine has, with replica totals. */
export async function stackSummaries(ctx: AgentContext, project: string): Promise<StackSummaryJson[]> {
  const records = new Map(ctx.store.stacks(project).filter((r) => r.latestRevision !== undefined).map((r) => [r.stack, r]));
  const names = new Set([...records.keys(), ...(await ctx.orchestrator.stacks(project)).filter((r) => r.project === project).map((r) => r.stack)]);
  return Promise.all(
    [...names].sort().map(async (name): Promise<StackSummaryJson> => {
      const record = records.get(name);
      const status = await readStatus(ctx, {project, stack: name});
      return {name, currentRevision: nullable(record?.currentRevision), latestRevision: nullable(record?.latestRevision), updatedAt: nullable(record?.updatedAt), ...totals(status)};
    }),
  );
}

export async function stackDetail(ctx: AgentContext, ref: StackRef): Promise<StackDetailJson> {
  const {record, status} = await findStack(ctx, ref);
  return {name: ref.stack, project: ref.project, currentRevision: nullable(record?.currentRevision), latestRevision: nullable(record?.latestRevision), status: withRecordedDigests(ctx, status)};
}

export async function revisionList(ctx: AgentContext, ref: StackRef): Promise<RevisionListJson> {
  const revisions = ctx.store.revisions(ref);
  if (revisions.length === 0) await findStack(ctx, ref);
  // The revision the stack runs: the last one that ended healthy (or started), which a rollback puts back.
  return {revisions: revisions.sort((a, b) => b.number - a.number).map(revisionSummary), currentRevision: nullable(ctx.store.stack(ref)?.currentRevision)};
}

export function revisionDetail(ctx: AgentContext, ref: StackRef, number: number): RevisionJson {
  const revision = ctx.store.revision(ref, number);
  if (!revision) {
    throw new ApiError('revision.not_found', `revision ${number} of stack "${ref.stack}" not found in project "${ref.project}"`, {hint: 'list revisions with `spin history`'});
  }
  return {...revisionSummary(revision), project: revision.project, stack: revision.stack, model: withTextDurations(revision.model), ...(revision.plan ? {plan: revision.plan} : {})};
}

export function stackRoutes(app: FastifyInstance, ctx: AgentContext): void {
  addRoute(app, ctx, 'get', '/v1/projects/{project}/stacks', async (request) => {
    const {project} = request.params as {project: string};
    return {stacks: await stackSummaries(ctx, project)};
  });

  addRoute(app, ctx, 'get', STACK, async (request): Promise<StackDetailJson> => stackDetail(ctx, stackRef(request)));

  addRoute(app, ctx, 'get', `${STACK}/revisions`, async (request): Promise<RevisionListJson> => revisionList(ctx, stackRef(request)));

  addRoute(app, ctx, 'get', `${STACK}/revisions/{revision}`, async (request): Promise<RevisionJson> =>
    revisionDetail(ctx, stackRef(request), Number((request.params as {revision: string}).revision)),
  );

  for (const action of ['stop', 'start', 'restart'] as const) {
    addRoute(app, ctx, 'post', `${STACK}/${action}`, async (request): Promise<LifecycleJson> => {
      const ref = stackRef(request);
      const {services} = request.body as {services?: string[]};
      return audited(ctx, request, `stack.${action}`, ref.stack, () =>
        withStackLock(ctx.store, ref, caller(request), async () => {
          checkServiceNames(ref.stack, services ?? [], knownServices(ctx, ref, await findStack(ctx, ref)));
          await ctx.orchestrator[action](ref, services && services.length > 0 ? services : undefined);
          return {status: await ctx.orchestrator.status(ref)};
        }),
      );
    });
  }

  addRoute(app, ctx, 'delete', STACK, async (request): Promise<StackRemovedJson> => {
    const ref = stackRef(request);
    const {volumes} = request.query as {volumes?: boolean};
    return audited(
      ctx,
      request,
      'stack.remove',
      ref.stack,
      () =>
        withStackLock(ctx.store, ref, caller(request), async () => {
          await findStack(ctx, ref);
          const report = await ctx.orchestrator.remove(ref, {volumes: volumes === true});
          ctx.store.deleteStack(ref);
          return {removed: true, ...(volumes === true ? {volumes: report.volumes} : {})};
        }),
      () => ({detail: volumes ? 'with volumes' : undefined}),
    );
  });

  addRoute(
    app,
    ctx,
    'post',
    `${STACK}/deploy`,
    async (request, reply) => {
      const body = request.body as DeployRequestJson;
      const secrets = Object.fromEntries(Object.entries(body.secrets ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
      return answerDeploy(ctx, request, reply, 'stack.deploy', (onEvent) =>
        deployStack(deployDeps(ctx), {
          user: caller(request),
          ref: stackRef(request),
          document: body.model,
          modelFormat: body.modelFormat,
          secrets,
          dryRun: body.dryRun,
          wait: body.wait,
          timeoutSeconds: body.timeoutSeconds,
          onEvent,
        }),
      );
    },
    {bodyLimit: ctx.limits.deployBody},
  );

  addRoute(app, ctx, 'post', `${STACK}/rollback`, async (request, reply) => {
    const body = request.body as RollbackRequestJson;
    return answerDeploy(ctx, request, reply, 'stack.rollback', (onEvent) =>
      rollbackStack(deployDeps(ctx), {user: caller(request), ref: stackRef(request), to: body.to, wait: body.wait, timeoutSeconds: body.timeoutSeconds, onEvent}),
    );
  });

  addRoute(app, ctx, 'post', `${STACK}/scale`, async (request, reply) => {
    const body = request.body as ScaleRequestJson;
    return answerDeploy(ctx, request, reply, 'stack.scale', (onEvent) =>
      scaleStack(deployDeps(ctx), {user: caller(request), ref: stackRef(request), replicas: body.replicas, wait: body.wait, timeoutSeconds: body.timeoutSeconds, onEvent}),
    );
  });

  addRoute(app, ctx, 'post', `${STACK}/upgrade`, async (request, reply) => {
    const body = request.body as UpgradeRequestJson;
    return answerDeploy(ctx, request, reply, 'stack.upgrade', (onEvent) =>
      upgradeStack(deployDeps(ctx), {
        user: caller(request),
        ref: stackRef(request),
        ...(body.services ? {services: body.services} : {}),
        ...(body.images ? {images: body.images} : {}),
        wait: body.wait,
        timeoutSeconds: body.timeoutSeconds,
        onEvent,
      }),
    );
  });
}
