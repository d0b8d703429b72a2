// Runs jobs with a concurrency limit, each after the jobs it depends on. After the first failure
// no new job starts; the running ones finish, then that failure is thrown.

export interface Job<T> {
  id: string;
  after: string[];
  run(): Promise<T>;
}

export async function runJobs<T>(jobs: readonly Job<T>[], limit: number): Promise<Map<string, T>> {
  const results = new Map<string, T>();
  const pending = [...jobs];
  const running = new Map<string, Promise<void>>();
  let failure: {err: unknown} | undefined;
  while (pending.length || running.size) {
    if (!failure) {
      for (let i = 0; i < pending.length && running.size < Math.max(1, limit); ) {
        const job = pending[i];
        if (job.after.every((d) => results.has(d))) {
          pending.splice(i, 1);
          const p = job
            .run()
            .then((r) => void results.set(job.id, r))
            .catch((err: unknown) => void (failure ??= {err}))
            .finally(() => running.delete(job.id));
          running.set(job.id, p);
        } else i++;
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (failure) throw failure.err;
  if (pending.length) throw new Error(`jobs wait on each other: ${pending.map((j) => j.id).join(', ')}`);
  return results;
}
