import assert from 'node:assert/strict';
import {test} from 'node:test';

import {loadDocument} from '../../../src/lib/compose/load.ts';
import type {Service} from '../../../src/lib/compose/types.ts';
import {containerSpec, desiredReplicas, healthConfig, isOneShot, publishAddress, restartPolicy, sharedNetworkService, type SpecContext} from '../../../src/lib/engine/container-spec.ts';
import {InvalidInputError} from '../../../src/lib/errors.ts';

async function service(def: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Service> {
  const {project, diagnostics} = await loadDocument({services: {web: def}, ...extra}, 'portal');
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  assert.ok(project);
  return project.services.web;
}

function ctx(over: Partial<SpecContext> = {}): SpecContext {
  return {
    ref: {project: 'genomics', stack: 'portal'},
    service: 'web',
    replica: 2,
    replicas: 3,
    revision: 7,
    configHash: 'h1',
    image: 'registry.example.org/app:1',
    networks: {default: 'genomics.portal'},
    volumes: {data: 'genomics.data'},
    files: [],
    publishHostIp: '0.0.0.0',
    ...over,
  };
}

test('a full service maps onto the create body', async () => {
  const s = await service(
    {
      image: 'registry.example.org/app:1',
      command: 'serve --port 80',
      entrypoint: ['/bin/app'],
      environment: {A: '1', UNSET: null},
      user: '1000:1000',
      working_dir: '/srv',
      labels: {team: 'x', 'org.spin.project': 'forged'},
      cap_drop: ['ALL'],
      cap_add: ['NET_BIND_SERVICE'],
      security_opt: ['no-new-privileges:true'],
      read_only: true,
      init: true,
      tmpfs: ['/tmp:size=64m'],
      sysctls: {'net.core.somaxconn': 1024},
      ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 64},
      extra_hosts: ['db.local=10.0.0.5', 'api:10.0.0.6'],
      hostname: 'web',
      stop_signal: 'SIGINT',
      stop_grace_period: '1m30s',
      healthcheck: {test: 'curl -f http://localhost/', interval: '10s', timeout: '2s', start_period: '500ms', retries: 4},
      restart: 'on-failure:3',
      deploy: {resources: {limits: {memory: '512m', cpus: '1.5', pids: 100}}},
      ports: ['8080:80', {target: 443, published: '8443', host_ip: '127.0.0.1'}, '9000/udp'],
      volumes: ['data:/data:ro', '/srv/www:/var/www', {type: 'tmpfs', target: '/cache', tmpfs: {size: '1m'}}],
      networks: {default: {aliases: ['www']}},
    },
    {volumes: {data: {}}},
  );
  const spec = containerSpec(s, ctx({files: [{source: '/agent/secrets/genomics/portal/web/token', target: '/run/secrets/token'}]}));
  assert.equal(spec.name, 'genomics.portal.web.2');
  assert.deepEqual(spec.connect, []);
  const {HostConfig, ...config} = spec.options;
  assert.deepEqual(config, {
    name: 'genomics.portal.web.2',
    Image: 'registry.example.org/app:1',
    Cmd: ['serve', '--port', '80'],
    Entrypoint: ['/bin/app'],
    Env: ['A=1'],
    User: '1000:1000',
    WorkingDir: '/srv',
    Hostname: 'web',
    Labels: {
      team: 'x',
      'org.spin.managed': 'true',
      'org.spin.project': 'genomics',
      'org.spin.stack': 'portal',
      'org.spin.service': 'web',
      'org.spin.replica': '2',
      'org.spin.replicas': '3',
      'org.spin.revision': '7',
      'org.spin.config-hash': 'h1',
      'org.spin.one-shot': 'true',
    },
    ExposedPorts: {'80/tcp': {}, '443/tcp': {}, '9000/udp': {}},
    StopSignal: 'SIGINT',
    StopTimeout: 90,
    Healthcheck: {Test: ['CMD-SHELL', 'curl -f http://localhost/'], Interval: 10e9, Timeout: 2e9, StartPeriod: 5e8, Retries: 4},
    NetworkingConfig: {EndpointsConfig: {'genomics.portal': {Aliases: ['web', 'web-2', 'www']}}},
  });
  assert.deepEqual(HostConfig, {
    Binds: ['/srv/www:/var/www:rw'],
    Mounts: [
      {Type: 'volume', Source: 'genomics.data', Target: '/data', ReadOnly: true},
      {Type: 'tmpfs', Source: '', Target: '/cache', TmpfsOptions: {SizeBytes: 1048576}},
      {Type: 'bind', Source: '/agent/secrets/genomics/portal/web/token', Target: '/run/secrets/token', ReadOnly: true},
    ],
    NetworkMode: 'genomics.portal',
    PortBindings: {
      '80/tcp': [{HostIp: '0.0.0.0', HostPort: '8080'}],
      '443/tcp': [{HostIp: '127.0.0.1', HostPort: '8443'}],
      '9000/udp': [{HostIp: '0.0.0.0', HostPort: ''}],
    },
    RestartPolicy: {Name: 'on-failure', MaximumRetryCount: 3},
    CapAdd: ['NET_BIND_SERVICE'],
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges:true'],
    Privileged: false,
    ReadonlyRootfs: true,
    Init: true,
    Tmpfs: {'/tmp': 'size=64m'},
    Sysctls: {'net.core.somaxconn': '1024'},
    Ulimits: [
      {Name: 'nofile', Soft: 1024, Hard: 2048},
      {Name: 'nproc', Soft: 64, Hard: 64},
    ],
    ExtraHosts: ['db.local:10.0.0.5', 'api:10.0.0.6'],
    Memory: 536870912,
    NanoCpus: 1.5e9,
    PidsLimit: 100,
  });
});

