// Resident memory of processes, as the memory figures read it: the kernel's own count.

import {readdirSync, readFileSync} from 'node:fs';

/** Resident memory of a process, from the kernel's own count. */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

export function dockerdPid(): number {
  try {
    return Number(readFileSync('/var/run/docker.pid', 'utf8').trim());
  } catch {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'dockerd') return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
  }
  throw new Error('no dockerd process found');
}
