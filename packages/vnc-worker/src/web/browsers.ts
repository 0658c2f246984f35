/**
 * Which client addresses behaved like a browser lately, so that their silent sockets are not
 * greeted as raw RFB clients too soon.
 *
 * Browsers open TCP connections ahead of use: Chromium preconnects, and a connection started for
 * one request may end up idle while another served it ("late binding"), then carries a later
 * request. Measured with Chromium 156 loading the console: 5-130 ms between accept and the
 * first byte on many of its ~55 connections (one per module with `Connection: close`), 545 ms on
 * a preconnect, while an unused socket may wait up to 10 s in its pool. Greeting such a socket
 * with the RFB version breaks the request that later uses it (Chromium reports
 * `ERR_INVALID_HTTP_RESPONSE` and does not retry). So once an address has sent an HTTP request
 * (or a WebSocket upgrade), its silent connections wait {@link DEFAULT_BROWSER_WINDOW_MS} instead
 * of the short raw window, for {@link DEFAULT_BROWSER_MEMORY_MS} after its last such request.
 * The price: a raw client on the same address in that time connects that much slower.
 *
 * A browser connection greeted anyway (its first request came after the short window, as on a
 * cold browser's first visit) fails that request; the address is then remembered, and its other
 * greeted connections that are still silent (the browser's spares, which a reload would pick
 * first) are closed, so the next try starts on fresh connections.
 */

/** Window for silent connections from an address that recently behaved like a browser (ms). */
export const DEFAULT_BROWSER_WINDOW_MS = 3000;

/** How long an address counts as a browser after its last HTTP request or WebSocket (ms). */
export const DEFAULT_BROWSER_MEMORY_MS = 60_000;

/** Addresses remembered at most (least recently marked are dropped first). */
const MAX_ADDRESSES = 4096;

/** Recently seen browser addresses. One per listener; not shared across listeners. */
export class BrowserMemory {
  private readonly seen = new Map<string, number>();
  private readonly silent = new Map<string, Set<{ destroy(): void }>>();

  constructor(
    /** How long a mark lasts (ms). */
    readonly memoryMs = DEFAULT_BROWSER_MEMORY_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records browser behaviour from `address` now, and closes its connections held as silent. */
  mark(address: string | undefined): void {
    if (!address) return;
    this.seen.delete(address);
    this.seen.set(address, this.now());
    if (this.seen.size > MAX_ADDRESSES) this.seen.delete(this.seen.keys().next().value as string);
    const held = this.silent.get(address);
    if (!held) return;
    this.silent.delete(address);
    for (const socket of held) socket.destroy();
  }

  /**
   * Holds a connection from `address` that was handed out as raw RFB and has not sent a byte:
   * if the address turns out to be a browser, it is closed. Call the returned function when the
   * connection sends its first bytes or closes.
   */
  holdSilent(address: string | undefined, socket: { destroy(): void }): () => void {
    if (!address) return () => {};
    let set = this.silent.get(address);
    if (!set) this.silent.set(address, (set = new Set()));
    set.add(socket);
    return () => {
      set.delete(socket);
      if (set.size === 0 && this.silent.get(address) === set) this.silent.delete(address);
    };
  }

  /** True when `address` was marked within `memoryMs`. */
  isRecent(address: string | undefined): boolean {
    if (!address) return false;
    const t = this.seen.get(address);
    if (t === undefined) return false;
    if (this.now() - t <= this.memoryMs) return true;
    this.seen.delete(address);
    return false;
  }

  /** Number of addresses held (expired ones included until looked up). */
  get size(): number {
    return this.seen.size;
  }
}
