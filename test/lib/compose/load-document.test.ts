// loadDocument, the agent's entry to the loader: guards that hold before any phase runs, and the
// resolved document the CLI sends.

import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {loadDocument, loadProject, nestingDepth} from '../../../src/lib/compose/load.ts';
import {LIMITS} from '../../../src/lib/compose/parse.ts';
import {toComposeDocument, toResolvedDocument} from '../../../src/lib/compose/render.ts';

/** `{"a": {"a": ... 1}}`, `depth` mappings deep, built without recursion. */
function nested(depth: number, wrap: (inner: unknown) => unknown = (inner) => ({a: inner})): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

describe('nestingDepth', () => {
  for (const [value, depth] of [
    [1, 0],
    [null, 0],
    [{}, 1],
    [[], 1],
    [{a: [1, {b: 2}], c: 'x'}, 3],
    [{a: {}, b: {c: {d: {}}}}, 4],
  ] as const) {
    test(`${JSON.stringify(value)} is ${depth} deep`, () => {
      assert.equal(nestingDepth(value), depth);
    });
  }

  test('a million levels are measured without overflowing the stack', () => {
    assert.equal(nestingDepth(nested(1_000_000, (inner) => [inner])), 1_000_000);
  });
});

describe('loadDocument depth limit', () => {
  test('a document 10,000 levels deep is a diagnostic, not a stack overflow', async () => {
    const doc = {services: {web: {image: 'busybox', labels: nested(10_000 - 3)}}};
    const {project, diagnostics} = await loadDocument(doc, 'web');
    assert.equal(project, undefined);
    assert.deepEqual(diagnostics, [
      {
        severity: 'error',
        source: 'schema',
        message: `the compose model nests 10000 levels deep, more than the ${LIMITS.depth} allowed`,
        hint: 'flatten the structure; compose files never need this depth',
      },
    ]);
  });

  test('arrays count like mappings', async () => {
    const doc = {services: {web: {image: 'busybox', command: nested(LIMITS.depth, (inner) => [inner])}}};
    const {diagnostics} = await loadDocument(doc, 'web');
    assert.match(diagnostics[0]?.message ?? '', new RegExp(`nests ${LIMITS.depth + 3} levels deep`));
  });

  test('a document at the limit goes on to the other phases', async () => {
    const doc = {services: {web: {image: 'busybox', 'x-deep': nested(LIMITS.depth - 3)}}};
    assert.equal(nestingDepth(doc), LIMITS.depth);
    const {project, diagnostics} = await loadDocument(doc, 'web');
    assert.deepEqual(diagnostics, []);
    assert.ok(project?.services.web);
  });
});

describe('loadDocument of a resolved document (modelFormat compose-resolved/1)', () => {
  const read = (body: string) => async (p: string) => (p === '/v/compose.yaml' ? body : undefined);

  test('a $ in a value is a $, and the project is the one the client loaded', async () => {
    const text = 'name: d\nservices:\n  a:\n    image: busybox\n    command: echo $$HOME $${X} $$$$\n    environment:\n      PRICE: "$$5"\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 90s\n';
    const first = await loadProject({files: ['/v/compose.yaml'], env: {HOME: '/root'}, readText: read(text)});
    assert.deepEqual(first.project?.services.a.command, ['echo', '$HOME', '${X}', '$$']);
    assert.equal(first.project?.services.a.environment.PRICE, '$5');
    const wire = JSON.parse(JSON.stringify(toResolvedDocument(first.project!)));
    assert.deepEqual(wire.services.a.command, ['echo', '$HOME', '${X}', '$$']);
    const loaded = await loadDocument(wire, 'd', {resolved: true});
    assert.deepEqual(loaded.diagnostics, []);
    assert.deepEqual(loaded.project, first.project);
  });

  test('the shape older CLIs send ($$ escaped, no modelFormat) still loads to the same project', async () => {
    const first = await loadProject({files: ['/v/compose.yaml'], env: {}, readText: read('name: d\nservices:\n  a:\n    image: busybox\n    command: echo $$HOME\n')});
    const loaded = await loadDocument(JSON.parse(JSON.stringify(toComposeDocument(first.project!))), 'd');
    assert.deepEqual(loaded.diagnostics, []);
    assert.deepEqual(loaded.project, first.project);
  });

  test('include, extends and env or label files are refused: a resolved document has none', async () => {
    const doc = {
      include: ['other.yaml'],
      services: {
        a: {image: 'busybox', extends: {service: 'b'}, env_file: ['.env'], label_file: 'labels'},
        b: {image: 'busybox'},
      },
    };
    const {project, diagnostics} = await loadDocument(doc, 'd', {resolved: true});
    assert.equal(project, undefined);
    assert.deepEqual(
      diagnostics.map((d) => [d.severity, d.path, d.message]),
      [
        ['error', 'include', 'include: a resolved compose document has no include'],
        ['error', 'services.a.extends', 'services.a.extends: a resolved compose document has no extends'],
        ['error', 'services.a.env_file', 'services.a.env_file: a resolved compose document has no env_file'],
        ['error', 'services.a.label_file', 'services.a.label_file: a resolved compose document has no label_file'],
      ],
    );
    assert.match(diagnostics[0].hint ?? '', /spin config --format json/);
  });

  test('the checks after loading run in full', async () => {
    const {diagnostics} = await loadDocument({services: {a: {image: 'busybox', deploy: {update_config: {failure_action: 'explode'}}}}}, 'd', {resolved: true});
    assert.deepEqual(diagnostics.map((d) => d.path), ['services.a.deploy.update_config.failure_action']);
  });
});
