/**
 * The minimal HTTP/1.1 this port speaks: parsing one bounded request head, validating a
 * WebSocket upgrade (RFC 6455 section 4.2), checking the browser's `Origin`, and formatting
 * responses. Request bodies are never read: a request that may carry one is answered with
 * `Connection: close`.
 *
 * The parser is deliberately small (the CVE class here is the embedded-httpd parser): request
 * line `METHOD SP origin-form SP HTTP/1.x`, then `name: value` lines with token names; no
 * obsolete line folding, at most {@link MAX_HEADERS} headers, and the head size bound is
 * enforced before parsing (`sniff.ts`).
 */

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

/** Most header lines accepted in one request. */
export const MAX_HEADERS = 100;

/** The GUID appended to the client key (RFC 6455 section 1.3). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** One parsed request head. Header names are lower-case; repeated headers are joined with `, `. */
export interface HttpRequest {
  readonly method: string;
  /** The request target as sent (`/websockify?x=1`). */
  readonly target: string;
  /** The target's path, not yet percent-decoded (`/websockify`). */
  readonly path: string;
  /** `HTTP/1.1` or `HTTP/1.0`. */
  readonly version: string;
  readonly headers: ReadonlyMap<string, string>;
}

/** A request this server answers with an error status instead of serving it. */
export class HttpError extends Error {
  constructor(
    /** The status to answer with. */
    readonly status: number,
    message: string,
    /** Extra response headers (e.g. `Sec-WebSocket-Version` with 426). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REQUEST_LINE = /^([A-Z]+) (\/[^\s]*) (HTTP\/1\.[01])$/;

/** Parses a request head (through its blank line); throws {@link HttpError} (400 or 431). */
export function parseRequestHead(head: Buffer): HttpRequest {
  const lines = head.toString('latin1').split('\r\n');
  const requestLine = REQUEST_LINE.exec(lines[0] ?? '');
  if (!requestLine) throw new HttpError(400, 'malformed request line');
  const [, method, target, version] = requestLine as unknown as [string, string, string, string];
  const headers = new Map<string, string>();
  let count = 0;
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (++count > MAX_HEADERS) throw new HttpError(431, `more than ${MAX_HEADERS} header lines`);
    if (/[\0\r\n]/.test(line)) throw new HttpError(400, 'bare CR, LF or NUL in a header line');
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw new HttpError(400, 'malformed header line');
    const value = line.slice(colon + 1).trim();
    const key = name.toLowerCase();
    const prev = headers.get(key);
    headers.set(key, prev === undefined ? value : `${prev}, ${value}`);
  }
  const q = target.indexOf('?');
  return { method, target, path: q < 0 ? target : target.slice(0, q), version, headers };
}

/** The comma-separated tokens of a header, trimmed and lower-cased. */
export function headerTokens(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
}

/** True when the request asks for a WebSocket (`Upgrade: websocket`), valid or not. */
export function isWebSocketRequest(req: HttpRequest): boolean {
  return headerTokens(req.headers.get('upgrade')).includes('websocket');
}

/** `Sec-WebSocket-Accept` for a client key: base64(sha1(key + GUID)). */
export function websocketAccept(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/**
 * Which browser origins may open the WebSocket. `'*'` allows any; a list allows those exact
 * origins (`https://console.example.com`, or `null`) in addition to the default rule.
 */
export type AllowedOrigins = '*' | readonly string[];

function isLoopbackName(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * Decides whether a WebSocket from `origin` may attach to the console.
 *
 * A missing `Origin` (a non-browser client: websockify-style tools, tests) is allowed. A browser
 * page from another site must not drive the VM's keyboard (cross-site WebSocket hijacking), so by
 * default a browser is allowed when its page came from a loopback host (a local process could
 * reach the raw port anyway), or from this very host:port when the `Host` header names an IP
 * address or `localhost` (a DNS name could be rebound to this address by a hostile site). Other
 * origins need `allowed`.
 */
export function checkOrigin(origin: string | undefined, host: string | undefined, allowed: AllowedOrigins = []): { ok: boolean; why: string } {
  if (origin === undefined) return { ok: true, why: 'no Origin header (not a browser)' };
  if (allowed === '*') return { ok: true, why: 'any origin allowed' };
  const wanted = origin.toLowerCase();
  if (allowed.some((a) => a.toLowerCase().replace(/\/$/, '') === wanted)) return { ok: true, why: 'origin listed in allowedOrigins' };
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return { ok: false, why: 'opaque or malformed Origin' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, why: 'Origin is not http(s)' };
  if (isLoopbackName(url.hostname)) return { ok: true, why: 'page served from a loopback host' };
  if (host !== undefined && url.host === host.toLowerCase()) {
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(hostname) !== 0) return { ok: true, why: 'same origin' };
    return { ok: false, why: 'same origin by DNS name (list it in allowedOrigins)' };
  }
  return { ok: false, why: 'cross-origin page' };
}

/** A valid upgrade: what to answer with. */
export interface UpgradeAccepted {
  /** The `Sec-WebSocket-Accept` value. */
  readonly accept: string;
  /** The sub-protocol chosen (`binary`), if the client offered it. */
  readonly protocol: string | undefined;
}

/**
 * Validates a WebSocket upgrade request; throws {@link HttpError}: 400 for a malformed request,
 * 426 (with `Sec-WebSocket-Version: 13`) for a missing or other version, 403 for a refused
 * origin. Any path is accepted. The `binary` sub-protocol is chosen when offered; when only
 * others are offered (`base64`) none is chosen and the client decides whether to go on.
 */
export function validateUpgrade(req: HttpRequest, allowed?: AllowedOrigins): UpgradeAccepted {
  if (req.method !== 'GET') throw new HttpError(400, `WebSocket upgrade with method ${req.method}`);
  if (req.version !== 'HTTP/1.1') throw new HttpError(400, 'WebSocket upgrade needs HTTP/1.1');
  if (!headerTokens(req.headers.get('connection')).includes('upgrade')) throw new HttpError(400, 'Connection header lacks "upgrade"');
  const version = req.headers.get('sec-websocket-version');
  if (version !== '13') {
    throw new HttpError(426, `unsupported Sec-WebSocket-Version ${version ?? '(none)'}`, { 'Sec-WebSocket-Version': '13' });
  }
  const key = req.headers.get('sec-websocket-key');
  if (key === undefined || !/^[A-Za-z0-9+/]{22}==$/.test(key)) throw new HttpError(400, 'missing or malformed Sec-WebSocket-Key');
  const origin = checkOrigin(req.headers.get('origin'), req.headers.get('host'), allowed);
  if (!origin.ok) throw new HttpError(403, `origin refused: ${origin.why}`);
  const protocol = headerTokens(req.headers.get('sec-websocket-protocol')).includes('binary') ? 'binary' : undefined;
  return { accept: websocketAccept(key), protocol };
}

/** The `101 Switching Protocols` answer to a valid upgrade. */
export function upgradeResponse(up: UpgradeAccepted): Buffer {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${up.accept}`];
  if (up.protocol !== undefined) lines.push(`Sec-WebSocket-Protocol: ${up.protocol}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  426: 'Upgrade Required',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
};

/** How a response is framed on the connection. */
export interface ResponseOptions {
  /** Send the headers only (the answer to HEAD). */
  omitBody?: boolean;
  /** Keep the connection open for another request (`Connection: keep-alive`); default close. */
  keepAlive?: boolean;
}

/** A complete plain response with `Content-Length` and `Connection: close` (or keep-alive). */
export function formatResponse(status: number, headers: Readonly<Record<string, string>>, body: Buffer | string = '', options: ResponseOptions = {}): Buffer {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? 'Unknown'}`];
  const all: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8', ...headers };
  all['Content-Length'] = String(data.length);
  all['Connection'] = options.keepAlive ? 'keep-alive' : 'close';
  all['X-Content-Type-Options'] = 'nosniff';
  for (const [k, v] of Object.entries(all)) lines.push(`${k}: ${v}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return options.omitBody || data.length === 0 ? head : Buffer.concat([head, data]);
}

/** A short plain-text error response for `status`. */
export function errorResponse(status: number, headers: Readonly<Record<string, string>> = {}, options: ResponseOptions = {}): Buffer {
  return formatResponse(status, headers, `${status} ${REASONS[status] ?? 'Error'}\n`, options);
}
