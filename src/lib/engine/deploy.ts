// A deploy as one call, for the callers that show nothing between planning and running it
// (reconcile, tests): prepare, then execute that same plan. The agent's deploy flow calls the two
// steps itself, to store and show the plan in between.

import type {DeployRequest, DeployResult, Orchestrator, Plan, StackRef} from './types.ts';
import type {ComposeModel} from '../compose/types.ts';

export async function deploy(orchestrator: Orchestrator, request: DeployRequest): Promise<DeployResult> {
  const {ref, model, secrets, updateConfigs, pull, revision, timeoutMs, noWait, onEvent, signal} = request;
  signal?.throwIfAborted();
  const prepared = await orchestrator.prepare({ref, model, secrets, ...(updateConfigs ? {updateConfigs} : {}), ...(pull ? {pull} : {}), ...(onEvent ? {onEvent} : {})});
  return orchestrator.execute(prepared, {revision, timeoutMs, ...(noWait !== undefined ? {noWait} : {}), ...(onEvent ? {onEvent} : {}), ...(signal ? {signal} : {})});
}

/** What a deploy of `model` would change (`spin deploy --dry-run`): nothing is pulled or changed. */
export async function planOnly(orchestrator: Orchestrator, ref: StackRef, model: ComposeModel, secrets?: Record<string, Buffer>): Promise<Plan> {
  return (await orchestrator.prepare({ref, model, dryRun: true, ...(secrets ? {secrets} : {})})).plan;
}
