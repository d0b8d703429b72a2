import assert from 'node:assert/strict';
import {createServer, type IncomingMessage, type Server} from 'node:http';
import {after, before, describe, test} from 'node:test';

import {parseChallenge, pingRegistry, registryBaseUrl, resolveDigest} from '../../../src/lib/images/registry.ts';

// A registry behind a token service, as Docker Hub, GitLab or Harbor run it (the test registry
// elsewhere uses htpasswd, i.e. the Basic challenge).
const DIGEST = `sha256:${'b'.repeat(64)}`;
let server: Server;
let host = '';
const seen: string[] = [];

function basicUser(req: IncomingMessage): string | undefined {
  const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  return m ? Buffer.from(m[1], 'base64').toString() : undefined;
}

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, `http://${host}`);
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    if (url.pathname === '/token') {
      const user = basicUser(req);
      if (user !== undefined && user !== 'alice:pw') return void res.writeHead(401).end();
      const scope = url.searchParams.get('scope') ?? '';
      return void res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({token: `${user ? 'alice' : 'anon'}|${scope}`}));
    }
    const auth = req.headers.authorization ?? '';
    const challenge = `Bearer realm="http://${host}/token",service="test-registry"${url.pathname === '/v2/' ? '' : `,scope="repository:team/web:pull"`}`;
    if (!auth.startsWith('Bearer ')) return void res.writeHead(401, {'www-authenticate': challenge}).end();
    const [who, scope] = auth.slice(7).split('|');
    if (url.pathname === '/v2/') return void res.writeHead(who === 'alice' ? 200 : 401, {'www-authenticate': challenge}).end('{}');
    if (scope !== 'repository:team/web:pull') return void res.writeHead(401, {'www-authenticate': challenge}).end();
    if (url.pathname === '/v2/team/web/manifests/1.0') {
      assert.match(req.headers.accept ?? '', /application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
      return void res.writeHead(200, {'docker-content-digest': DIGEST}).end();
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as {port: number}).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const {port} = s.address() as {port: number};
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('registry API client', () => {
  test('challenge headers', () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'), {
      scheme: 'bearer',
      params: {realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull'},
    });
    assert.deepEqual(parseChallenge('Basic realm="spin-test"'), {scheme: 'basic', params: {realm: 'spin-test'}});
    assert.equal(parseChallenge(null), undefined);
    assert.equal(registryBaseUrl('docker.io'), 'https://registry-1.docker.io');
    assert.equal(registryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
    assert.equal(registryBaseUrl('registry.example.org/team'), 'https://registry.example.org');
  });

  test('Bearer: a token for the credentials, scoped to the repository, gives the digest', async () => {
    seen.length = 0;
    assert.equal(await resolveDigest(`${host}/team/web:1.0`, {username: 'alice', password: 'pw'}), DIGEST);
    assert.deepEqual(seen, ['HEAD /v2/team/web/manifests/1.0', 'GET /token?service=test-registry&scope=repository%3Ateam%2Fweb%3Apull', 'HEAD /v2/team/web/manifests/1.0']);
    await pingRegistry(host, {username: 'alice', password: 'pw'});
  });

  test('wrong password, no credentials, unknown tag, nobody listening: exit 4, 4, 1, 6', async () => {
    await assert.rejects(pingRegistry(host, {username: 'alice', password: 'nope'}), {exitCode: 4, message: `registry "${host}" rejected the credentials (HTTP 401)`, hint: new RegExp(`spin registry login ${host} -u USER --password-stdin`)});
    await assert.rejects(pingRegistry(host, undefined), {exitCode: 4, message: `registry "${host}" requires authentication`});
    await assert.rejects(resolveDigest(`${host}/team/web:2.0`, {username: 'alice', password: 'pw'}), {exitCode: 1, code: 'registry.not_found', message: `image "${host}/team/web:2.0" is not in registry "${host}"`});
    const closed = await closedPort();
    await assert.rejects(pingRegistry(`127.0.0.1:${closed}`, undefined), {exitCode: 6, message: `cannot reach registry "127.0.0.1:${closed}" (http://127.0.0.1:${closed}): ECONNREFUSED`});
  });
});
