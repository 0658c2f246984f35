/**
 * Answers to plain (non-upgrade) HTTP requests: the console page at `/`, `/index.html` and
 * `/vnc.html`, noVNC's files under `/novnc/`, 404 for anything else, 405 for methods other than
 * GET and HEAD. With `enableHttp: false` every plain request gets 404 (WebSocket still works).
 */

import { HttpError, type HttpRequest, headerTokens } from './http.js';
import { CONSOLE_PAGE_HEADERS, CONSOLE_PAGE_HTML } from './page.js';
import { NOVNC_PREFIX, readNovncFile } from './static-files.js';

/** Paths that answer with the console page. */
const PAGE_PATHS: ReadonlySet<string> = new Set(['/', '/index.html', '/vnc.html']);

/** One answer, before framing. */
export interface PlainResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | string;
  /** Why, for the log. */
  readonly reason: string;
}

/** The answer to a plain request. Never throws. */
export async function servePlain(req: HttpRequest, enableHttp: boolean): Promise<PlainResponse> {
  if (!enableHttp) return { status: 404, headers: {}, body: '', reason: 'HTTP disabled' };
  if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, headers: { Allow: 'GET, HEAD' }, body: '', reason: `method ${req.method}` };
  if (PAGE_PATHS.has(req.path)) return { status: 200, headers: CONSOLE_PAGE_HEADERS, body: CONSOLE_PAGE_HTML, reason: 'console page' };
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
 * Whether the connection may stay open after answering `req`: HTTP/1.1, GET or HEAD, no
 * `Connection: close`, and nothing that announces a body (which is never read).
 */
export function canKeepAlive(req: HttpRequest): boolean {
  if (req.version !== 'HTTP/1.1' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  if (headerTokens(req.headers.get('connection')).includes('close')) return false;
  return !req.headers.has('transfer-encoding') && (req.headers.get('content-length') ?? '0') === '0';
}
