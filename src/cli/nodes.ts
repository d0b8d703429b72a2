// What the `spin agent node` commands share: the cluster's manager engine they talk to, on the
// platform host, as `spin agent start` does (no agent API: like `spin agent user`, these are the
// operator's tools on the host).

import {Flags} from '@oclif/core';
import type Docker from 'dockerode';

export const managerFlags = {
  'docker-host': Flags.string({description: "The Swarm manager's engine (unix:///path or tcp://HOST:PORT). Default: DOCKER_HOST, else the local socket.", helpValue: 'URL'}),
  json: Flags.boolean({description: 'Print JSON on stdout.'}),
};

/** The manager's engine; refuses one that is not a Swarm manager, saying where to point instead. */
export async function managerEngine(url: string | undefined): Promise<Docker> {
  const [{dockerFromHost}, {OperationError, UnreachableError}, {engineMessage, ENGINE_HINT}] = await Promise.all([
    import('../lib/agent/server.ts'),
    import('../lib/errors.ts'),
    import('../lib/engine/errors.ts'),
  ]);
  const docker = await dockerFromHost(url);
  const where = url ?? (process.env.DOCKER_HOST || 'the local socket /var/run/docker.sock');
  let info: {Swarm?: {LocalNodeState?: string; ControlAvailable?: boolean}};
  try {
    info = await docker.info();
  } catch (err) {
    throw new UnreachableError(`the Docker engine at ${where} does not answer: ${engineMessage(err)}`, {hint: ENGINE_HINT, cause: err});
  }
  if (info.Swarm?.LocalNodeState !== 'active' || info.Swarm.ControlAvailable !== true) {
    throw new OperationError(`the Docker engine at ${where} is not a Swarm manager: nodes belong to a cluster`, {
      hint: "give a manager's engine with --docker-host (the one `spin agent start --orchestrator swarm` drives)",
    });
  }
  return docker;
}
