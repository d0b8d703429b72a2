// Who is calling, and may they see this project. Runs first on every request (before the body
// is read), so an unauthenticated or foreign caller never gets the agent to parse a large body,
// and a project a caller does not belong to is indistinguishable from one that does not exist.

import type {FastifyInstance, FastifyRequest} from 'fastify';

import {DNS_LABEL_RULE} from '../dns-label.ts';

import {ApiError, invalidRequest, projectNotFound} from './errors.ts';
import type {FailedAuthLimiter} from './auth-limit.ts';
import type {ParamCheck} from './routes/spec.ts';
import type {Store, User} from './types.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller; set by the auth hook on every route but the public ones. */
    user: User | null;
  }
}

/** Routes anyone may call. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['/v1/health']);

/** Longer than any token the store issues; longer headers are refused without hashing them. */
const MAX_TOKEN_LENGTH = 512;

const PARAM_HINTS: Record<string, string> = {
  project: `project names are DNS labels: ${DNS_LABEL_RULE}`,
  stack: `stack names are DNS labels: ${DNS_LABEL_RULE}`,
  secret: 'secret names are letters, digits, ".", "_" and "-", at most 128 characters, starting with a letter or digit',
  volume: 'volume names are letters, digits, ".", "_" and "-", starting with a letter or digit; see `spin volume ls`',
  revision: 'revisions are numbered from 1; see `spin history`',
};

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return m && m[1].length <= MAX_TOKEN_LENGTH ? m[1] : undefined;
}

/** Shown in messages: the value as JSON, cut short so a hostile path cannot flood the log. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/** The answer to an address past its failed sign-ins; `retryAfter` in seconds. */
export function rateLimited(retryAfter: number): ApiError {
  return new ApiError('auth.rate_limited', `too many failed sign-ins from this address; try again in ${retryAfter} s`, {
    hint: 'check the token (`spin whoami` with the one you have; an admin creates tokens with `spin agent user add`)',
  });
}

export function authenticate(store: Store, request: FastifyRequest, limiter?: FailedAuthLimiter): User {
  const header = request.headers.authorization;
  const token = bearerToken(header);
  const user = token === undefined ? undefined : store.authenticate(token);
  if (user) return user;
  // A call without any credentials is a client that has not logged in, not a guess.
  if (header !== undefined) limiter?.fail(request.ip);
  const message = header === undefined ? 'authentication required' : token === undefined ? 'the Authorization header is not "Bearer <token>"' : 'the token is invalid or was revoked';
  throw new ApiError('auth.unauthenticated', message, {hint: 'log in with `spin login URL --token TOKEN`; an admin creates tokens with `spin agent user add`'});
}

export function canSeeProject(user: User, project: string): boolean {
  return user.admin || user.projects.includes(project);
}

export interface AuthHookOptions {
  store: Store;
  /** Failed sign-ins per address: past the limit, an address is refused before its token is hashed. */
  limiter?: FailedAuthLimiter;
  paramChecks: Map<string, ParamCheck>;
  /** Called when a caller is refused a project on a mutating route, for the audit log. */
  onDenied?: (request: FastifyRequest, user: User, project: string) => void;
}

export function registerAuth(app: FastifyInstance, options: AuthHookOptions): void {
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== undefined && PUBLIC_ROUTES.has(request.routeOptions.url)) return;
    const wait = options.limiter?.retryAfter(request.ip) ?? 0;
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw rateLimited(wait);
    }
    const user = authenticate(options.store, request, options.limiter);
    request.user = user;
    const params = (request.params ?? {}) as Record<string, string>;
    for (const [name, value] of Object.entries(params)) {
      const check = options.paramChecks.get(name);
      if (check && !check(value)) throw invalidRequest(`invalid ${name} ${quote(value)} in the path`, PARAM_HINTS[name]);
    }
    const project = params.project;
    if (project !== undefined && !canSeeProject(user, project)) {
      if (request.method !== 'GET') options.onDenied?.(request, user, project);
      throw projectNotFound(project);
    }
  });
}
