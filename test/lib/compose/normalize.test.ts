import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {Locations} from '../../../src/lib/compose/locations.ts';
import {normalize, parsePortSpec, splitShellWords} from '../../../src/lib/compose/normalize.ts';
import type {Diagnostic, ComposeModel, RawMap, Service} from '../../../src/lib/compose/types.ts';

interface Options {
  env?: Record<string, string>;
  files?: Record<string, string>;
  locations?: Locations;
}

function run(raw: RawMap, options: Options = {}): Promise<{project: ComposeModel; diagnostics: Diagnostic[]}> {
  const env = options.env ?? {};
  const files = options.files ?? {};
  return normalize(raw, {
    workingDir: '/proj',
    projectName: 'demo',
    locations: options.locations,
    lookup: (n) => (Object.hasOwn(env, n) ? env[n] : undefined),
    readText: async (p) => (Object.hasOwn(files, p) ? files[p] : undefined),
  });
}

async function svc(raw: RawMap, options: Options = {}): Promise<{service: Service; diagnostics: Diagnostic[]}> {
  const {project, diagnostics} = await run({services: {web: {image: 'nginx', ...raw}}}, options);
  return {service: project.services.web, diagnostics};
}

const messages = (ds: Diagnostic[]) => ds.map((d) => `${d.severity} ${d.path ?? ''}: ${d.message}`);

describe('splitShellWords', () => {
  test('splits like a shell without running one', () => {
    assert.deepEqual(splitShellWords('bundle exec thin -p 3000'), ['bundle', 'exec', 'thin', '-p', '3000']);
    assert.deepEqual(splitShellWords(`sh -c 'echo "$HOME"; ls'`), ['sh', '-c', 'echo "$HOME"; ls']);
    assert.deepEqual(splitShellWords('echo "a \\"b\\" \\$c" d\\ e'), ['echo', 'a "b" $c', 'd e']);
    assert.deepEqual(splitShellWords(`a '' ""`), ['a', '', '']);
    assert.deepEqual(splitShellWords('  '), []);
  });

  test('refuses an unclosed quote', () => {
    assert.equal(splitShellWords(`echo "oops`), undefined);
    assert.equal(splitShellWords(`echo 'oops`), undefined);
  });
});

describe('parsePortSpec', () => {
  test('expands ranges to one entry per container port', () => {
    assert.deepEqual(parsePortSpec('80-82:8080-8082'), [
      {mode: 'ingress', target: 8080, protocol: 'tcp', published: '80'},
      {mode: 'ingress', target: 8081, protocol: 'tcp', published: '81'},
      {mode: 'ingress', target: 8082, protocol: 'tcp', published: '82'},
    ]);
    assert.deepEqual(parsePortSpec('3001-3002'), [
      {mode: 'ingress', target: 3001, protocol: 'tcp'},
      {mode: 'ingress', target: 3002, protocol: 'tcp'},
    ]);
  });

  test('reads host IPs, IPv6 in brackets, protocols and host ranges for one port', () => {
    assert.deepEqual(parsePortSpec('127.0.0.1:8080:80/UDP'), [{mode: 'ingress', target: 80, protocol: 'udp', host_ip: '127.0.0.1', published: '8080'}]);
    assert.deepEqual(parsePortSpec('[::1]:8080:80'), [{mode: 'ingress', target: 80, protocol: 'tcp', host_ip: '::1', published: '8080'}]);
    assert.deepEqual(parsePortSpec('127.0.0.1::80'), [{mode: 'ingress', target: 80, protocol: 'tcp', host_ip: '127.0.0.1'}]);
    assert.deepEqual(parsePortSpec('8000-8010:80'), [{mode: 'ingress', target: 80, protocol: 'tcp', published: '8000-8010'}]);
  });

  test('says what is wrong', () => {
    assert.equal(parsePortSpec('80/xyz'), 'unknown protocol "xyz"');
    assert.equal(parsePortSpec('abc'), 'invalid container port "abc"');
    assert.equal(parsePortSpec('x:80'), 'invalid host port "x"');
    assert.equal(parsePortSpec('1.2.3:80:80'), 'invalid IP address "1.2.3"');
    assert.equal(parsePortSpec('80-81:90-92'), 'the host and container port ranges have different sizes');
    assert.equal(parsePortSpec('70000'), 'invalid container port "70000"');
  });
});

