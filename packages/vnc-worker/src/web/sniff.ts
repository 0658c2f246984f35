/**
 * Telling a raw RFB client from a browser on one port, by who speaks first.
 *
 * An RFB client waits for the server's version string; a browser (HTTP or WebSocket) sends its
 * request right behind the TCP handshake. So the server waits a short window for a first byte:
 * none means raw RFB, and the caller greets the client, having added the window to its connect
 * time. libvncserver waits 100 ms on every raw connection; our default is
 * {@link DEFAULT_SNIFF_WINDOW_MS}. A browser's bytes that start with an HTTP method are read up
 * to the end of the request head, bounded in size and time; any other first bytes go back into
 * the socket (`unshift`) for the RFB parser to judge.
 *
 * The socket is read in paused mode (`'readable'` + `read()`), so nothing is consumed that is
 * not returned, and once the listeners are removed a later `on('data')` (as in `VncConnection`)
 * puts the socket into flowing mode with any replayed bytes first. The silence verdict is taken
 * after the event loop's next socket poll, so a busy event loop (a long frame encode) does not
 * turn a browser whose bytes already arrived into a raw client.
 */

import type { Socket } from 'node:net';

/**
 * Default wait for a client's first byte before deciding it is a raw RFB client (ms).
 *
 * The target was at most 20 ms added to a raw client's connect; this default misses it on
 * purpose, for browsers. Measured here (Chromium 156, cold launch, 2 cores): with a 15 ms window
 * 2 of 8 first page loads of the console failed (the navigation request came 1-29 ms after
 * accept, after the RFB greeting), with 25 ms 0 of 8, with 40 ms 0 of 16. A raw client pays the
 * window once per connect (15 ms adds 15.4 ms median, `test/web-sniff.test.ts` prints it);
 * libvncserver pays 100 ms. `--vnc-sniff-ms 15` restores the target where no browser connects,
 * and 0 turns detection off. Raise it for clients behind a tunnel that accepts before it
 * connects onward (ssh -L): their first byte comes one tunnel round trip late.
 */
export const DEFAULT_SNIFF_WINDOW_MS = 40;

/** Default cap on an HTTP request head, request line and headers included (bytes). */
export const DEFAULT_MAX_HEAD_BYTES = 8192;

/** Default time allowed for a whole HTTP request head once its first byte arrived (ms). */
export const DEFAULT_HEAD_TIMEOUT_MS = 5000;

/** What the first bytes said. */
export type SniffResult =
  /** Raw RFB: no byte within the window, or non-HTTP bytes (`replayed` of them unshifted, the first being `first`). */
  | { kind: 'rfb'; replayed: number; first?: number }
  /** An HTTP request: its head (through the blank line) and any bytes that followed it. */
  | { kind: 'http'; head: Buffer; rest: Buffer }
  /** An HTTP request that broke a limit: 431 (too large) or 408 (too slow). Not answered yet. */
  | { kind: 'error'; status: 408 | 431; reason: string }
  /** The peer closed or reset the connection before anything could be decided. */
  | { kind: 'closed' };

/** Limits for {@link sniffFirstBytes}. */
export interface SniffOptions {
  /**
   * Wait for a first byte this long (ms); default {@link DEFAULT_SNIFF_WINDOW_MS}. A function is
   * asked again when the window runs out, and the wait goes on if it now answers more than the
   * time already waited (an address that turned out to be a browser meanwhile, `browsers.ts`).
   */
  windowMs?: number | (() => number);
  /** Largest request head (bytes); default {@link DEFAULT_MAX_HEAD_BYTES}. */
  maxHeadBytes?: number;
  /** Time for the rest of the head after its first byte (ms); default {@link DEFAULT_HEAD_TIMEOUT_MS}. */
  headTimeoutMs?: number;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE'].map((m) => Buffer.from(`${m} `, 'latin1'));
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Whether `buf` starts an HTTP request: `yes` when it begins with a method and a space, `maybe`
 * when it is still a prefix of one (`GE`), `no` otherwise (`RFB 003.008\n` is `no`).
 */
export function looksLikeHttp(buf: Buffer): 'yes' | 'maybe' | 'no' {
  let maybe = false;
  for (const m of METHODS) {
    const n = Math.min(m.length, buf.length);
    if (buf.compare(m, 0, n, 0, n) !== 0) continue;
    if (buf.length >= m.length) return 'yes';
    maybe = true;
  }
  return maybe ? 'maybe' : 'no';
}

/**
 * Waits up to `windowMs` for the client's first bytes and classifies the connection. Pass a
 * number for just the window. Never writes to the socket and never destroys it.
 */
export function sniffFirstBytes(socket: Socket, options: SniffOptions | number = {}): Promise<SniffResult> {
  const o = typeof options === 'number' ? { windowMs: options } : options;
  const w = o.windowMs ?? DEFAULT_SNIFF_WINDOW_MS;
  const windowMs = typeof w === 'number' ? () => w : w;
  const maxHead = o.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
  const headTimeoutMs = o.headTimeoutMs ?? DEFAULT_HEAD_TIMEOUT_MS;
  return new Promise<SniffResult>((resolve) => {
    let buf: Buffer = Buffer.alloc(0);
    let settled = false;
    let headTimer: NodeJS.Timeout | undefined;
    const start = Date.now();
    let windowTimer = setTimeout(onSilence, windowMs());

    function onSilence(): void {
      // Timers may fire a hair early by the wall clock: only a real extension re-arms.
      const left = typeof w === 'function' ? windowMs() - (Date.now() - start) : 0;
      if (left > 1) windowTimer = setTimeout(onSilence, left);
      // Timers run before the event loop polls sockets: after a busy stretch the bytes may be
      // here already. setImmediate runs after that poll, so they win.
      else
        setImmediate(() => {
          if (buf.length === 0) done({ kind: 'rfb', replayed: 0 });
        });
    }

    function done(result: SniffResult): void {
      if (settled) return;
      settled = true;
      clearTimeout(windowTimer);
      clearTimeout(headTimer);
      socket.off('readable', onReadable);
      socket.off('end', onGone);
      socket.off('close', onGone);
      socket.off('error', onGone);
      resolve(result);
    }

    function onGone(): void {
      done({ kind: 'closed' });
    }

    function onReadable(): void {
      // Read no more than one byte past the cap: enough to know the head is too large.
      while (buf.length <= maxHead) {
        const c = socket.read() as Buffer | null;
        if (c === null) break;
        buf = buf.length === 0 ? c : Buffer.concat([buf, c]);
      }
      if (buf.length === 0 || settled) return;
      if (headTimer === undefined) {
        clearTimeout(windowTimer);
        headTimer = setTimeout(() => done({ kind: 'error', status: 408, reason: `request head not complete within ${headTimeoutMs} ms` }), headTimeoutMs);
      }
      const cls = looksLikeHttp(buf);
      if (cls === 'no') {
        socket.unshift(buf);
        done({ kind: 'rfb', replayed: buf.length, first: buf[0] });
        return;
      }
      if (cls === 'maybe') return;
      const end = buf.indexOf(HEAD_END);
      if (end >= 0 && end + HEAD_END.length <= maxHead) {
        done({ kind: 'http', head: buf.subarray(0, end + HEAD_END.length), rest: buf.subarray(end + HEAD_END.length) });
      } else if (end >= 0 || buf.length >= maxHead) {
        done({ kind: 'error', status: 431, reason: `request head larger than ${maxHead} bytes` });
      }
    }

    socket.on('readable', onReadable);
    socket.on('end', onGone);
    socket.on('close', onGone);
    socket.on('error', onGone);
  });
}