test('a second network is connected before start (API 1.41 takes one at create)', async () => {
  const s = await service({image: 'x', networks: ['front', 'back']}, {networks: {front: {}, back: {}}});
  const spec = containerSpec(s, ctx({networks: {front: 'genomics.portal.front', back: 'genomics.portal.back'}, replica: 1}));
  assert.equal(spec.options.HostConfig?.NetworkMode, 'genomics.portal.front');
  assert.deepEqual(spec.connect, [{network: 'genomics.portal.back', endpoint: {Aliases: ['web', 'web-1']}}]);
});

test('restart policies, one-shots and replica counts', async () => {
  assert.deepEqual(restartPolicy(await service({image: 'x'})), {Name: 'no'});
  assert.deepEqual(restartPolicy(await service({image: 'x', restart: 'unless-stopped'})), {Name: 'unless-stopped'});
  assert.deepEqual(restartPolicy(await service({image: 'x', deploy: {restart_policy: {condition: 'any'}}})), {Name: 'always'});
  assert.deepEqual(restartPolicy(await service({image: 'x', deploy: {restart_policy: {condition: 'on-failure', max_attempts: 2}}})), {Name: 'on-failure', MaximumRetryCount: 2});
  assert.equal(isOneShot(await service({image: 'x'})), true);
  assert.equal(isOneShot(await service({image: 'x', restart: 'always'})), false);
  assert.equal(desiredReplicas(await service({image: 'x', deploy: {replicas: 3}})), 3);
  assert.equal(desiredReplicas(await service({image: 'x', deploy: {replicas: 0}})), 0);
  assert.equal(desiredReplicas(await service({image: 'x'})), 1);
});

test('healthcheck forms', () => {
  assert.deepEqual(healthConfig({test: ['NONE']}), {Test: ['NONE']});
  assert.deepEqual(healthConfig({test: ['CMD', 'true'], disable: true}), {Test: ['NONE']});
  assert.deepEqual(healthConfig({test: ['CMD', 'true'], interval: 90e9, timeout: 5e9, start_period: 0}), {Test: ['CMD', 'true'], Interval: 90e9, Timeout: 5e9, StartPeriod: 0});
  assert.equal(healthConfig(undefined), undefined);
});

test('network_mode none and service: namespaces', async () => {
  const none = containerSpec(await service({image: 'x', network_mode: 'none'}), ctx({networks: {}}));
  assert.equal(none.options.HostConfig?.NetworkMode, 'none');
  assert.equal(none.options.NetworkingConfig, undefined);
  const web = await service({image: 'x', network_mode: 'service:db'}, {services: {web: {image: 'x', network_mode: 'service:db'}, db: {image: 'y'}}});
  assert.equal(sharedNetworkService('web', web), 'db');
  // The caller resolves the container by the stack's labels; the spec only ever names it by ID.
  const shared = containerSpec(web, ctx({networks: {}, networkContainer: 'c0ffee'}));
  assert.equal(shared.options.HostConfig?.NetworkMode, 'container:c0ffee');
  assert.throws(() => containerSpec(web, ctx({networks: {}})), /the container of service "db" was not resolved/);
});