describe('normalize: services', () => {
  test('gives every service the always-present fields and the default network', async () => {
    const {project, diagnostics} = await run({services: {web: {image: 'nginx'}}});
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(project, {
      name: 'demo',
      services: {
        web: {
          image: 'nginx',
          environment: {},
          ports: [],
          volumes: [],
          depends_on: {},
          networks: {default: null},
          secrets: [],
          configs: [],
          cap_add: [],
          cap_drop: [],
          security_opt: [],
          devices: [],
          device_cgroup_rules: [],
          volumes_from: [],
          sysctls: {},
          labels: {},
        },
      },
      networks: {default: {name: 'demo_default'}},
      volumes: {},
      secrets: {},
      configs: {},
    });
  });

  test('normalizes ports in every syntax (corpus valid/009)', async () => {
    const {service, diagnostics} = await svc({
      ports: ['80-82:8080-8082', '90-92:8090-8092/udp', '85:8500', 8600, {protocol: 'udp', target: 53, published: 10053}, {mode: 'host', target: 22, published: 10022}],
    });
    assert.deepEqual(diagnostics, []);
    const short = service.ports.map((p) => `${p.published ?? ''}:${p.target}/${p.protocol}/${p.mode}`);
    assert.deepEqual(short, ['80:8080/tcp/ingress', '81:8081/tcp/ingress', '82:8082/tcp/ingress', '90:8090/udp/ingress', '91:8091/udp/ingress', '92:8092/udp/ingress', '85:8500/tcp/ingress', ':8600/tcp/ingress', '10053:53/udp/ingress', '10022:22/tcp/host']);
    assert.deepEqual(service.ports[8], {mode: 'ingress', protocol: 'udp', target: 53, published: '10053'});
  });

  test('reports bad ports and host IPs', async () => {
    const {service, diagnostics} = await svc({ports: ['80/xyz', {target: 80, host_ip: 'nope'}, '8080:80']});
    assert.equal(service.ports.length, 1);
    assert.deepEqual(messages(diagnostics), ['error services.web.ports[0]: invalid port "80/xyz": unknown protocol "xyz"', 'error services.web.ports[1].host_ip: invalid IP address "nope"']);
  });

  test('expands short volumes and decides bind or volume like compose', async () => {
    const {service, diagnostics} = await svc({
      volumes: ['/proj/static:/var/www/:ro,z', 'data:/data:nocopy', '/anon', '/opt/data:/var/lib/data:rshared,cached', 'c:\\data:c:\\target', 'vol:/y:bogus'],
    });
    assert.deepEqual(service.volumes, [
      {type: 'bind', source: '/proj/static', target: '/var/www', read_only: true, bind: {create_host_path: true, selinux: 'z'}},
      {type: 'volume', source: 'data', target: '/data', volume: {nocopy: true}},
      {type: 'volume', target: '/anon'},
      {type: 'bind', source: '/opt/data', target: '/var/lib/data', consistency: 'cached', bind: {create_host_path: true, propagation: 'rshared'}},
      {type: 'bind', source: 'c:\\data', target: 'c:\\target', bind: {create_host_path: true}},
      {type: 'volume', source: 'vol', target: '/y'},
    ]);
    assert.deepEqual(messages(diagnostics), ['warning services.web.volumes[5]: unknown volume option "bogus" is ignored']);
  });

  test('keeps long volumes, reads tmpfs sizes, refuses a bind without source (corpus invalid/013)', async () => {
    const {service, diagnostics} = await svc({
      volumes: [
        {type: 'bind', source: '/src', target: '/dst/', bind: {propagation: 'rprivate'}},
        {type: 'tmpfs', target: '/t', tmpfs: {size: '64m'}},
        {type: 'bind', target: '/app'},
      ],
    });
    assert.deepEqual(service.volumes, [
      {type: 'bind', source: '/src', target: '/dst', bind: {create_host_path: true, propagation: 'rprivate'}},
      {type: 'tmpfs', target: '/t', tmpfs: {size: 64 * 1024 * 1024}},
    ]);
    assert.deepEqual(messages(diagnostics), ['error services.web.volumes[2]: invalid mount config for type "bind": field Source must not be empty']);
    assert.equal(diagnostics[0].source, 'semantic');
  });

  test('turns depends_on lists into maps and adds what links, namespaces and volumes_from imply', async () => {
    const {service} = await svc({
      depends_on: {db: {condition: 'service_healthy'}, cache: {condition: 'service_started', required: false, restart: true}},
      links: ['db:database', 'search'],
      network_mode: 'service:proxy',
      ipc: 'service:db',
      volumes_from: ['store:ro', 'container:other'],
    });
    assert.deepEqual(service.depends_on, {
      db: {condition: 'service_healthy', required: true},
      cache: {condition: 'service_started', required: false, restart: true},
      search: {condition: 'service_started', restart: true, required: true},
      proxy: {condition: 'service_started', restart: true, required: true},
      store: {condition: 'service_started', restart: false, required: true},
    });
    assert.deepEqual((await svc({depends_on: ['a', 'b']})).service.depends_on, {
      a: {condition: 'service_started', required: true},
      b: {condition: 'service_started', required: true},
    });
    assert.deepEqual(service.networks, {}, 'network_mode: no default network');
  });

  test('resolves environment values and stringifies them (corpus valid/004)', async () => {
    const env = {MEU: 'Shadoks'};
    const expected = {FOO: '1', BAR: '2', GA: '2.5', BU: '', ZO: null, MEU: 'Shadoks'};
    const map = await svc({environment: {FOO: '1', BAR: 2, GA: 2.5, BU: '', ZO: null, MEU: null}}, {env});
    assert.deepEqual(map.service.environment, expected);
    const list = await svc({environment: ['FOO=1', 'BAR=2', 'GA=2.5', 'BU=', 'ZO', 'MEU']}, {env});
    assert.deepEqual(list.service.environment, expected);
    const withEquals = await svc({environment: ['URL=a=b']});
    assert.deepEqual(withEquals.service.environment, {URL: 'a=b'});
  });

  test('refuses environment keys with a trailing space (corpus invalid/024)', async () => {
    const {diagnostics} = await svc({environment: ['DEBUG = true']});
    assert.deepEqual(messages(diagnostics), ['error services.web.environment[0]: environment variable "DEBUG " is declared with a trailing space']);
    assert.equal(diagnostics[0].hint, 'write "DEBUG=true" with no spaces around "="');
  });

  test('folds env files in: later files win, environment wins over files (corpus valid/007, 021)', async () => {
    const files = {
      '/proj/example1.env': 'FOO=foo_from_env_file\nBAR=bar_from_env_file\nBAZ=baz_from_env_file\nREF=${QUX}-${BAZ}\n',
      '/proj/example2.env': 'BAR=bar_from_env_file_2\nQUX=quz_from_env_file_2\n',
    };
    const {service, diagnostics} = await svc(
      {env_file: ['/proj/example1.env', {path: '/proj/example2.env', required: false}, {path: '/proj/missing.env', required: false}], environment: {BAZ: 'baz_from_service_def', QUX: null}},
      {files, env: {QUX: 'qux_from_environment'}},
    );
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(service.environment, {
      FOO: 'foo_from_env_file',
      BAR: 'bar_from_env_file_2',
      BAZ: 'baz_from_service_def',
      REF: 'qux_from_environment-baz_from_service_def',
      QUX: 'qux_from_environment',
    });
    assert.equal('env_file' in service, false);
  });

  test('reads raw env files verbatim and reports missing or broken ones', async () => {
    const files = {'/proj/raw.env': 'A="quoted" ${X}\n', '/proj/bad.env': 'A="unterminated\n'};
    const raw = await svc({env_file: {path: '/proj/raw.env', format: 'raw'}});
    assert.deepEqual(raw.service.environment, {});
    const ok = await svc({env_file: [{path: '/proj/raw.env', format: 'raw'}]}, {files});
    assert.deepEqual(ok.service.environment, {A: '"quoted" ${X}'});
    const {diagnostics} = await svc({env_file: ['/proj/nope.env', '/proj/bad.env', {path: '/proj/raw.env', format: 'yaml'}]}, {files});
    assert.equal(diagnostics.length, 3);
    assert.equal(diagnostics[0].message, 'env file "/proj/nope.env" not found');
    assert.equal(diagnostics[0].path, 'services.web.env_file[0]');
    assert.match(diagnostics[0].hint ?? '', /required: false/);
    assert.equal(diagnostics[1].source, 'dotenv');
    assert.match(diagnostics[1].message, /bad\.env/);
    assert.equal(diagnostics[2].message, 'env file "/proj/raw.env" has unsupported format "yaml"');
  });

  test('folds label files under explicit labels', async () => {
    const files = {'/proj/a.labels': 'A=1\nB=2\n', '/proj/b.labels': 'B=3\nC=${A}\n'};
    const {service, diagnostics} = await svc({label_file: ['/proj/a.labels', '/proj/b.labels'], labels: ['C=explicit', 'D']}, {files});
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(service.labels, {A: '1', B: '3', C: 'explicit', D: ''});
    const missing = await svc({label_file: '/proj/none.labels'});
    assert.deepEqual(messages(missing.diagnostics), ['error services.web.label_file[0]: label file "/proj/none.labels" not found']);
  });

  test('turns key=value lists into maps and stringifies values', async () => {
    const {service} = await svc({
      labels: {'com.example.number': 42, 'com.example.empty': null},
      sysctls: ['net.core.somaxconn=1024', 'kernel.shm'],
      annotations: ['com.example.foo=bar'],
      deploy: {labels: ['FOO=BAR']},
      expose: ['3000', 8000],
    });
    assert.deepEqual(service.labels, {'com.example.number': '42', 'com.example.empty': ''});
    assert.deepEqual(service.sysctls, {'net.core.somaxconn': '1024', 'kernel.shm': ''});
    assert.deepEqual(service.annotations, {'com.example.foo': 'bar'});
    assert.deepEqual(service.deploy?.labels, {FOO: 'BAR'});
    assert.deepEqual(service.expose, ['3000', '8000']);
  });

  test('splits string commands and keeps lists', async () => {
    const {service, diagnostics} = await svc({command: 'bundle exec thin -p 3000', entrypoint: ['/code/entrypoint.sh', '-p', 3000]});
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(service.command, ['bundle', 'exec', 'thin', '-p', '3000']);
    assert.deepEqual(service.entrypoint, ['/code/entrypoint.sh', '-p', '3000']);
    const bad = await svc({command: 'echo "x'});
    assert.deepEqual(messages(bad.diagnostics), ['error services.web.command: invalid command line "echo \\"x": a quote is not closed']);
  });

  test('turns healthcheck strings into CMD-SHELL and checks durations', async () => {
    const {service, diagnostics} = await svc({healthcheck: {test: 'curl -f http://localhost', interval: '10s', timeout: '1x', retries: 3}, stop_grace_period: '20s'});
    assert.deepEqual(service.healthcheck, {test: ['CMD-SHELL', 'curl -f http://localhost'], interval: 10e9, timeout: '1x', retries: 3});
    assert.equal(service.stop_grace_period, 20e9);
    assert.deepEqual(messages(diagnostics), ['error services.web.healthcheck.timeout: invalid duration "1x"']);
    assert.deepEqual((await svc({healthcheck: {test: 'NONE'}})).service.healthcheck, {test: ['NONE']});
    assert.deepEqual((await svc({healthcheck: {test: ['CMD', 'true', 1]}})).service.healthcheck, {test: ['CMD', 'true', '1']});
  });

  test('reads every duration as nanoseconds, whatever unit it was written in', async () => {
    const raw = {
      stop_grace_period: '1m30s',
      healthcheck: {test: 'true', interval: '90s', timeout: '500ms', start_period: '0', start_interval: '1.5s'},
      deploy: {
        update_config: {delay: '2s', monitor: '1h'},
        rollback_config: {delay: '0s', monitor: '10m'},
        restart_policy: {condition: 'on-failure', delay: '5s', window: '2m'},
      },
    };
    const {service, diagnostics} = await svc(raw);
    assert.deepEqual(diagnostics, []);
    assert.equal(service.stop_grace_period, 90e9);
    assert.deepEqual(service.healthcheck, {test: ['CMD-SHELL', 'true'], interval: 90e9, timeout: 500e6, start_period: 0, start_interval: 1.5e9});
    assert.deepEqual(service.deploy?.update_config, {delay: 2e9, monitor: 3600e9});
    assert.deepEqual(service.deploy?.rollback_config, {delay: 0, monitor: 600e9});
    assert.deepEqual(service.deploy?.restart_policy, {condition: 'on-failure', delay: 5e9, window: 120e9});
    // The raw model is not modified.
    assert.equal(raw.deploy.update_config.delay, '2s');
    const bad = await svc({deploy: {restart_policy: {window: 'soon'}, update_config: {monitor: '5'}}});
    assert.deepEqual(messages(bad.diagnostics), ['error services.web.deploy.update_config.monitor: invalid duration "5"', 'error services.web.deploy.restart_policy.window: invalid duration "soon"']);
  });

  test('reads sizes as bytes and cpus as numbers', async () => {
    const {service, diagnostics} = await svc({
      mem_limit: '512m',
      memswap_limit: -1,
      shm_size: '2gb',
      cpus: '0.5',
      deploy: {resources: {limits: {cpus: '0.001', memory: '50M'}, reservations: {memory: '20M', cpus: 0.25}}},
    });
    assert.deepEqual(diagnostics, []);
    assert.equal(service.mem_limit, 512 * 1024 ** 2);
    assert.equal(service.memswap_limit, -1);
    assert.equal(service.shm_size, 2 * 1024 ** 3);
    assert.equal(service.cpus, 0.5);
    assert.deepEqual(service.deploy?.resources, {limits: {cpus: 0.001, memory: 50 * 1024 ** 2}, reservations: {memory: 20 * 1024 ** 2, cpus: 0.25}});
    const tmpfs = await svc({volumes: [{type: 'tmpfs', target: '/scratch', tmpfs: {size: '64m', mode: 0o1777}}], build: {context: '.', shm_size: '1g'}, mem_reservation: '1k'});
    assert.deepEqual(tmpfs.diagnostics, []);
    assert.deepEqual(tmpfs.service.volumes[0].tmpfs, {size: 64 * 1024 ** 2, mode: 0o1777});
    assert.equal(tmpfs.service.build?.shm_size, 1024 ** 3);
    assert.equal(tmpfs.service.mem_reservation, 1024);
    const bad = await svc({mem_limit: 'lots', deploy: {resources: {limits: {cpus: 'x'}}}});
    assert.deepEqual(messages(bad.diagnostics), ['error services.web.mem_limit: invalid size "lots"', 'error services.web.deploy.resources.limits.cpus: invalid number of CPUs "x"']);
  });

  test('expands devices and device requests; refuses a bad count (corpus invalid/015)', async () => {
    const {service, diagnostics} = await svc({
      devices: ['/dev/ttyUSB0', '/dev/sda:/dev/xvda:r', {source: '/dev/a', target: '/dev/b'}, 'a:b:c:d'],
      gpus: 'all',
      deploy: {resources: {reservations: {devices: [{driver: 'nvidia', capabilities: ['gpu']}, {capabilities: ['gpu'], count: 'some_string'}, {capabilities: ['gpu'], count: 'ALL'}]}}},
    });
    assert.deepEqual(service.devices, [
      {source: '/dev/ttyUSB0', target: '/dev/ttyUSB0', permissions: 'rwm'},
      {source: '/dev/sda', target: '/dev/xvda', permissions: 'r'},
      {source: '/dev/a', target: '/dev/b'},
    ]);
    assert.deepEqual(service.gpus, [{count: 'all'}]);
    assert.deepEqual(service.deploy?.resources?.reservations?.devices, [
      {driver: 'nvidia', capabilities: ['gpu'], count: 'all'},
      {capabilities: ['gpu'], count: 'some_string'},
      {capabilities: ['gpu'], count: 'all'},
    ]);
    assert.deepEqual(messages(diagnostics), [
      'error services.web.devices[3]: confusing device mapping "a:b:c:d"',
      `error services.web.deploy.resources.reservations.devices[1].count: invalid value "some_string", the only value allowed is 'all' or a number`,
    ]);
  });

  test('expands secret and config references; quoted modes are octal', async () => {
    const {service, diagnostics} = await svc({
      secrets: ['s1', {source: 's2', target: 'my_secret', uid: 103, gid: '103', mode: 0o440}],
      configs: ['c1', {source: 'c2', mode: '555'}, {source: 'c3', mode: '99'}],
    });
    assert.deepEqual(service.secrets, [
      {source: 's1', target: '/run/secrets/s1'},
      {source: 's2', target: 'my_secret', uid: '103', gid: '103', mode: 288},
    ]);
    assert.deepEqual(service.configs, [{source: 'c1'}, {source: 'c2', mode: 0o555}, {source: 'c3', mode: '99'}]);
    assert.deepEqual(messages(diagnostics), ['error services.web.configs[2].mode: invalid file mode "99"']);
  });

  test('fills build defaults and resolves args from the environment', async () => {
    const a = await svc({build: '/proj/app'});
    assert.deepEqual(a.service.build, {context: '/proj/app', dockerfile: 'Dockerfile'});
    const b = await svc({build: {dockerfile_inline: 'FROM alpine', args: ['A=1', 'B', 'C'], labels: ['L=1']}}, {env: {B: 'from-env'}});
    assert.deepEqual(b.service.build, {dockerfile_inline: 'FROM alpine', args: {A: '1', B: 'from-env'}, labels: {L: '1'}, context: '/proj'});
  });

  test('turns network lists into maps and keeps unknown fields as they are', async () => {
    const {service} = await svc({networks: ['front', 'back'], 'x-custom': {a: 1}, stop_signal: 'SIGUSR1', ulimits: {nproc: 65535}});
    assert.deepEqual(service.networks, {front: null, back: null});
    assert.deepEqual(service['x-custom'], {a: 1});
    assert.equal(service.stop_signal, 'SIGUSR1');
    assert.deepEqual(service.ulimits, {nproc: 65535});
    assert.equal('extends' in (await svc({extends: {service: 'x'}})).service, false);
  });

  test('locates diagnostics through the locations map', async () => {
    const locations = new Locations();
    locations.set(['services', 'web', 'volumes', 0], {file: '/proj/compose.yaml', line: 7, column: 9});
    const {diagnostics} = await svc({volumes: [{type: 'bind', target: '/app'}]}, {locations});
    assert.deepEqual(diagnostics[0].location, {file: '/proj/compose.yaml', line: 7, column: 9});
  });
});

