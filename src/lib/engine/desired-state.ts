// The replica counts the last deploy asked for, kept in a file beside the stack's secret files:
// status reports `desired` for a service even when none of its containers is left.

import {mkdir, readFile, rename, writeFile} from 'node:fs/promises';
import {join} from 'node:path';

import {stackFilesDir, STATE_FILE} from './files.ts';
import type {StackRef} from './types.ts';

export async function saveDesired(root: string, ref: StackRef, replicas: Record<string, number>): Promise<void> {
  const dir = stackFilesDir(root, ref);
  await mkdir(dir, {recursive: true, mode: 0o700});
  const tmp = join(dir, `${STATE_FILE}.tmp`);
  await writeFile(tmp, JSON.stringify({replicas}) + '\n', {mode: 0o600});
  await rename(tmp, join(dir, STATE_FILE));
}

export async function loadDesired(root: string, ref: StackRef): Promise<Record<string, number> | undefined> {
  try {
    const state = JSON.parse(await readFile(join(stackFilesDir(root, ref), STATE_FILE), 'utf8')) as {replicas?: Record<string, unknown>};
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(state.replicas ?? {})) if (typeof v === 'number') out[k] = v;
    return out;
  } catch {
    return undefined;
  }
}
