// A project's volumes on a Swarm cluster. Each node keeps its own named volumes (Swarm creates one,
// empty, wherever a task lands), and the manager's API lists only the manager's. So the list is
// read from every node the agent has an engine for (the manager's own, and the node engines given
// for exec, swarm-exec.ts), each volume with its node; the nodes it cannot read are returned as
// `unlisted` with the reason, so a short list never passes for a complete one.

import type Docker from 'dockerode';

import {projectVolumes} from './docker-volumes.ts';
import {engineCall, engineMessage} from './errors.ts';
import {checkRef} from './naming.ts';
import type {NodeEngines} from './swarm-exec.ts';
import {nodeAddresses, nodeAnswer} from './swarm-nodes.ts';
import type {ProjectVolume, VolumeListing} from './types.ts';

export async function clusterVolumes(manager: Docker, engines: NodeEngines | undefined, secretsDir: string, project: string): Promise<VolumeListing> {
  checkRef({project, stack: 'x'});
  const [addresses, self] = await Promise.all([nodeAddresses(manager), engineCall("read the manager's node", () => manager.info()) as Promise<{Swarm?: {NodeID?: string}}>]);
  const volumes: ProjectVolume[] = [];
  const unlisted: {node: string; reason: string}[] = [];
  await Promise.all(
    [...addresses].map(async ([id, address]) => {
      const node = address || id;
      const docker = id === self.Swarm?.NodeID ? manager : engines?.engineFor(id, address);
      if (!docker) {
        unlisted.push({node, reason: `the agent has no engine endpoint for node ${node} (spin agent start --swarm-node-engine ${node}=tcp://${node}:2376)`});
        return;
      }
      try {
        for (const v of await nodeAnswer(projectVolumes({docker, secretsDir}, project))) volumes.push({...v, node});
      } catch (err) {
        unlisted.push({node, reason: `node ${node}'s engine: ${engineMessage(err)}`});
      }
    }),
  );
  volumes.sort((a, b) => a.name.localeCompare(b.name) || (a.node ?? '').localeCompare(b.node ?? ''));
  unlisted.sort((a, b) => a.node.localeCompare(b.node));
  return {volumes, ...(unlisted.length > 0 ? {unlisted} : {})};
}
