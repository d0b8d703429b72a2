// Status as the engine reports it: a stack's services and replicas (state, health, ports, image
// digest, ingress address), and which stacks have engine objects at all. Containers come from the
// agent's event-fed view of the engine (docker-watch.ts), not from engine calls per request.

import {ingressAddress} from '../ingress/model.ts';
import {loadDesired} from './desired-state.ts';
import type {DockerEnv} from './docker-env.ts';
import {reportedHealth} from './docker-probe.ts';
import type {ContainerSnapshot} from './docker-watch.ts';
import {engineCall} from './errors.ts';
import {checkRef, stackRefsOf} from './naming.ts';
import {LABELS, type ReplicaStatus, type ServiceStatus, type StackRef, type StackStatus} from './types.ts';

/**
 * The loopback binding the ingress proxy reaches a replica on (container-spec adds it after the
 * service's own ports, with a port the engine picks): internal, never a URL for people. It is the
 * one the ingress controller routes to, the first on 127.0.0.1 that the service did not ask for.
 */
function proxyBinding(info: ContainerSnapshot): {HostIp?: string; HostPort?: string} | undefined {
  const port = info.Config.Labels?.[LABELS.ingressPort];
  if (!port) return undefined;
  const key = `${port}/tcp`;
  const asked = new Set((info.HostConfig.PortBindings?.[key] ?? []).map((b: {HostPort?: string}) => b.HostPort).filter(Boolean));
  return (info.NetworkSettings.Ports?.[key] ?? []).find((b) => b.HostIp === '127.0.0.1' && !asked.has(b.HostPort));
}

export async function stackStatus(env: DockerEnv, ref: StackRef): Promise<StackStatus> {
  checkRef(ref);
  const infos = await env.watch.stack(ref);
  const desired = await loadDesired(env.secretsDir, ref);
  const byService = new Map<string, ContainerSnapshot[]>();
  for (const info of infos) {
    const service = info.Config.Labels[LABELS.service];
    if (!service) continue;
    byService.set(service, [...(byService.get(service) ?? []), info]);
  }
  for (const name of Object.keys(desired ?? {})) if (!byService.has(name)) byService.set(name, []);
  let revision: number | undefined;
  const services: ServiceStatus[] = [];
  const digests: Promise<unknown>[] = [];
  for (const [name, containers] of [...byService.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    containers.sort((a, b) => Number(a.Config.Labels[LABELS.replica]) - Number(b.Config.Labels[LABELS.replica]));
    const replicas: ReplicaStatus[] = containers.map((info) => {
      const labels = info.Config.Labels;
      const health = reportedHealth(env, info);
      const r: ReplicaStatus = {
        replica: Number(labels[LABELS.replica]),
        container: info.Name.replace(/^\//, ''),
        id: info.Id,
        state: info.State.Status,
        health: health === 'healthy' || health === 'unhealthy' || health === 'starting' ? health : 'none',
      };
      if (info.State.Status !== 'running' && info.State.Status !== 'created') r.exitCode = info.State.ExitCode;
      if (info.State.StartedAt && !info.State.StartedAt.startsWith('0001-')) r.startedAt = info.State.StartedAt;
      const rev = Number(labels[LABELS.revision]);
      if (Number.isSafeInteger(rev)) {
        r.revision = rev;
        revision = Math.max(revision ?? rev, rev);
      }
      if (labels[LABELS.configHash]) r.configHash = labels[LABELS.configHash];
      return r;
    });
    const newest = containers.reduce<ContainerSnapshot | undefined>((a, c) => (!a || c.Created > a.Created ? c : a), undefined);
    const ports = new Map<string, ServiceStatus['ports'][number]>();
    for (const info of containers) {
      const internal = proxyBinding(info);
      for (const [key, bindings] of Object.entries(info.NetworkSettings.Ports ?? {})) {
        const [target, protocol] = key.split('/');
        for (const b of bindings ?? []) {
          if (b === internal) continue;
          const port = {published: b.HostPort ?? '', target: Number(target), protocol, ...(b.HostIp ? {hostIp: b.HostIp} : {})};
          ports.set(`${port.hostIp}|${port.published}|${key}`, port);
        }
      }
    }
    const running = replicas.filter((r) => r.state === 'running').length;
    // Healthy only by a healthcheck that passes: a replica without one is running, no more.
    const healthy = replicas.filter((r) => r.health === 'healthy' && r.state === 'running').length;
    const status: ServiceStatus = {
      service: name,
      image: newest?.Config.Image ?? '',
      desired: desired?.[name] ?? (newest ? Number(newest.Config.Labels[LABELS.replicas] ?? containers.length) : 0),
      running,
      healthy,
      ports: [...ports.values()],
      replicas,
    };
    const ingress = newest && env.ingress && newest.Config.Labels[LABELS.ingressPort] ? ingressAddress(env.ingress, ref, name, newest.Config.Labels) : undefined;
    if (ingress) status.ingress = ingress;
    if (newest) {
      digests.push(
        env.watch.imageDigest(newest.Image, newest.Config.Image).then((d) => {
          if (d) status.imageDigest = d;
        }),
      );
    }
    services.push(status);
  }
  await Promise.all(digests);
  return {ref, services, ...(revision !== undefined ? {revision} : {})};
}

/** Every stack that has engine objects (containers, or only networks left), optionally in one project. */
export async function listStacks(env: DockerEnv, project?: string): Promise<StackRef[]> {
  const label = [`${LABELS.managed}=true`, ...(project !== undefined ? [`${LABELS.project}=${project}`] : [])];
  const [containers, networks] = await Promise.all([env.watch.all(project), engineCall('list networks', () => env.docker.listNetworks({filters: {label}}))]);
  return stackRefsOf([...containers.map((c) => c.Config.Labels), ...networks.map((n) => n.Labels)], project);
}

