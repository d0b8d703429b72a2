// How times and ratios read in the table and in target notes: one format everywhere.

/** Three significant figures is as much as a noisy machine can tell apart. */
export function msNumber(ms: number): string {
  return ms >= 100 ? String(Math.round(ms)) : ms.toFixed(1);
}

export function ratioNumber(ratio: number): string {
  if (ratio >= 10) return ratio.toFixed(1);
  return ratio >= 1 ? ratio.toFixed(2) : ratio.toPrecision(2);
}

export const formatMs = (ms: number): string => `${msNumber(ms)} ms`;
export const formatRatio = (ratio: number): string => `${ratioNumber(ratio)}x`;
