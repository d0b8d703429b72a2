// The last check before a service spec reaches the Swarm manager. Every spec the agent sends
// (create, update, scale, rollback, reconcile) passes `guardSpec`, whatever path built it: an
// update that skipped the checks a create makes is how tenants escape their limits. The model was
// policy-checked already; what is checked here is what only the spec shows: that it carries the
// stack's name and labels, and that its tasks stay inside the project's node pool.
//
// A pool is a list of placement constraints the operator gives a project in the policy
// (`placement.projects.genomics: [node.labels.pool==bio]`). Swarm ANDs constraints, so adding the
// pool's to the user's own is enough: a user constraint can narrow where tasks run, never widen
// it. A user constraint that names a node outside the pool leaves no node at all; the rollout
// then fails with Swarm's "no suitable node" (see unschedulable), it does not leak out.

import type Docker from 'dockerode';

import type {Service} from '../compose/types.ts';
import {OperationError} from '../errors.ts';
import {swarmServiceName} from './swarm-spec.ts';
import {LABELS, type StackRef} from './types.ts';

/** The operator's node pools: constraints per project, and for the projects not listed. */
export interface PlacementPools {
  projects: Record<string, string[]>;
  default: string[];
}

/** The constraints every task of the project must meet. */
export function poolConstraints(pools: PlacementPools | undefined, project: string): string[] {
  if (!pools) return [];
  return Object.hasOwn(pools.projects, project) ? pools.projects[project] : pools.default;
}

/** `a == b` and `a==b` are one constraint to Swarm; compare them the same way. */
function normalizeConstraint(c: string): string {
  return c.replace(/\s*(==|!=)\s*/, '$1').trim();
}

/** The user's constraints AND the pool's, each once, the pool's first. */
export function mergeConstraints(user: string[] | undefined, pool: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const c of [...pool, ...(user ?? [])]) {
    const key = normalizeConstraint(c);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(c);
  }
  return out;
}

/**
 * The service as the cluster will run it, pool constraints included: what its config hash is taken
 * of, so that a project moved to another pool has its services sent again on the next deploy
 * instead of kept where they run.
 */
export function withPool(service: Service, pool: string[]): Service {
  if (pool.length === 0) return service;
  const placement = (service.deploy?.placement ?? {}) as {constraints?: unknown};
  const own = Array.isArray(placement.constraints) ? placement.constraints.map(String) : undefined;
  return {...service, deploy: {...service.deploy, placement: {...placement, constraints: mergeConstraints(own, pool)}}};
}

function refused(ref: StackRef, why: string): OperationError {
  // An internal fault, not a user's: the specs are built by the agent.
  return new OperationError(`refusing to send a service spec for stack "${ref.project}/${ref.stack}": ${why}`, {hint: 'this is a bug in the agent: report it with the deploy\'s events'});
}

/**
 * The spec as it may be sent for this stack: named and labelled for the stack, with the
 * project's pool constraints added. Throws when the spec is not the stack's own.
 */
export function guardSpec(spec: Docker.ServiceSpec, ref: StackRef, service: string, pools: PlacementPools | undefined): Docker.ServiceSpec {
  if (spec.Name !== swarmServiceName(ref, service)) throw refused(ref, `service name "${spec.Name}" is not "${swarmServiceName(ref, service)}"`);
  const template = spec.TaskTemplate;
  if (!template || !('ContainerSpec' in template) || !template.ContainerSpec) throw refused(ref, `service "${service}" has no container spec`);
  for (const [what, labels] of [['service', spec.Labels], ['task', template.ContainerSpec.Labels]] as const) {
    if (labels?.[LABELS.managed] !== 'true' || labels[LABELS.project] !== ref.project || labels[LABELS.stack] !== ref.stack || labels[LABELS.service] !== service) {
      throw refused(ref, `the ${what} labels of service "${service}" do not name it`);
    }
  }
  const pool = poolConstraints(pools, ref.project);
  if (pool.length === 0) return spec;
  const constraints = mergeConstraints(template.Placement?.Constraints, pool);
  return {...spec, TaskTemplate: {...template, Placement: {...template.Placement, Constraints: constraints}}};
}

/** Swarm's word for a task no node may run: `no suitable node (scheduling constraints not satisfied on 3 nodes)`. */
export function unschedulable(task: {Status: {State: string; Err?: string}}): string | undefined {
  return task.Status.State === 'pending' && /no suitable node/i.test(task.Status.Err ?? '') ? task.Status.Err : undefined;
}
