import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {LIMITS, parseYaml} from '../../../src/lib/compose/parse.ts';
import {Override, Reset} from '../../../src/lib/compose/tags.ts';

describe('parseYaml', () => {
  test('records the position of every key and item', () => {
    const r = parseYaml('services:\n  web:\n    cap_add:\n      - CHOWN\n      - SYS_ADMIN\n', 'c.yaml');
    assert.deepEqual(r.diagnostics, []);
    const locs = r.documents[0].locations;
    assert.deepEqual(locs.get(['services', 'web']), {file: 'c.yaml', line: 2, column: 3});
    assert.deepEqual(locs.get(['services', 'web', 'cap_add', 1]), {file: 'c.yaml', line: 5, column: 9});
  });

  test('turns !reset and !override into markers', () => {
    const r = parseYaml('a: !reset []\nb: !override {x: 1}\nc: !reset\n', 'c.yaml');
    const v = r.documents[0].value;
    assert.ok(v.a instanceof Reset);
    assert.ok(v.c instanceof Reset);
    assert.ok(v.b instanceof Override);
    assert.deepEqual((v.b as Override).value, {x: 1});
  });

  test('reads leading-zero ints as octal like go-yaml, and keeps YAML 1.2 scalars', () => {
    const v = parseYaml('mode: 0440\nplain: 0440x\nport: 8080:80\nyes: yes\n', 'c.yaml').documents[0].value;
    assert.deepEqual(v, {mode: 0o440, plain: '0440x', port: '8080:80', yes: 'yes'});
  });

  test('merge keys: explicit keys win, then earlier sources', () => {
    const v = parseYaml('a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n  x: 3\n', 'c.yaml').documents[0].value;
    assert.deepEqual(v.c, {x: 3, y: 1, z: 2});
  });

  test('several documents come back in order', () => {
    const r = parseYaml('a: 1\n---\na: 2\n', 'c.yaml');
    assert.deepEqual(r.documents.map((d) => d.value), [{a: 1}, {a: 2}]);
  });

  test('refuses very deep nesting without crashing', () => {
    const depth = LIMITS.depth + 10;
    const text = 'x: ' + '['.repeat(depth) + ']'.repeat(depth) + '\n';
    const r = parseYaml(text, 'c.yaml');
    assert.equal(r.diagnostics[0]?.severity, 'error');
    assert.match(r.diagnostics[0].message, /nests deeper|too deeply/);
  });

  test('refuses oversized files', () => {
    const r = parseYaml('x: "' + 'a'.repeat(LIMITS.fileSize) + '"\n', 'big.yaml');
    assert.match(r.diagnostics[0].message, /larger than/);
  });

  test('an alias bomb is stopped quickly', () => {
    let text = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++) text += `a${i}: &a${i} [${Array(10).fill(i === 1 ? '*a' : `*a${i - 1}`).join(', ')}]\n`;
    const started = Date.now();
    const r = parseYaml(text, 'c.yaml');
    assert.match(r.diagnostics[0].message, /excessive aliasing/);
    assert.ok(Date.now() - started < 5000);
  });

  test('syntax errors carry line and column and a hint', () => {
    const r = parseYaml('services:\n\tweb: {}\n', 'c.yaml');
    assert.equal(r.diagnostics[0].location?.line, 2);
    assert.match(r.diagnostics[0].message, /tab/);
    assert.ok(r.diagnostics[0].hint);
  });

  test('where js-yaml is laxer than strict YAML, the strict error is reported', () => {
    const r = parseYaml('a: "b"#c\n', 'c.yaml');
    assert.deepEqual(r, {documents: [], diagnostics: [{severity: 'error', source: 'yaml', message: 'Comments must be separated from other tokens by white space characters', location: {file: 'c.yaml', line: 1, column: 7}, hint: 'check for an unclosed quote or bracket'}]});
  });

  test('refuses an empty nested item followed by an outer item, which js-yaml misreads', () => {
    const r = parseYaml('a:\n  -\n    - x\n    -\n  - y\n', 'c.yaml');
    assert.deepEqual(r.documents, []);
    assert.deepEqual(r.diagnostics.map((d) => [d.message, d.location?.line, d.location?.column, d.hint]), [
      ['an empty item ends the nested sequence before this line, a layout Spin cannot read', 5, 3, 'write `null` for the empty item, or remove its `-`'],
    ]);
    assert.deepEqual(parseYaml('a:\n  -\n    - x\n    - null\n  - y\n', 'c.yaml').documents[0].value, {a: [['x', null], 'y']});
  });

  test('unknown tags warn and keep the value; core tags resolve', () => {
    const r = parseYaml('a: !foo 12\nb: !!int "12"\nc: !reset x\n', 'c.yaml');
    assert.deepEqual(r.diagnostics, [{severity: 'warning', source: 'yaml', message: 'Unresolved tag: !foo', location: {file: 'c.yaml', line: 1, column: 4}}]);
    assert.equal(r.documents[0].value.a, '12');
    assert.equal(r.documents[0].value.b, 12);
  });

  test('duplicate keys name the key', () => {
    const r = parseYaml('a: 1\na: 2\n', 'c.yaml');
    assert.match(r.diagnostics[0].message, /"a"/);
  });
});
