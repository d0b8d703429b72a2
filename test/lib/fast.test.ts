// The fast path's argument parsing (src/cli/fast.ts): what it takes as oclif would, and what it
// leaves to oclif. That both paths answer alike end to end is in test/commands/remote.test.ts.

import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test} from 'node:test';

import {flagValues, parseOptions} from '../../src/cli/fast.ts';

const flags = {
  debug: {name: 'debug', type: 'boolean' as const, env: 'SPIN_DEBUG'},
  stack: {name: 'stack', type: 'option' as const, char: 's'},
  file: {name: 'file', type: 'option' as const, char: 'f', multiple: true},
  json: {name: 'json', type: 'boolean' as const},
  since: {name: 'since', type: 'option' as const, default: '1h'},
};

test('flags parse as oclif takes them: long, short, attached, repeated, = form', () => {
  assert.deepEqual(flagValues(['--stack', 'web', '--json'], flags, {})?.values, {stack: 'web', json: true, since: '1h'});
  assert.deepEqual(flagValues(['-sweb', '-f', 'a.yaml', '--file=b.yaml'], flags, {})?.values, {stack: 'web', file: ['a.yaml', 'b.yaml'], since: '1h'});
  assert.deepEqual(flagValues(['--stack=x', '--since', '2m'], flags, {})?.values, {stack: 'x', since: '2m'});
});

test('a flag not given comes from its variable, else its default', () => {
  assert.equal(flagValues([], flags, {SPIN_DEBUG: 'true'})?.values.debug, true);
  assert.equal(flagValues([], flags, {SPIN_DEBUG: '0'})?.values.debug, false);
  assert.equal(flagValues(['--debug'], flags, {SPIN_DEBUG: '0'})?.values.debug, true);
});

test('anything else is left to oclif: unknown flags, arguments, --help, a missing value', () => {
  for (const argv of [['--bogus'], ['extra'], ['--help'], ['-h'], ['--stack']]) assert.equal(flagValues(argv, flags, {}), undefined, argv.join(' '));
});

test('arguments only where the command takes them', () => {
  assert.deepEqual(flagValues(['web', '-s', 'x', 'api'], flags, {}, true)?.args, ['web', 'api']);
  assert.equal(flagValues(['web'], flags, {}, false), undefined);
});

test('a command with a flag parseArgs cannot read (--no-x, choices) has no fast path', () => {
  assert.equal(parseOptions({...flags, color: {name: 'color', type: 'boolean', allowNo: true}}), undefined);
  assert.equal(parseOptions({...flags, format: {name: 'format', type: 'option', options: ['a', 'b']}}), undefined);
});

test("the fast commands' own flags, as the build's manifest has them (npm run build), all take the fast path", () => {
  const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {commands: Record<string, {flags: Record<string, never>}>};
  for (const id of ['ps', 'logs']) assert.ok(parseOptions(manifest.commands[id].flags), `a flag of spin ${id} would send every spin ${id} through oclif`);
});
