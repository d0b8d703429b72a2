import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import type {Service} from '../../../src/lib/compose/types.ts';
import {LABELS} from '../../../src/lib/engine/types.ts';
import {childConfig, parseAdminUrl, serverConfig} from '../../../src/lib/ingress/caddy.ts';
import {desiredRoutes, type ListedContainer} from '../../../src/lib/ingress/controller.ts';
import {defaultHost, ingressRequest, isHostName} from '../../../src/lib/ingress/model.ts';

const svc = (ext: unknown) => ({'x-spin': ext}) as unknown as Service;

describe('x-spin.ingress in a service', () => {
  test('port and optional host; absent means no ingress', () => {
    assert.equal(ingressRequest({} as Service, 'web'), undefined);
    assert.equal(ingressRequest(svc({other: 1}), 'web'), undefined);
    assert.deepEqual(ingressRequest(svc({ingress: {port: 8080}}), 'web'), {port: 8080});
    assert.deepEqual(ingressRequest(svc({ingress: {port: '80', host: 'portal.example.org'}}), 'web'), {port: 80, host: 'portal.example.org'});
    assert.equal(defaultHost('genomics', 'portal', 'web', 'localhost'), 'web.portal.genomics.localhost');
  });

  test('malformed requests are refused with the path and a hint', () => {
    const hint = 'write it as `x-spin: {ingress: {port: 8080}}`, optionally with `host: name.example.org`';
    const cases: [unknown, string][] = [
      ['yes', 'services.web.x-spin must be a mapping'],
      [{ingress: [8080]}, 'services.web.x-spin.ingress must be a mapping'],
      [{ingress: {port: 8080, tls: true}}, 'services.web.x-spin.ingress has an unknown key "tls"'],
      [{ingress: {}}, 'services.web.x-spin.ingress.port must be the container port the service listens on (1-65535), not null'],
      [{ingress: {port: 70000}}, 'services.web.x-spin.ingress.port must be the container port the service listens on (1-65535), not 70000'],
    ];
    for (const [ext, message] of cases) assert.throws(() => ingressRequest(svc(ext), 'web'), {name: 'InvalidInputError', message, hint});
    assert.throws(() => ingressRequest(svc({ingress: {port: 80, host: '*.example.org'}}), 'web'), {
      message: 'services.web.x-spin.ingress.host "*.example.org" is not a host name',
      hint: 'use a lower-case DNS name such as portal.example.org (no wildcard, no port), or leave it out for the default name',
    });
    for (const bad of ['localhost', 'Portal.example.org', 'a..b', 'x.example.org:80', `${'a'.repeat(64)}.org`]) assert.equal(isHostName(bad), false, bad);
  });
});

function container(id: string, service: string, extra: Partial<ListedContainer> & {labels?: Record<string, string>; hostPort?: number} = {}): ListedContainer {
  return {
    Id: id,
    State: 'running',
    Status: 'Up 3 seconds (healthy)',
    Labels: {[LABELS.managed]: 'true', [LABELS.project]: 'p', [LABELS.stack]: 's', [LABELS.service]: service, [LABELS.ingressPort]: '80', [LABELS.ingressHost]: '', ...extra.labels},
    Ports: [
      {IP: '127.0.0.1', PrivatePort: 80, PublicPort: extra.hostPort ?? 32000, Type: 'tcp'},
      {IP: '0.0.0.0', PrivatePort: 80, PublicPort: 60000, Type: 'tcp'},
    ],
    ...extra,
  };
}

