// Agent start-up: make the records and the engine agree again after the previous process ended,
// however it ended. A deploy that was running when the agent died left a `pending` revision and
// possibly a half-changed stack: the revision is marked `interrupted` and the stack is put back
// on one known revision (its last good one), or emptied when it never had one. That revision runs
// again only if today's policy accepts it, like any deploy; a refused one is reported and its
// containers are left as they are. Engine stacks the store does not know are reported, never
// deleted: they may be someone's work.

import {deploy} from '../engine/deploy.ts';
import type {Orchestrator, StackRef} from '../engine/types.ts';
import type {Policy} from '../policy/index.ts';
import {authorOf, policyGate, resolveSecrets} from './deploy.ts';
import type {Realpath} from './host-paths.ts';
import type {Store} from './types.ts';

export interface ReconcileOptions {
  store: Store;
  orchestrator: Orchestrator;
  /** The policy a restored revision must still meet. */
  policy: Policy;
  /** `warn`: violations are logged and the revision is restored anyway (a laptop's agent). */
  policyMode?: 'enforce' | 'warn';
  /** The platform registry, allowed by the registry rule. */
  registry?: string;
  realpath?: Realpath;
  /** Where the orchestrator keeps secret files, to redeploy `file` secrets. */
  secretsDir?: string;
  /** Time allowed to recreate each stack's containers. Default 120. */
  timeoutSeconds?: number;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface ReconcileReport {
  /** Revisions found pending and marked interrupted. */
  interrupted: (StackRef & {revision: number})[];
  /** Stacks put back on their last good revision. */
  restored: (StackRef & {revision: number})[];
  /** Stacks with no good revision whose containers were removed. */
  removed: StackRef[];
  /** Stacks whose last good revision today's policy refuses: not recreated, containers left as they are. */
  refused: (StackRef & {revision: number; messages: string[]})[];
  /** Engine stacks with Spin's labels but no record here. */
  unknown: StackRef[];
  errors: (StackRef & {message: string})[];
}

const keyOf = (ref: StackRef) => `${ref.project}/${ref.stack}`;

export const INTERRUPTED_MESSAGE = 'the agent stopped while this deploy was running';

export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const {store, orchestrator} = options;
  const log = options.log ?? (() => {});
  const report: ReconcileReport = {interrupted: [], restored: [], refused: [], removed: [], unknown: [], errors: []};
  store.clearLocks();

  const pendingByStack = new Map<string, {ref: StackRef; numbers: number[]}>();
  for (const r of store.pendingRevisions()) {
    const ref = {project: r.project, stack: r.stack};
    const entry = pendingByStack.get(keyOf(ref)) ?? {ref, numbers: []};
    entry.numbers.push(r.number);
    pendingByStack.set(keyOf(ref), entry);
  }
  for (const {ref, numbers} of pendingByStack.values()) {
    for (const number of numbers) {
      store.finishRevision(ref, number, 'interrupted', INTERRUPTED_MESSAGE);
      report.interrupted.push({...ref, revision: number});
      log('warn', `revision ${number} of stack "${ref.stack}" in project "${ref.project}" was interrupted`);
    }
    const current = store.stack(ref)?.currentRevision;
    const good = current === undefined ? undefined : store.revision(ref, current);
    try {
      if (good) {
        const gate = await policyGate(options, ref, good.model, authorOf(store, good));
        if (gate.violations.length > 0) {
          const messages = gate.violations.map((d) => d.message);
          report.refused.push({...ref, revision: good.number, messages});
          log('warn', `stack "${ref.stack}" in project "${ref.project}" was not put back on revision ${good.number}, which the current policy refuses: ${messages.join('; ')}; its containers were left as they are`);
          continue;
        }
        for (const d of gate.warnings) if (d.source === 'policy') log('warn', `stack "${ref.stack}" in project "${ref.project}", revision ${good.number}: ${d.message}`);
        const secrets = await resolveSecrets({store, secretsDir: options.secretsDir}, ref, gate.model, {});
        await deploy(orchestrator, {ref, model: gate.model, revision: good.number, secrets, timeoutMs: (options.timeoutSeconds ?? 120) * 1000, noWait: true});
        report.restored.push({...ref, revision: good.number});
        log('info', `stack "${ref.stack}" in project "${ref.project}" is back on revision ${good.number}`);
      } else {
        await orchestrator.remove(ref);
        report.removed.push(ref);
        log('info', `stack "${ref.stack}" in project "${ref.project}" never became healthy: its containers were removed`);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      report.errors.push({...ref, message});
      log('error', `cannot restore stack "${ref.stack}" in project "${ref.project}": ${message}`);
    }
  }

  try {
    for (const ref of await orchestrator.stacks()) {
      if (store.stack(ref)?.latestRevision !== undefined) continue;
      report.unknown.push(ref);
      log('warn', `the engine has containers of stack "${ref.stack}" in project "${ref.project}" that the agent has no record of; left as they are (remove them with \`docker rm\` if they are not needed)`);
    }
  } catch (err) {
    log('error', `cannot list the engine's stacks: ${err instanceof Error ? err.message : String(err)}`);
  }
  return report;
}
