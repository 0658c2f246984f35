/**
 * Raw RFB, WebSocket and plain HTTP on one port. {@link WebAcceptor} (one per listener) is the
 * entry for the coordinator's accept path; {@link acceptWeb} is the same for one socket.
 *
 * Each accepted socket waits a short window for the client's first bytes (`sniff.ts`): silence
 * means a raw RFB client, handed back untouched; an HTTP request is either a WebSocket upgrade on
 * any path (answered `101`, handed back as a {@link WebSocketStream} byte stream) or a plain
 * request, answered here (the console page, noVNC's files, or an error) on a keep-alive
 * connection that closes after {@link DEFAULT_KEEP_ALIVE_MS} idle. Either stream goes to
 * `VncConnection` as is: both are an `RfbTransport` (`@openvmm-vnc-ts/vnc`). Addresses that sent
 * HTTP get a longer window for their silent sockets (`browsers.ts` says why). With a TLS context,
 * a connection that opens with a TLS handshake is decrypted first and classified inside
 * (`tls.ts`): HTTPS, wss:// and RFB over TLS on the same port.
 */

import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import { type Logger, silentLogger } from '@openvmm-vnc-ts/video-core';
import { BrowserMemory, DEFAULT_BROWSER_WINDOW_MS } from './browsers.js';
import { type AllowedOrigins, HttpError, type HttpRequest, errorResponse, formatResponse, isWebSocketRequest, parseRequestHead, upgradeResponse, validateUpgrade } from './http.js';
import { canKeepAlive, servePlain } from './serve.js';
import { DEFAULT_HEAD_TIMEOUT_MS, DEFAULT_MAX_HEAD_BYTES, DEFAULT_SNIFF_WINDOW_MS, looksLikeHttp, sniffFirstBytes } from './sniff.js';
import { TLS_HANDSHAKE_RECORD, acceptTls } from './tls.js';
import { WebSocketStream } from './websocket.js';

export { BrowserMemory, DEFAULT_BROWSER_MEMORY_MS, DEFAULT_BROWSER_WINDOW_MS } from './browsers.js';
export { CloseCode, DEFAULT_MAX_PAYLOAD, WebSocketError, type WebSocketErrorCode } from './frames.js';
export { type AllowedOrigins, checkOrigin, websocketAccept } from './http.js';
export { CONSOLE_PAGE_CSP, CONSOLE_PAGE_HTML } from './page.js';
export { DEFAULT_HEAD_TIMEOUT_MS, DEFAULT_MAX_HEAD_BYTES, DEFAULT_SNIFF_WINDOW_MS, type SniffOptions, type SniffResult, sniffFirstBytes } from './sniff.js';
export { DEFAULT_CLOSE_TIMEOUT_MS, WebSocketStream, type WebSocketStreamOptions } from './websocket.js';

/** Default idle time before a keep-alive HTTP connection is closed (ms). */
export const DEFAULT_KEEP_ALIVE_MS = 5000;

/** Requests served on one connection before it is closed. */
const MAX_REQUESTS_PER_CONNECTION = 1000;

/** How long a closing plain-HTTP connection may linger before it is destroyed (ms). */
const LINGER_MS = 5000;

/** Options for {@link acceptWeb} and {@link WebAcceptor}; every field has a default. */
export interface AcceptWebOptions {
  /** Wait for a first byte (ms); default {@link DEFAULT_SNIFF_WINDOW_MS}. 0 disables detection: raw RFB only, no added latency. */
  sniffWindowMs?: number;
  /** The wait instead for an address in `browsers` (ms); default {@link DEFAULT_BROWSER_WINDOW_MS}. */
  browserWindowMs?: number;
  /** Addresses that recently sent HTTP. {@link WebAcceptor} keeps one; without it every address gets `sniffWindowMs`. */
  browsers?: BrowserMemory;
  /** Largest HTTP request head, upgrade included (bytes); default {@link DEFAULT_MAX_HEAD_BYTES}. Larger gets 431. */
  maxHandshakeBytes?: number;
  /** Time for the whole request head after its first byte (ms); default {@link DEFAULT_HEAD_TIMEOUT_MS}. Slower gets 408. */
  headTimeoutMs?: number;
  /** Idle time before a keep-alive HTTP connection closes (ms); default {@link DEFAULT_KEEP_ALIVE_MS}. 0: one request per connection. */
  keepAliveMs?: number;
  /** Largest WebSocket message from the client (bytes); default 4 MiB. Larger is closed with 1009. */
  maxPayload?: number;
  /** Wait for the peer's close frame after ours (ms); default 2000. */
  closeTimeoutMs?: number;
  /** Serve the console page and noVNC files; default true. When false plain HTTP gets 404 and WebSocket still works. */
  enableHttp?: boolean;
  /** Browser origins allowed beyond the default rule of {@link checkOrigin}; `'*'` allows any. */
  allowedOrigins?: AllowedOrigins;
  /** TLS context (certificate and key): connections that open with a TLS handshake get HTTPS, wss:// or RFB over TLS. Without it they are raw RFB (and fail its version check). */
  tls?: SecureContext;
  /** Logger; default silent. */
  logger?: Logger;
}

