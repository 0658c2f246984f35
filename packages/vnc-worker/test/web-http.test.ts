/**
 * Plain HTTP and the WebSocket upgrade over real loopback sockets through `acceptWeb`: the
 * console page (and its CSP hashes), noVNC's files (the whole import graph of `core/rfb.js`),
 * path traversal attempts, 404/405/400/431, `enableHttp: false`, and upgrade answers: 101 on any
 * path with the RFC 6455 sample accept hash, the `binary` sub-protocol, 400/426 for bad
 * upgrades, and the Origin policy (missing Origin allowed and logged).
 */

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { type LogRecord, createLogger } from '@openvmm-vnc-ts/video-core';
import { afterEach, describe, expect, it } from 'vitest';
import { checkOrigin, parseRequestHead } from '../src/web/http.js';
import { type AcceptWebOptions, type AcceptWebResult, acceptWeb } from '../src/web/index.js';
import { novncRoot } from '../src/web/static-files.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A port where every connection goes through `acceptWeb`; results are collected. */
async function start(options: AcceptWebOptions = {}): Promise<{ port: number; results: AcceptWebResult[] }> {
  const results: AcceptWebResult[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    void acceptWeb(s, { sniffWindowMs: 200, ...options }).then((r) => results.push(r));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, results };
}

interface Response {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
  /** The client socket (still open on keep-alive and 101). */
  socket: Socket;
  /** Resolves true once the server closed the connection (false after 2 s). */
  closed: Promise<boolean>;
}

/**
 * Sends raw bytes and reads one response: its head, and for plain responses `Content-Length`
 * body bytes (none for `head: true`, the answer to HEAD). Whether the server then closes is
 * `closed`.
 */
function exchange(port: number, raw: string | Buffer, o: { head?: boolean } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const c = connect({ port, host: '127.0.0.1' }, () => c.write(raw));
    sockets.push(c);
    let buf = Buffer.alloc(0);
    let done = false;
    const closed = new Promise<boolean>((r) => {
      c.on('close', () => r(true));
      setTimeout(() => r(false), 2000).unref();
    });
    const tryParse = (): void => {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0 || done) return;
      const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const));
      const status = Number(statusLine!.split(' ')[1]);
      const length = status === 101 || o.head ? 0 : Number(headers.get('content-length') ?? 0);
      if (buf.length < end + 4 + length) return;
      done = true;
      clearTimeout(timer);
      resolve({ status, headers, body: buf.subarray(end + 4, end + 4 + length), socket: c, closed });
    };
    const timer = setTimeout(() => reject(new Error(`no complete answer; got ${JSON.stringify(buf.toString('latin1').slice(0, 200))}`)), 3000);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      tryParse();
    });
    c.on('error', () => {});
    c.on('close', () => {
      tryParse();
      if (!done) reject(new Error('closed without a complete response'));
    });
  });
}

