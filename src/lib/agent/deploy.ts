// The deploy flow, the heart of the API interceptor. The agent never trusts the client:
// every submission is loaded and policy-checked again here, with the caller's own identity, before
// the orchestrator sees it. Each real deploy is recorded as a revision first (pending) and
// finished with its outcome, so a crash mid-deploy leaves a trace reconcile.ts can act on.

import {readFile} from 'node:fs/promises';

import type {DeployResultJson} from '../api/types.ts';
import {loadDocument} from '../compose/load.ts';
import {withImages} from '../compose/with-images.ts';
import {RESOLVED_MODEL_FORMAT, type Diagnostic, type ComposeModel, type UpdateConfig} from '../compose/types.ts';
import {deploy} from '../engine/deploy.ts';
import {hostPath} from '../engine/files.ts';
import type {DeployEvent, DeployResult, Orchestrator, StackRef, StackStatus} from '../engine/types.ts';
import {applyPolicyDefaults, checkPolicy, type Policy} from '../policy/index.ts';
import {ApiError, checkServiceNames, diagnosticJson, stackNotFound} from './errors.ts';
import {resolveHostPaths, resolvePolicyPaths, type Realpath} from './host-paths.ts';
import type {Revision, RevisionOutcome, Store, User} from './types.ts';

export interface DeployDeps {
  store: Store;
  orchestrator: Orchestrator;
  policy: Policy;
  /** The platform registry (`host[:port]`), always allowed by the registry rule. */
  registry?: string;
  /**
   * Where the orchestrator keeps the stack's secret files. Scale, rollback and reconcile redeploy
   * without the client, so a `file` secret's value is read back from there.
   */
  secretsDir?: string;
  clock?: () => Date;
  /**
   * Aborts when the agent stops: a rollout in flight ends where it is and its revision stays
   * pending, for the next start to reconcile (reconcile.ts), as after a crash.
   */
  stopping?: AbortSignal;
  /**
   * `warn`: policy violations are returned as warnings and the stack runs anyway. A laptop's
   * embedded agent runs this way so trainees learn the rules before they deploy for real.
   */
  policyMode?: 'enforce' | 'warn';
  /** Resolves host paths on the engine's host (fs.realpath); injected by tests. */
  realpath?: Realpath;
}

export interface DeployInput {
  user: User;
  ref: StackRef;
  /** The compose document as the client sent it (toResolvedDocument's output, or toComposeDocument's from older CLIs). */
  document: unknown;
  /** `RESOLVED_MODEL_FORMAT` for a resolved document; absent in the shape older CLIs send. */
  modelFormat?: string;
  /** Values of the model's `file`/`environment` secrets by their key in the model. */
  secrets?: Record<string, Buffer>;
  dryRun?: boolean;
  /** Wait for health (default); false returns once containers are started. */
  wait?: boolean;
  timeoutSeconds?: number;
  onEvent?: (event: DeployEvent) => void;
}

export interface ScaleInput {
  user: User;
  ref: StackRef;
  replicas: Record<string, number>;
  wait?: boolean;
  timeoutSeconds?: number;
  onEvent?: (event: DeployEvent) => void;
}

export const DEFAULT_TIMEOUT_SECONDS = 300;

let lockSerial = 0;

/**
 * Runs `fn` holding the stack's deploy lock: one change per stack at a time, across requests and
 * processes. The lock is released whatever happens.
 */
export async function withStackLock<T>(store: Store, ref: StackRef, user: User, fn: () => Promise<T>): Promise<T> {
  const holder = `${user.name}#${process.pid}.${++lockSerial}`;
  if (!store.lockStack(ref, holder)) {
    throw new ApiError('stack.locked', `stack "${ref.stack}" in project "${ref.project}" is busy: another deploy or change is in progress`, {
      hint: 'wait for it to finish (`spin history` shows it), then try again',
    });
  }
  try {
    return await fn();
  } finally {
    store.unlockStack(ref, holder);
  }
}

