// The results as a table for people (stdout) or as one JSON document for scripts (--json).

import {arch, cpus, platform} from 'node:os';
import {msNumber, ratioNumber} from './format.ts';
import type {CaseResult, Stats} from './types.ts';

export interface Machine {
  node: string;
  platform: string;
  cpus: number;
  cpuModel: string;
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    node: process.version,
    platform: `${platform()}-${arch()}`,
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
  };
}

/** One table row: label, median, p25-p75, min-max (or label and a note when skipped). */
function statsRow(label: string, stats: Stats, number: (n: number) => string, unit: string): string[] {
  const range = (from: number, to: number) => `${number(from)}-${number(to)}${unit}`;
  return [label, `${number(stats.median)}${unit}`, `p25-p75 ${range(stats.p25, stats.p75)}`, `min-max ${range(stats.min, stats.max)}`];
}

/** Medians right-aligned so they line up; a skipped command's note follows its label. */
function alignColumns(rows: string[][]): string[] {
  const width = (col: number) => Math.max(0, ...rows.filter((r) => r.length > 2 || col === 0).map((r) => r[col].length));
  const widths = [0, 1, 2, 3].map(width);
  return rows.map((row) => {
    if (row.length === 2) return `${row[0].padEnd(widths[0])}   ${row[1]}`;
    const [label, median, quartiles, range] = row;
    return [label.padEnd(widths[0]), median.padStart(widths[1]), quartiles.padEnd(widths[2]), range].join('   ');
  });
}

function caseTable(result: CaseResult): string[] {
  const unit = ` ${result.unit ?? 'ms'}`;
  const rows = result.commands.map((c) =>
    c.stats ? statsRow(c.label, c.stats, msNumber, unit) : [c.label, `skipped: ${c.skipped}`],
  );
  for (const ratio of result.ratios) rows.push(statsRow(`ratio ${ratio.subject}/${ratio.peer}`, ratio.stats, ratioNumber, 'x'));
  const lines = [`${result.benchmark} ${result.name}   (n=${result.runs} each, interleaved)`];
  lines.push(...alignColumns(rows).map((line) => `  ${line}`));
  if (result.target) {
    const {text, met, note} = result.target;
    const verdict = met === undefined ? 'not checked' : met ? 'met' : 'NOT met';
    lines.push(`  target: ${text}: ${verdict} (${note})`);
  }
  return lines;
}

export function formatTable(machine: Machine, results: CaseResult[]): string {
  const header =
    `spin bench on node ${machine.node}, ${machine.platform}, ${machine.cpus} CPUs (${machine.cpuModel})\n` +
    'times: median wall clock per run; ratios: median of per-round ratios (below 1x: spin is faster)\n';
  return `${header}\n${results.map((r) => caseTable(r).join('\n')).join('\n\n')}\n`;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

function roundStats(stats: Stats): Stats {
  return {
    n: stats.n,
    median: round3(stats.median),
    p25: round3(stats.p25),
    p75: round3(stats.p75),
    min: round3(stats.min),
    max: round3(stats.max),
  };
}

export function formatJson(machine: Machine, results: CaseResult[]): string {
  const cases = results.map((r) => ({
    ...r,
    commands: r.commands.map((c) => ({
      ...c,
      samples: c.samples.map(round3),
      stats: c.stats && roundStats(c.stats),
    })),
    ratios: r.ratios.map((ratio) => ({...ratio, stats: roundStats(ratio.stats)})),
  }));
  return `${JSON.stringify({date: new Date().toISOString(), unit: 'ms', machine, cases}, null, 2)}\n`;
}
