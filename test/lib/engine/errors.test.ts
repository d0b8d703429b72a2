import assert from 'node:assert/strict';
import {test} from 'node:test';

import {hostPortInUse, hostPortMessage} from '../../../src/lib/engine/errors.ts';

test('a host port clash is found in the words of each engine version', () => {
  const messages: [string, {address: string; port: string}][] = [
    ['driver failed programming external connectivity on endpoint p.s.web.1 (5b91f0): Bind for 0.0.0.0:8080 failed: port is already allocated', {address: '0.0.0.0', port: '8080'}],
    ['driver failed programming external connectivity on endpoint p.s.web.1 (5b91f0): Error starting userland proxy: listen tcp4 127.0.0.1:8080: bind: address already in use', {address: '127.0.0.1', port: '8080'}],
    ['driver failed programming external connectivity on endpoint p.s.web.1 (5b91f0): Error starting userland proxy: listen tcp6 [::]:8443: bind: address already in use', {address: '[::]', port: '8443'}],
    ['failed to set up container networking: driver failed programming external connectivity on endpoint p.s.web.1 (ab): failed to bind host port for 0.0.0.0:60000:172.17.0.2:80/tcp: address already in use', {address: '0.0.0.0', port: '60000'}],
    ['failed to bind host port 0.0.0.0:8080/tcp: address already in use', {address: '0.0.0.0', port: '8080'}],
  ];
  for (const [message, clash] of messages) assert.deepEqual(hostPortInUse(message), clash, message);
  assert.equal(hostPortInUse('OCI runtime create failed: exec: "nope": executable file not found in $PATH'), undefined);
});

test('said as the host port, with what to do', () => {
  assert.deepEqual(hostPortMessage({address: '0.0.0.0', port: '8080'}), {
    message: 'host port 8080 is already in use on the host',
    hint: 'publish another port the platform allows (`ports:`), or stop what uses port 8080 on the host (another stack: `spin stacks`, `spin ps`)',
  });
  assert.equal(hostPortMessage({address: '127.0.0.1', port: '8080'}).message, 'host port 8080 is already in use on the host (127.0.0.1:8080)');
});
