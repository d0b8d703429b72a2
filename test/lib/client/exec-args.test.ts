import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import {splitExecArgv} from '../../../src/lib/client/exec-args.ts';

// spin exec's own options, as its flag definitions declare them.
const FLAGS = {
  long: new Map([['index', true], ['interactive', false], ['tty', false], ['user', true], ['workdir', true], ['project', true], ['stack', true], ['file', true], ['debug', false]]),
  short: new Map([['i', false], ['t', false], ['u', true], ['w', true], ['p', true], ['s', true], ['f', true]]),
};
const split = (line: string) => splitExecArgv(line.split(' '), FLAGS);

describe('spin exec command line, as docker compose exec reads it', () => {
  test('everything after SERVICE is the command, even a word equal to the service name', () => {
    assert.deepEqual(split('db -- echo hello db world'), {options: [], service: 'db', command: ['echo', 'hello', 'db', 'world']});
    assert.deepEqual(split('db echo hello db world'), {options: [], service: 'db', command: ['echo', 'hello', 'db', 'world']});
  });

  test("the command's own flags stay the command's", () => {
    assert.deepEqual(split('db ls -l'), {options: [], service: 'db', command: ['ls', '-l']});
    assert.deepEqual(split('web sh -c echo -- -i'), {options: [], service: 'web', command: ['sh', '-c', 'echo', '--', '-i']});
    assert.deepEqual(split('web -it sh'), {options: [], service: 'web', command: ['-it', 'sh']}, 'without --, like compose: the words after SERVICE are the command');
  });

  test("spin's options before SERVICE, with their values", () => {
    assert.deepEqual(split('-it web sh'), {options: ['-it'], service: 'web', command: ['sh']});
    assert.deepEqual(split('--index 2 -u root web id'), {options: ['--index', '2', '-u', 'root'], service: 'web', command: ['id']});
    assert.deepEqual(split('--index=2 -uroot web id -u'), {options: ['--index=2', '-uroot'], service: 'web', command: ['id', '-u']});
    assert.deepEqual(split('-- web ls'), {options: [], service: 'web', command: ['ls']});
  });

  test("spin's options between SERVICE and -- (the documented form) are spin's", () => {
    assert.deepEqual(split('web -it -- sh'), {options: ['-it'], service: 'web', command: ['sh']});
    assert.deepEqual(split('web --index 2 -- ls /data'), {options: ['--index', '2'], service: 'web', command: ['ls', '/data']});
    assert.deepEqual(split('db -i -- sh -c cat'), {options: ['-i'], service: 'db', command: ['sh', '-c', 'cat']});
  });

  test('no service, no command; an unknown option is left for the parser to refuse', () => {
    assert.deepEqual(split('-i'), {options: ['-i'], command: []});
    assert.deepEqual(split('web'), {options: [], service: 'web', command: []});
    assert.deepEqual(split('--bogus web ls'), {options: ['--bogus'], service: 'web', command: ['ls']});
  });
});
