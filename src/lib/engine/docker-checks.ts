// Checks a Docker deploy makes before anything changes, against what the engine has: host names
// behind the ingress and container names belong to one stack only, and a fixed host port serves
// one replica.

import {InvalidInputError} from '../errors.ts';
import {defaultHost} from '../ingress/model.ts';
import {formatPortRange, suggestPortRange, type PortRange} from '../policy/values.ts';
import type {DockerEnv} from './docker-env.ts';
import {EngineError, engineCall} from './errors.ts';
import {containerName, containerPrefix, describeOwner, ownedBy} from './naming.ts';
import type {PreparedService} from './ops.ts';
import type {DetailedPlan} from './plan.ts';
import {LABELS, type StackRef} from './types.ts';

/**
 * How to give each replica a host port: a range with one port per replica, within the policy's
 * allowed ports when known (a random port, which the policy refuses, only when it is not).
 */
function replicaPortsHint(replicas: number, target: number, allowed: readonly PortRange[] | undefined): string {
  if (!allowed) return `drop \`published\` so the engine picks a port per replica, publish a range of ${replicas} host ports (\`FIRST-LAST:${target}\`), or run one replica`;
  const range = suggestPortRange(allowed, replicas);
  if (!range) return `run one replica: the platform allows no range of ${replicas} host ports (allowed: ${allowed.map(formatPortRange).join(', ')})`;
  return `publish a range of ${replicas} allowed host ports, one per replica (e.g. "${range}:${target}"), or run one replica`;
}

/** Only one container can listen on a fixed host port: a service publishing one runs one replica. */
export function checkFixedPorts(s: Pick<PreparedService, 'name' | 'service' | 'replicas'>, allowed: readonly PortRange[] | undefined): void {
  const fixed = s.service.ports.find((port) => port.published !== undefined && !port.published.includes('-'));
  if (s.replicas > 1 && fixed) {
    throw new InvalidInputError(`service "${s.name}" publishes host port ${fixed.published} and wants ${s.replicas} replicas, but only one container can listen on a host port`, {
      hint: replicaPortsHint(s.replicas, fixed.target, allowed),
    });
  }
}

/**
 * A host name routes to one service only. Names under the agent's domain belong to the stack
 * whose default names they extend (`*.<stack>.<project>.<domain>`), so no project can take
 * another's; any other name goes to the first stack that asks for it.
 */
export async function checkHosts(env: DockerEnv, ref: StackRef, services: Iterable<Pick<PreparedService, 'name' | 'ingress'>>): Promise<void> {
  if (!env.ingress) return;
  const {domain} = env.ingress;
  const mine = new Map<string, string>();
  for (const s of services) {
    if (!s.ingress) continue;
    const host = s.ingress.host ?? defaultHost(ref.project, ref.stack, s.name, domain);
    const own = `${ref.stack}.${ref.project}.${domain}`;
    if (s.ingress.host && (host === domain || host.endsWith(`.${domain}`)) && host !== own && !host.endsWith(`.${own}`)) {
      throw new InvalidInputError(`service "${s.name}" asks for host name "${host}", which is outside its stack's names under "${domain}"`, {
        hint: `use a name ending in ".${own}", a name outside "${domain}", or leave the host out for "${defaultHost(ref.project, ref.stack, s.name, domain)}"`,
      });
    }
    const other = mine.get(host);
    if (other !== undefined) {
      throw new InvalidInputError(`services "${other}" and "${s.name}" both ask for host name "${host}"`, {hint: 'give each service its own host name'});
    }
    mine.set(host, s.name);
  }
  if (mine.size === 0) return;
  const list = await engineCall('list the ingress containers', () => env.docker.listContainers({all: true, filters: {label: [`${LABELS.managed}=true`, LABELS.ingressPort]}}));
  for (const c of list) {
    const labels = c.Labels ?? {};
    const [project, stack, service] = [labels[LABELS.project], labels[LABELS.stack], labels[LABELS.service]];
    if (!project || !stack || !service || (project === ref.project && stack === ref.stack)) continue;
    const host = labels[LABELS.ingressHost] || defaultHost(project, stack, service, domain);
    if (!mine.has(host)) continue;
    const owner = project === ref.project ? `stack "${stack}" of this project` : 'a stack of another project';
    throw new EngineError('engine.conflict', `host name "${host}" asked for by service "${mine.get(host)}" is already served by ${owner}`, {
      hint: 'choose another host name under x-spin.ingress.host, or remove the other stack first',
    });
  }
}

/** The error for a container name that someone else's container holds. */
export function nameTaken(name: string, labels: Record<string, string> | undefined | null): EngineError {
  return new EngineError('engine.conflict', `container name "${name}" is taken by a container that ${describeOwner(labels)}`, {
    hint: `remove or rename that container (docker rm -f ${name}), or deploy under another stack name`,
  });
}

/** A container Spin would create must not have its name taken by someone else's container. */
export async function checkNamesFree(env: DockerEnv, ref: StackRef, plan: DetailedPlan): Promise<void> {
  const wanted = new Set(Object.entries(plan.steps).flatMap(([service, steps]) => steps.create.map((n) => containerName(ref, service, n))));
  if (wanted.size === 0) return;
  // The engine's name filter is a regular expression: the dots are escaped.
  const prefix = `^/${containerPrefix(ref).replaceAll('.', '\\.')}`;
  const found = await engineCall('list containers', () => env.docker.listContainers({all: true, filters: {name: [prefix]}}));
  for (const c of found) {
    const name = (c.Names?.[0] ?? '').replace(/^\//, '');
    if (wanted.has(name) && !ownedBy(c.Labels, ref.project, ref.stack)) throw nameTaken(name, c.Labels);
  }
}
