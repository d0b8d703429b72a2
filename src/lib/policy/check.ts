// Running the policy over a normalized model, and the resource defaults the policy adds.
// Both the CLI (`spin validate`) and the agent (before every deploy) call checkPolicy; the agent
// then deploys the model returned by applyPolicyDefaults.

import {diagnostic} from '../compose/diagnostics.ts';
import type {Locations} from '../compose/locations.ts';
import type {Deploy, Diagnostic, ComposeModel, Resources, Service} from '../compose/types.ts';
import {ALLOW_LIST_RULES} from './allow-list.ts';
import {LIMIT_FIELDS, RULES as NAMED_RULES} from './rules.ts';
import type {Policy, PolicyContext, ResourceValues} from './types.ts';

/** The DESIGN's named rules, then the allow-list around them. */
const RULES = [...NAMED_RULES, ...ALLOW_LIST_RULES];

/** Rule ids and one-line summaries, for `--help` and the docs. */
export const POLICY_RULES: readonly {id: string; summary: string}[] = RULES.map(({id, summary}) => ({id, summary}));

/**
 * Every policy violation in `model`, as error diagnostics with source `policy` and the rule id.
 * Rules listed in `policy.disabled_rules` do not run. `locations` (from the loader) places each
 * diagnostic at the line of the offending value.
 */
export function checkPolicy(model: ComposeModel, policy: Policy, context: PolicyContext, locations?: Locations): Diagnostic[] {
  const out: Diagnostic[] = [];
  const disabled = new Set<string>(policy.disabled_rules);
  for (const rule of RULES) {
    if (disabled.has(rule.id)) continue;
    rule.check({
      project: model,
      policy,
      context,
      has: (path) => locations?.get(path) !== undefined,
      report: (path, message, hint) => out.push(diagnostic(locations, {source: 'policy', rule: rule.id, message, path, hint})),
    });
  }
  return out;
}

/**
 * The model with the policy's default limits set on services that set none of their own
 * (in `deploy.resources.limits`). A copy: `model` is not changed. With the `resources` rule
 * switched off, the model is returned as it is.
 */
export function applyPolicyDefaults(model: ComposeModel, policy: Policy): ComposeModel {
  if (policy.disabled_rules.includes('resources')) return model;
  const defaults = policy.resources.defaults;
  const kinds = (Object.keys(defaults) as (keyof ResourceValues)[]).filter((k) => defaults[k] !== undefined);
  const services: Record<string, Service> = {};
  for (const [name, svc] of Object.entries(model.services ?? {})) {
    const missing = kinds.filter((kind) => LIMIT_FIELDS.every((f) => f.kind !== kind || f.get(svc) === undefined || f.get(svc) === null));
    if (missing.length === 0) {
      services[name] = svc;
      continue;
    }
    const limits: Resources = {...svc.deploy?.resources?.limits};
    for (const kind of missing) limits[kind] = defaults[kind];
    const deploy: Deploy = {...svc.deploy, resources: {...svc.deploy?.resources, limits}};
    services[name] = {...svc, deploy};
  }
  return {...model, services};
}
