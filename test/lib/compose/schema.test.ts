import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';
import {parse} from 'yaml';
import {Locations} from '../../../src/lib/compose/locations.ts';
import {generateValidatorSource, validateSchema} from '../../../src/lib/compose/schema.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const corpus = join(repo, '..', 'shared', 'corpus');

interface Row {
  path: string;
  verdict: string;
  expected_error: string;
  stage_or_scope: string;
  compose_files: string;
  features: string;
}

function manifest(): Row[] {
  const [head, ...lines] = readFileSync(join(corpus, 'MANIFEST.tsv'), 'utf8').trimEnd().split('\n');
  const columns = head.split('\t');
  return lines.map((line) => {
    const cells = line.split('\t');
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? ''])) as unknown as Row;
  });
}

function load(path: string): unknown {
  // Merge tags are resolved by the merge phase before schema validation; here they only warn.
  return parse(readFileSync(join(corpus, path), 'utf8'), {merge: true, logLevel: 'error'});
}

function messages(model: unknown): string[] {
  return validateSchema(model).map((d) => d.message);
}

function web(service: Record<string, unknown>): unknown {
  return {services: {web: {image: 'nginx', ...service}}};
}

// The message each schema-stage invalid sample must produce: the substance of compose-go's
// expected_error (quoted after each), in our words.
const INVALID: Record<string, {message: string; path?: string}> = {
  // err != nil (additional property foo not allowed)
  'invalid/004-v1-format-no-services-key.yaml': {message: 'additional property "foo" is not allowed at the top level'},
  // services must be a mapping
  'invalid/005-services-is-sequence.yaml': {message: 'services must be a mapping, not a sequence', path: 'services'},
  // services.foo must be a mapping
  'invalid/006-service-is-string.yaml': {message: 'services.foo must be a mapping, not "busybox"', path: 'services.foo'},
  // services.foo.image must be a string
  'invalid/007-image-is-list.yaml': {message: 'services.foo.image must be a string, not a sequence', path: 'services.foo.image'},
  // services.dict-env.environment.FOO must be a boolean, null, number or string
  'invalid/008-environment-value-is-list.yaml': {
    message: 'services.dict-env.environment.FOO must be a boolean, null, number or string, not a sequence',
    path: 'services.dict-env.environment.FOO',
  },
  // additional properties 'impossible' not allowed
  'invalid/010-deploy-resources-unknown-key.yaml': {
    message: 'services.foo.deploy.resources: additional property "impossible" is not allowed',
    path: 'services.foo.deploy.resources',
  },
  // services.tmpfs.volumes.0.tmpfs.size must be a integer
  'invalid/014-tmpfs-size-fraction.yaml': {
    message: 'services.tmpfs.volumes[0].tmpfs.size must be an integer or string, not 0.0001',
    path: 'services.tmpfs.volumes[0].tmpfs.size',
  },
  // missing property 'capabilities'
  'invalid/016-device-missing-capabilities.yaml': {
    message: 'services.hello-world.deploy.resources.reservations.devices[0]: missing property "capabilities"',
    path: 'services.hello-world.deploy.resources.reservations.devices[0]',
  },
  // services.test.build.ssh must be a mapping
  'invalid/018-build-ssh-null.yaml': {message: 'services.test.build.ssh must be a mapping or sequence, not an empty value', path: 'services.test.build.ssh'},
  // name must be a string
  'invalid/019-name-is-integer.yaml': {message: 'name must be a string, not 123', path: 'name'},
  // services.web.develop.watch.0 missing property 'action'
  'invalid/022-develop-watch-missing-action.yaml': {message: 'services.web.develop.watch[0]: missing property "action"', path: 'services.web.develop.watch[0]'},
};

