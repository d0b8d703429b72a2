import assert from 'node:assert/strict';
import {test} from 'node:test';

import type {NodeInfo} from '../../../src/lib/engine/swarm-nodes.ts';
import {renderNodes} from '../../../src/lib/ui/nodes.ts';

const NODES: NodeInfo[] = [
  {id: 'iql92ydgqlg8', address: '10.0.0.11', role: 'manager', availability: 'active', state: 'ready', leader: true, labels: {}},
  {id: 'vk05n2gnzxg2', address: '10.0.0.12', role: 'worker', availability: 'drain', state: 'down', leader: false, labels: {rack: 'b', pool: 'bio'}},
];

test('piped: one token per cell, the leader named, labels sorted as key=value', () => {
  assert.equal(
    renderNodes(NODES, {tty: false, color: false}),
    [
      'ID             ADDRESS     ROLE     AVAILABILITY   STATE   LABELS',
      'iql92ydgqlg8   10.0.0.11   leader   active         ready   -',
      'vk05n2gnzxg2   10.0.0.12   worker   drain          down    pool=bio,rack=b',
      '',
    ].join('\n'),
  );
});

test('on a TTY, a node that takes no tasks or is not ready stands out; the cells are the same underneath', () => {
  const out = renderNodes(NODES, {tty: true, color: true});
  assert.match(out, /\u001B\[33mdrain\u001B\[39m/);
  assert.match(out, /\u001B\[31mdown\u001B\[39m/);
  assert.equal(out.replace(/\u001B\[[0-9;]*m/g, ''), renderNodes(NODES, {tty: false, color: false}));
});