/** What {@link acceptWeb} made of a connection. */
export type AcceptWebResult =
  /** A raw RFB client: the same socket, unread (bytes it sent first, if any, are replayed). */
  | { kind: 'rfb'; stream: Socket; encrypted?: boolean }
  /** A WebSocket client, upgraded (`101` sent): RFB goes over `stream`. `encrypted`: it came over TLS (wss://). */
  | { kind: 'websocket'; stream: WebSocketStream; path: string; origin: string | undefined; encrypted?: boolean }
  /** Plain HTTP was answered and the connection is closing (or the peer left). Nothing to do. */
  | { kind: 'handled'; status: number | undefined; requests: number; reason: string };

/**
 * Classifies a freshly accepted socket and does whatever HTTP it needs; resolves once the socket
 * is an RFB transport, or once its HTTP requests are all answered. Never rejects: failures are
 * answered on the socket and reported as `handled`. A logging `'error'` listener is attached to
 * the socket (and to a returned WebSocket stream) for its lifetime, so an error before the
 * caller's own listeners are on cannot crash the process. Attach the RFB reader in the same tick
 * as the result arrives (as `new VncConnection(result.stream, ...)` does).
 */
export async function acceptWeb(socket: Socket, options: AcceptWebOptions = {}): Promise<AcceptWebResult> {
  const log = options.logger ?? silentLogger;
  const address = socket.remoteAddress;
  const remote = `${address}:${socket.remotePort}`;
  socket.on('error', (err: NodeJS.ErrnoException) => log.debug('socket error', { remote, code: err.code, error: err.message }));
  const rawWindow = options.sniffWindowMs ?? DEFAULT_SNIFF_WINDOW_MS;
  if (rawWindow <= 0) return { kind: 'rfb', stream: socket };
  const browsers = options.browsers;
  const browserWindow = Math.max(rawWindow, options.browserWindowMs ?? DEFAULT_BROWSER_WINDOW_MS);
  const limits = { maxHeadBytes: options.maxHandshakeBytes ?? DEFAULT_MAX_HEAD_BYTES, headTimeoutMs: options.headTimeoutMs ?? DEFAULT_HEAD_TIMEOUT_MS };
  const keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  let sniffed = await sniffFirstBytes(socket, { ...limits, windowMs: browsers ? () => (browsers.isRecent(address) ? browserWindow : rawWindow) : rawWindow });
  if (sniffed.kind === 'rfb') {
    if (options.tls && sniffed.first === TLS_HANDSHAKE_RECORD) return acceptInsideTls(socket, options.tls, options, limits.headTimeoutMs, log);
    if (sniffed.replayed > 0) log.debug('client spoke first without HTTP; treating as raw RFB', { remote, bytes: sniffed.replayed });
    if (browsers) learnFromLateHttp(socket, browsers, log, remote);
    return { kind: 'rfb', stream: socket };
  }
  let requests = 0;
  for (;;) {
    if (sniffed.kind === 'closed') return { kind: 'handled', status: undefined, requests, reason: 'peer closed the connection' };
    if (sniffed.kind === 'rfb') return reply(socket, undefined, requests, 'keep-alive connection idle or not HTTP');
    if (sniffed.kind === 'error') {
      log.limited('info', 'http-rejected', 'HTTP request rejected', { remote, status: sniffed.status, reason: sniffed.reason });
      return reply(socket, errorResponse(sniffed.status), requests, sniffed.reason, sniffed.status);
    }
    let req: HttpRequest;
    try {
      req = parseRequestHead(sniffed.head);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(400, String(err));
      log.limited('info', 'http-rejected', 'HTTP request rejected', { remote, status: e.status, reason: e.message });
      return reply(socket, errorResponse(e.status, e.headers), requests, e.message, e.status);
    }
    requests++;
    browsers?.mark(address);
    if (isWebSocketRequest(req)) return upgrade(socket, req, sniffed.rest, options, log, requests);
    const res = await servePlain(req, options.enableHttp ?? true);
    log.debug('HTTP request', { remote, method: req.method, path: req.path, status: res.status });
    // A client that has not read the previous response gets this one with `Connection: close`:
    // pipelined requests never pile responses up in memory.
    const keepAlive = keepAliveMs > 0 && requests < MAX_REQUESTS_PER_CONNECTION && canKeepAlive(req) && socket.writable && socket.writableLength === 0;
    const bytes = formatResponse(res.status, res.headers, res.body, { omitBody: req.method === 'HEAD', keepAlive });
    if (!keepAlive) return reply(socket, bytes, requests, res.reason, res.status);
    socket.write(bytes);
    if (sniffed.rest.length > 0) socket.unshift(sniffed.rest);
    sniffed = await sniffFirstBytes(socket, { ...limits, windowMs: keepAliveMs });
  }
}

