// Lifecycle of a deployed stack on the Docker engine: stop, start and restart its services, and
// remove it (containers, networks, files, and with `volumes` the volumes it owns). Only containers
// whose labels name the stack are ever touched.

import type Docker from 'dockerode';
import {setTimeout as sleep} from 'node:timers/promises';


import {InvalidInputError} from '../errors.ts';
import {ignoring, inspectOrUndefined, removeContainer, stackContainers, startContainer, stopContainer, toExisting, type DockerEnv} from './docker-env.ts';
import {forgetVolumeChoices} from './docker-volumes.ts';
import {engineCall, engineError, isNotFound, statusOf} from './errors.ts';
import {removeStackFiles} from './files.ts';
import {checkRef, describeOwner, labelFilter, ownedBy} from './naming.ts';
import {LABELS, type RemoveReport, type StackRef} from './types.ts';

/** The stack's containers of the given services (all when none), refusing unknown service names. */
export async function selectedContainers(env: DockerEnv, ref: StackRef, services?: string[]): Promise<Docker.ContainerInfo[]> {
  checkRef(ref);
  const all = await stackContainers(env, ref);
  if (!services?.length) return all;
  for (const name of services) {
    if (!all.some((c) => c.Labels[LABELS.service] === name)) {
      throw new InvalidInputError(`service "${name}" has no containers in stack "${ref.project}/${ref.stack}"`, {hint: 'list the services with `spin ps`'});
    }
  }
  return all.filter((c) => services.includes(c.Labels[LABELS.service]));
}

export async function stopServices(env: DockerEnv, ref: StackRef, services?: string[]): Promise<void> {
  const list = await selectedContainers(env, ref, services);
  await Promise.all(list.map((c) => stopContainer(env, {id: c.Id, name: c.Names[0]})));
}

export async function startServices(env: DockerEnv, ref: StackRef, services?: string[]): Promise<void> {
  const list = await selectedContainers(env, ref, services);
  await Promise.all(list.map((c) => startContainer(env, c.Id, c.Names[0].replace(/^\//, ''))));
}

export async function restartServices(env: DockerEnv, ref: StackRef, services?: string[]): Promise<void> {
  const list = await selectedContainers(env, ref, services);
  await Promise.all(list.map((c) => engineCall(`restart container "${c.Names[0]}"`, () => env.docker.getContainer(c.Id).restart())));
}

/**
 * Removes one of the stack's networks. Docker 20.10 can keep an endpoint of a container it has
 * just removed ("has active endpoints"), for a moment or for good: such an endpoint, of a
 * container that is gone or is this stack's, is disconnected by force and the removal tried again.
 * An endpoint of anyone else's container stays, and so does the network (the error says why).
 */
async function removeNetwork(env: DockerEnv, ref: StackRef, n: Docker.NetworkInspectInfo): Promise<void> {
  const doing = `remove network "${n.Name}"`;
  for (let attempt = 1; ; attempt++) {
    try {
      await env.docker.getNetwork(n.Id).remove();
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (attempt >= 5 || !/active endpoints/i.test(String((err as Error).message))) throw engineError(err, doing);
    }
    const info = await inspectOrUndefined(() => env.docker.getNetwork(n.Id).inspect() as Promise<Docker.NetworkInspectInfo>, `inspect network "${n.Name}"`);
    if (!info) return;
    for (const [id, endpoint] of Object.entries(info.Containers ?? {})) {
      const c = await inspectOrUndefined(() => env.docker.getContainer(id).inspect(), `inspect container "${endpoint.Name}"`);
      if (c && !ownedBy(c.Config.Labels, ref.project, ref.stack)) continue;
      await ignoring([404], `disconnect "${endpoint.Name}" from network "${n.Name}"`, () => env.docker.getNetwork(n.Id).disconnect({Container: id, Force: true}));
    }
    await sleep(100 * attempt);
  }
}

/** Removes the stack's containers, networks and files, and with `volumes` the volumes it owns. */
export async function removeStack(env: DockerEnv, ref: StackRef, options: {volumes?: boolean} = {}): Promise<RemoveReport> {
  checkRef(ref);
  const containers = await stackContainers(env, ref);
  const mounted = new Set(containers.flatMap((c) => (c.Mounts ?? []).flatMap((m) => (m.Type === 'volume' && m.Name ? [m.Name] : []))));
  const list = containers.map(toExisting);
  await Promise.all(list.map((c) => removeContainer(env, c)));
  const label = labelFilter(ref.project, ref.stack);
  const networks = await engineCall('list networks', () => env.docker.listNetworks({filters: {label}}));
  for (const n of networks.filter((n) => ownedBy(n.Labels, ref.project, ref.stack))) {
    await removeNetwork(env, ref, n);
  }
  await removeStackFiles(env.secretsDir, ref);
  const report: RemoveReport = {volumes: {removed: [], kept: []}};
  if (!options.volumes) return report;
  await forgetVolumeChoices(env.secretsDir, ref);
  const volumes = await engineCall('list volumes', () => env.docker.listVolumes({filters: {label}}));
  const own = (volumes.Volumes ?? []).filter((v) => ownedBy(v.Labels, ref.project, ref.stack)).sort((a, b) => a.Name.localeCompare(b.Name));
  for (const v of own) {
    try {
      await env.docker.getVolume(v.Name).remove();
      report.volumes.removed.push(v.Name);
    } catch (err) {
      if (isNotFound(err)) continue;
      if (statusOf(err) !== 409) throw engineError(err, `remove volume "${v.Name}"`);
      report.volumes.kept.push({name: v.Name, reason: await volumeUsers(env, v.Name)});
    }
  }
  // Volumes the stack mounted but does not own (external ones, another stack's) are never removed.
  for (const name of [...mounted].filter((n) => !own.some((v) => v.Name === n)).sort()) {
    const info = await inspectOrUndefined(() => env.docker.getVolume(name).inspect(), `inspect volume "${name}"`);
    // Gone: an anonymous volume, removed with its container.
    if (info) report.volumes.kept.push({name, reason: `it is not this stack's: it ${describeOwner(info.Labels)}`});
  }
  return report;
}

/** Why a volume cannot go: the stacks (or containers) that still mount it. */
async function volumeUsers(env: DockerEnv, volume: string): Promise<string> {
  const users = await engineCall('list containers', () => env.docker.listContainers({all: true, filters: {volume: [volume]}}));
  const stacks = [...new Set(users.map((c) => c.Labels?.[LABELS.stack]).filter((x): x is string => Boolean(x)))].sort();
  if (stacks.length > 0) return `${stacks.length === 1 ? 'stack' : 'stacks'} ${stacks.map((x) => `"${x}"`).join(', ')} still ${stacks.length === 1 ? 'uses' : 'use'} it`;
  const names = users.map((c) => `"${(c.Names?.[0] ?? c.Id).replace(/^\//, '')}"`);
  return names.length > 0 ? `container ${names.join(', ')} still uses it` : 'the engine says it is in use';
}