/** Image per service as the model names it; the orchestrator reports digests once deployed. */
export function modelImages(model: ComposeModel): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, service] of Object.entries(model.services)) if (service.image) out[name] = service.image;
  return out;
}

const errorsOf = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 'error');
const warningsOf = (ds: Diagnostic[]) => ds.filter((d) => d.severity !== 'error');

function secretMissing(name: string, service: string, external: boolean): Diagnostic {
  return {
    severity: 'error',
    source: 'secrets',
    message: `secret "${name}" used by service "${service}" has no value`,
    path: `secrets.${name}`,
    hint: external
      ? `create it in the project with \`spin secret create ${name}\``
      : `deploy from the folder where its file or variable is available, or store it with \`spin secret create ${name}\` and mark it \`external: true\``,
  };
}

/**
 * Secret values by the key the model uses, for every secret a service mounts: `external` ones
 * from the project's stored secrets, others from the request, the model's inline `content`, a
 * stored secret of that name, or the file a previous deploy wrote. None → 422 with a hint.
 */
export async function resolveSecrets(deps: Pick<DeployDeps, 'store' | 'secretsDir'>, ref: StackRef, model: ComposeModel, provided: Record<string, Buffer>): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  const missing: Diagnostic[] = [];
  for (const [serviceName, service] of Object.entries(model.services)) {
    for (const use of service.secrets) {
      const key = use.source;
      if (Object.hasOwn(out, key)) continue;
      const def = model.secrets[key];
      const external = def?.external === true;
      let value: Buffer | undefined;
      if (external) value = deps.store.secretValue(ref.project, def?.name ?? key);
      else if (Object.hasOwn(provided, key)) value = provided[key];
      else if (typeof def?.content === 'string') value = Buffer.from(def.content);
      else value = deps.store.secretValue(ref.project, key) ?? (await deployedSecret(deps.secretsDir, ref, model, key));
      if (value === undefined) missing.push(secretMissing(key, serviceName, external));
      else out[key] = value;
    }
  }
  if (missing.length > 0) {
    throw new ApiError('compose.invalid', missing.length === 1 ? missing[0].message : `${missing.length} secrets have no value`, {hint: missing[0].hint, diagnostics: missing});
  }
  return out;
}

/** The value a previous deploy wrote for a secret, if the stack still has it. */
async function deployedSecret(dir: string | undefined, ref: StackRef, model: ComposeModel, key: string): Promise<Buffer | undefined> {
  if (dir === undefined) return undefined;
  for (const [name, service] of Object.entries(model.services)) {
    if (!service.secrets.some((s) => s.source === key)) continue;
    try {
      return await readFile(hostPath(dir, ref, name, {kind: 'secret', name: key}));
    } catch {
      // not deployed for this service: try the next one that uses it
    }
  }
  return undefined;
}

function revisionMessage(result: DeployResult): string | undefined {
  const f = result.failure;
  if (f) return `service "${f.service}"${f.replica === undefined ? '' : ` replica ${f.replica}`}: ${f.reason}`;
  if (result.outcome === 'timeout') return 'timed out waiting for the services to become healthy';
  return undefined;
}

interface ApplyInput {
  user: User;
  ref: StackRef;
  model: ComposeModel;
  secrets: Record<string, Buffer>;
  warnings: Diagnostic[];
  dryRun: boolean;
  wait: boolean;
  timeoutSeconds: number;
  onEvent?: (event: DeployEvent) => void;
  /** Per-service rollout settings replacing update_config (going back under rollback_config). */
  updateConfigs?: Record<string, UpdateConfig | undefined>;
  /** Services whose images are pulled again although the engine has them. */
  pull?: string[];
}

export interface PolicyGate {
  /** What the engine may run: host paths resolved to their real paths, the policy's defaults added. */
  model: ComposeModel;
  /** Violations that stop the deploy; none in `warn` mode. */
  violations: Diagnostic[];
  /** The check's other findings (in `warn` mode, the violations too, as warnings). */
  warnings: Diagnostic[];
}

/** Whose identity the global-fs rule compares a service's user with. */
export interface Identity {
  uid?: number;
  gid?: number;
}

