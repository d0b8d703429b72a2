// A load generator for tests and benchmarks: GET requests with a given Host header to a proxy (on
// 127.0.0.1 unless told), at a constant rate, until stopped (never past a time limit). It behaves like an
// ordinary HTTP client: keep-alive connections, and a request that finds its idle keep-alive
// connection closed by the server (nothing received yet) is sent again once on a new connection,
// as RFC 9112 section 9.3.1 allows for idempotent requests and as browsers and Go's client do;
// such retries are counted apart. Anything else — an error status, a reset after the request
// was answered in part, a timeout — is a failed request.

import http from 'node:http';

export interface LoadOptions {
  /** Where the proxy listens. Default 127.0.0.1 (a cluster's proxy is on its manager's address). */
  address?: string;
  port: number;
  /** The path requested. Default `/`. */
  path?: string;
  /** Default GET. A POST (empty body) is never sent twice: no proxy or client may retry it. */
  method?: 'GET' | 'POST';
  /** Several ports, used in turn (client-side round robin, no proxy); `port` is then ignored. */
  ports?: number[];
  /**
   * Several addresses, used in turn as `ports` are (request i goes to the i-th address with the
   * i-th port, each list repeating): a client-side balancer over a cluster's nodes.
   */
  addresses?: string[];
  host: string;
  /** Requests per second, spread evenly. Default 200. */
  rate?: number;
  /** Stop after this long even if nobody calls stop(). Default 90 s. */
  limitMs?: number;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  /** Connections at most. Default 16. */
  connections?: number;
}

export interface LoadReport {
  sent: number;
  ok: number;
  failed: number;
  /** Requests sent again after their idle keep-alive connection was closed by the server. */
  retried: number;
  /** The first failures, as `STATUS body` or the error code, with the time since the start. */
  errors: string[];
  /** Successful answers per body. */
  bodies: Record<string, number>;
  /** The bodies in the order they changed ("v1", "v2"). */
  sequence: string[];
  /** Latency of each successful request, ms, in completion order. */
  latencies: number[];
  durationMs: number;
}

type Answer = {status: number; body: string} | {error: NodeJS.ErrnoException; reused: boolean};

export function startLoad(options: LoadOptions) {
  const agent = new http.Agent({keepAlive: true, maxSockets: options.connections ?? 16});
  const report: LoadReport = {sent: 0, ok: 0, failed: 0, retried: 0, errors: [], bodies: {}, sequence: [], latencies: [], durationMs: 0};
  const started = performance.now();
  const pending = new Set<Promise<void>>();
  const interval = 1000 / (options.rate ?? 200);

  const ports = options.ports?.length ? options.ports : [options.port];
  const addresses = options.addresses?.length ? options.addresses : [options.address ?? '127.0.0.1'];
  let turn = 0;
  const once = (fresh = false, i = turn++): Promise<Answer> =>
    new Promise((resolve) => {
      const [address, port] = [addresses[i % addresses.length], ports[i % ports.length]];
      const method = options.method ?? 'GET';
      const headers = {host: options.host, ...(method === 'POST' ? {'content-length': '0'} : {})};
      const req = http.request({host: address, port, method, path: options.path ?? '/', headers, agent: fresh ? false : agent, timeout: options.timeoutMs ?? 10_000}, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({status: res.statusCode ?? 0, body: body.trim()}));
        res.on('error', (error: NodeJS.ErrnoException) => resolve({error, reused: false}));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), {code: 'ETIMEDOUT'})));
      req.on('error', (error: NodeJS.ErrnoException) => resolve({error, reused: req.reusedSocket}));
      req.end();
    });

  const fail = (why: string) => {
    report.failed++;
    if (report.errors.length < 20) report.errors.push(`${why} at ${Math.round(performance.now() - started)} ms`);
  };

  const request = async () => {
    report.sent++;
    const t = performance.now();
    let answer = await once();
    if ('error' in answer && answer.reused && (options.method ?? 'GET') === 'GET' && ['ECONNRESET', 'EPIPE'].includes(answer.error.code ?? '')) {
      report.retried++;
      answer = await once(true);
    }
    if ('error' in answer) return fail(answer.error.code ?? answer.error.message);
    if (answer.status !== 200) return fail(`${answer.status} ${answer.body.slice(0, 60)}`);
    report.ok++;
    report.latencies.push(performance.now() - t);
    report.bodies[answer.body] = (report.bodies[answer.body] ?? 0) + 1;
    if (report.sequence.at(-1) !== answer.body) report.sequence.push(answer.body);
  };

  // A fixed schedule (not "after the previous answer"), so a slow proxy gets the same load.
  let next = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const now = performance.now();
    while (next <= now) {
      const p = request().finally(() => pending.delete(p));
      pending.add(p);
      next += interval;
    }
    timer = setTimeout(tick, Math.max(1, next - performance.now()));
  };
  tick();
  const limit = setTimeout(() => clearTimeout(timer), options.limitMs ?? 90_000);

  return {
    report,
    /** Stops sending, waits for the answers still due, and returns the figures. */
    async stop(): Promise<LoadReport> {
      clearTimeout(timer);
      clearTimeout(limit);
      report.durationMs = performance.now() - started;
      await Promise.all(pending);
      agent.destroy();
      return report;
    },
  };
}

/** The p-quantile (0..1) of latencies, by nearest rank. */
export function quantile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}