const get = (port: number, target: string, extra = ''): Promise<Response> => exchange(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}\r\n`);

const RFC_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const RFC_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function upgradeRequest(port: number, target: string, headers: Record<string, string | undefined> = {}): string {
  const all: Record<string, string | undefined> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': RFC_KEY,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = Object.entries(all)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`);
  return `GET ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

describe('plain HTTP', () => {
  it('serves the console page at /, /index.html and /vnc.html, and closes', async () => {
    const { port } = await start();
    for (const path of ['/', '/index.html', '/vnc.html?x=1']) {
      const r = await get(port, path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('connection')).toBe('keep-alive');
      expect(Number(r.headers.get('content-length'))).toBe(r.body.length);
    }
    const html = (await get(port, '/')).body.toString('utf8');
    for (const needle of ["import RFB from './novnc/core/rfb.js'", "new URL('websockify'", 'shared: true', 'rfb.scaleViewport = true', 'rfb.sendCtrlAltDel()', 'rfb.clipboardPasteFrom(', "rfb.sendKey(XK_p, 'KeyP')", "addEventListener('clipboard'"]) {
      expect(html, needle).toContain(needle);
    }
    expect(html).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
  });

  it("allows exactly the page's inline script and style by hash, and forbids framing", async () => {
    const { port } = await start();
    const r = await get(port, '/');
    const html = r.body.toString('utf8');
    const csp = r.headers.get('content-security-policy') ?? '';
    const hash = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
    const script = /<script type="module">([\s\S]*?)<\/script>/.exec(html)![1]!;
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(csp).toContain(`script-src 'self' ${hash(script)}`);
    expect(csp).toContain(`style-src ${hash(style)}`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-frame-options')).toBe('DENY');
  });

  it('answers HEAD without a body', async () => {
    const { port } = await start();
    const r = await exchange(port, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\n', { head: true });
    expect(r.status).toBe(200);
    expect(Number(r.headers.get('content-length'))).toBeGreaterThan(1000);
    expect(r.body.length).toBe(0);
  });

  it("serves noVNC's rfb.js from the installed package as text/javascript", async () => {
    const { port } = await start();
    const r = await get(port, '/novnc/core/rfb.js');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(r.body.equals(await readFile(join(await novncRoot(), 'core/rfb.js')))).toBe(true);
  });

  it('serves the whole module graph of core/rfb.js (every import resolves to 200 text/javascript)', async () => {
    const { port } = await start();
    const seen = new Set<string>();
    const queue = [`http://127.0.0.1:${port}/novnc/core/rfb.js`];
    while (queue.length > 0) {
      const url = queue.pop()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-type'), url).toBe('text/javascript; charset=utf-8');
      const text = await res.text();
      for (const m of text.matchAll(/\b(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]/g)) queue.push(new URL(m[1]!, url).href);
    }
    console.log(`noVNC module graph: ${seen.size} files served`);
    expect(seen.size).toBeGreaterThan(30);
  });

  it('blocks path traversal (.., %2e%2e, encoded slashes, absolute paths, NUL, backslash)', async () => {
    const { port } = await start();
    const attempts = [
      '/novnc/../package.json',
      '/novnc/core/../../../../../etc/passwd',
      '/novnc/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/novnc/core/%2e%2e%2f%2e%2e%2fpackage.json',
      '/novnc/%2E%2E/package.json',
      '/novnc//etc/passwd',
      '/novnc/%2fetc%2fpasswd',
      '/novnc/core%5c..%5c..%5cpackage.json',
      '/novnc/core/rfb.js%00.png',
      '/novnc/%zz',
      '/novnc/package.json',
      '/novnc/core/',
      '/novnc/core',
      '/novnc/./core/rfb.js',
      '/../etc/passwd',
      '//etc/passwd',
    ];
    for (const target of attempts) {
      const r = await get(port, target);
      expect([400, 404], target).toContain(r.status);
      expect(r.body.toString(), target).not.toMatch(/root:|"name"|export default/);
    }
    expect((await exchange(port, 'GET http://127.0.0.1/etc/passwd HTTP/1.1\r\n\r\n')).status).toBe(400);
  });

  it('answers 404 for unknown paths, 405 for other methods, 400 for malformed requests', async () => {
    const { port } = await start();
    expect((await get(port, '/favicon.ico')).status).toBe(404);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const r = await exchange(port, `${method} / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
      expect(r.status, method).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, HEAD');
    }
    expect((await exchange(port, 'GET / HTTP/2.0\r\n\r\n')).status).toBe(400);
    expect((await exchange(port, 'GET / HTTP/1.1\r\nno colon here\r\n\r\n')).status).toBe(400);
    expect((await exchange(port, 'GET / HTTP/1.1\r\n folded: x\r\n\r\n')).status).toBe(400);
  });

  it('answers 431 and closes for an oversized head or too many headers', async () => {
    const { port } = await start({ maxHandshakeBytes: 8192 });
    const big = await exchange(port, `GET / HTTP/1.1\r\nX: ${'a'.repeat(9000)}\r\n\r\n`);
    expect(big.status).toBe(431);
    expect(await big.closed).toBe(true);
    const many = Array.from({ length: 101 }, (_, i) => `H${i}: v`).join('\r\n');
    expect((await exchange(port, `GET / HTTP/1.1\r\n${many}\r\n\r\n`)).status).toBe(431);
  });

  it('with enableHttp: false, answers plain requests 404 but still upgrades', async () => {
    const { port } = await start({ enableHttp: false });
    expect((await get(port, '/')).status).toBe(404);
    expect((await get(port, '/novnc/core/rfb.js')).status).toBe(404);
    expect((await exchange(port, upgradeRequest(port, '/websockify'))).status).toBe(101);
  });

  it('keeps HTTP/1.1 connections alive (pipelined requests too) and closes them when idle', async () => {
    const { port, results } = await start({ keepAliveMs: 150 });
    const two = 'GET /novnc/core/util/int.js HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n';
    const first = await exchange(port, two);
    expect([first.status, first.headers.get('connection')]).toEqual([200, 'keep-alive']);
    const t0 = Date.now();
    expect(await first.closed).toBe(true);
    console.log(`keep-alive connection closed ${Date.now() - t0} ms after its answers (keepAliveMs 150)`);
    await new Promise((r) => setTimeout(r, 20));
    expect(results[0]).toMatchObject({ kind: 'handled', requests: 2 });
  });

  it('closes after the response for Connection: close, HTTP/1.0, other methods and errors', async () => {
    const { port } = await start();
    for (const raw of ['GET / HTTP/1.1\r\nConnection: close\r\n\r\n', 'GET / HTTP/1.0\r\n\r\n', 'POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n', 'GET / HTTP/1.1\r\nno colon\r\n\r\n']) {
      const r = await exchange(port, raw);
      expect(r.headers.get('connection'), raw).toBe('close');
      expect(await r.closed, raw).toBe(true);
    }
  });

  it('parses heads: lower-case names, repeated headers joined, path without query', () => {
    const req = parseRequestHead(Buffer.from('GET /a/b?c=d HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\n\r\n'));
    expect(req).toMatchObject({ method: 'GET', target: '/a/b?c=d', path: '/a/b', version: 'HTTP/1.1' });
    expect(req.headers.get('x-a')).toBe('1, 2');
    expect(req.headers.get('host')).toBe('h');
  });
});

describe('WebSocket upgrade', () => {
  it('answers 101 with the RFC 6455 sample accept hash on any path, with or without the binary sub-protocol', async () => {
    const { port, results } = await start();
    for (const path of ['/', '/websockify', '/any/path?token=abc']) {
      const r = await exchange(port, upgradeRequest(port, path));
      expect(r.status, path).toBe(101);
      expect(r.headers.get('sec-websocket-accept')).toBe(RFC_ACCEPT);
      expect(r.headers.get('upgrade')).toBe('websocket');
      expect(r.headers.get('connection')).toBe('Upgrade');
      expect(r.headers.has('sec-websocket-protocol')).toBe(false);
    }
    for (const offered of ['binary', 'base64, binary']) {
      const r = await exchange(port, upgradeRequest(port, '/websockify', { 'Sec-WebSocket-Protocol': offered }));
      expect(r.status).toBe(101);
      expect(r.headers.get('sec-websocket-protocol')).toBe('binary');
    }
    const b64 = await exchange(port, upgradeRequest(port, '/websockify', { 'Sec-WebSocket-Protocol': 'base64' }));
    expect(b64.status).toBe(101);
    expect(b64.headers.has('sec-websocket-protocol')).toBe(false);
    const firefox = await exchange(port, upgradeRequest(port, '/', { Connection: 'keep-alive, Upgrade', Upgrade: 'WebSocket' }));
    expect(firefox.status).toBe(101);
    while (results.length < 7) await new Promise((r) => setTimeout(r, 5));
    expect(results.map((r) => r.kind)).toEqual(Array(7).fill('websocket'));
    expect(results[1]).toMatchObject({ kind: 'websocket', path: '/websockify' });
  });

  it('refuses bad upgrades: 400 for a missing or malformed key or method/version, 426 for a wrong version', async () => {
    const { port } = await start();
    expect((await exchange(port, upgradeRequest(port, '/', { 'Sec-WebSocket-Key': undefined }))).status).toBe(400);
    expect((await exchange(port, upgradeRequest(port, '/', { 'Sec-WebSocket-Key': 'short' }))).status).toBe(400);
    expect((await exchange(port, upgradeRequest(port, '/', { Connection: 'keep-alive' }))).status).toBe(400);
    expect((await exchange(port, upgradeRequest(port, '/').replace('GET', 'POST'))).status).toBe(400);
    expect((await exchange(port, upgradeRequest(port, '/').replace('HTTP/1.1', 'HTTP/1.0'))).status).toBe(400);
    for (const version of ['8', undefined]) {
      const r = await exchange(port, upgradeRequest(port, '/', { 'Sec-WebSocket-Version': version }));
      expect(r.status).toBe(426);
      expect(r.headers.get('sec-websocket-version')).toBe('13');
      expect(await r.closed).toBe(true);
    }
  });

  it('accepts a missing Origin (and logs it), same-origin and loopback pages; refuses other sites with 403', async () => {
    const records: LogRecord[] = [];
    const logger = createLogger('test', { level: 'debug', sink: (r) => records.push(r) });
    const { port } = await start({ logger });
    expect((await exchange(port, upgradeRequest(port, '/websockify'))).status).toBe(101);
    expect(records.some((r) => r.message.includes('without an Origin'))).toBe(true);
    for (const origin of [`http://127.0.0.1:${port}`, 'http://localhost:8080', 'http://[::1]:3000']) {
      expect((await exchange(port, upgradeRequest(port, '/websockify', { Origin: origin }))).status, origin).toBe(101);
    }
    for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1.evil.example']) {
      expect((await exchange(port, upgradeRequest(port, '/websockify', { Origin: origin }))).status, origin).toBe(403);
    }
    expect(records.some((r) => r.level === 'warn' && r.fields['origin'] === 'https://evil.example')).toBe(true);
    const open = await start({ allowedOrigins: ['https://console.example'] });
    expect((await exchange(open.port, upgradeRequest(open.port, '/', { Origin: 'https://console.example' }))).status).toBe(101);
  });

  it('decides origins by the documented rule', () => {
    expect(checkOrigin(undefined, 'h:1').ok).toBe(true);
    expect(checkOrigin('http://10.0.0.5:5900', '10.0.0.5:5900').ok).toBe(true);
    expect(checkOrigin('http://10.0.0.5:5901', '10.0.0.5:5900').ok).toBe(false);
    expect(checkOrigin('http://vmhost:5900', 'vmhost:5900')).toEqual({ ok: false, why: 'same origin by DNS name (list it in allowedOrigins)' });
    expect(checkOrigin('http://vmhost:5900', 'vmhost:5900', ['http://vmhost:5900']).ok).toBe(true);
    expect(checkOrigin('https://any.example', 'h', '*').ok).toBe(true);
    expect(checkOrigin('file:///x.html', 'h').ok).toBe(false);
  });
});