describe('routes from the engine', () => {
  const none = {domain: 'localhost', held: new Set<string>(), draining: new Set<string>()};

  test('healthy replicas (and running ones without a healthcheck) are upstreams on their 127.0.0.1 port', () => {
    const {routes, conflicts} = desiredRoutes(
      [
        container('a', 'web', {hostPort: 32001}),
        container('b', 'web', {hostPort: 32002, Status: 'Up 2 seconds'}),
        container('c', 'web', {hostPort: 32003, Status: 'Up 1 second (health: starting)'}),
        container('d', 'web', {hostPort: 32004, Status: 'Up 9 seconds (unhealthy)'}),
        container('e', 'web', {hostPort: 32005, State: 'exited', Status: 'Exited (1) 2 seconds ago'}),
        container('f', 'api', {hostPort: 32006, labels: {[LABELS.ingressHost]: 'api.example.org'}}),
      ],
      none,
    );
    assert.deepEqual(routes, [
      {host: 'api.example.org', owner: 'p/s/api', upstreams: ['127.0.0.1:32006']},
      {host: 'web.s.p.localhost', owner: 'p/s/web', upstreams: ['127.0.0.1:32001', '127.0.0.1:32002']},
    ]);
    assert.deepEqual(conflicts, []);
  });

  test('held replicas without a healthcheck and draining ones are left out; a service with none left keeps its host (503)', () => {
    const list = [container('a', 'web', {Status: 'Up 1 second'}), container('b', 'web', {hostPort: 32002})];
    assert.deepEqual(desiredRoutes(list, {...none, held: new Set(['a'])}).routes[0].upstreams, ['127.0.0.1:32002']);
    assert.deepEqual(desiredRoutes(list, {...none, held: new Set(['a']), draining: new Set(['b'])}).routes, [{host: 'web.s.p.localhost', owner: 'p/s/web', upstreams: []}]);
  });

  test('a host claimed twice stays with the first owner by name and is reported; foreign containers are ignored', () => {
    const other = container('x', 'web', {hostPort: 33000, labels: {[LABELS.project]: 'o', [LABELS.ingressHost]: 'web.example.org'}});
    const mine = container('y', 'web', {hostPort: 33001, labels: {[LABELS.ingressHost]: 'web.example.org'}});
    const foreign = container('z', 'web', {labels: {[LABELS.managed]: 'false'}});
    const {routes, conflicts} = desiredRoutes([mine, other, foreign], none);
    assert.deepEqual(routes, [{host: 'web.example.org', owner: 'o/s/web', upstreams: ['127.0.0.1:33000']}]);
    assert.deepEqual(conflicts, [{host: 'web.example.org', owners: ['o/s/web', 'p/s/web']}]);
  });
});

describe("Caddy's config", () => {
  test('one route per host with retries over the upstreams, 503 without upstreams, 404 for other hosts; automatic HTTPS off', () => {
    const config = serverConfig('127.0.0.1:8088', [
      {host: 'b.localhost', owner: 'p/s/b', upstreams: []},
      {host: 'a.localhost', owner: 'p/s/a', upstreams: ['127.0.0.1:1', '127.0.0.1:2']},
    ]);
    assert.deepEqual(config, {
      listen: ['127.0.0.1:8088'],
      automatic_https: {disable: true},
      routes: [
        {
          match: [{host: ['a.localhost']}],
          handle: [
            {
              handler: 'reverse_proxy',
              upstreams: [{dial: '127.0.0.1:1'}, {dial: '127.0.0.1:2'}],
              load_balancing: {selection_policy: {policy: 'round_robin'}, try_duration: '5s', try_interval: '100ms'},
              health_checks: {passive: {fail_duration: '2s', max_fails: 1}},
            },
          ],
          terminal: true,
        },
        {match: [{host: ['b.localhost']}], handle: [{handler: 'static_response', status_code: 503, headers: {'Retry-After': ['5']}, body: 'no healthy replica of p/s/b\n'}], terminal: true},
        {handle: [{handler: 'static_response', status_code: 404, body: 'no service answers to this host name\n'}]},
      ],
    });
  });

  test('a Caddy of its own: admin on loopback, no autosave, storage in the data folder, and no TLS app', () => {
    const config = childConfig({admin: '127.0.0.1:2999', listen: '127.0.0.1:8088', storage: '/data/caddy/storage'});
    assert.deepEqual(config.admin, {listen: '127.0.0.1:2999', config: {persist: false}});
    assert.deepEqual(config.storage, {module: 'file_system', root: '/data/caddy/storage'});
    assert.deepEqual(Object.keys(config.apps as object), ['http']);
  });

  test('the admin URL must be loopback http', () => {
    assert.equal(parseAdminUrl('http://127.0.0.1:2019').url.port, '2019');
    assert.deepEqual(parseAdminUrl('unix//run/spin/admin.sock').socketPath, '/run/spin/admin.sock');
    assert.throws(() => parseAdminUrl('unix/run/admin.sock'), {name: 'UsageError', message: 'invalid Caddy admin socket "unix/run/admin.sock"'});
    assert.throws(() => parseAdminUrl('http://10.0.0.1:2019'), {name: 'UsageError', message: 'Caddy admin URL "http://10.0.0.1:2019" is not a loopback http:// address'});
    assert.throws(() => parseAdminUrl('nope'), {name: 'UsageError', message: 'invalid Caddy admin URL "nope"', hint: 'use http://127.0.0.1:2019'});
  });
});
