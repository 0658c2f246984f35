/**
 * Raw RFB, WebSocket and plain HTTP on one port: {@link acceptWeb} is the single entry for the
 * coordinator's accept path.
 *
 * For each accepted socket it waits a short window for the client's first bytes
 * (`sniff.ts`): silence means a raw RFB client, and the socket is handed back untouched; an HTTP
 * request is either a WebSocket upgrade on any path (answered `101`, and handed back as a
 * {@link WebSocketStream} byte stream) or a plain request, which is answered here (the console
 * page, noVNC's files, or an error) and closed. Either stream goes to `VncConnection` as is:
 * both are an `RfbTransport` (`@openvmm-vnc-ts/vnc`).
 */

import type { Socket } from 'node:net';
import { type Logger, silentLogger } from '@openvmm-vnc-ts/video-core';
import { type AllowedOrigins, HttpError, type HttpRequest, errorResponse, formatResponse, isWebSocketRequest, parseRequestHead, upgradeResponse, validateUpgrade } from './http.js';
import { CONSOLE_PAGE_HEADERS, CONSOLE_PAGE_HTML } from './page.js';
import { DEFAULT_HEAD_TIMEOUT_MS, DEFAULT_MAX_HEAD_BYTES, DEFAULT_SNIFF_WINDOW_MS, sniffFirstBytes } from './sniff.js';
import { NOVNC_PREFIX, readNovncFile } from './static-files.js';
import { WebSocketStream } from './websocket.js';

export { CloseCode, DEFAULT_MAX_PAYLOAD, WebSocketError, type WebSocketErrorCode } from './frames.js';
export { type AllowedOrigins, checkOrigin, websocketAccept } from './http.js';
export { CONSOLE_PAGE_CSP, CONSOLE_PAGE_HTML } from './page.js';
export { DEFAULT_HEAD_TIMEOUT_MS, DEFAULT_MAX_HEAD_BYTES, DEFAULT_SNIFF_WINDOW_MS, type SniffOptions, type SniffResult, sniffFirstBytes } from './sniff.js';
export { DEFAULT_CLOSE_TIMEOUT_MS, WebSocketStream, type WebSocketStreamOptions } from './websocket.js';

/** Paths that answer with the console page. */
const PAGE_PATHS: ReadonlySet<string> = new Set(['/', '/index.html', '/vnc.html']);

/** How long a plain-HTTP connection may linger after its response before it is destroyed (ms). */
const LINGER_MS = 5000;

/** Options for {@link acceptWeb}; every field has a default. */
export interface AcceptWebOptions {
  /** Wait for a first byte (ms); default {@link DEFAULT_SNIFF_WINDOW_MS}. 0 disables detection: raw RFB only, no added latency. */
  sniffWindowMs?: number;
  /** Largest HTTP request head, upgrade included (bytes); default {@link DEFAULT_MAX_HEAD_BYTES}. Larger gets 431. */
  maxHandshakeBytes?: number;
  /** Time for the whole request head after its first byte (ms); default {@link DEFAULT_HEAD_TIMEOUT_MS}. Slower gets 408. */
  headTimeoutMs?: number;
  /** Largest WebSocket message from the client (bytes); default 4 MiB. Larger is closed with 1009. */
  maxPayload?: number;
  /** Wait for the peer's close frame after ours (ms); default 2000. */
  closeTimeoutMs?: number;
  /** Serve the console page and noVNC files; default true. When false plain HTTP gets 404 and WebSocket still works. */
  enableHttp?: boolean;
  /** Browser origins allowed beyond the default rule of {@link checkOrigin}; `'*'` allows any. */
  allowedOrigins?: AllowedOrigins;
  /** Logger; default silent. */
  logger?: Logger;
}

/** What {@link acceptWeb} made of a connection. */
export type AcceptWebResult =
  /** A raw RFB client: the same socket, unread (bytes it sent first, if any, are replayed). */
  | { kind: 'rfb'; stream: Socket }
  /** A WebSocket client, upgraded (`101` sent): RFB goes over `stream`. */
  | { kind: 'websocket'; stream: WebSocketStream; path: string; origin: string | undefined }
  /** Plain HTTP was answered (or the peer left, `status` undefined); the socket is closing. Nothing to do. */
  | { kind: 'handled'; status: number | undefined; reason: string };

/**
 * Classifies a freshly accepted socket and does whatever HTTP it needs. Never rejects: every
 * failure is answered on the socket and reported as `handled`. An `'error'` listener that only
 * logs is attached to the socket for its lifetime, so an error between this call and the
 * caller's own listeners cannot crash the process.
 */
