import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {mergeAll} from '../../../src/lib/compose/merge.ts';
import {parseYaml} from '../../../src/lib/compose/parse.ts';

function merged(...texts: string[]) {
  return mergeAll(texts.map((t, i) => parseYaml(t, `f${i}.yaml`).documents[0]));
}

describe('mergeAll', () => {
  test('scalars are replaced, mappings merged, command replaced whole', () => {
    const {value} = merged('services:\n  a:\n    image: x\n    command: [a, b]\n    init: true\n', 'services:\n  a:\n    image: y\n    command: [c]\n');
    assert.deepEqual(value, {services: {a: {image: 'y', command: ['c'], init: true}}});
  });

  test('environment merges by key whatever the form', () => {
    const {value} = merged('services:\n  a:\n    environment: [A=1, B=2]\n', 'services:\n  a:\n    environment:\n      B: 3\n      C: 4\n');
    assert.deepEqual((value.services as any).a.environment, {A: '1', B: 3, C: 4});
  });

  test('ports append and dedupe; volumes replace by target', () => {
    const {value} = merged(
      'services:\n  a:\n    ports: ["8080:80"]\n    volumes: ["./x:/data", "./y:/other"]\n',
      'services:\n  a:\n    ports: ["8080:80", "8443:443"]\n    volumes: ["./z:/data"]\n',
    );
    assert.deepEqual((value.services as any).a.ports, ['8080:80', '8443:443']);
    assert.deepEqual((value.services as any).a.volumes, ['./z:/data', './y:/other']);
  });

  test('!reset removes and !override replaces', () => {
    const {value} = merged('services:\n  a:\n    ports: ["1:1"]\n    depends_on: [b, c]\n', 'services:\n  a:\n    ports: !reset []\n    depends_on: !override [c]\n');
    assert.deepEqual((value.services as any).a, {depends_on: ['c']});
  });

  test('locations follow the winning value', () => {
    const {locations} = merged('services:\n  a:\n    image: x\n    ports: ["1:1"]\n', '\n\nservices:\n  a:\n    image: y\n    ports: ["2:2"]\n');
    assert.deepEqual(locations.get(['services', 'a', 'image']), {file: 'f1.yaml', line: 5, column: 5});
    assert.deepEqual(locations.get(['services', 'a', 'ports', 0]), {file: 'f0.yaml', line: 4, column: 13});
    assert.deepEqual(locations.get(['services', 'a', 'ports', 1]), {file: 'f1.yaml', line: 6, column: 13});
  });
});
