// Differential test: the js-yaml based parser against the `yaml` package based one it replaced
// (test/helpers/reference-yaml.ts). Same values (key order and markers included), the same
// location for every recorded path, the same diagnostics, on every YAML file of the corpus,
// on the benchmark's 500-service file and on small YAML edge cases.

import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {inspect} from 'node:util';

import {generateCompose} from '../../../bench/lib/compose-gen.ts';
import type {Locations} from '../../../src/lib/compose/locations.ts';
import {type ParseResult, parseYaml} from '../../../src/lib/compose/parse.ts';
import {referenceParseYaml} from '../../helpers/reference-yaml.ts';

const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/corpus');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(e.name) ? [path] : [];
  });
}

function recorded(locations: Locations): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, loc] of locations.subtree([])) out[JSON.stringify(path)] = loc;
  return out;
}

/** Everything a later phase can observe, keys in order. */
function observable(r: ParseResult) {
  return {
    values: r.documents.map((d) => inspect(d.value, {depth: Infinity, sorted: false})),
    locations: r.documents.map((d) => recorded(d.locations)),
    diagnostics: r.diagnostics,
  };
}

function same(text: string, file: string): void {
  assert.deepEqual(observable(parseYaml(text, file)), observable(referenceParseYaml(text, file)));
}

const EDGE_CASES: Record<string, string> = {
  'null items and values': 'a:\n  - x\n  -\n  - &q y\n  - *q\n  - # c\n    w\n  -\nb:\nc: 1\n',
  'props on block collections': 'k: &a !!seq\n  - 1\nj: &b\n  x: 1\nl: *b\n',
  'explicit keys': '? a\n? b\n: c\n?\n: d\n',
  'flow collections': 'x: [a, b: c, : d, {e: f}, [g]]\ny: {a, b: , : c, "d": [1, 2]}\nz: []\nw: {}\n',
  'compact nesting': 'a:\n- - a\n  - b\n- a: 1\n  b: 2\n-\n- [x]\n- {y: 1}\n- "q"\n',
  'core schema scalars': 'a: [~, null, Null, NULL, "", true, True, FALSE, yes, no, on, 0o17, 0x1F, 0X1F, -12, +12, 1_000, 1.5, .5, 1., 1e3, -1.5E-3, .inf, -.Inf, .NaN, 0440, "0440", 00, 0, 0999, 8080:80, 1:2:3]\n',
  'explicit tags': 'a: !!str 12\nb: !!int "12"\nc: !!int foo\nd: !!float 1\ne: !!null ""\nf: !!bool true\ng: ! 0440\nh: !!str 0440\ni: !!map {x: 1}\nj: !!seq [1]\nk: !!str [1]\n',
  'unknown and compose tags': 'a: !reset\nb: !override\nc: !foo bar\nd: !reset [1]\ne: !override {x: [1]}\nf: !foo\n  - 1\ng: !override 0440\nh: !override\n  x: 1\n',
  'block scalars': 'a: |\n  one\n  two\nb: >-\n  folded\n  text\n\nc: |+\n  keep\n\nd: x\n',
  'multi-line scalars': 'a: plain\n  continued\nb: "double\n  quoted \\t \\u00e9"\nc: \'single \'\'q\'\'\n  next\'\n',
  'merge keys': 'x: &x {a: 1, b: 1}\ny: &y {b: 2, c: 2}\nz:\n  c: 0\n  <<: [*x, *y]\n  a: 3\nw:\n  <<: *x\n',
  'nested aliases': 'a: &a {k: [1, 2, {m: n}]}\nb: [*a, *a]\nc: &c\n  - *a\nd: *c\n',
  'anchor redefined': 'a: &x 1\nb: &x [*x]\nc: *x\n',
  'anchor cycle': 'a: &a\n  b: *a\n',
  'merge of a scalar': 'a: &s foo\nb:\n  <<: *s\n',
  'non-string keys': 'services:\n  123: x\n',
  'null key': '~: x\n',
  'bool key': 'true: x\n',
  'proto key': 'a:\n  __proto__: x\n',
  'duplicate keys': 'a: 1\nb:\n  c: 1\n  c: 2\na: 2\n',
  'duplicate merge keys': 'a: &a {x: 1}\nb:\n  <<: *a\n  <<: *a\n',
  'tab indentation': 'services:\n\tweb: {}\n',
  'unclosed quote': 'a: "b\n',
  'unclosed flow': 'a: [b, c\n',
  'bad indentation': 'a:\n  b: 1\n c: 2\n',
  'several documents': 'a: 1\n---\nb: 2\n...\n---\nc: 3\n',
  'trailing document marker': 'a: 1\n---\n',
  'empty document with tag': '--- !reset\n',
  'comments only': '# nothing\n',
  'empty': '',
  'top-level scalar': 'just text\n',
  'top-level sequence': '- a\n- b\n',
  'indented document': '  a: 1\n  b:\n    - c\n',
  'byte order mark': '\ufeffa: 1\nb: [x]\n',
  'crlf': 'a: 1\r\nb:\r\n  - x\r\n  -\r\n',
  'comments everywhere': '# head\na: # c\n  # c\n  - x # c\n  # c\n  - y\nb: {x: 1, # c\n  y: 2}\n',
  'quoted keys': '"a b": 1\n\'c\': 2\n"": 3\n',
  'deep nesting': 'x: ' + '['.repeat(140) + ']'.repeat(140) + '\n',
  'alias bomb': 'a: &a [x, x, x, x, x, x, x, x, x, x]\n' + Array.from({length: 8}, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(i === 0 ? '*a' : `*a${i}`).join(', ')}]\n`).join(''),
};

describe('parseYaml matches the reference parser', () => {
  for (const file of yamlFiles(CORPUS)) {
    test(`corpus ${relative(CORPUS, file)}`, () => same(readFileSync(file, 'utf8'), file));
  }

  test('the 500-service benchmark file', () => same(generateCompose(500), 'big.yaml'));

  for (const [name, text] of Object.entries(EDGE_CASES)) {
    test(name, () => same(text, 'c.yaml'));
  }

  test('an unknown alias: js-yaml stops at it, so the diagnostic has no model path', () => {
    const text = 'a:\n  b: *nope\n';
    const {path, ...reference} = referenceParseYaml(text, 'c.yaml').diagnostics[0];
    assert.equal(path, 'a.b');
    assert.deepEqual(parseYaml(text, 'c.yaml'), {documents: [], diagnostics: [reference]});
    assert.deepEqual(reference, {severity: 'error', source: 'yaml', message: 'unknown alias *nope', location: {file: 'c.yaml', line: 2, column: 6}, hint: 'define the anchor &nope before using it'});
  });
});