export async function acceptWeb(socket: Socket, options: AcceptWebOptions = {}): Promise<AcceptWebResult> {
  const log = options.logger ?? silentLogger;
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  socket.on('error', (err: NodeJS.ErrnoException) => log.debug('socket error', { remote, code: err.code, error: err.message }));
  const windowMs = options.sniffWindowMs ?? DEFAULT_SNIFF_WINDOW_MS;
  if (windowMs <= 0) return { kind: 'rfb', stream: socket };
  const sniffed = await sniffFirstBytes(socket, {
    windowMs,
    maxHeadBytes: options.maxHandshakeBytes ?? DEFAULT_MAX_HEAD_BYTES,
    headTimeoutMs: options.headTimeoutMs ?? DEFAULT_HEAD_TIMEOUT_MS,
  });
  switch (sniffed.kind) {
    case 'rfb':
      if (sniffed.replayed > 0) log.debug('client spoke first without HTTP; treating as raw RFB', { remote, bytes: sniffed.replayed });
      return { kind: 'rfb', stream: socket };
    case 'closed':
      return { kind: 'handled', status: undefined, reason: 'peer left before a request' };
    case 'error':
      log.limited('info', 'http-rejected', 'HTTP request rejected', { remote, status: sniffed.status, reason: sniffed.reason });
      return reply(socket, errorResponse(sniffed.status), sniffed.status, sniffed.reason);
    case 'http':
      break;
  }
  let req: HttpRequest;
  try {
    req = parseRequestHead(sniffed.head);
  } catch (err) {
    const e = err instanceof HttpError ? err : new HttpError(400, String(err));
    log.limited('info', 'http-rejected', 'HTTP request rejected', { remote, status: e.status, reason: e.message });
    return reply(socket, errorResponse(e.status, e.headers), e.status, e.message);
  }
  const origin = req.headers.get('origin');
  if (isWebSocketRequest(req)) {
    let up;
    try {
      up = validateUpgrade(req, options.allowedOrigins);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(400, String(err));
      log.limited('warn', 'ws-rejected', 'WebSocket upgrade rejected', { remote, status: e.status, reason: e.message, origin, path: req.path });
      return reply(socket, errorResponse(e.status, e.headers), e.status, e.message);
    }
    if (origin === undefined) log.info('WebSocket upgrade without an Origin header (not a browser)', { remote, path: req.path });
    log.info('WebSocket client', { remote, origin, path: req.path, protocol: up.protocol ?? '(none)' });
    socket.write(upgradeResponse(up));
    const stream = new WebSocketStream(socket, {
      head: sniffed.rest,
      protocol: up.protocol,
      maxPayload: options.maxPayload,
      closeTimeoutMs: options.closeTimeoutMs,
      logger: log,
    });
    return { kind: 'websocket', stream, path: req.path, origin };
  }
  const res = await serveRequest(req, options.enableHttp ?? true);
  log.debug('HTTP request', { remote, method: req.method, path: req.path, status: res.status });
  const omitBody = req.method === 'HEAD';
  const bytes = res.status === 200 ? formatResponse(200, res.headers, res.body, omitBody) : errorResponse(res.status, res.headers, omitBody);
  return reply(socket, bytes, res.status, res.reason);
}

/** The answer to a plain (non-upgrade) request. */
async function serveRequest(req: HttpRequest, enableHttp: boolean): Promise<{ status: number; headers: Record<string, string>; body: Buffer | string; reason: string }> {
  if (!enableHttp) return { status: 404, headers: {}, body: '', reason: 'HTTP disabled' };
  if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, headers: { Allow: 'GET, HEAD' }, body: '', reason: `method ${req.method}` };
  if (PAGE_PATHS.has(req.path)) return { status: 200, headers: { ...CONSOLE_PAGE_HEADERS }, body: CONSOLE_PAGE_HTML, reason: 'console page' };
  if (req.path.startsWith(NOVNC_PREFIX)) {
    try {
      const file = await readNovncFile(req.path);
      return { status: 200, headers: { 'Content-Type': file.contentType, 'Cache-Control': 'no-cache' }, body: file.body, reason: 'noVNC file' };
    } catch (err) {
      if (err instanceof HttpError) return { status: err.status, headers: {}, body: '', reason: err.message };
      return { status: 500, headers: {}, body: '', reason: String(err) };
    }
  }
  return { status: 404, headers: {}, body: '', reason: 'no such path' };
}

/**
 * Sends a complete response and closes: the write side ends after it, later bytes from the peer
 * are read and dropped (closing with unread data would reset the connection and could lose the
 * response), and the socket is destroyed if the peer has not closed within {@link LINGER_MS}.
 */
function reply(socket: Socket, bytes: Buffer, status: number, reason: string): AcceptWebResult {
  if (socket.writable) socket.end(bytes);
  else socket.destroy();
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref?.();
  socket.once('close', () => clearTimeout(timer));
  return { kind: 'handled', status, reason };
}