/** The identity of the user who made a revision, when the store still has that user. */
export function authorOf(store: Store, revision: Revision): Identity {
  const user = store.user(revision.user);
  return user ? {uid: user.uid, gid: user.gid} : {};
}

/**
 * Every model the agent runs passes here first, whether a client sent it or it comes from the
 * store (rollback, reconcile): today's policy, on the paths the engine will really mount.
 */
export async function policyGate(deps: Pick<DeployDeps, 'policy' | 'policyMode' | 'registry' | 'realpath'>, ref: StackRef, model: ComposeModel, identity: Identity): Promise<PolicyGate> {
  const [resolved, policy] = await Promise.all([resolveHostPaths(model, deps.realpath), resolvePolicyPaths(deps.policy, deps.realpath)]);
  const unresolved = policy.disabled_rules.includes('bind-mounts') ? [] : resolved.diagnostics;
  const checked = [...unresolved, ...checkPolicy(resolved.project, policy, {project: ref.project, stack: ref.stack, uid: identity.uid, gid: identity.gid, registry: deps.registry})];
  for (const d of checked) {
    // The rule saw the real path; say which written path led there.
    const link = resolved.changed.find((c) => c.path === d.path && d.message.includes(`"${c.real}"`));
    if (link) d.message += ` ("${link.written}" resolves to "${link.real}")`;
  }
  const warn = deps.policyMode === 'warn';
  if (warn) {
    for (const d of checked) if (d.severity === 'error') Object.assign(d, {severity: 'warning', message: `the platform would refuse this because ${d.message}`});
  }
  return {model: applyPolicyDefaults(resolved.project, deps.policy), violations: warn ? [] : errorsOf(checked), warnings: warningsOf(checked)};
}

function policyRefusal(violations: Diagnostic[]): ApiError {
  const rules = [...new Set(violations.map((d) => d.rule).filter(Boolean))].join(', ');
  return new ApiError('policy.violation', `the platform policy refuses this stack: ${violations.length} violation${violations.length === 1 ? '' : 's'} (${rules})`, {
    hint: violations.length === 1 && violations[0].hint ? violations[0].hint : 'fix each diagnostic; `spin validate` shows them with file:line:col',
    diagnostics: violations,
  });
}

/** Policy, defaults, secrets, plan, then (unless a dry run) a recorded deploy. Holds no lock itself. */
async function apply(deps: DeployDeps, input: ApplyInput): Promise<DeployResultJson> {
  const {store, orchestrator} = deps;
  const {ref, user} = input;
  const gate = await policyGate(deps, ref, input.model, user);
  if (gate.violations.length > 0) throw policyRefusal(gate.violations);
  const warnings = [...input.warnings, ...gate.warnings].map(diagnosticJson);
  const model = gate.model;
  const secrets = await resolveSecrets(deps, ref, model, input.secrets);
  // One plan: the one a dry run shows is the one stored with the revision and the one executed.
  const prepared = await orchestrator.prepare({
    ref,
    model,
    secrets,
    dryRun: input.dryRun,
    ...(input.dryRun ? {} : {onEvent: input.onEvent}),
    ...(input.updateConfigs ? {updateConfigs: input.updateConfigs} : {}),
    ...(input.pull?.length ? {pull: input.pull} : {}),
  });
  const {plan} = prepared;
  const images = modelImages(model);
  if (input.dryRun) {
    return {revision: null, outcome: 'planned', plan, status: await orchestrator.status(ref), images, warnings};
  }
  const previous = store.stack(ref)?.currentRevision;
  const revision = store.addRevision(ref, {model, images, user: user.name, plan});
  let result: DeployResult;
  try {
    result = await orchestrator.execute(prepared, {revision: revision.number, timeoutMs: input.timeoutSeconds * 1000, noWait: !input.wait, onEvent: input.onEvent, ...(deps.stopping ? {signal: deps.stopping} : {})});
  } catch (err) {
    if (deps.stopping?.aborted) throw agentStopping(revision.number);
    store.finishRevision(ref, revision.number, 'failed', err instanceof Error ? err.message : String(err));
    throw err;
  }
  const out: DeployResultJson = {revision: revision.number, outcome: result.outcome, plan: result.plan, status: result.status, images: result.images, warnings};
  if (result.failure) out.failure = result.failure;
  const failed = result.outcome === 'failed' || result.outcome === 'timeout';
  const back = failed && previous !== undefined && wantsRollback(model) ? store.revision(ref, previous) : undefined;
  if (!back) {
    store.finishRevision(ref, revision.number, result.outcome satisfies RevisionOutcome, revisionMessage(result), result.images);
    return out;
  }
  const rollback = await rollBack(deps, ref, back, {...input, model});
  if (deps.stopping?.aborted) throw agentStopping(revision.number);
  store.finishRevision(ref, revision.number, rollback.outcome === 'failed' ? result.outcome : 'rolled-back', `${revisionMessage(result) ?? result.outcome}; ${rollback.message}`, result.images);
  out.rollback = {revision: back.number, outcome: rollback.outcome};
  if (rollback.status) out.status = rollback.status;
  out.warnings.push(...rollback.warnings.map(diagnosticJson));
  return out;
}

