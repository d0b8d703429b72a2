// The cluster's nodes as `spin agent node ls` shows them.

import type {NodeInfo} from '../engine/swarm-nodes.ts';
import {renderTable} from './table.ts';
import {palette, type Terminal} from './terminal.ts';

/** Labels as `key=value,…` in key order, `-` when none (one token per cell when piped). */
function labelText(labels: Record<string, string>): string {
  return Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join(',') || '-';
}

export function renderNodes(nodes: NodeInfo[], options: Terminal): string {
  const c = palette(options.color);
  const rows = nodes.map((n) => [
    n.id,
    n.address,
    n.leader ? 'leader' : n.role,
    n.availability === 'active' ? n.availability : c.yellow(n.availability),
    n.state === 'ready' ? c.green(n.state) : c.red(n.state),
    labelText(n.labels),
  ]);
  return renderTable(['ID', 'ADDRESS', 'ROLE', 'AVAILABILITY', 'STATE', 'LABELS'], rows, options);
}