/** TLS first, then the same classification inside it; the result is marked `encrypted`. */
async function acceptInsideTls(socket: Socket, context: SecureContext, options: AcceptWebOptions, timeoutMs: number, log: Logger): Promise<AcceptWebResult> {
  const secure = await acceptTls(socket, context, timeoutMs, log);
  if (!secure) return { kind: 'handled', status: undefined, requests: 0, reason: 'TLS handshake failed' };
  const inner = await acceptWeb(secure, { ...options, tls: undefined });
  return inner.kind === 'handled' ? inner : { ...inner, encrypted: true };
}

/** Validates an upgrade and answers it: 101 and a {@link WebSocketStream}, or an error status. */
function upgrade(socket: Socket, req: HttpRequest, rest: Buffer, options: AcceptWebOptions, log: Logger, requests: number): AcceptWebResult {
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  const origin = req.headers.get('origin');
  let up;
  try {
    up = validateUpgrade(req, options.allowedOrigins);
  } catch (err) {
    const e = err instanceof HttpError ? err : new HttpError(400, String(err));
    log.limited('warn', 'ws-rejected', 'WebSocket upgrade rejected', { remote, status: e.status, reason: e.message, origin, path: req.path });
    return reply(socket, errorResponse(e.status, e.headers), requests, e.message, e.status);
  }
  if (origin === undefined) log.info('WebSocket upgrade without an Origin header (not a browser)', { remote, path: req.path });
  log.info('WebSocket client', { remote, origin, path: req.path, protocol: up.protocol ?? '(none)' });
  socket.write(upgradeResponse(up));
  const stream = new WebSocketStream(socket, { head: rest, protocol: up.protocol, maxPayload: options.maxPayload, closeTimeoutMs: options.closeTimeoutMs, logger: log });
  stream.on('error', (err: Error) => log.debug('WebSocket stream error', { remote, error: err.message }));
  // A console session keeps its address a browser until it ends, and for the memory time after.
  const browsers = options.browsers;
  if (browsers) stream.once('close', () => browsers.mark(socket.remoteAddress));
  return { kind: 'websocket', stream, path: req.path, origin };
}

/**
 * Sends a final response (if any) and closes: the write side ends after it, later bytes from the
 * peer are read and dropped (closing with unread data would reset the connection and could lose
 * the response), and the socket is destroyed if the peer has not closed within {@link LINGER_MS}.
 */
function reply(socket: Socket, bytes: Buffer | undefined, requests: number, reason: string, status?: number): AcceptWebResult {
  if (socket.writable) socket.end(bytes ?? Buffer.alloc(0));
  else socket.destroy();
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref?.();
  socket.once('close', () => clearTimeout(timer));
  return { kind: 'handled', status, requests, reason };
}

/**
 * A socket greeted as raw RFB whose first reply is an HTTP request was a browser's idle
 * connection: that request fails, but the address is remembered so its next tries wait longer
 * (and its other silent RFB sockets are closed, `BrowserMemory.mark`). Until its first bytes the
 * socket is held as silent.
 * Looks in paused mode (`'readable'` and `read`, which also emits the chunk to `'data'`
 * listeners; `unshift` when there are none yet), so the RFB reader gets every byte once.
 */
function learnFromLateHttp(socket: Socket, browsers: BrowserMemory, log: Logger, remote: string): void {
  const release = browsers.holdSilent(socket.remoteAddress, socket);
  socket.once('close', release);
  const onReadable = (): void => {
    socket.off('readable', onReadable);
    release();
    // read() hands the chunk to the 'data' listeners already on (the RFB reader); if none is on
    // yet, the chunk goes back for it.
    // Whether a reader got it is decided at read time: the reader may remove itself while
    // handling the chunk (VeNCrypt handing the socket to TLS) and must not get it back.
    const delivered = socket.listenerCount('data') > 0;
    const chunk = socket.read() as Buffer | null;
    if (chunk === null) return;
    if (!delivered) socket.unshift(chunk);
    if (looksLikeHttp(chunk) === 'no') return;
    browsers.mark(socket.remoteAddress);
    log.limited('info', 'late-http', 'HTTP request on a connection already greeted as raw RFB (an idle browser connection); remembering the address', { remote });
  };
  socket.on('readable', onReadable);
}

/**
 * The web side of one listener: {@link acceptWeb} with options fixed and one
 * {@link BrowserMemory} shared by all its connections. Create one per listener.
 */
export class WebAcceptor {
  /** Addresses that recently behaved like browsers. */
  readonly browsers: BrowserMemory;
  private inFlight = 0;

  constructor(private readonly options: AcceptWebOptions & { browserMemoryMs?: number } = {}) {
    this.browsers = options.browsers ?? new BrowserMemory(options.browserMemoryMs);
  }

  /** Connections still being classified or served HTTP (for a cap on pending handshakes). */
  get pending(): number {
    return this.inFlight;
  }

  /** {@link acceptWeb} for one accepted socket. */
  async accept(socket: Socket): Promise<AcceptWebResult> {
    this.inFlight++;
    try {
      return await acceptWeb(socket, { ...this.options, browsers: this.browsers });
    } finally {
      this.inFlight--;
    }
  }
}
