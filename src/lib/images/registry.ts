// A small client of the registry HTTP API v2: check credentials (`GET /v2/`) and resolve a tag to
// its manifest digest (`HEAD /v2/<repo>/manifests/<tag>`). Registries answer 401 with a
// challenge: `Basic` wants the credentials on the request; `Bearer` names a token service to get
// a token from (with the credentials, or anonymously), scoped to the repository.

import {AuthError, OperationError, UnreachableError} from '../errors.ts';
import type {RegistryCredentials} from './credentials.ts';
import {DOCKER_HUB, parseReference, registryHost} from './naming.ts';

export interface RegistryDeps {
  fetch?: typeof fetch;
  /** Per request. Default 15 s. */
  timeoutMs?: number;
}

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

const MAX_TOKEN_BODY = 1024 * 1024;

export class ImageNotFoundError extends OperationError {
  override readonly code = 'registry.not_found';
}

/** The API's base URL. Loopback registries speak plain HTTP, as the engine allows by default. */
export function registryBaseUrl(registry: string): string {
  const host = registryHost(registry);
  if (host === DOCKER_HUB) return 'https://registry-1.docker.io';
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const loopback = name === 'localhost' || /^127\./.test(name) || name === '::1';
  return `${loopback ? 'http' : 'https'}://${host}`;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (the first challenge of the header). */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?\s*/gy;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2])) !== null && p[0] !== '') params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3];
  return {scheme: m[1].toLowerCase(), params};
}

