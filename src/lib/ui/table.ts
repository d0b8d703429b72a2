// Tables for people and for scripts. On a TTY: bold headers and color; piped: the same
// stable, space-padded columns without escape codes, so `awk '{print $1}'` works.

import {palette, visibleWidth as width} from './terminal.ts';

export function renderTable(headers: string[], rows: string[][], options: {color: boolean}): string {
  const c = palette(options.color);
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat(widths[i] - width(cell))))
      .join('   ')
      .trimEnd();
  return [line(headers.map((h) => c.bold(h))), ...rows.map(line)].join('\n') + '\n';
}

/** "3 minutes ago" on a TTY; the ISO time when piped. */
export function formatTime(iso: string | null | undefined, tty: boolean, now = Date.now()): string {
  if (!iso) return '-';
  if (!tty) return iso;
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (Number.isNaN(s)) return iso;
  if (s < 60) return `${Math.max(s, 0)} seconds ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'} ago`;
  return `${Math.round(h / 24)} days ago`;
}