describe('validateSchema on the corpus', () => {
  const rows = manifest();
  const invalid = rows.filter((r) => r.verdict === 'invalid' && r.stage_or_scope === 'schema');

  it('knows every schema-stage invalid sample', () => {
    assert.deepEqual(invalid.map((r) => r.path).sort(), Object.keys(INVALID).sort());
  });

  for (const row of invalid) {
    it(`rejects ${row.path}`, () => {
      const diagnostics = validateSchema(load(row.path));
      const want = INVALID[row.path];
      assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
      assert.equal(diagnostics[0].message, want.message);
      assert.equal(diagnostics[0].path, want.path);
      assert.equal(diagnostics[0].source, 'schema');
      assert.equal(diagnostics[0].severity, 'error');
    });
  }

  const valid = rows.filter(
    (r) =>
      r.verdict === 'valid' &&
      r.stage_or_scope.includes('schema') &&
      r.compose_files === '' &&
      /\.ya?ml$/.test(r.path) &&
      !r.features.includes('multi-doc') &&
      (!r.features.includes('interpolation') || r.stage_or_scope.startsWith('schema-raw')),
  );

  it('selects the single-file valid samples, including the schema additions', () => {
    const names = valid.map((r) => r.path.split('/')[1].slice(0, 3));
    for (const n of ['001', '004', '047', '051', '053', '054']) assert.ok(names.includes(n), n);
  });

  for (const row of valid) {
    it(`accepts ${row.path}`, () => {
      assert.deepEqual(validateSchema(load(row.path)), []);
    });
  }
});

describe('validateSchema messages', () => {
  it('reports the cause inside the oneOf branch that fits the value, not the cascade', () => {
    const diagnostics = validateSchema(web({build: {context: '.', ssh: null, tags: 'latest'}}));
    assert.deepEqual(
      diagnostics.map((d) => [d.path, d.message]),
      [
        ['services.web.build.ssh', 'services.web.build.ssh must be a mapping or sequence, not an empty value'],
        ['services.web.build.tags', 'services.web.build.tags must be a sequence, not "latest"'],
      ],
    );
  });

  it('lists the allowed types when no branch fits', () => {
    assert.deepEqual(messages(web({build: 5})), ['services.web.build must be a mapping or string, not 5']);
  });

  it('follows the branch into nested sequences and mappings', () => {
    assert.deepEqual(messages(web({ports: [8080, {target: 'x', published: 80, protocol: ['tcp']}]})), [
      'services.web.ports[1].protocol must be a string, not a sequence',
    ]);
  });

  it('hints at the closest property name for a misspelt key', () => {
    const [d] = validateSchema(web({imgae: 'nginx'}));
    assert.equal(d.message, 'services.web: additional property "imgae" is not allowed');
    assert.equal(d.hint, 'did you mean "image"?');
  });

  it('suggests an x- extension when no property name is close', () => {
    const [d] = validateSchema(web({deploy: {resources: {impossible: {x: 1}}}}));
    assert.equal(d.hint, 'remove it, or rename it to "x-impossible" to keep it as an extension');
  });

  it('recognises the version 1 format', () => {
    const [d] = validateSchema({web: {image: 'nginx'}});
    assert.equal(d.hint, 'the version 1 format is not supported: put "web" under a top-level "services:" key');
    assert.equal(d.path, undefined);
  });

  it('lists enum values and hints at the closest one', () => {
    const [d] = validateSchema(web({develop: {watch: [{path: '.', action: 'rebuidl'}]}}));
    assert.equal(
      d.message,
      'services.web.develop.watch[0].action must be one of "rebuild", "sync", "restart", "sync+restart", "sync+exec", not "rebuidl"',
    );
    assert.equal(d.hint, 'did you mean "rebuild"?');
  });

  it('names a missing property and, for an enum, its values', () => {
    const [d] = validateSchema(web({develop: {watch: [{path: '.'}]}}));
    assert.equal(d.message, 'services.web.develop.watch[0]: missing property "action"');
    assert.equal(d.hint, 'add action: one of "rebuild", "sync", "restart", "sync+restart", "sync+exec"');
  });

  it('explains bounds, duplicates and bad names', () => {
    assert.deepEqual(messages(web({cpu_count: -1, cap_add: ['CHOWN', 'KILL', 'CHOWN']})), [
      'services.web.cap_add must not contain the same item twice: [0] and [2] are equal',
      'services.web.cpu_count must be at least 0, not -1',
    ]);
    assert.deepEqual(messages({volumes: {'bad name': {}}}), ['volumes: "bad name" is not a valid name']);
  });

  it('reports every problem in one run, each path once', () => {
    const diagnostics = validateSchema({
      name: 1,
      services: {a: {image: ['x'], build: []}, b: {imgae: 'y', restart: {}}},
    });
    const paths = diagnostics.map((d) => d.path);
    assert.deepEqual(paths, ['name', 'services.a.build', 'services.a.image', 'services.b', 'services.b.restart']);
    assert.equal(new Set(paths).size, paths.length);
  });

  it('never crashes on values YAML cannot produce', () => {
    assert.deepEqual(messages('compose'), ['the compose file must be a mapping, not "compose"']);
    assert.deepEqual(messages(undefined), ['the compose file must be a mapping, not nothing']);
    // As in JSON, a key whose value is undefined is absent.
    assert.deepEqual(messages(web({image: undefined})), []);
    assert.deepEqual(messages(web({image: 10n})), ['services.web.image must be a string, not 10']);
  });

  it('summarises beyond 100 problems', () => {
    const services = Object.fromEntries(Array.from({length: 150}, (_, i) => [`s${i}`, {image: []}]));
    const diagnostics = validateSchema({services});
    assert.equal(diagnostics.length, 101);
    assert.equal(diagnostics[100].message, '50 more schema errors not shown');
  });

  it('locates problems, an unknown key at its own line', () => {
    const locations = new Locations();
    locations.set(['services', 'web'], {file: 'compose.yaml', line: 2, column: 3});
    locations.set(['services', 'web', 'imgae'], {file: 'compose.yaml', line: 3, column: 5});
    locations.set(['services', 'web', 'ports'], {file: 'compose.yaml', line: 4, column: 5});
    const diagnostics = validateSchema(web({imgae: 'x', ports: 'x'}), locations);
    assert.deepEqual(
      diagnostics.map((d) => [d.path, d.location?.line]),
      [
        ['services.web', 3],
        ['services.web.ports', 4],
      ],
    );
  });
});

