// Every `--help` example that pipes into jq must paste into a shell as printed: oclif wraps long
// examples with ` \` line continuations, which break a jq program when they fall inside its quotes,
// and a jq program in double quotes loses its `$variables` to the shell.

import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';

import {helpExamples, ROOT, runSpin} from '../helpers/cli.ts';

const hasJq = spawnSync('jq', ['--version']).status === 0;

interface ManifestCommand {
  examples?: (string | {command: string})[];
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>};
const withJq = Object.entries(manifest.commands)
  .filter(([, c]) => (c.examples ?? []).some((e) => (typeof e === 'string' ? e : e.command).includes('| jq ')))
  .map(([id]) => id)
  .sort();

describe('--help examples that use jq', {skip: hasJq ? false : 'jq is not installed'}, () => {
  test('there are some to check', () => {
    assert.ok(withJq.includes('ps'), withJq.join(', '));
  });

  for (const id of withJq) {
    test(`spin ${id.replaceAll(':', ' ')}: the jq programs compile as printed`, async () => {
      const help = await runSpin([...id.split(':'), '--help']);
      assert.equal(help.code, 0, help.stderr);
      const examples = helpExamples(help.stdout).filter((e) => e.command.includes('| jq '));
      assert.ok(examples.length > 0, help.stdout);
      for (const e of examples) {
        // jq compiles its program before reading input: empty input checks the program alone.
        const jq = e.command.slice(e.command.indexOf('| jq ') + 2).replace(/\s*>\s*\S+$/, '');
        const r = spawnSync('bash', ['-c', jq], {input: '', encoding: 'utf8'});
        assert.deepEqual([r.status, r.stderr], [0, ''], `${e.description}: ${e.command}`);
      }
    });
  }
});
