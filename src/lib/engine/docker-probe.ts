// A fresh replica's healthcheck, run by Spin itself while the engine still says `starting`
// (engines before API 1.44 have no start_interval and run the first check a whole interval after
// start). A pass is remembered, so status shows the replica healthy until the engine's own first
// check reports (docker-status.ts).

import type Docker from 'dockerode';
import {setTimeout as sleep} from 'node:timers/promises';

import type {Service} from '../compose/types.ts';
import {healthConfig} from './container-spec.ts';
import type {DockerEnv} from './docker-env.ts';

/**
 * The service's healthcheck run once by exec, as the engine would run it (the container's user,
 * `CMD` as given, `CMD-SHELL` through /bin/sh), bounded by its timeout. None without a check.
 */
function healthProbe(docker: Docker, id: string, service: Service): (() => Promise<boolean>) | undefined {
  const config = healthConfig(service.healthcheck);
  const test = config?.Test;
  if (!test || test.length < 2 || (test[0] !== 'CMD' && test[0] !== 'CMD-SHELL')) return undefined;
  const cmd = test[0] === 'CMD' ? test.slice(1) : ['/bin/sh', '-c', test.slice(1).join(' ')];
  const timeoutMs = Math.min(30_000, config?.Timeout ? config.Timeout / 1e6 : 30_000);
  return async () => {
    const container = docker.getContainer(id);
    const exec = await container.exec({Cmd: cmd, AttachStdout: true, AttachStderr: true});
    const stream = (await exec.start({hijack: true, stdin: false})) as NodeJS.ReadableStream & {destroy?: () => void};
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve).on('close', resolve).on('error', () => resolve());
      stream.resume();
    });
    const cancel = new AbortController();
    const timer = sleep(timeoutMs, 'timeout' as const, {signal: cancel.signal}).catch(() => undefined);
    const outcome = await Promise.race([ended, timer]);
    cancel.abort();
    if (outcome === 'timeout') {
      stream.destroy?.();
      return false;
    }
    const info = await exec.inspect();
    return info.Running === false && info.ExitCode === 0;
  };
}

/**
 * Probes running at once, across every deploy of the agent. Each is an exec (dockerd, containerd
 * and runc at work): 100 replicas starting together, each probed every 250 ms, kept 2 cores busy
 * enough that the checks timed out and nothing turned healthy. A probe that finds no free slot
 * is skipped: it only ever hastens a verdict the engine's own checks reach anyway.
 */
export const MAX_PROBES = 4;

/** The healthcheck probe of a fresh replica; a pass is remembered for status. */
export function probeOf(env: DockerEnv, id: string, service: Service): {probe?: () => Promise<boolean>} {
  const probe = healthProbe(env.docker, id, service);
  if (!probe) return {};
  return {
    probe: async () => {
      if (env.probes.running >= MAX_PROBES) return false;
      env.probes.running++;
      let ok: boolean;
      try {
        ok = await probe();
      } finally {
        env.probes.running--;
      }
      if (ok) {
        // Bounded: entries go when status sees the engine's verdict; a runaway set is dropped.
        if (env.probedHealthy.size >= 10_000) env.probedHealthy.clear();
        env.probedHealthy.add(id);
      }
      return ok;
    },
  };
}

/** The engine's health status as status reports it: a probed pass counts while the engine says `starting`. */
export function reportedHealth(env: DockerEnv, info: {Id: string; State: {Status: string; Health?: {Status?: string}}}): string | undefined {
  const health = info.State.Health?.Status;
  if (health === 'starting' && info.State.Status === 'running' && env.probedHealthy.has(info.Id)) return 'healthy';
  env.probedHealthy.delete(info.Id);
  return health;
}
