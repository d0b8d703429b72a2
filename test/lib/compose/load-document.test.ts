// loadDocument, the agent's entry to the loader: guards that hold before any phase runs.

import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {loadDocument, nestingDepth} from '../../../src/lib/compose/load.ts';
import {LIMITS} from '../../../src/lib/compose/parse.ts';

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
