// `spin inspect`: what runs (the engine's status) next to what was asked for (the current
// revision's model), per service, in one document.

import {OperationError} from '../errors.ts';
import type {ServiceStatus} from '../engine/types.ts';
import type {AgentClient} from './agent.ts';
import type {RevisionSummaryJson} from '../api/types.ts';

export interface ServiceDescription {
  status?: ServiceStatus;
  /** The service as the current revision defines it (compose long form). */
  model?: unknown;
}

export interface StackDescription {
  name: string;
  project: string;
  currentRevision: number | null;
  latestRevision: number | null;
  revision?: RevisionSummaryJson;
  services: Record<string, ServiceDescription>;
  /** Stack-wide parts of the model (networks, volumes, secrets, configs); only without a service filter. */
  resources?: Record<string, unknown>;
}

const STACK_WIDE = ['networks', 'volumes', 'secrets', 'configs'];

export async function describeStack(client: AgentClient, project: string, stack: string, service?: string): Promise<StackDescription> {
  const detail = await client.stack(project, stack);
  const current = detail.currentRevision ?? null;
  const revision = current === null ? undefined : await client.revision(project, stack, current);
  const model = (revision?.model ?? {}) as {services?: Record<string, unknown>} & Record<string, unknown>;
  const modelServices = model.services ?? {};

  const names = new Set([...detail.status.services.map((s) => s.service), ...Object.keys(modelServices)]);
  if (service !== undefined && !names.has(service)) {
    const known = [...names].sort();
    throw new OperationError(`service "${service}" not found in stack "${stack}" of project "${project}"`, {
      hint: known.length ? `services: ${known.join(', ')}` : 'the stack has no services; deploy it with `spin deploy`',
    });
  }
  const services: Record<string, ServiceDescription> = {};
  for (const name of [...names].sort()) {
    if (service !== undefined && name !== service) continue;
    const status = detail.status.services.find((s) => s.service === name);
    services[name] = {...(status ? {status} : {}), ...(name in modelServices ? {model: modelServices[name]} : {})};
  }

  let summary: RevisionSummaryJson | undefined;
  if (revision) {
    const {model: _model, plan: _plan, ...rest} = revision;
    summary = rest;
  }
  const description: StackDescription = {name: detail.name, project: detail.project, currentRevision: current, latestRevision: detail.latestRevision ?? null, ...(summary ? {revision: summary} : {}), services};
  if (service === undefined) {
    const resources = Object.fromEntries(STACK_WIDE.filter((k) => model[k] && Object.keys(model[k] as object).length).map((k) => [k, model[k]]));
    if (Object.keys(resources).length) description.resources = resources;
  }
  return description;
}
