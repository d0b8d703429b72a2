// The human summary of a deploy: the plan (dry run) or the outcome with where services answer.

import type {DeployResultJson} from '../client/api-types.ts';
import type {Plan, ServiceStatus} from '../engine/types.ts';
import {palette} from './terminal.ts';
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

export function renderResult(project: string, stack: string, result: DeployResultJson, options: {color: boolean}): string {
  const c = palette(options.color);
  const services = result.status?.services ?? [];
  const word = result.outcome === 'healthy' ? c.green('healthy') : result.outcome === 'started' ? c.cyan('started') : c.red(result.outcome);
  const head = `stack ${c.bold(stack)} in project ${project}: revision ${result.revision ?? '-'} ${word}\n`;
  const rows = services.map((s) => [s.service, `${s.running}/${s.desired}`, `${s.healthy}/${s.desired}`, endpoints(s).join(', ') || '-']);
  return head + renderTable(['SERVICE', 'RUNNING', 'HEALTHY', 'PORTS'], rows, options);
}

/** `web: http://127.0.0.1:8080` for every published TCP port: where the stack answers. */
export function renderUrls(result: DeployResultJson): string {
  const lines: string[] = [];
  for (const s of result.status?.services ?? []) {
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

/** The same lines under a heading naming the replica, for commands with one event per line. */
export function renderFailureLogsHeaded(result: Pick<DeployResultJson, 'failure'>): string {
  const f = result.failure;
  if (!f?.logs.length) return '';
  return `last log lines of ${f.service}${f.replica ? `-${f.replica}` : ''}:\n${f.logs.map((l) => `  ${l}`).join('\n')}\n`;
}
