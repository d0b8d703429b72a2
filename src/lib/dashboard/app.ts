// The web dashboard as a fastify instance of its own (its own listener, `--dashboard-listen`),
// built on the API's context: the same store, orchestrator and read functions as the API routes
// (routes/stacks.ts), the same project scoping (another project's stack is 404) and the same
// audit log. What differs is how a browser proves who it is: a token typed once into a form, then
// a session cookie (sessions.ts) and a CSRF token on every POST.

import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {PassThrough, Readable} from 'node:stream';

import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify';

import {isDnsLabel} from '../dns-label.ts';
import {canSeeProject} from '../agent/auth.ts';
import {tokenDisplayPrefix} from '../agent/crypto.ts';
import {rollbackStack, upgradeStack} from '../agent/deploy.ts';
import {checkServiceNames, invalidRequest, projectNotFound, toEnvelope} from '../agent/errors.ts';
import {batched} from '../agent/routes/ndjson.ts';
import {logLines, splitLines, splitTimestamp} from '../engine/logs.ts';
import {replicaAlias} from '../engine/naming.ts';
import {audited, findStack, knownServices, writeAudit, type AgentContext} from '../agent/routes/context.ts';
import {deployDeps, revisionDetail, revisionList, stackDetail, stackSummaries} from '../agent/routes/stacks.ts';
import type {User} from '../agent/types.ts';
import type {LogLine, LogStream, StackRef} from '../engine/types.ts';
import {revisionChanges} from './changes.ts';
import type {SafeHtml} from './html.ts';
import type {Operation} from '../agent/operations.ts';
import {cookieName, parseCookies, randomId, sameSecret, Sessions, setCookie, type Session} from './sessions.ts';
import * as views from './views.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The dashboard session of a signed-in browser. */
    dashboardSession: Session | null;
  }
}

export interface DashboardOptions {
  ctx: AgentContext;
  /** Served over TLS: cookies are Secure and `__Host-` prefixed. */
  secure: boolean;
  https?: {cert: Buffer | string; key: Buffer | string};
  sessions?: Sessions;
  logger?: boolean | {level?: string; stream?: NodeJS.WritableStream};
  /** Lines the live log view keeps in the page. Default 5000. */
  liveLogLines?: number;
}

const SESSION_COOKIE = 'spin_session';
const LOGIN_COOKIE = 'spin_login';
/** Form bodies are a token, a CSRF value and a revision number: small. */
const FORM_BODY_LIMIT = 8 * 1024;
const MAX_TAIL = 10_000;
const DEFAULT_TAIL = 200;
const AUDIT_LIMIT = 500;
// The favicon is public so a browser's automatic fetch of it is a plain 404, not a sign-in redirect.
const PUBLIC = new Set(['/login', '/favicon.ico', '/assets/dashboard.css', '/assets/dashboard.js']);

/**
 * No inline script or style, nothing from elsewhere, never framed, forms only to this origin.
 * `connect-src 'self'` lets dashboard.js open its event streams.
 */
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const ASSET_DIR = new URL('../../../assets/dashboard/', import.meta.url);

interface Asset {
  body: Buffer;
  type: string;
  url: string;
}

function loadAsset(name: string, type: string): Asset {
  const body = readFileSync(new URL(name, ASSET_DIR));
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  return {body, type, url: `/assets/${name}?v=${hash}`};
}

class PageError extends Error {
  readonly status: number;
  readonly hint?: string;
  constructor(status: number, message: string, hint?: string) {
    super(message);
    this.status = status;
    this.hint = hint;
  }
}

const notFound = () => new PageError(404, 'no such page');

function sendPage(reply: FastifyReply, page: SafeHtml, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(page.value);
}

/** A query or form field as one bounded string (repeated fields and arrays read as absent). */
function field(source: unknown, name: string, max: number): string | undefined {
  const value = (source as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'string') return undefined;
  if (value.length > max) throw invalidRequest(`the ${name} field is longer than ${max} characters`);
  return value;
}

