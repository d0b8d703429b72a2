// What every part of the Docker backend shares: the engine client and the agent's settings, and
// the few engine calls they all make (the stack's containers, stop, start, remove, inspect).

import type Docker from 'dockerode';

import {OperationError} from '../errors.ts';
import type {IngressHooks} from '../ingress/types.ts';
import type {PortRange} from '../policy/values.ts';
import {engineCall, engineError, engineMessage, hostPortInUse, hostPortMessage, isNotFound, statusOf} from './errors.ts';
import type {ContainerWatch} from './docker-watch.ts';
import type {RegistryAuth} from './images.ts';
import {labelFilter, ownedBy} from './naming.ts';
import type {ExistingContainer} from './plan.ts';
import {LABELS, type StackRef} from './types.ts';

export interface DockerEnv {
  docker: Docker;
  /** Folder under the agent's data dir where secret and config files are written. */
  secretsDir: string;
  /** Host address for published ports that name none. */
  publishHostIp: string;
  registryAuth?: RegistryAuth;
  clock: {now(): number};
  /** Fallback inspect interval while waiting for health. */
  pollMs: number;
  ingress?: {hooks: IngressHooks; domain: string; port?: number};
  allowedPorts?: readonly PortRange[];
  /**
   * Containers whose healthcheck passed when Spin ran it (docker-probe.ts) while the engine still
   * said `starting`: status shows them healthy until the engine's own first check reports.
   */
  probedHealthy: Set<string>;
  /** Healthcheck probes running now (docker-probe.ts caps them). */
  probes: {running: number};
  /** What the engine runs for Spin, kept current from its events: what status reads. */
  watch: ContainerWatch;
}

/** The stack's containers (of one service when given), running or not. */
export async function stackContainers(env: DockerEnv, ref: StackRef, service?: string): Promise<Docker.ContainerInfo[]> {
  const list = await engineCall(`list the containers of stack "${ref.project}/${ref.stack}"`, () =>
    env.docker.listContainers({all: true, filters: {label: labelFilter(ref.project, ref.stack, service)}}),
  );
  // The filter already selects them; the check keeps a misbehaving filter from touching others.
  return list.filter((c) => ownedBy(c.Labels, ref.project, ref.stack));
}

export function toExisting(c: Docker.ContainerInfo): ExistingContainer {
  const labels = c.Labels ?? {};
  const exit = /^Exited \((-?\d+)\)/.exec(c.Status ?? '');
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    service: labels[LABELS.service] ?? '',
    replica: Number(labels[LABELS.replica] ?? 0),
    configHash: labels[LABELS.configHash] ?? '',
    imageId: c.ImageID,
    state: c.State,
    ...(exit ? {exitCode: Number(exit[1])} : {}),
    oneShot: labels[LABELS.oneShot] === 'true',
    ...(labels[LABELS.ingressPort] ? {ingress: true} : {}),
    ...(c.HostConfig?.NetworkMode?.startsWith('container:') ? {networkContainer: c.HostConfig.NetworkMode.slice('container:'.length)} : {}),
  };
}

/** The stack's containers as the plan sees them. */
export async function existingContainers(env: DockerEnv, ref: StackRef): Promise<ExistingContainer[]> {
  return (await stackContainers(env, ref)).map(toExisting).filter((c) => c.service !== '');
}

/** An inspect whose 404 means "not there". */
export async function inspectOrUndefined<T>(fn: () => Promise<T>, doing: string): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw engineError(err, doing);
  }
}

/** Runs an engine call where some statuses mean "already so" (304 not modified, 404 gone). */
export async function ignoring(statuses: number[], doing: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const status = statusOf(err);
    if (status === undefined || !statuses.includes(status)) throw engineError(err, doing);
  }
}

export async function stopContainer(env: DockerEnv, c: {id: string; name: string}): Promise<void> {
  await ignoring([304, 404], `stop container "${c.name}"`, () => env.docker.getContainer(c.id).stop());
}

export async function deleteContainer(env: DockerEnv, c: {id: string; name: string}): Promise<void> {
  await ignoring([404], `remove container "${c.name}"`, () => env.docker.getContainer(c.id).remove({v: true, force: true}));
}

/** Stops and removes a container, quietly (no deploy events). */
export async function removeContainer(env: DockerEnv, c: {id: string; name: string}): Promise<void> {
  await stopContainer(env, c);
  await deleteContainer(env, c);
}

/** Starts a container; a host port in use or a missing program is said in words, with the fix. */
export async function startContainer(env: DockerEnv, id: string, name: string): Promise<void> {
  try {
    await env.docker.getContainer(id).start();
  } catch (err) {
    if (statusOf(err) === 304) return;
    const message = engineMessage(err);
    const clash = hostPortInUse(message);
    if (clash) {
      const words = hostPortMessage(clash);
      throw new OperationError(`cannot start container "${name}": ${words.message}`, {hint: words.hint, cause: err});
    }
    const hint = /no such file or directory|executable file not found/i.test(message) ? 'check the command and entrypoint: the program must exist in the image' : undefined;
    throw new OperationError(`cannot start container "${name}": ${message}`, {hint, cause: err});
  }
}