/** What a rollout cut short by the agent's stop ends with; its revision stays pending for the next start. */
function agentStopping(revision: number): ApiError {
  return new ApiError('engine.failed', `the agent stopped during the rollout of revision ${revision}`, {
    hint: 'when the agent starts again it marks the revision interrupted and puts the stack back on its last good revision; then deploy again',
  });
}

/**
 * DESIGN: a failed rollout rolls the whole stack back to the last good revision, unless the
 * model asked otherwise (`update_config.failure_action: pause|continue` on a service).
 */
function wantsRollback(model: ComposeModel): boolean {
  return Object.values(model.services).every((s) => !['pause', 'continue'].includes(String(s.deploy?.update_config?.failure_action ?? 'rollback')));
}

async function rollBack(
  deps: DeployDeps,
  ref: StackRef,
  to: Revision,
  input: ApplyInput,
): Promise<{outcome: DeployResult['outcome']; message: string; status?: StackStatus; warnings: Diagnostic[]}> {
  const now = () => (deps.clock ?? (() => new Date()))().toISOString();
  input.onEvent?.({type: 'log', time: now(), message: `rolling back to revision ${to.number}`});
  try {
    // The stored model passed the policy of its day; the policy or the host may have changed since.
    const gate = await policyGate(deps, ref, to.model, authorOf(deps.store, to));
    if (gate.violations.length > 0) {
      const rules = [...new Set(gate.violations.map((d) => d.rule).filter(Boolean))].join(', ');
      const message = `not rolled back: revision ${to.number} is refused by the current policy (${rules})`;
      input.onEvent?.({type: 'log', time: now(), message});
      const warnings = gate.violations.map((d) => ({...d, severity: 'warning' as const, message: `revision ${to.number}, refused by the current policy: ${d.message}`}));
      return {outcome: 'failed', message, warnings};
    }
    const secrets = await resolveSecrets(deps, ref, gate.model, input.secrets);
    const updateConfigs = rollbackConfigs(input.model, gate.model);
    const r = await deploy(deps.orchestrator, {
      ref,
      model: gate.model,
      revision: to.number,
      secrets,
      timeoutMs: input.timeoutSeconds * 1000,
      onEvent: input.onEvent,
      ...(updateConfigs ? {updateConfigs} : {}),
      ...(deps.stopping ? {signal: deps.stopping} : {}),
    });
    const ok = r.outcome === 'healthy' || r.outcome === 'started';
    return {outcome: r.outcome, status: r.status, message: ok ? `rolled back to revision ${to.number}` : `rolling back to revision ${to.number} ended ${r.outcome}`, warnings: gate.warnings};
  } catch (err) {
    return {outcome: 'failed', message: `rolling back to revision ${to.number} failed: ${err instanceof Error ? err.message : String(err)}`, warnings: []};
  }
}