function intField(source: unknown, name: string, fallback: number, max: number): number {
  const text = field(source, name, 10);
  if (text === undefined || text === '') return fallback;
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) > max) throw invalidRequest(`${name} must be a whole number from 0 to ${max}`);
  return Number(text);
}

function ref(request: FastifyRequest): StackRef {
  const {project, stack} = request.params as {project: string; stack: string};
  return {project, stack};
}

export function buildDashboard(options: DashboardOptions): FastifyInstance {
  const {ctx, secure} = options;
  const sessions = options.sessions ?? new Sessions();
  const {operations} = ctx;
  const liveCap = options.liveLogLines ?? 5000;
  const assets = {css: loadAsset('dashboard.css', 'text/css; charset=utf-8'), js: loadAsset('dashboard.js', 'text/javascript; charset=utf-8')};
  const sessionCookie = cookieName(SESSION_COOKIE, secure);
  const loginCookie = cookieName(LOGIN_COOKIE, secure);

  const app = Fastify({
    logger: options.logger ? {level: options.logger === true ? 'info' : (options.logger.level ?? 'info'), ...(options.logger !== true && options.logger.stream ? {stream: options.logger.stream} : {})} : false,
    bodyLimit: FORM_BODY_LIMIT,
    return503OnClosing: true,
    ...(options.https ? {https: options.https} : {}),
  }) as unknown as FastifyInstance;

  // Forms only: a JSON or multipart POST is refused before any handler runs.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', {parseAs: 'string', bodyLimit: FORM_BODY_LIMIT}, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.decorateRequest('user', null);
  app.decorateRequest('dashboardSession', null);

  const pageContext = (request: FastifyRequest): views.PageContext | undefined =>
    request.user && request.dashboardSession ? {user: request.user, csrf: request.dashboardSession.csrf, assets: {css: assets.css.url, js: assets.js.url}, cluster: ctx.orchestrator.nodes !== undefined} : undefined;

  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('content-security-policy', CSP);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('cross-origin-opener-policy', 'same-origin');
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler(async (err, request, reply) => {
    let status: number;
    let message: string;
    let hint: string | undefined;
    if (err instanceof PageError) {
      ({status, message, hint} = err);
    } else {
      const envelope = toEnvelope(err);
      status = envelope.status;
      ({message, hint} = envelope.body.error);
      if (status >= 500) request.log.error({err}, 'dashboard request failed');
    }
    if (reply.sent || reply.raw.headersSent) return;
    return sendPage(reply, views.errorPage(pageContext(request), status, message, hint), status);
  });
  app.setNotFoundHandler((request, reply) => sendPage(reply, views.errorPage(pageContext(request), 404, 'no such page'), 404));

  /** The signed-in user of a session, unless the user is gone or the token it signed in with was revoked. */
  function sessionUser(session: Session): User | undefined {
    const user = ctx.store.user(session.user);
    if (!user) return undefined;
    const token = ctx.store.tokens(user.name).find((t) => t.prefix === session.tokenPrefix);
    return token && !token.revokedAt ? user : undefined;
  }

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (PUBLIC.has(path)) return;
    const id = parseCookies(request.headers.cookie).get(sessionCookie);
    const session = sessions.get(id);
    const user = session && sessionUser(session);
    if (!session || !user) {
      if (session) sessions.delete(id);
      if (request.method === 'GET' && !path.endsWith('/stream') && !path.endsWith('/events') && !path.endsWith('/download')) return reply.redirect('/login', 303);
      throw new PageError(401, 'you are not signed in, or your session expired', 'sign in again');
    }
    request.user = user;
    request.dashboardSession = session;
    const {project, stack} = (request.params ?? {}) as {project?: string; stack?: string};
    if (stack !== undefined && !isDnsLabel(stack)) throw notFound();
    if (project !== undefined && (!isDnsLabel(project) || !canSeeProject(user, project))) {
      if (request.method !== 'GET') writeAudit(ctx, request, {user: user.name, project, action: 'project.access', target: path.slice(0, 200), outcome: 'denied'});
      throw projectNotFound(project);
    }
  });

  // Every POST but sign-in carries the session's CSRF token; checked once the form is read.
  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST' || request.url.split('?')[0] === '/login') return;
    const session = request.dashboardSession;
    if (!session || !sessions.checkCsrf(session, field(request.body, '_csrf', 100))) {
      writeAudit(ctx, request, {action: 'dashboard.csrf', target: request.url.split('?')[0].slice(0, 200), outcome: 'denied', detail: 'a form was sent without its CSRF token'});
      throw new PageError(403, 'the form was sent without a valid CSRF token', 'reload the page and try again');
    }
  });

  for (const asset of Object.values(assets)) {
    app.get(asset.url.split('?')[0], async (_request, reply) => reply.type(asset.type).header('cache-control', 'public, max-age=86400').send(asset.body));
  }

  // sign in and out

  app.get('/login', async (request, reply) => {
    // The value already set is kept: a second tab (or a favicon fetch sent here) must not
    // invalidate the form of the first.
    const current = parseCookies(request.headers.cookie).get(loginCookie);
    const nonce = current && /^[A-Za-z0-9_-]{43}$/.test(current) ? current : randomId();
    reply.header('set-cookie', setCookie(LOGIN_COOKIE, nonce, {secure}));
    return sendPage(reply, views.loginPage(nonce));
  });

  app.post('/login', async (request, reply) => {
    const expected = parseCookies(request.headers.cookie).get(loginCookie);
    const token = field(request.body, 'token', 512)?.trim() ?? '';
    if (!sameSecret(expected, field(request.body, '_csrf', 100))) {
      writeAudit(ctx, request, {user: '-', action: 'dashboard.signin', outcome: 'denied', detail: 'the sign-in form was sent without its CSRF value'});
      throw new PageError(403, 'the sign-in form expired or came from another site', 'open the sign-in page again');
    }
    const wait = ctx.authLimiter.retryAfter(request.ip);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new PageError(429, 'too many failed sign-ins from this address', `wait ${wait} s, then sign in with a valid token`);
    }
    const user = ctx.store.authenticate(token);
    if (!user) {
      ctx.authLimiter.fail(request.ip);
      writeAudit(ctx, request, {user: '-', action: 'dashboard.signin', outcome: 'denied', detail: 'invalid or revoked token'});
      const nonce = randomId();
      reply.header('set-cookie', setCookie(LOGIN_COOKIE, nonce, {secure}));
      return sendPage(reply, views.loginPage(nonce, 'That token is invalid or was revoked.'), 401);
    }
    const {id} = sessions.create(user.name, tokenDisplayPrefix(token));
    writeAudit(ctx, request, {user: user.name, action: 'dashboard.signin', outcome: 'ok'});
    reply.header('set-cookie', [setCookie(SESSION_COOKIE, id, {secure}), setCookie(LOGIN_COOKIE, '', {secure, maxAge: 0})]);
    return reply.redirect('/', 303);
  });

  app.post('/logout', async (request, reply) => {
    sessions.delete(parseCookies(request.headers.cookie).get(sessionCookie));
    writeAudit(ctx, request, {action: 'dashboard.signout', outcome: 'ok'});
    reply.header('set-cookie', setCookie(SESSION_COOKIE, '', {secure, maxAge: 0}));
    return reply.redirect('/login', 303);
  });

  // stacks

  async function stackRows(project: string): Promise<views.StackRow[]> {
    const [summaries, outcomes] = [await stackSummaries(ctx, project), ctx.store.latestOutcomes(project)];
    return summaries.map((s) => ({...s, health: views.stackHealth(outcomes.get(s.name), s.running, s.desired)}));
  }

  /** The projects a user sees: their own; for an admin every project with users or engine objects. */
  async function visibleProjects(user: User): Promise<string[]> {
    if (!user.admin) return user.projects;
    const all = new Set([...user.projects, ...ctx.store.users().flatMap((u) => u.projects), ...(await ctx.orchestrator.stacks()).map((r) => r.project)]);
    return [...all].sort();
  }

  app.get('/', async (request, reply) => {
    const ctxPage = pageContext(request)!;
    const projects = await Promise.all((await visibleProjects(request.user!)).map(async (project) => ({project, stacks: await stackRows(project)})));
    return sendPage(reply, views.projectsPage(ctxPage, projects));
  });

  app.get('/projects/:project', async (request, reply) => {
    const {project} = request.params as {project: string};
    return sendPage(reply, views.projectPage(pageContext(request)!, project, await stackRows(project)));
  });

  const STACK = '/projects/:project/stacks/:stack';

  app.get(STACK, async (request, reply) => {
    const r = ref(request);
    const detail = await stackDetail(ctx, r);
    const latest = ctx.store.latestOutcomes(r.project).get(r.stack);
    const running = detail.status.services.reduce((n, s) => n + s.running, 0);
    const desired = detail.status.services.reduce((n, s) => n + s.desired, 0);
    const live = ctx.operations.current(r);
    return sendPage(reply, views.stackPage(pageContext(request)!, detail, live ? 'updating' : views.stackHealth(latest, running, desired), live));
  });

  app.get(`${STACK}/revisions`, async (request, reply) => {
    const r = ref(request);
    const list = await revisionList(ctx, r);
    return sendPage(reply, views.revisionsPage(pageContext(request)!, r.project, r.stack, list.revisions, list.currentRevision ?? null));
  });

  function changesBetween(r: StackRef, from: number, to: number) {
    return revisionChanges(revisionDetail(ctx, r, from), revisionDetail(ctx, r, to));
  }

  app.get(`${STACK}/revisions/compare`, async (request, reply) => {
    const r = ref(request);
    const from = intField(request.query, 'from', 0, 1e9);
    const to = intField(request.query, 'to', 0, 1e9);
    return sendPage(reply, views.comparePage(pageContext(request)!, r.project, r.stack, from, to, changesBetween(r, from, to)));
  });

  app.get(`${STACK}/revisions/:revision/rollback`, async (request, reply) => {
    const r = ref(request);
    const target = intField(request.params, 'revision', 0, 1e9);
    const current = ctx.store.stack(r)?.currentRevision;
    const changes = current === undefined ? changesBetween(r, target, target) : changesBetween(r, current, target);
    return sendPage(reply, views.rollbackConfirmPage(pageContext(request)!, r.project, r.stack, current ?? null, target, changes));
  });

  app.post(`${STACK}/rollback`, async (request, reply) => {
    const r = ref(request);
    const to = intField(request.body, 'to', 0, 1e9);
    if (to === 0) throw invalidRequest('say which revision to roll back to');
    await findStack(ctx, r);
    const user = request.user!;
    const op = operations.start(r, user.name, 'rollback', (onEvent) =>
      audited(ctx, request, 'stack.rollback', r.stack, () => rollbackStack(deployDeps(ctx), {user, ref: r, to, wait: true, onEvent}), (result) => ({
        outcome: result.outcome === 'failed' || result.outcome === 'timeout' ? 'failed' : 'ok',
        detail: `revision ${result.revision}: ${result.outcome} (from the dashboard)`,
      })),
    );
    return reply.redirect(`${views.stackPath(r.project, r.stack)}/operations/${op.id}`, 303);
  });

  /** Each service of the running revision with its image as the revision names it (the tag, not the digest). */
  async function upgradeForm(r: StackRef): Promise<{current: number; images: [string, string][]}> {
    await findStack(ctx, r);
    const current = ctx.store.stack(r)?.currentRevision;
    if (current === undefined || current === null) throw new PageError(409, 'the stack has no running revision to upgrade', 'deploy it first, or roll back to a revision that was healthy');
    const {imageRefs} = revisionDetail(ctx, r, current);
    return {current, images: Object.entries(imageRefs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))};
  }

  app.get(`${STACK}/upgrade`, async (request, reply) => {
    const r = ref(request);
    const {current, images} = await upgradeForm(r);
    return sendPage(reply, views.upgradePage(pageContext(request)!, r.project, r.stack, current, images));
  });

  app.post(`${STACK}/upgrade`, async (request, reply) => {
    const r = ref(request);
    const {current, images: running} = await upgradeForm(r);
    const images: Record<string, string> = {};
    const services: string[] = [];
    for (const [service] of running) {
      const image = field(request.body, views.upgradeImageField(service), 512)?.trim();
      if (image) images[service] = image;
      if (field(request.body, views.upgradePullField(service), 1) === '1' && !image) services.push(service);
    }
    if (Object.keys(images).length === 0 && services.length === 0) {
      return sendPage(reply, views.upgradePage(pageContext(request)!, r.project, r.stack, current, running, 'Choose at least one service: give it a new image, or tick the box to pull its tag again.'), 400);
    }
    const user = request.user!;
    const named = [...services, ...Object.keys(images)];
    const op = operations.start(r, user.name, 'upgrade', (onEvent) =>
      audited(ctx, request, 'stack.upgrade', r.stack, () => upgradeStack(deployDeps(ctx), {user, ref: r, services: named, images, wait: true, onEvent}), (result) => ({
        outcome: result.outcome === 'failed' || result.outcome === 'timeout' ? 'failed' : 'ok',
        detail: `revision ${result.revision}: ${result.outcome} (from the dashboard; ${named.join(', ')})`,
      })),
    );
    return reply.redirect(`${views.stackPath(r.project, r.stack)}/operations/${op.id}`, 303);
  });

  function operation(request: FastifyRequest): Operation {
    const op = operations.get(ref(request), field(request.params, 'id', 100) ?? '');
    if (!op) throw notFound();
    return op;
  }

  app.get(`${STACK}/operations/:id`, async (request, reply) => {
    const r = ref(request);
    return sendPage(reply, views.operationPage(pageContext(request)!, r.project, r.stack, operation(request)));
  });

  app.get(`${STACK}/operations/:id/events`, async (request, reply) => {
    const op = operation(request);
    const out = new PassThrough();
    out.on('error', () => {});
    const send = (event: string, data: unknown) => {
      if (!out.destroyed) out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const onEvent = (e: Parameters<typeof views.eventLine>[0]) => send('line', views.eventLine(e));
    const onDone = () => {
      send('done', {outcome: views.operationOutcome(op), revision: op.result?.revision ?? null, error: op.error ?? null});
      out.end();
    };
    // The page already shows the events so far; the stream carries only what comes after them.
    const seen = Number(field(request.query, 'after', 10) ?? op.events.length);
    for (const e of op.events.slice(Number.isInteger(seen) ? seen : op.events.length)) onEvent(e);
    if (op.done) onDone();
    else {
      op.emitter.on('event', onEvent).once('done', onDone);
      reply.raw.on('close', () => op.emitter.off('event', onEvent).off('done', onDone));
    }
    return sendEvents(reply, out);
  });

  // logs

  interface LogQuery {
    service?: string;
    tail: number;
  }

  async function logQuery(request: FastifyRequest, r: StackRef): Promise<LogQuery & {services: string[]}> {
    const known = [...knownServices(ctx, r, await findStack(ctx, r))].sort();
    const service = field(request.query, 'service', 63) || undefined;
    if (service) checkServiceNames(r.stack, [service], known);
    return {services: known, service, tail: intField(request.query, 'tail', DEFAULT_TAIL, MAX_TAIL)};
  }

  function openLogs(reply: FastifyReply, r: StackRef, q: LogQuery, follow: boolean, tail: number | undefined): Promise<LogStream> {
    // The engine's stream stops when the browser goes away, not left following forever.
    const abort = new AbortController();
    reply.raw.on('close', () => abort.abort());
    return ctx.orchestrator.logs(r, {services: q.service ? [q.service] : undefined, follow, tail, signal: abort.signal});
  }

  async function* readLogs(reply: FastifyReply, r: StackRef, q: LogQuery, follow: boolean, tail: number | undefined): AsyncGenerator<LogLine> {
    yield* logLines(await openLogs(reply, r, q, follow, tail));
  }

  const logText = (l: LogLine) => `${replicaAlias(l.service, l.replica)} | ${l.line}`;

  app.get(`${STACK}/logs`, async (request, reply) => {
    const r = ref(request);
    const q = await logQuery(request, r);
    const lines: string[] = [];
    for await (const l of readLogs(reply, r, q, false, q.tail)) lines.push(logText(l));
    return sendPage(reply, views.logsPage(pageContext(request)!, r.project, r.stack, q, lines, liveCap));
  });

  app.get(`${STACK}/logs/stream`, async (request, reply) => {
    const r = ref(request);
    const q = await logQuery(request, r);
    const stream = await openLogs(reply, r, q, true, q.tail);
    // Lines already at hand go out as one event (batched): a burst is a few events, not thousands.
    // Each data line is one display line, prefixed here, so neither side handles JSON per line.
    async function* events() {
      try {
        for await (const text of batched(displayText(stream), (t) => Buffer.from(t))) yield `data: ${text.toString('utf8').slice(0, -1).replaceAll('\n', '\ndata: ')}\n\n`;
        yield 'event: end\ndata: {}\n\n';
      } catch (err) {
        request.log.warn({err}, 'dashboard log stream failed');
        yield `event: failure\ndata: ${JSON.stringify(toEnvelope(err).body.error.message)}\n\n`;
      }
    }
    return sendEvents(reply, Readable.from(events(), {objectMode: false}));
  });

  app.get(`${STACK}/logs/download`, async (request, reply) => {
    const r = ref(request);
    const q = await logQuery(request, r);
    const lines = readLogs(reply, r, q, false, q.tail === 0 ? undefined : q.tail);
    async function* text() {
      let buffer = '';
      for await (const l of lines) {
        buffer += logText(l) + '\n';
        if (buffer.length >= 64 * 1024) {
          yield buffer;
          buffer = '';
        }
      }
      if (buffer) yield buffer;
    }
    const name = `${r.project}-${r.stack}${q.service ? `-${q.service}` : ''}-logs.txt`;
    return reply.type('text/plain; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(Readable.from(text(), {objectMode: false}));
  });

  // audit log and users

  app.get('/audit', async (request, reply) => {
    const user = request.user!;
    const projects = await visibleProjects(user);
    const q = request.query;
    let project = field(q, 'project', 63) || undefined;
    if (project === undefined && !user.admin) project = projects[0];
    if (project !== undefined && !canSeeProject(user, project)) throw projectNotFound(project);
    const form = {projects, project, user: field(q, 'user', 64) || undefined, action: field(q, 'action', 64) || undefined, stack: field(q, 'stack', 63) || undefined};
    const entries = project === undefined && !user.admin ? [] : ctx.store.auditLog({project, user: form.user, action: form.action, target: form.stack, limit: AUDIT_LIMIT});
    return sendPage(reply, views.auditPage(pageContext(request)!, form, entries, AUDIT_LIMIT));
  });

  app.get('/admin/users', async (request, reply) => {
    if (!request.user!.admin) throw notFound();
    return sendPage(reply, views.usersPage(pageContext(request)!, ctx.store.users(), ctx.store.tokens()));
  });

  app.get('/admin/nodes', async (request, reply) => {
    if (!request.user!.admin || !ctx.orchestrator.nodes) throw notFound();
    return sendPage(reply, views.nodesPage(pageContext(request)!, await ctx.orchestrator.nodes()));
  });

  return app;
}

/**
 * A log stream as display lines (`web-1 | text\n`), one string per chunk of the engine's. A
 * carriage return inside a line would end an event's data line, so it is shown as a symbol.
 */
async function* displayText(stream: LogStream): AsyncGenerator<string> {
  const prefixes = stream.sources.map((s) => `${replicaAlias(s.service, s.replica)} | `);
  for await (const chunk of stream.chunks) {
    let text = '';
    for (const l of splitLines(chunk.data)) text += `${prefixes[chunk.source]}${splitTimestamp(l).line.replaceAll('\r', '\u240d')}\n`;
    if (text) yield text;
  }
}

/** Server-sent events, never buffered by a proxy in front (`x-accel-buffering`). */
function sendEvents(reply: FastifyReply, body: Readable): FastifyReply {
  reply.raw.on('close', () => body.destroy());
  return reply.code(200).type('text/event-stream; charset=utf-8').header('cache-control', 'no-store').header('x-accel-buffering', 'no').send(body);
}