describe('schemas/compose-spec.json', () => {
  it('is a valid draft-07 schema', () => {
    const Ajv = (createRequire(import.meta.url)('ajv') as typeof import('ajv')).default;
    const schema = JSON.parse(readFileSync(join(repo, 'schemas', 'compose-spec.json'), 'utf8')) as Record<string, unknown>;
    // The file names draft-07 by its https address, which ajv knows by the http one.
    assert.equal(schema.$schema, 'https://json-schema.org/draft-07/schema');
    const ajv = new Ajv({strict: false});
    assert.equal(ajv.validateSchema({...schema, $schema: 'http://json-schema.org/draft-07/schema#'}), true, JSON.stringify(ajv.errors));
  });
});

describe('generated validator', () => {
  it('is standalone code that reports the same verbose errors', () => {
    const module = {exports: {} as unknown};
    new Function('module', 'exports', 'require', generateValidatorSource())(module, module.exports, createRequire(import.meta.url));
    const validate = module.exports as ((data: unknown) => boolean) & {errors: {instancePath: string; keyword: string; parentSchema?: unknown}[]};
    assert.equal(validate(load('valid/051-lifecycle-hooks-pre-start.yaml')), true);
    assert.equal(validate(load('invalid/007-image-is-list.yaml')), false);
    assert.deepEqual(
      validate.errors.map((e) => [e.instancePath, e.keyword, typeof e.parentSchema]),
      [['/services/foo/image', 'type', 'object']],
    );
  });

  it('is not loaded, nor ajv, when the module is imported', () => {
    const script = `
      import {registerHooks} from 'node:module';
      let ajv = false;
      registerHooks({resolve(specifier, context, next) {
        const result = next(specifier, context);
        if (result.url.includes('/node_modules/ajv/')) ajv = true;
        return result;
      }});
      const {validateSchema} = await import(${JSON.stringify(join(repo, 'src/lib/compose/schema.ts'))});
      const before = ajv;
      validateSchema({services: {}});
      console.log(JSON.stringify([before, ajv]));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8'});
    assert.equal(out.trim(), '[false,true]');
  });
});
