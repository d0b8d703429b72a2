// File-level policy tests: every rule has a compose file that breaks it (bad.yaml) and a compliant
// one (good.yaml) in test/fixtures/policy/<rule-id>/. They go through the real loader, so these
// tests also check that each diagnostic lands on the line the user wrote. A bad file marks each
// offending line with a trailing `# expect: <rule-id>` comment.

import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {dirname, resolve} from 'node:path';
import {before, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';

import {loadProject} from '../../../src/lib/compose/load.ts';
import type {Diagnostic} from '../../../src/lib/compose/types.ts';
import {checkPolicy} from '../../../src/lib/policy/check.ts';
import {loadPolicy} from '../../../src/lib/policy/load.ts';
import {RULE_IDS, type Policy, type PolicyContext} from '../../../src/lib/policy/types.ts';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures/policy');
const CONTEXT: PolicyContext = {project: 'demo', uid: 1000, gid: 1000, stack: 'demo'};

let policy: Policy;
before(async () => {
  policy = await loadPolicy();
});

async function check(file: string): Promise<Diagnostic[]> {
  const result = await loadProject({files: [file], workingDir: dirname(file), env: {}});
  const loadErrors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(loadErrors, [], `the loader rejected ${file}`);
  assert.ok(result.project, `the loader returned no project for ${file}`);
  return checkPolicy(result.project, policy, CONTEXT, result.locations);
}

/** 1-based line numbers carrying `# expect: <rule>`. */
async function expectedLines(file: string, rule: string): Promise<number[]> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const marker = new RegExp(`#\\s*expect:\\s*${rule.replace(/[-]/g, '\\-')}\\s*$`);
  return lines.flatMap((line, i) => (marker.test(line) ? [i + 1] : []));
}

const show = (ds: Diagnostic[]) => ds.map((d) => `${d.location?.line ?? '?'}: [${d.rule}] ${d.path}: ${d.message}`).join('\n');

for (const rule of RULE_IDS) {
  describe(`policy fixture ${rule}`, () => {
    test('bad.yaml is refused by this rule alone, at each marked line', async () => {
      const file = resolve(fixtures, rule, 'bad.yaml');
      const want = await expectedLines(file, rule);
      assert.ok(want.length > 0, `${file} has no "# expect: ${rule}" marker`);
      const ds = await check(file);
      assert.deepEqual(
        ds.filter((d) => d.rule !== rule),
        [],
        `other rules fired:\n${show(ds)}`,
      );
      for (const d of ds) {
        assert.equal(d.source, 'policy');
        assert.equal(d.severity, 'error');
        assert.equal(d.location?.file, file, `diagnostic without its file:\n${show([d])}`);
        assert.ok(d.hint, `diagnostic without a hint:\n${show([d])}`);
      }
      const got = [...new Set(ds.map((d) => d.location?.line))].sort((a, b) => (a ?? 0) - (b ?? 0));
      assert.deepEqual(got, want, `diagnostics:\n${show(ds)}`);
    });

    test('good.yaml has no diagnostics', async () => {
      const ds = await check(resolve(fixtures, rule, 'good.yaml'));
      assert.deepEqual(ds, [], show(ds));
    });
  });
}
