import assert from 'node:assert/strict';
import {existsSync, readFileSync, statSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

import {parse} from 'yaml';

import {castTypes} from '../../../src/lib/compose/cast.ts';
import {hasErrors} from '../../../src/lib/compose/diagnostics.ts';
import {interpolate} from '../../../src/lib/compose/interpolate.ts';
import {loadProject} from '../../../src/lib/compose/load.ts';
import {Locations} from '../../../src/lib/compose/locations.ts';
import {normalize} from '../../../src/lib/compose/normalize.ts';
import {resolvePaths} from '../../../src/lib/compose/paths.ts';
import {checkConsistency} from '../../../src/lib/compose/semantic.ts';
import type {Diagnostic, ComposeModel, RawMap} from '../../../src/lib/compose/types.ts';

async function project(raw: RawMap): Promise<ComposeModel> {
  const r = await normalize(raw, {workingDir: '/proj', projectName: 'demo', lookup: () => undefined, readText: async () => undefined});
  assert.deepEqual(r.diagnostics, [], 'the test model itself normalizes cleanly');
  return r.project;
}

async function check(raw: RawMap, locations?: Locations): Promise<Diagnostic[]> {
  return checkConsistency(await project(raw), locations);
}

const messages = (ds: Diagnostic[]) => ds.map((d) => d.message);

describe('checkConsistency', () => {
  test('accepts a consistent project', async () => {
    const ds = await check({
      services: {
        web: {image: 'nginx', networks: ['front'], volumes: ['data:/data'], secrets: ['s'], configs: ['c'], healthcheck: {test: 'curl x'}},
        db: {build: '.', volumes_from: ['web:ro'], links: ['web:w']},
        side: {image: 'x', network_mode: 'service:web', depends_on: {db: {condition: 'service_healthy'}, gone: {condition: 'service_started', required: false}}},
        prov: {provider: {type: 'model'}},
      },
      networks: {front: {}},
      volumes: {data: {}},
      secrets: {s: {file: '/proj/s'}},
      configs: {c: {content: 'x'}},
    });
    assert.deepEqual(ds, []);
  });

  test('reports a dependency on an undefined service, with a hint (corpus invalid/026)', async () => {
    const locations = new Locations();
    locations.set(['services', 'bar', 'depends_on'], {file: 'compose.yaml', line: 5, column: 7});
    const ds = await check({services: {bar: {image: 'foo', depends_on: ['zot', 'opt']}, opt2: {image: 'x'}}}, locations);
    assert.deepEqual(ds[0], {
      severity: 'error',
      source: 'semantic',
      message: 'service "bar" depends on undefined service "zot"',
      path: 'services.bar.depends_on.zot',
      location: {file: 'compose.yaml', line: 5, column: 7},
      hint: 'add a service named "zot" or remove it from depends_on',
    });
    assert.equal(ds.length, 2);
    assert.deepEqual(await check({services: {bar: {image: 'foo', depends_on: {zot: {condition: 'service_started', required: false}}}}}), []);
  });

  test('reports each undefined service once, in its most specific field', async () => {
    const ds = await check({services: {a: {image: 'x', network_mode: 'service:zot', volumes_from: ['vol'], links: ['lnk:alias'], ipc: 'service:zot'}}});
    assert.deepEqual(messages(ds), [
      `service "zot" not found for network_mode 'service:zot' of service "a"`,
      `service "zot" not found for ipc 'service:zot' of service "a"`,
      'service "a" links to undefined service "lnk"',
      'service "a" takes volumes_from undefined service "vol"',
    ]);
  });

  test('finds dependency cycles (corpus invalid/021)', async () => {
    const ds = await check({
      services: {
        service1: {image: 'a', depends_on: ['service2']},
        service2: {image: 'b', depends_on: ['service3']},
        service3: {image: 'c', depends_on: ['service1']},
        self: {image: 'd', depends_on: ['self']},
      },
    });
    assert.deepEqual(messages(ds), ['dependency cycle detected: service1 -> service2 -> service3 -> service1', 'dependency cycle detected: self -> self']);
    assert.equal(ds[0].path, 'services.service3.depends_on.service1');
  });

  test('refuses network_mode with networks (corpus invalid/023) and undefined networks', async () => {
    const ds = await check({services: {redis: {image: 'redis', network_mode: 'bridge', networks: {gratheon: null}}, b: {image: 'x', networks: ['nowhere']}}, networks: {gratheon: {name: 'x'}}});
    assert.deepEqual(messages(ds), ['service "redis" declares mutually exclusive `network_mode` and `networks`', 'service "b" refers to undefined network "nowhere"']);
  });

  test('refuses undefined volumes, secrets, configs and build secrets (corpus invalid/034)', async () => {
    const ds = await check({
      services: {
        myservice: {
          image: 'my/service',
          volumes: [{type: 'volume', source: 'myVolume', target: '/use/local'}, {type: 'volume', target: '/anon'}, '/host:/host'],
          secrets: ['nosecret'],
          configs: [{source: 'noconfig'}],
          build: {context: '.', secrets: ['nobuild']},
        },
      },
    });
    assert.deepEqual(messages(ds), [
      'service "myservice" refers to undefined volume "myVolume"',
      'service "myservice" refers to undefined secret "nosecret"',
      'service "myservice" refers to undefined config "noconfig"',
      'service "myservice" refers to undefined build secret "nobuild"',
    ]);
    assert.equal(ds[0].path, 'services.myservice.volumes[0]');
  });

  test('needs an image, a build or a provider (corpus invalid/035)', async () => {
    const ds = await check({services: {myservice: {}}});
    assert.deepEqual(messages(ds), ['service "myservice" has neither an image nor a build context specified']);
    assert.match(ds[0].hint ?? '', /image:/);
  });

  test('refuses network_mode on an unknown service (corpus invalid/036)', async () => {
    const ds = await check({services: {myservice1: {image: 'scratch'}, myservice2: {image: 'scratch', network_mode: 'service:nonexistentservice'}}});
    assert.deepEqual(messages(ds), [`service "nonexistentservice" not found for network_mode 'service:nonexistentservice' of service "myservice2"`]);
  });

  test('needs a source for secrets and configs, and only one (corpus invalid/037)', async () => {
    const ds = await check({
      secrets: {foo: {}, ext: {external: true}, drv: {driver: 'vault'}, both: {file: '/a', environment: 'B'}},
      configs: {c: {}, ok: {content: 'x'}},
    });
    assert.deepEqual(messages(ds), [
      'secret "foo" must declare either `file` or `environment`',
      'secret "both" declares mutually exclusive `file` and `environment`',
      'config "c" must declare either `file` or `environment` or `content`',
    ]);
  });

  test('refuses two mounts on one target (corpus invalid/038)', async () => {
    const ds = await check({
      services: {
        myservice: {
          image: 'scratch',
          tmpfs: ['/foo', '/conflict:size=64m'],
          volumes: [{type: 'bind', source: '/p', target: '/bar'}, {type: 'bind', source: '/p', target: '/conflict'}],
        },
      },
    });
    assert.deepEqual(messages(ds), ['services.myservice.volumes[1]: target /conflict already mounted as services.myservice.tmpfs[1]']);
  });

  test('needs a target for watch actions other than rebuild and restart (corpus invalid/039)', async () => {
    const ds = await check({
      services: {
        myservice: {image: 'scratch', develop: {watch: [{action: 'sync', path: '/app'}, {action: 'rebuild', path: '/src'}, {action: 'sync+restart', path: '/x', target: '/x'}]}},
      },
    });
    assert.deepEqual(messages(ds), ['services.myservice.develop.watch[0]: target is required for non-rebuild actions ("sync")']);
  });

  test('checks healthcheck test forms', async () => {
    const ds = await check({
      services: {
        a: {image: 'x', healthcheck: {test: ['WHAT', 'x']}},
        b: {image: 'x', healthcheck: {test: ['NONE', 'x']}},
        c: {image: 'x', healthcheck: {test: ['CMD']}},
        d: {image: 'x', healthcheck: {test: ['NONE']}},
        e: {image: 'x', healthcheck: {test: ['CMD', 'true']}},
      },
    });
    assert.deepEqual(messages(ds), [
      'service "a": healthcheck.test must start with "CMD", "CMD-SHELL" or "NONE", not "WHAT"',
      'service "b": healthcheck.test "NONE" takes no command',
      'service "c": healthcheck.test "CMD" needs a command',
    ]);
  });

  test('refuses settings given twice with different values', async () => {
    const ds = await check({
      services: {
        a: {image: 'x', scale: 2, deploy: {replicas: 3}, cpus: 1, mem_limit: '1g', container_name: 'fixed'},
        b: {image: 'x', deploy: {replicas: 2, resources: {limits: {memory: '1g', cpus: 1}}}, mem_limit: '1024m', cpus: 1},
      },
    });
    assert.deepEqual(messages(ds), [
      "services.a: can't set distinct values on 'scale' and 'deploy.replicas'",
      "services.a: can't set container_name and scale as container name must be unique",
    ]);
  });

  test('checks build details', async () => {
    const ds = await check({
      services: {
        a: {build: {context: '.', dockerfile: 'D', dockerfile_inline: 'FROM x', additional_contexts: {base: 'service:b', none: 'service:nope', img: 'docker-image://alpine'}}, platform: 'linux/arm64'},
        b: {image: 'x'},
        c: {build: {context: '.', platforms: ['linux/amd64']}, platform: 'linux/arm64'},
      },
    });
    assert.deepEqual(messages(ds), [
      'service "a" declares mutually exclusive dockerfile and dockerfile_inline',
      'service "a" declares non-buildable service "b" as additional context "base"',
      'service "a" declares unknown service "nope" as additional context "none"',
      'service "c": build.platforms must include the service platform "linux/arm64"',
    ]);
  });

  test('counts links and volumes_from as dependencies when looking for cycles', async () => {
    const ds = await check({services: {web: {image: 'x', depends_on: ['db']}, db: {image: 'y', links: ['web:w']}}});
    assert.deepEqual(messages(ds), ['dependency cycle detected: web -> db -> web']);
  });

  // A path-enumerating cycle search takes exponential time on this doubly linked chain (it would
  // never finish within the file timeout); a visit-once search returns at once. Speed itself is
  // measured in the benchmarks, not here.
  test('checks 2000 doubly chained services without a false cycle or a deep recursion', async () => {
    const services: RawMap = {};
    for (let i = 0; i < 2000; i++) services[`s${i}`] = {image: 'x', depends_on: i > 0 ? [`s${i - 1}`, ...(i > 1 ? [`s${i - 2}`] : [])] : []};
    const p = await project({services});
    assert.deepEqual(checkConsistency(p), []);
  });
});

// Single-file corpus samples that need no extends, include, merge or anchors run through the late
// phases alone: YAML → interpolate → paths → cast → normalize → consistency.
const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/corpus');

async function latePhases(sample: string, consistency = true): Promise<{project: ComposeModel; diagnostics: Diagnostic[]}> {
  const main = join(CORPUS, sample);
  const dir = statSync(main).isDirectory() ? main : dirname(main);
  const file = statSync(main).isDirectory() ? join(main, 'compose.yaml') : main;
  const envFile = join(dir, 'TEST_ENV.json');
  const env: Record<string, string> = dir !== CORPUS && existsSync(envFile) ? JSON.parse(readFileSync(envFile, 'utf8')) : {};
  const parsed = parse(readFileSync(file, 'utf8')) as RawMap;
  // The loader sets COMPOSE_PROJECT_NAME from `name:` before interpolating.
  if (typeof parsed.name === 'string' && !parsed.name.includes('$')) env.COMPOSE_PROJECT_NAME = parsed.name;
  const lookup = (n: string) => (Object.hasOwn(env, n) ? env[n] : undefined);
  const interpolated = interpolate(parsed, lookup);
  const diagnostics: Diagnostic[] = interpolated.diagnostics.filter((d) => d.severity === 'error');
  let raw = resolvePaths(interpolated.value as RawMap, dir, env.HOME ?? '/home/test');
  raw = castTypes(raw, {diagnostics});
  const name = typeof raw.name === 'string' ? raw.name : 'corpus';
  const readText = async (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined);
  const normalized = await normalize(raw, {workingDir: dir, projectName: name, lookup, readText});
  diagnostics.push(...normalized.diagnostics);
  if (consistency && !hasErrors(diagnostics)) diagnostics.push(...checkConsistency(normalized.project));
  return {project: normalized.project, diagnostics};
}

const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 'error');

