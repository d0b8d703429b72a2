// `spin config` output must load back to the same project: the CLI submits exactly this to the
// agent, which loads and checks it again.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

import {loadProject} from '../../../src/lib/compose/load.ts';
import {renderModel} from '../../../src/lib/compose/render.ts';

const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/corpus');

function validSamples() {
  return readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8').trimEnd().split('\n').slice(1)
    .map((l) => l.split('\t'))
    .filter((c) => c[1] === 'valid' && !c[7].startsWith('schema-raw') && !c[0].startsWith('valid/033'))
    .map((c) => {
      const main = join(CORPUS, c[0]);
      return {path: c[0], files: c[9] ? c[9].split(' ').map((f) => join(dirname(main), f)) : [main], env: c[8] ? JSON.parse(c[8]) : {}};
    });
}

describe('renderModel round trip', () => {
  for (const s of validSamples()) {
    test(s.path, async (t) => {
      const first = await loadProject({files: s.files, env: s.env, consistency: false});
      assert.ok(first.project, 'loads');
      const dir = t.fullName.replace(/\W+/g, '-');
      for (const format of ['yaml', 'json'] as const) {
        const text = renderModel(first.project, format);
        const again = await loadProject({
          files: [`/virtual/${dir}/compose.${format}`],
          env: {},
          consistency: false,
          readText: async (p) => (p.endsWith(`compose.${format}`) ? text : undefined),
        });
        assert.deepEqual(again.diagnostics.filter((d) => d.severity === 'error'), [], format);
        assert.deepEqual(again.project, first.project, format);
      }
    });
  }
});

test('a literal dollar survives the round trip', async () => {
  const text = 'name: d\nservices:\n  a:\n    image: busybox\n    command: echo $$HOME $${X}\n';
  const read = (body: string) => async (p: string) => (p === '/v/compose.yaml' ? body : undefined);
  const first = await loadProject({files: ['/v/compose.yaml'], env: {HOME: '/root'}, readText: read(text)});
  assert.deepEqual(first.project?.services.a.command, ['echo', '$HOME', '${X}']);
  const again = await loadProject({files: ['/v/compose.yaml'], env: {HOME: '/root'}, readText: read(renderModel(first.project!, 'yaml'))});
  assert.deepEqual(again.project, first.project);
});

test('durations are written as compose text, sizes as bytes, and load back to the same numbers', async () => {
  const text = [
    'name: d',
    'services:',
    '  a:',
    '    image: busybox',
    '    stop_grace_period: 90s',
    '    shm_size: 64m',
    '    healthcheck: {test: ["CMD", "true"], interval: 1m, timeout: 1500ms, start_period: "0"}',
    '    deploy:',
    '      update_config: {delay: 2s, monitor: 1h30m}',
    '      resources: {limits: {memory: 1g}}',
    '',
  ].join('\n');
  const read = (body: string) => async (p: string) => (p === '/v/compose.yaml' ? body : undefined);
  const first = await loadProject({files: ['/v/compose.yaml'], env: {}, readText: read(text)});
  assert.equal(first.project?.services.a.stop_grace_period, 90e9);
  const yaml = renderModel(first.project!, 'yaml');
  assert.match(yaml, /stop_grace_period: 1m30s\n/);
  assert.match(yaml, /interval: 1m\n/);
  assert.match(yaml, /timeout: 1.5s\n/);
  assert.match(yaml, /start_period: 0s\n/);
  assert.match(yaml, /monitor: 1h30m\n/);
  assert.match(yaml, /shm_size: 67108864\n/);
  assert.match(yaml, /memory: '1073741824'\n/);
  const again = await loadProject({files: ['/v/compose.yaml'], env: {}, readText: read(yaml)});
  assert.deepEqual(again.diagnostics, []);
  assert.deepEqual(again.project, first.project);
});
