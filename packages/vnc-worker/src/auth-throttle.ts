/**
 * Failed-authentication back-off, keyed on the peer address and driven only by real failures:
 * connecting is never counted (a proxy in front of many users would otherwise lock them all
 * out, a known pain point of libvncserver-based servers). The first few failures are free
 * (typos); after that each failure doubles the time the address is refused, up to a cap. A
 * success clears the record. A refused peer gets the cheapest answer: its socket is closed at
 * accept, before a single RFB byte.
 */

/** Tuning of {@link AuthThrottle}. */
export interface AuthThrottleOptions {
  /** Failures allowed before blocking starts. Default 3. */
  freeFailures?: number;
  /** First block length in ms. Default 1000. */
  baseBlockMs?: number;
  /** Longest block in ms. Default 10 minutes. */
  maxBlockMs?: number;
  /** Most addresses remembered (oldest forgotten first). Default 10000. */
  maxEntries?: number;
  /** Clock, for tests. */
  now?: () => number;
}

interface Entry {
  failures: number;
  blockedUntil: number;
  lastFailure: number;
}

/** Per-address failure counting with exponential back-off. */
export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly free: number;
  private readonly base: number;
  private readonly max: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: AuthThrottleOptions = {}) {
    this.free = options.freeFailures ?? 3;
    this.base = options.baseBlockMs ?? 1000;
    this.max = options.maxBlockMs ?? 10 * 60 * 1000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds `address` is still refused for (0 when it may connect). */
  blockedFor(address: string): number {
    const e = this.entries.get(address);
    return e ? Math.max(0, e.blockedUntil - this.now()) : 0;
  }

  /** Records a failed authentication; returns how long the address is now refused (ms). */
  failure(address: string): number {
    const now = this.now();
    let e = this.entries.get(address);
    if (e && now - e.lastFailure > this.max * 6) e = undefined; // stale record: start over
    e ??= { failures: 0, blockedUntil: 0, lastFailure: now };
    e.failures++;
    e.lastFailure = now;
    const over = e.failures - this.free;
    e.blockedUntil = over > 0 ? now + Math.min(this.max, this.base * 2 ** (over - 1)) : 0;
    this.entries.delete(address);
    this.entries.set(address, e);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return Math.max(0, e.blockedUntil - now);
  }

  /** Records a successful authentication: the address starts afresh. */
  success(address: string): void {
    this.entries.delete(address);
  }

  /** Addresses with a record. */
  get size(): number {
    return this.entries.size;
  }
}