function basic(credentials: RegistryCredentials): string | undefined {
  if (credentials.username === undefined || credentials.password === undefined) return undefined;
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

function loginHint(registry: string): string {
  return `log in with \`spin registry login ${registryHost(registry)} -u USER --password-stdin\` (or \`docker login ${registryHost(registry)}\`)`;
}

class Session {
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly registry: string;
  private readonly credentials?: RegistryCredentials;

  constructor(registry: string, credentials: RegistryCredentials | undefined, deps: RegistryDeps) {
    this.registry = registry;
    this.credentials = credentials;
    this.fetchFn = deps.fetch ?? fetch;
    this.timeoutMs = deps.timeoutMs ?? 15_000;
  }

  async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchFn(url, {...init, redirect: 'follow', signal: AbortSignal.timeout(this.timeoutMs)});
    } catch (err) {
      const e = err as Error & {cause?: {code?: string; message?: string}};
      const why = e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs / 1000}s` : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new UnreachableError(`cannot reach registry "${registryHost(this.registry)}" (${new URL(url).origin}): ${why}`, {
        hint: 'check the registry name and your network; a registry on this machine must be running',
        cause: err,
      });
    }
  }

  /** Sends a request, answering one auth challenge if the registry makes one. */
  async request(url: string, init: RequestInit & {headers?: Record<string, string>}, scope?: string): Promise<Response> {
    const first = await this.send(url, init);
    if (first.status !== 401) return first;
    await first.body?.cancel();
    const challenge = parseChallenge(first.headers.get('www-authenticate'));
    const authorization = await this.authorize(challenge, scope);
    const second = await this.send(url, {...init, headers: {...init.headers, authorization}});
    if (second.status === 401 || second.status === 403) {
      await second.body?.cancel();
      throw this.refused(second.status);
    }
    return second;
  }

  private refused(status: number): AuthError {
    const host = registryHost(this.registry);
    if (status === 403) return new AuthError(`registry "${host}" refused access (HTTP 403)`, {hint: 'your account may not push or pull this repository; ask the registry owner'});
    return this.credentials
      ? new AuthError(`registry "${host}" rejected the credentials (HTTP 401)`, {hint: `check the user name and password; ${loginHint(this.registry)}`})
      : new AuthError(`registry "${host}" requires authentication`, {hint: loginHint(this.registry)});
  }

  private async authorize(challenge: Challenge | undefined, scope?: string): Promise<string> {
    if (this.credentials?.registryToken) return `Bearer ${this.credentials.registryToken}`;
    if (challenge?.scheme === 'bearer' && challenge.params.realm) return `Bearer ${await this.token(challenge, scope)}`;
    const header = this.credentials && basic(this.credentials);
    if (!header) throw this.refused(401);
    return header;
  }

  /** A token from the challenge's token service (docker's token protocol, or OAuth2 refresh). */
  private async token(challenge: Challenge, scope?: string): Promise<string> {
    let realm: URL;
    try {
      realm = new URL(challenge.params.realm);
    } catch {
      throw new OperationError(`registry "${registryHost(this.registry)}" sent an invalid token realm "${challenge.params.realm}"`);
    }
    const service = challenge.params.service;
    const wanted = scope ?? challenge.params.scope;
    let res: Response;
    if (this.credentials?.identityToken) {
      const form = new URLSearchParams({grant_type: 'refresh_token', refresh_token: this.credentials.identityToken, client_id: 'spin'});
      if (service) form.set('service', service);
      if (wanted) form.set('scope', wanted);
      res = await this.send(realm.href, {method: 'POST', body: form, headers: {'content-type': 'application/x-www-form-urlencoded'}});
    } else {
      if (service) realm.searchParams.set('service', service);
      if (wanted) realm.searchParams.set('scope', wanted);
      const header = this.credentials && basic(this.credentials);
      res = await this.send(realm.href, {headers: header ? {authorization: header} : {}});
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw this.refused(res.status === 403 && this.credentials ? 401 : res.status);
    }
    const text = await readLimited(res, MAX_TOKEN_BODY);
    let body: {token?: unknown; access_token?: unknown};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = {};
    }
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!res.ok || !token) throw new OperationError(`the token service of registry "${registryHost(this.registry)}" failed (HTTP ${res.status})`, {hint: 'try again; if it persists, the registry is misconfigured'});
    return token;
  }
}

async function readLimited(res: Response, limit: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new OperationError(`a registry answer was larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Checks the registry answers and accepts the credentials (`GET /v2/`). Throws AuthError or UnreachableError. */
export async function pingRegistry(registry: string, credentials: RegistryCredentials | undefined, deps: RegistryDeps = {}): Promise<void> {
  const session = new Session(registry, credentials, deps);
  const res = await session.request(`${registryBaseUrl(registry)}/v2/`, {method: 'GET'});
  await res.body?.cancel();
  if (!res.ok) throw new OperationError(`registry "${registryHost(registry)}" answered HTTP ${res.status} to /v2/`, {hint: 'check that this is a Docker registry (API v2)'});
}

/**
 * The digest (`sha256:…`) the registry serves for an image reference (tag or digest), from the
 * `Docker-Content-Digest` header of a manifest HEAD. A multi-platform image gives its index digest.
 */
export async function resolveDigest(ref: string, credentials: RegistryCredentials | undefined, deps: RegistryDeps = {}): Promise<string> {
  const parsed = parseReference(ref);
  const reference = parsed.digest ?? parsed.tag ?? 'latest';
  const session = new Session(parsed.registry, credentials, deps);
  const url = `${registryBaseUrl(parsed.registry)}/v2/${parsed.repository}/manifests/${reference}`;
  const res = await session.request(url, {method: 'HEAD', headers: {accept: MANIFEST_TYPES.join(', ')}}, `repository:${parsed.repository}:pull`);
  await res.body?.cancel();
  if (res.status === 404) {
    throw new ImageNotFoundError(`image "${ref}" is not in registry "${parsed.registry}"`, {hint: 'push it first (`spin push`), or check the name and tag'});
  }
  if (!res.ok) throw new OperationError(`registry "${parsed.registry}" answered HTTP ${res.status} for image "${ref}"`);
  const digest = res.headers.get('docker-content-digest');
  if (!digest || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new OperationError(`registry "${parsed.registry}" did not give a digest for image "${ref}"`, {hint: 'the registry must send the Docker-Content-Digest header (Docker Distribution does)'});
  }
  return digest;
}
