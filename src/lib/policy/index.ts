// The platform policy engine, shared by the CLI and the agent. See policies/default.yaml for the
// rules' data and DESIGN.md "The policy" for what each rule is for.

export {applyPolicyDefaults, checkPolicy, POLICY_RULES} from './check.ts';
export {canonicalRegistry, DOCKER_HUB, parseImageReference, type ImageReference} from '../image-ref.ts';
export {DEFAULT_POLICY_FILE, loadPolicy, POLICY_FILE_LIMIT} from './load.ts';
export {RULE_IDS, type Policy, type PolicyContext, type ResourceValues, type RuleId} from './types.ts';
export {parsePortRange, type PortRange} from './values.ts';