describe('normalize: project', () => {
  test('names resources, adopts deprecated external.name with a warning (corpus valid/010)', async () => {
    const {project, diagnostics} = await run({
      version: '3',
      volumes: {foo: {external: {name: 'oops'}}, data: null, ext: {external: true}, named: {name: 'mine', driver_opts: {baz: 1}}},
      networks: {front: {}, outside: {external: {name: 'their-net'}}},
      secrets: {s: {file: '/proj/secret', labels: ['a=b']}},
      configs: {c: {content: 'hello'}},
      'x-top': 1,
    });
    assert.deepEqual(project.volumes, {
      foo: {name: 'oops', external: true},
      data: {name: 'demo_data'},
      ext: {name: 'ext', external: true},
      named: {name: 'mine', driver_opts: {baz: '1'}},
    });
    assert.deepEqual(project.networks, {front: {name: 'demo_front'}, outside: {name: 'their-net', external: true}});
    assert.deepEqual(project.secrets, {s: {name: 'demo_s', file: '/proj/secret', labels: {a: 'b'}}});
    assert.deepEqual(project.configs, {c: {name: 'demo_c', content: 'hello'}});
    assert.equal(project['x-top'], 1);
    assert.equal('version' in project, false);
    assert.deepEqual(messages(diagnostics), [
      'warning version: the attribute `version` is obsolete, it will be ignored',
      'warning networks.outside.external.name: networks.outside: external.name is deprecated. Please set name and external: true',
      'warning volumes.foo.external.name: volumes.foo: external.name is deprecated. Please set name and external: true',
    ]);
  });

  test('refuses external volumes with other settings and conflicting names (corpus invalid/011, 012)', async () => {
    const a = await run({volumes: {external_volume: {external: true, driver: 'foobar', 'x-ok': 1}}});
    assert.deepEqual(messages(a.diagnostics), ['error volumes.external_volume.driver: volumes.external_volume: conflicting parameters "external" and "driver" specified']);
    const b = await run({volumes: {external_volume: {name: 'user_specified_name', external: {name: 'external_name'}}}});
    assert.deepEqual(messages(b.diagnostics), ['error volumes.external_volume.external.name: volumes.external_volume: name and external.name conflict; only use name']);
    assert.equal(b.diagnostics[0].source, 'semantic');
  });

  test('adds the default network only when a service uses it', async () => {
    const none = await run({services: {a: {image: 'x', network_mode: 'host'}, b: {image: 'x', networks: ['n']}}, networks: {n: {}}});
    assert.deepEqual(Object.keys(none.project.networks), ['n']);
    const declared = await run({services: {a: {image: 'x'}}, networks: {default: {driver: 'bridge'}}});
    assert.deepEqual(declared.project.networks, {default: {name: 'demo_default', driver: 'bridge'}});
  });

  // Speed is measured by the benchmarks; this checks that a large file normalizes completely.
  test('normalizes 500 services', async () => {
    const services: RawMap = {};
    for (let i = 0; i < 500; i++) {
      services[`s${i}`] = {image: 'nginx', ports: ['8080-8090:80-90'], environment: ['A=1', 'B=2'], depends_on: i > 0 ? [`s${i - 1}`] : [], volumes: ['./a:/a', 'v:/v'], command: 'run --fast'};
    }
    const {project, diagnostics} = await run({services, volumes: {v: {}}});
    assert.equal(Object.keys(project.services).length, 500);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(project.services.s499.depends_on, {s498: {condition: 'service_started', required: true}});
  });
});
