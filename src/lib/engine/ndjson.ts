// The engine streams progress and events as one JSON object a line (pull, events). Lines that are
// not JSON objects are skipped, and an endless line is dropped rather than buffered.

const MAX_LINE = 1024 * 1024;

export async function* jsonLines(stream: AsyncIterable<Buffer | string>): AsyncGenerator<Record<string, unknown>> {
  let pending = '';
  const parse = (line: string): Record<string, unknown> | undefined => {
    try {
      const value: unknown = JSON.parse(line);
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  for await (const chunk of stream) {
    pending += chunk.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const value = parse(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
      if (value) yield value;
    }
    if (pending.length > MAX_LINE) pending = '';
  }
  const last = pending.trim() ? parse(pending) : undefined;
  if (last) yield last;
}
