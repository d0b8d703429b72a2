// The human summary of a deploy: the plan (dry run) or the outcome with where services answer.

import type {DeployResultJson} from '../api/types.ts';
import type {Plan, ServiceStatus} from '../engine/types.ts';
import {palette, type Palette} from './terminal.ts';
import {renderTable} from './table.ts';

export function renderPlan(plan: Plan, options: {color: boolean}): string {
  const c = palette(options.color);
  const paint: Record<string, (s: string) => string> = {create: c.green, recreate: c.yellow, remove: c.red, scale: c.cyan, keep: c.dim};
  const rows = plan.services.map((s) => [s.service, (paint[s.action] ?? String)(s.action), `${s.replicas.from} → ${s.replicas.to}`, s.reason]);
  const head = plan.noop ? 'nothing to change: the stack already runs this model\n' : '';
  return head + renderTable(['SERVICE', 'ACTION', 'REPLICAS', 'WHY'], rows, options);
}

/** `http://127.0.0.1:8080` for each published port; the host is the agent's publish address. */
export function endpoints(service: ServiceStatus): string[] {
  return service.ports.map((p) => `${p.hostIp && p.hostIp !== '0.0.0.0' ? p.hostIp : '127.0.0.1'}:${p.published}->${p.target}/${p.protocol}`);
}

function outcomeWord(c: Palette, outcome: string): string {
  return outcome === 'healthy' ? c.green('healthy') : outcome === 'started' ? c.cyan('started') : c.red(outcome);
}

/**
 * What the change came to, in one line. After a failed change the agent rolled back by itself,
 * the table below shows the revision it went back to, and the line says so: `revision 7 failed
 * and was rolled back to revision 6, which runs healthy`.
 */
export function resultHeadline(result: Pick<DeployResultJson, 'revision' | 'outcome' | 'rollback'>, color = false): string {
  const c = palette(color);
  const head = `revision ${result.revision ?? '-'} ${outcomeWord(c, result.outcome)}`;
  const back = result.rollback;
  if (!back) return head;
  const ok = back.outcome === 'healthy' || back.outcome === 'started';
  return ok
    ? `${head} and was rolled back to revision ${back.revision}, which runs ${outcomeWord(c, back.outcome)}`
    : `${head}; rolling it back to revision ${back.revision} ended ${outcomeWord(c, back.outcome)} too`;
}

/** HEALTHY counts passing healthchecks; a service without one shows "-" (it runs, and that is all anyone knows). */
function healthCell(s: ServiceStatus): string {
  return s.replicas.length > 0 && s.replicas.every((r) => r.health === 'none') ? '-' : `${s.healthy}/${s.desired}`;
}

export function renderResult(project: string, stack: string, result: DeployResultJson, options: {color: boolean}): string {
  const c = palette(options.color);
  const services = result.status?.services ?? [];
  const head = `stack ${c.bold(stack)} in project ${project}: ${resultHeadline(result, options.color)}\n`;
  const rows = services.map((s) => [s.service, `${s.running}/${s.desired}`, healthCell(s), endpoints(s).join(', ') || '-']);
  return head + renderTable(['SERVICE', 'RUNNING', 'HEALTHY', 'PORTS'], rows, options);
}

/**
 * Where the stack answers: `web: http://web.portal.genomics.localhost:8088` through the ingress,
 * then `web: http://127.0.0.1:8080` for every published TCP port.
 */
export function renderUrls(result: Pick<DeployResultJson, 'status'>): string {
  const lines: string[] = [];
  for (const s of result.status?.services ?? []) {
    if (s.ingress) lines.push(`${s.service}: ${s.ingress.url}`);
    for (const p of s.ports) {
      if (p.protocol !== 'tcp' || !p.published) continue;
      const host = p.hostIp && p.hostIp !== '0.0.0.0' ? p.hostIp : '127.0.0.1';
      lines.push(`${s.service}: http://${host}:${p.published}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** The failing container's last log lines, each prefixed with its service (`  web | …`). */
export function renderFailureLogs(result: Pick<DeployResultJson, 'failure'>): string {
  const f = result.failure;
  return f?.logs.length ? `${f.logs.map((l) => `  ${f.service} | ${l}`).join('\n')}\n` : '';
}