describe('corpus through the late phases', () => {
  const validConsistent = ['valid/007-env-file-required-false', 'valid/009-ports-expanded-formats.yaml', 'valid/010-deprecated-external-name-volume.yaml', 'valid/015-numeric-volume-name.yaml', 'valid/016-x-prefixed-service-names.yaml', 'valid/043-deploy-update-rollback-config.yaml', 'valid/044-secrets-top-level-all-kinds', 'valid/045-service-secrets-long-syntax.yaml', 'valid/049-networks-ipam-external.yaml', 'valid/050-env-file-format-raw-optional.yaml', 'valid/052-profiles-service.yaml', 'valid/057-name-with-interpolation'];
  // Valid for the loader, but compose-go's test skipped consistency (undeclared networks, no image).
  const validLoaderOnly = ['valid/001-sample-networks-volumes.yaml', 'valid/002-extensions-x-fields.yaml', 'valid/004-environment-map-and-list', 'valid/005-interpolation-labels-drivers', 'valid/006-interpolation-type-cast-full', 'valid/008-bind-windows-drive-source.yaml', 'valid/011-version-2-obsolete-field.yaml', 'valid/013-init-yes-yaml11-bool.yaml', 'valid/021-full-example-historic', 'valid/046-build-full-attributes.yaml', 'valid/047-models-top-level.yaml', 'valid/048-provider-service.yaml', 'valid/053-build-no-cache-filter.yaml'];

  for (const sample of validConsistent) {
    test(`${sample} loads and is consistent`, async () => {
      assert.deepEqual(errors((await latePhases(sample)).diagnostics), []);
    });
  }
  for (const sample of validLoaderOnly) {
    test(`${sample} normalizes without errors`, async () => {
      assert.deepEqual(errors((await latePhases(sample, false)).diagnostics), []);
    });
  }

  const invalid: Record<string, RegExp> = {
    'invalid/011-volume-external-with-driver.yaml': /volumes\.external_volume: conflicting parameters "external" and "driver" specified/,
    'invalid/012-volume-name-and-external-name.yaml': /volumes\.external_volume: name and external\.name conflict; only use name/,
    'invalid/013-bind-mount-without-source.yaml': /^invalid mount config for type "bind": field Source must not be empty$/,
    'invalid/015-device-count-bad-string.yaml': /invalid value "some_string", the only value allowed is 'all' or a number/,
    'invalid/021-depends-on-cycle.yaml': /^dependency cycle detected: service1 -> service2 -> service3 -> service1$/,
    'invalid/023-network-mode-with-networks.yaml': /service "redis" declares mutually exclusive `network_mode` and `networks`/,
    'invalid/024-environment-key-trailing-space.yaml': /environment variable "DEBUG " is declared with a trailing space/,
    'invalid/034-undefined-named-volume.yaml': /service "myservice" refers to undefined volume "myVolume"/,
    'invalid/035-no-image-no-build.yaml': /service "myservice" has neither an image nor a build context specified/,
    'invalid/036-network-mode-unknown-service.yaml': /service "nonexistentservice" not found for network_mode 'service:nonexistentservice'/,
    'invalid/037-secret-without-source.yaml': /secret "foo" must declare either `file` or `environment`/,
    'invalid/038-tmpfs-and-bind-same-target.yaml': /services\.myservice\.volumes\[1\]: target \/conflict already mounted as services\.myservice\.tmpfs\[1\]/,
    'invalid/039-watch-sync-without-target.yaml': /services\.myservice\.develop\.watch\[0\]: target is required for non-rebuild actions/,
  };
  for (const [sample, expected] of Object.entries(invalid)) {
    test(`${sample} is refused: ${expected.source}`, async () => {
      const found = errors((await latePhases(sample)).diagnostics);
      assert.equal(found.length, 1, JSON.stringify(found));
      assert.match(found[0].message, expected);
      assert.equal(found[0].source, 'semantic');
      assert.ok(found[0].hint, 'every refusal says how to fix it');
    });
  }

  test('valid/021 folds env and label files and expands ~ against HOME', async () => {
    const {project} = await latePhases('valid/021-full-example-historic', false);
    const dir = join(CORPUS, 'valid/021-full-example-historic');
    const foo = project.services.foo;
    assert.deepEqual(foo.environment, {
      BAZ: 'baz_from_service_def',
      QUX: 'qux_from_environment',
      FOO: 'foo_from_env_file',
      'ENV.WITH.DOT': 'ok',
      ENV_WITH_UNDERSCORE: 'ok',
      BAR: 'bar_from_env_file_2',
    });
    assert.deepEqual(foo.labels, {
      FOO: 'foo_from_label_file',
      'LABEL.WITH.DOT': 'ok',
      LABEL_WITH_UNDERSCORE: 'ok',
      BAR: 'bar_from_label_file_2',
      BAZ: 'baz_from_label_file',
      QUX: 'quz_from_label_file_2',
      'com.example.description': 'Accounting webapp',
      'com.example.number': '42',
      'com.example.empty-label': '',
    });
    assert.deepEqual(
      foo.volumes.map((v) => `${v.type} ${v.source ?? '-'} ${v.target}`),
      [
        'volume - /var/lib/anonymous',
        'bind /opt/data /var/lib/data',
        `bind ${dir} /code`,
        `bind ${dir}/static /var/www/html`,
        'bind /home/user/configs /etc/configs',
        'volume datavolume /var/lib/volume',
        `bind ${dir}/opt /opt/cached`,
        'tmpfs - /opt/tmpfs',
      ],
    );
    assert.equal(project.configs.config4.file, '/home/user/config_data');
    assert.equal(project.secrets.secret1.file, `${dir}/secret_data`);
    assert.equal(foo.ports.length, 1 + 5 + 1 + 2 + 1 + 1 + 11);
    assert.deepEqual(foo.build, {
      context: `${dir}/dir`,
      dockerfile: 'Dockerfile',
      args: {foo: 'bar'},
      ssh: ['default'],
      target: 'foo',
      network: 'foo',
      cache_from: ['foo', 'bar'],
      labels: {FOO: 'BAR'},
      additional_contexts: {foo: `${dir}/bar`},
      secrets: [
        {source: 'secret1', target: '/run/secrets/secret1'},
        {source: 'secret2', target: 'my_secret', uid: '103', gid: '103', mode: 440},
      ],
      tags: ['foo:v1.0.0', 'docker.io/username/foo:my-other-tag', 'full_example_project_name:1.0.0'],
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    assert.deepEqual(project.volumes['other-external-volume'], {name: 'my-cool-volume', external: true});
    assert.deepEqual(project.networks['other-network'].driver_opts, {foo: 'bar', baz: '1'});
  });
});

describe('checkConsistency: update_config and rollback_config', () => {
  const rollout = (config: Record<string, unknown>, which = 'update_config') => check({services: {web: {image: 'x', deploy: {[which]: config}}}});

  test('accepts every value the engine takes', async () => {
    for (const failure_action of ['rollback', 'pause', 'continue']) assert.deepEqual(await rollout({failure_action}), []);
    assert.deepEqual(await rollout({parallelism: 0, delay: '0s', monitor: '1m30s', max_failure_ratio: 1, order: 'start-first'}), []);
    assert.deepEqual(await rollout({parallelism: 2, max_failure_ratio: 0, order: 'stop-first'}, 'rollback_config'), []);
  });

  test('reports each value the engine would refuse only at deploy, at its own path', async () => {
    const ds = await rollout({failure_action: 'explode', parallelism: -1, delay: '-5s', monitor: '-1ms', max_failure_ratio: 1.5});
    assert.deepEqual(
      ds.map((d) => [d.path, d.message]),
      [
        ['services.web.deploy.update_config.failure_action', 'services.web.deploy.update_config.failure_action must be rollback, pause or continue, not "explode"'],
        ['services.web.deploy.update_config.parallelism', 'services.web.deploy.update_config.parallelism must be a whole number, 0 or more, not -1'],
        ['services.web.deploy.update_config.max_failure_ratio', 'services.web.deploy.update_config.max_failure_ratio must be a number from 0 to 1, not 1.5'],
        ['services.web.deploy.update_config.delay', 'services.web.deploy.update_config.delay must not be negative, not "-5s"'],
        ['services.web.deploy.update_config.monitor', 'services.web.deploy.update_config.monitor must not be negative, not "-1ms"'],
      ],
    );
    assert.ok(ds.every((d) => d.severity === 'error' && d.hint));
    assert.match(ds[0].hint ?? '', /rollback.*pause.*continue/);
    const back = await rollout({failure_action: 'retry', parallelism: 1.5, max_failure_ratio: -0.1, order: 'sideways'}, 'rollback_config');
    assert.deepEqual(back.map((d) => d.path), [
      'services.web.deploy.rollback_config.failure_action',
      'services.web.deploy.rollback_config.order',
      'services.web.deploy.rollback_config.parallelism',
      'services.web.deploy.rollback_config.max_failure_ratio',
    ]);
  });

  test('start-first on a service that publishes a fixed host port is a warning: it is replaced stop-first', async () => {
    const fixed = (order: string, published?: string) => check({services: {web: {image: 'x', ports: [published ? `${published}:80` : '80'], deploy: {update_config: {order}}}}});
    const ds = await fixed('start-first', '8080');
    assert.deepEqual(
      ds.map((d) => [d.severity, d.path, d.message]),
      [['warning', 'services.web.deploy.update_config.order', 'services.web.deploy.update_config.order is start-first, but service "web" publishes host port 8080, which one container at a time can bind; its replicas are replaced stop-first']],
    );
    assert.deepEqual(await fixed('stop-first', '8080'), []);
    // A port the engine picks pins nothing.
    assert.deepEqual(await fixed('start-first'), []);
  });

  test('each problem points at the line of the key the user wrote (spin validate)', async () => {
    const text = [
      'services:',
      '  web:',
      '    image: busybox',
      '    ports: ["8080:80"]',
      '    deploy:',
      '      update_config:',
      '        parallelism: -2',
      '        delay: -1s',
      '        failure_action: retry',
      '        monitor: 1x',
      '        max_failure_ratio: 2',
      '        order: start-first',
      '      rollback_config:',
      '        failure_action: explode',
      '        monitor: -3s',
      '',
    ].join('\n');
    const load = (body: string) => loadProject({files: ['/v/compose.yaml'], env: {}, readText: async (p) => (p === '/v/compose.yaml' ? body : undefined)});
    const where = (ds: Diagnostic[]) => ds.map((d) => `${d.severity} ${d.location?.line}:${d.location?.column} ${d.path}`);
    // A malformed duration stops the load at normalize, before the consistency phase.
    assert.deepEqual(where((await load(text)).diagnostics), ['error 10:9 services.web.deploy.update_config.monitor']);
    assert.deepEqual(where((await load(text.replace('monitor: 1x', 'monitor: 5s'))).diagnostics), [
      'error 9:9 services.web.deploy.update_config.failure_action',
      'warning 12:9 services.web.deploy.update_config.order',
      'error 7:9 services.web.deploy.update_config.parallelism',
      'error 11:9 services.web.deploy.update_config.max_failure_ratio',
      'error 8:9 services.web.deploy.update_config.delay',
      'error 14:9 services.web.deploy.rollback_config.failure_action',
      'error 15:9 services.web.deploy.rollback_config.monitor',
    ]);
  });
});