/**
 * The way back from `from` to `to` rolls out under `from`'s rollback_config, for the services
 * that set one (the others use their own update_config, as on any deploy).
 */
export function rollbackConfigs(from: ComposeModel, to: ComposeModel): Record<string, UpdateConfig> | undefined {
  const out: Record<string, UpdateConfig> = {};
  for (const name of Object.keys(to.services)) {
    const config = from.services[name]?.deploy?.rollback_config;
    if (config) out[name] = config;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Loads, checks and deploys a compose document as one stack. */
export async function deployStack(deps: DeployDeps, input: DeployInput): Promise<DeployResultJson> {
  return withStackLock(deps.store, input.ref, input.user, async () => {
    if (input.modelFormat !== undefined && input.modelFormat !== RESOLVED_MODEL_FORMAT) {
      throw new ApiError('request.invalid', `model format ${JSON.stringify(input.modelFormat.slice(0, 40))} is not known`, {hint: `send modelFormat "${RESOLVED_MODEL_FORMAT}", or upgrade the agent`});
    }
    const loaded = await loadDocument(input.document, input.ref.stack, {resolved: input.modelFormat === RESOLVED_MODEL_FORMAT});
    const errors = errorsOf(loaded.diagnostics);
    if (errors.length > 0 || !loaded.project) {
      throw new ApiError('compose.invalid', `the compose model is invalid: ${errors.length === 1 ? errors[0].message : `${errors.length} errors`}`, {
        hint: errors.length === 1 && errors[0].hint ? errors[0].hint : 'run `spin validate` to see every problem with its file and line',
        diagnostics: errors,
      });
    }
    return apply(deps, {
      user: input.user,
      ref: input.ref,
      model: loaded.project,
      secrets: input.secrets ?? {},
      warnings: warningsOf(loaded.diagnostics),
      dryRun: input.dryRun ?? false,
      wait: input.wait ?? true,
      timeoutSeconds: input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      onEvent: input.onEvent,
    });
  });
}

/** The revision a change starts from: the last healthy one, else the newest. */
export function baseRevision(store: Store, ref: StackRef): Revision | undefined {
  const record = store.stack(ref);
  const number = record?.currentRevision ?? record?.latestRevision;
  return number === undefined ? undefined : store.revision(ref, number);
}

/** The model with new replica counts; `scale:` goes, so it cannot disagree with deploy.replicas. */
export function withReplicas(model: ComposeModel, replicas: Record<string, number>): ComposeModel {
  const services = {...model.services};
  for (const [name, count] of Object.entries(replicas)) {
    const {scale: _scale, ...service} = services[name];
    services[name] = {...service, deploy: {...service.deploy, replicas: count}};
  }
  return {...model, services};
}

/** A change the agent makes from a recorded model (scale, rollback, upgrade): no client secrets, no dry run. */
function redeploy(
  deps: DeployDeps,
  input: {user: User; ref: StackRef; wait?: boolean; timeoutSeconds?: number; onEvent?: (event: DeployEvent) => void},
  model: ComposeModel,
  rollout: Pick<ApplyInput, 'updateConfigs' | 'pull'> = {},
): Promise<DeployResultJson> {
  return apply(deps, {
    ...rollout,
    user: input.user,
    ref: input.ref,
    model,
    secrets: {},
    warnings: [],
    dryRun: false,
    wait: input.wait ?? true,
    timeoutSeconds: input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    onEvent: input.onEvent,
  });
}

export interface RollbackInput {
  user: User;
  ref: StackRef;
  /** Default: the newest healthy revision older than the current one. */
  to?: number;
  wait?: boolean;
  timeoutSeconds?: number;
  onEvent?: (event: DeployEvent) => void;
}

const PINNED = /@sha256:[0-9a-f]{64}$/;

/**
 * The revision's model with each image replaced by the registry digest it actually ran. An image
 * that never came from a registry has only an engine ID, which the policy refuses (a tenant must
 * not run images by ID): it keeps the name and tag it was deployed under.
 */
export function pinnedModel(revision: Revision): ComposeModel {
  const services = Object.fromEntries(
    Object.entries(revision.model.services).map(([name, s]) => {
      const ran = revision.images[name];
      return [name, ran && PINNED.test(ran) ? {...s, image: ran} : s];
    }),
  );
  return {...revision.model, services};
}

/** A new revision that runs a recorded one again, exactly: its config, replicas and image digests. */
export async function rollbackStack(deps: DeployDeps, input: RollbackInput): Promise<DeployResultJson> {
  return withStackLock(deps.store, input.ref, input.user, async () => {
    const record = deps.store.stack(input.ref);
    if (!record) throw stackNotFound(input.ref.project, input.ref.stack);
    let target: Revision | undefined;
    if (input.to !== undefined) {
      target = deps.store.revision(input.ref, input.to);
      if (!target) throw new ApiError('revision.not_found', `stack "${input.ref.stack}" has no revision ${input.to}`, {hint: 'see the revisions with `spin history`'});
    } else {
      const current = record.currentRevision ?? record.latestRevision ?? 0;
      target = deps.store.revisions(input.ref).find((r) => r.number < current && (r.outcome === 'healthy' || r.outcome === 'started'));
      if (!target) throw new ApiError('revision.none', `stack "${input.ref.stack}" has no earlier healthy revision to go back to`, {hint: 'see `spin history`; name one with --to N'});
    }
    const current = baseRevision(deps.store, input.ref);
    const updateConfigs = current ? rollbackConfigs(current.model, target.model) : undefined;
    return redeploy(deps, input, pinnedModel(target), updateConfigs ? {updateConfigs} : {});
  });
}

/** A new revision from the current one with replica counts changed. */
export async function scaleStack(deps: DeployDeps, input: ScaleInput): Promise<DeployResultJson> {
  return withStackLock(deps.store, input.ref, input.user, async () => {
    const base = baseRevision(deps.store, input.ref);
    if (!base) throw stackNotFound(input.ref.project, input.ref.stack);
    checkServiceNames(input.ref.stack, Object.keys(input.replicas), Object.keys(base.model.services));
    return redeploy(deps, input, withReplicas(base.model, input.replicas));
  });
}

export interface UpgradeInput {
  user: User;
  ref: StackRef;
  /** Services to upgrade; none means every service (or those named in `images`). */
  services?: string[];
  /** New image reference by service. */
  images?: Record<string, string>;
  wait?: boolean;
  timeoutSeconds?: number;
  onEvent?: (event: DeployEvent) => void;
}

/** A reference as `docker pull` takes it: name[:tag][@digest], no spaces, bounded. */
const IMAGE_REF = /^[a-z0-9][a-z0-9._\-/:@]{0,254}$/i;

/**
 * A new revision from the current one with images changed (`images`), or the same tags pulled
 * again (services named without an image), rolled out like any deploy: health-gated under each
 * service's update_config, and the whole stack put back if it fails.
 */
export async function upgradeStack(deps: DeployDeps, input: UpgradeInput): Promise<DeployResultJson> {
  return withStackLock(deps.store, input.ref, input.user, async () => {
    const base = baseRevision(deps.store, input.ref);
    if (!base) throw stackNotFound(input.ref.project, input.ref.stack);
    const images = input.images ?? {};
    const names = Object.keys(base.model.services);
    checkServiceNames(input.ref.stack, [...(input.services ?? []), ...Object.keys(images)], names);
    for (const [service, image] of Object.entries(images)) {
      if (!IMAGE_REF.test(image)) {
        throw new ApiError('request.invalid', `image ${JSON.stringify(image.slice(0, 80))} for service "${service}" is not an image reference`, {
          hint: 'give it as NAME[:TAG] or NAME@sha256:DIGEST, e.g. registry.example.org/team/web:2.1',
        });
      }
    }
    const named = input.services ?? [];
    const pull = (named.length > 0 ? named : Object.keys(images).length > 0 ? [] : names).filter((s) => !Object.hasOwn(images, s));
    return redeploy(deps, input, withImages(base.model, images), {pull});
  });
}
