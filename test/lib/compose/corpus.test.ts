// Data-driven tests over compose-go's own test files (../shared/corpus): every valid sample
// loads, every invalid one is rejected with a message that says what compose-go's says.

import assert from 'node:assert/strict';
import {existsSync, readFileSync, statSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

import {formatDiagnostic} from '../../../src/lib/compose/diagnostics.ts';
import {loadProject, type LoadResult} from '../../../src/lib/compose/load.ts';
import {mergeAll} from '../../../src/lib/compose/merge.ts';
import {parseYaml} from '../../../src/lib/compose/parse.ts';
import {validateSchema} from '../../../src/lib/compose/schema.ts';

const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/corpus');

interface Sample {
  path: string;
  verdict: 'valid' | 'invalid';
  expectedError: string;
  stage: string;
  env: Record<string, string>;
  files: string[];
}

function samples(): Sample[] {
  const [header, ...rows] = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8').trimEnd().split('\n');
  const cols = header.split('\t');
  return rows.map((line) => {
    const cells = Object.fromEntries(line.split('\t').map((v, i) => [cols[i], v ?? '']));
    const main = join(CORPUS, cells.path);
    const dir = statSync(main).isDirectory() ? main : dirname(main);
    let files: string[];
    if (cells.compose_files) files = cells.compose_files.split(' ').map((f: string) => join(dir, f));
    else if (statSync(main).isDirectory()) files = [['compose.yaml', 'compose.yml', 'docker-compose.yml'].map((f) => join(dir, f)).find(existsSync)!];
    else files = [main];
    const envFile = join(dir, 'TEST_ENV.json');
    const env = cells.env_json ? JSON.parse(cells.env_json) : existsSync(envFile) && dir !== CORPUS ? JSON.parse(readFileSync(envFile, 'utf8')) : {};
    return {path: cells.path, verdict: cells.verdict as Sample['verdict'], expectedError: cells.expected_error, stage: cells.stage_or_scope, env, files};
  });
}

function load(s: Sample): Promise<LoadResult> {
  // compose-go's loader does not look for build contexts and Dockerfiles on disk: nor does this.
  return loadProject({files: s.files, workingDir: dirname(s.files[0]), env: s.env, consistency: !s.stage.includes('consistency skipped'), buildFiles: false});
}

const errorsOf = (r: LoadResult) => r.diagnostics.filter((d) => d.severity === 'error');

// What each invalid sample's message must say, in substance (compose-go's words in MANIFEST.tsv).
const SUBSTANCE: Record<string, RegExp[]> = {
  '001': [/top-level object must be a mapping/],
  '002': [/non-string key/, /123/],
  '003': [/non-string key/, /services/, /123/],
  '004': [/./],
  '005': [/services must be a mapping/],
  '006': [/services\.foo must be a mapping/],
  '007': [/services\.foo\.image must be a string/],
  '008': [/services\.dict-env\.environment\.FOO must be/, /boolean/, /null/, /number/, /string/],
  '009': [/tab character/],
  '010': [/additional property "impossible"/],
  '011': [/external_volume/, /external/, /driver/],
  '012': [/external_volume/, /name/, /external\.name/],
  '013': [/bind/, /source/i],
  '014': [/tmpfs\.size must be an? integer/],
  '015': [/some_string/, /all/],
  '016': [/missing property "capabilities"/],
  '017': [/empty compose file/],
  '018': [/services\.test\.build\.ssh must be a (mapping|sequence)/],
  '019': [/name must be a string/],
  '020': [/include cycle/],
  '021': [/dependency cycle/, /service1/, /service2/, /service3/],
  '022': [/develop\.watch\[0\]/, /missing property "action"/],
  '023': [/redis/, /network_mode/, /networks/],
  '024': [/DEBUG/, /trailing space/],
  '025': [/extends\.service is required/],
  '026': [/service "bar" depends on undefined service "zot"/],
  '027': [/cycle detected/, /x-healthcheck\.egress-service/],
  '028': [/excessive aliasing/],
  '029': [/map merge requires map/],
  '030': [/command/, /already defined|defined twice|unique/],
  '031': [/invalid interpolation format/],
  '032': [/required variable FOO is missing a value: foo_/],
  '033': [/required variable FOO is missing a value: baz/],
  '034': [/myservice/, /undefined volume/, /myVolume/],
  '035': [/myservice/, /neither an image nor a build/],
  '036': [/nonexistentservice/, /network_mode/],
  '037': [/secret "foo"/, /file/, /environment/],
  '038': [/\/conflict/, /tmpfs/, /volumes/],
  '039': [/develop\.watch/, /target/],
};

// Samples whose stored files cannot be what the source test loaded. Each is still checked: we
// assert the clear error our loader gives for the file as stored.
const CORPUS_DEFECTS: Record<string, {why: string; error: RegExp}> = {
  '033valid': {
    why: 'module/compose.yml holds the text of an env file ("VAR_NAME=value"), not the compose file with services b and c that the test describes',
    error: /module\/compose\.yml:1:1: error: top-level object must be a mapping/,
  },
};

describe('compose corpus', () => {
  for (const s of samples()) {
    const id = s.path.split('/')[1].slice(0, 3);
    test(`${s.verdict} ${s.path}`, async () => {
      if (s.stage.startsWith('schema-raw')) {
        // Validated without interpolation, as compose-go's test does.
        const parsed = parseYaml(readFileSync(s.files[0], 'utf8'), s.files[0]);
        assert.deepEqual(parsed.diagnostics, []);
        assert.deepEqual(validateSchema(mergeAll(parsed.documents).value), []);
        return;
      }
      const defect = CORPUS_DEFECTS[id + s.verdict];
      if (defect) {
        const r = await load(s);
        assert.match(errorsOf(r).map(formatDiagnostic).join('\n'), defect.error, defect.why);
        return;
      }
      if (s.verdict === 'valid') {
        const r = await load(s);
        assert.deepEqual(errorsOf(r).map(formatDiagnostic), [], 'no errors');
        assert.ok(r.project, 'a project');
        if (s.stage.startsWith('merge-only')) {
          const expected = JSON.parse(readFileSync(join(dirname(s.files[0]), 'expected-model.json'), 'utf8'));
          assert.equal(r.project.services.test.image, expected.services.test.image);
          assert.deepEqual(r.project.services.test.command, ['echo', 'world']);
          assert.equal(r.project.services.test.init, false);
          assert.deepEqual(r.project['x-extension'], expected['x-extension']);
        }
        return;
      }
      let messages: string;
      try {
        const r = await load(s);
        messages = errorsOf(r).map(formatDiagnostic).join('\n');
      } catch (err) {
        messages = (err as Error).message;
      }
      assert.notEqual(messages, '', 'rejected');
      for (const re of SUBSTANCE[id] ?? []) assert.match(messages, re);
    });
  }
});

// What some valid samples must load to, beyond "no error" (MANIFEST.tsv notes).
describe('compose corpus: loaded values', () => {
  const byId = new Map(samples().map((s) => [s.path.split('/')[1].slice(0, 3) + s.verdict, s]));
  const valid = async (id: string) => {
    const r = await load(byId.get(`${id}valid`)!);
    assert.deepEqual(errorsOf(r).map(formatDiagnostic), []);
    return r.project!;
  };

  test('003 extends with !reset drops inherited volumes', async () => {
    assert.deepEqual((await valid('003')).services.foo.volumes, []);
  });
  test('004 environment: null takes the process value, numbers become strings', async () => {
    const env = (await valid('004')).services;
    const all = Object.values(env).map((s) => s.environment);
    assert.ok(all.some((e) => e.MEU === 'Shadoks'));
    assert.ok(all.some((e) => e.BAR === '2' && e.GA === '2.5'));
  });
  test('014 last name wins and interpolates everywhere', async () => {
    const p = await valid('014');
    assert.equal(p.name, 'overrided');
  });
  test('019 a later YAML document merges over the earlier', async () => {
    assert.equal((await valid('019')).services.test.image, 'nginx:override');
  });
  test('025 depends_on: !override replaces the inherited map', async () => {
    assert.deepEqual(Object.keys((await valid('025')).services.service_b.depends_on), ['service_a']);
  });
  test('036 !reset removes a network; 037 !override replaces it', async () => {
    assert.equal((await valid('036')).networks.test, undefined);
    assert.equal((await valid('037')).networks.test?.external ?? false, false);
  });
  test('040 !reset inside a shared anchor clears ports of both services', async () => {
    const p = await valid('040');
    for (const s of Object.values(p.services)) assert.deepEqual(s.ports, []);
  });
  test('041 build: !reset and FOO: !reset', async () => {
    const p = await valid('041');
    const s = Object.values(p.services)[0];
    assert.equal(s.build, undefined);
    assert.equal(s.environment.FOO, undefined);
  });
  test('045 mode 0440 is octal', async () => {
    assert.equal((await valid('045')).services.foo.secrets[1].mode, 0o440);
  });
  test('052 profiles: only bar without --profile', async () => {
    assert.deepEqual(Object.keys((await valid('052')).services), ['bar']);
  });
  test('057 name is interpolated', async () => {
    assert.equal((await valid('057')).name, 'test-expected-test');
  });
});
