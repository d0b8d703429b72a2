// Failed sign-ins per client address, for the API's bearer tokens and the dashboard's sign-in
// form alike. Tokens are 256-bit random values, so guessing one is hopeless anyway; the limit is
// there so a script hammering the agent with wrong tokens costs it nothing (no hash per attempt)
// and shows up as one refusal, not thousands of 401s in the audit log. Successful calls never
// count, so a CI runner behind the same address as an attacker keeps working with its own token
// only until the window fills: the limit is generous for that reason.

/** Failures allowed per address and window before the address is refused. */
export const DEFAULT_FAILURES = 30;
export const DEFAULT_WINDOW_MS = 60_000;
/** Addresses remembered at once; the oldest entry goes first, so a flood of addresses cannot grow memory. */
const MAX_ADDRESSES = 10_000;

interface Entry {
  failures: number;
  /** When the window of this address started (ms). */
  since: number;
}

export interface AuthLimitOptions {
  failures?: number;
  windowMs?: number;
  now?: () => number;
}

export class FailedAuthLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly failures: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: AuthLimitOptions = {}) {
    this.failures = options.failures ?? DEFAULT_FAILURES;
    this.windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
    this.now = options.now ?? Date.now;
  }

  /** Seconds until `address` may try again, or 0 when it may try now. */
  retryAfter(address: string): number {
    const entry = this.current(address);
    if (!entry || entry.failures < this.failures) return 0;
    return Math.max(1, Math.ceil((entry.since + this.windowMs - this.now()) / 1000));
  }

  /** Counts one failed attempt of `address`. */
  fail(address: string): void {
    const entry = this.current(address);
    if (entry) {
      entry.failures += 1;
      return;
    }
    if (this.entries.size >= MAX_ADDRESSES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(address, {failures: 1, since: this.now()});
  }

  private current(address: string): Entry | undefined {
    const entry = this.entries.get(address);
    if (entry && this.now() - entry.since >= this.windowMs) {
      this.entries.delete(address);
      return undefined;
    }
    return entry;
  }
}