test('any other network_mode is refused, whatever the policy let through', async () => {
  const base = await service({image: 'x'});
  assert.equal(sharedNetworkService('web', base), undefined);
  for (const mode of ['host', 'bridge', 'container:genomics-portal-db-1', 'container:abc', 'default', 'service:', 'genomics.portal']) {
    const s = {...base, network_mode: mode, networks: {}};
    assert.throws(
      () => containerSpec(s, ctx({networks: {}})),
      (err: unknown) => err instanceof InvalidInputError && err.message === `service "web" has network_mode ${JSON.stringify(mode)}, which Spin does not run` && /service:<name>/.test(err.hint ?? ''),
      mode,
    );
  }
});

test('the agent\'s publish address wins over a port\'s host_ip', async () => {
  const port = (host_ip?: string) => ({target: 80, published: '8080', protocol: 'tcp', mode: 'ingress', ...(host_ip !== undefined ? {host_ip} : {})});
  assert.equal(publishAddress('web', port(), '10.0.0.5'), '10.0.0.5');
  assert.equal(publishAddress('web', port('10.0.0.5'), '10.0.0.5'), '10.0.0.5');
  // Binding all addresses, the agent lets a port narrow itself to loopback.
  assert.equal(publishAddress('web', port('127.0.0.1'), '0.0.0.0'), '127.0.0.1');
  assert.equal(publishAddress('web', port('127.0.0.2'), '0.0.0.0'), '127.0.0.2');
  assert.equal(publishAddress('web', port('::1'), '::'), '::1');
  assert.equal(publishAddress('web', port('::1'), '0.0.0.0'), '::1');
  // "All addresses" (compose's default) means the agent's address, never more.
  assert.equal(publishAddress('web', port('0.0.0.0'), '127.0.0.1'), '127.0.0.1');
  assert.equal(publishAddress('web', port('::'), '10.0.0.5'), '10.0.0.5');
  assert.equal(publishAddress('web', port('0.0.0.0'), '0.0.0.0'), '0.0.0.0');
  const refused: [string, string][] = [
    ['10.0.0.9', '0.0.0.0'],
    ['10.0.0.9', '10.0.0.5'],
    ['127.0.0.1', '127.0.0.2'],
    ['localhost', '0.0.0.0'],
    ['192.168.1.1', '::'],
  ];
  for (const [wanted, agent] of refused) {
    assert.throws(
      () => publishAddress('web', port(wanted), agent),
      (err: unknown) => err instanceof InvalidInputError && err.message === `service "web" publishes port 8080:80 on host address "${wanted}", but this agent publishes on "${agent}"`,
      `${wanted} on ${agent}`,
    );
  }
  const s = await service({image: 'x', ports: [{target: 443, published: '8443', host_ip: '10.1.1.1'}, '9000']});
  assert.throws(() => containerSpec(s, ctx()), /service "web" publishes port 8443:443 on host address "10.1.1.1"/);
  const loopback = await service({image: 'x', ports: [{target: 443, published: '8443', host_ip: '10.1.1.1'}, '9000']});
  assert.deepEqual(containerSpec(loopback, ctx({publishHostIp: '10.1.1.1'})).options.HostConfig?.PortBindings, {
    '443/tcp': [{HostIp: '10.1.1.1', HostPort: '8443'}],
    '9000/tcp': [{HostIp: '10.1.1.1', HostPort: ''}],
  });
});

test('mounts the engine cannot make are refused with a hint', async () => {
  const s = await service({image: 'x', volumes: [{type: 'npipe', source: '\\\\.\\pipe\\x', target: '/p'}]});
  assert.throws(() => containerSpec(s, ctx()), (err: unknown) => err instanceof InvalidInputError && /volume 0 has type "npipe"/.test(err.message) && err.hint === 'use a named volume, a bind mount or tmpfs');
  const undef = {...(await service({image: 'x'})), volumes: [{type: 'volume', source: 'nope', target: '/n'}]};
  assert.throws(() => containerSpec(undef, ctx()), /mounts volume "nope", which the stack does not define/);
});
