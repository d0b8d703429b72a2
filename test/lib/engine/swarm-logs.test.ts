import assert from 'node:assert/strict';
import {test} from 'node:test';

import type {EngineTask} from '../../../src/lib/engine/swarm.ts';
import {replicaTasks} from '../../../src/lib/engine/swarm-logs.ts';

function done(id: string, slot: number, createdAt: string): EngineTask {
  return {ID: id, ServiceID: 's', NodeID: 'n1', Slot: slot, DesiredState: 'complete', CreatedAt: createdAt, Spec: {}, Status: {State: 'complete', ContainerStatus: {ContainerID: `c-${id}`, ExitCode: 0}}};
}

test('replica tasks: a job\'s slots count from 0, its replicas from 1 like any service\'s; the newest run of a slot stands for it', () => {
  const got = replicaTasks([done('a', 0, '2024-01-01T00:00:01Z'), done('b', 1, '2024-01-01T00:00:01Z'), done('c', 0, '2024-01-01T00:00:05Z')], {ReplicatedJob: {}});
  assert.deepEqual(got.map((r) => [r.replica, r.task.ID]), [[1, 'c'], [2, 'b']]);
});
