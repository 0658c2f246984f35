/**
 * Browser addresses and their idle connections, over real loopback sockets: an address that
 * sent HTTP gets the long window for its silent sockets (also for a socket accepted just before
 * the address sent its first request), a socket already greeted as raw RFB that then sends HTTP
 * teaches the address without losing a byte for the RFB reader and gets the address's other
 * silent sockets closed, and `BrowserMemory` expires and bounds its entries.
 */

import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { BrowserMemory } from '../src/web/browsers.js';
import { type AcceptWebResult, WebAcceptor } from '../src/web/index.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A port served by one `WebAcceptor`; raw RFB clients are greeted and their bytes recorded. */
async function start(web: WebAcceptor, attachDelayMs = 0): Promise<{ port: number; results: AcceptWebResult[]; rfbBytes: Buffer[] }> {
  const results: AcceptWebResult[] = [];
  const rfbBytes: Buffer[] = [];
  const server = createServer({ noDelay: true }, (s) => {
    sockets.push(s);
    void web.accept(s).then((r) => {
      results.push(r);
      if (r.kind !== 'rfb') return;
      const stream = r.stream;
      stream.write('RFB 003.008\n');
      if (attachDelayMs === 0) stream.on('data', (d: Buffer) => rfbBytes.push(d));
      else setTimeout(() => stream.on('data', (d: Buffer) => rfbBytes.push(d)), attachDelayMs);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, results, rfbBytes };
}

/** Connects and resolves with the time from connect to the server's first byte. */
function timeToGreeting(port: number): Promise<{ ms: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    let t0 = 0;
    const c = connect({ port, host: '127.0.0.1' }, () => (t0 = performance.now()));
    sockets.push(c);
    c.once('data', () => resolve({ ms: performance.now() - t0, socket: c }));
    c.on('error', reject);
  });
}

async function httpGet(port: number, path = '/novnc/core/util/int.js'): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  await res.arrayBuffer();
}

describe('BrowserMemory', () => {
  it('remembers an address for memoryMs after its last mark', () => {
    let now = 0;
    const m = new BrowserMemory(1000, () => now);
    expect(m.isRecent('10.0.0.1')).toBe(false);
    m.mark('10.0.0.1');
    now = 1000;
    expect(m.isRecent('10.0.0.1')).toBe(true);
    now = 1001;
    expect(m.isRecent('10.0.0.1')).toBe(false);
    expect(m.size).toBe(0);
    m.mark(undefined);
    expect(m.isRecent(undefined)).toBe(false);
  });

  it('closes held silent connections of an address when it is marked, unless released', () => {
    const m = new BrowserMemory();
    const destroyed: string[] = [];
    const conn = (name: string) => ({ destroy: () => destroyed.push(name) });
    m.holdSilent('10.0.0.1', conn('a'));
    const releaseB = m.holdSilent('10.0.0.1', conn('b'));
    m.holdSilent('10.0.0.2', conn('c'));
    releaseB();
    m.mark('10.0.0.1');
    expect(destroyed).toEqual(['a']);
    m.mark('10.0.0.1');
    expect(destroyed).toEqual(['a']);
  });

  it('holds at most 4096 addresses, dropping the least recently marked', () => {
    const m = new BrowserMemory();
    for (let i = 0; i < 5000; i++) m.mark(`10.0.${i >> 8}.${i & 255}`);
    expect(m.size).toBe(4096);
    expect(m.isRecent('10.0.0.0')).toBe(false);
    expect(m.isRecent(`10.0.${4999 >> 8}.${4999 & 255}`)).toBe(true);
  });
});

describe('WebAcceptor', () => {
  it('greets a silent socket after the short window until its address sends HTTP, then after the browser window', async () => {
    const web = new WebAcceptor({ sniffWindowMs: 50, browserWindowMs: 500 });
    const { port } = await start(web);
    const before = await timeToGreeting(port);
    await httpGet(port);
    expect(web.browsers.isRecent('127.0.0.1')).toBe(true);
    const after = await timeToGreeting(port);
    console.log(`silent socket greeted after ${before.ms.toFixed(1)} ms (unknown address), ${after.ms.toFixed(1)} ms (browser address)`);
    expect(before.ms).toBeLessThan(400);
    expect(after.ms).toBeGreaterThanOrEqual(490);
  });

  it("extends the window of a socket accepted just before its address's first request (a browser's spare connection)", async () => {
    const web = new WebAcceptor({ sniffWindowMs: 60, browserWindowMs: 600 });
    const { port, results } = await start(web);
    const idle = connect({ port, host: '127.0.0.1' });
    sockets.push(idle);
    let greeted = false;
    idle.on('data', () => (greeted = true));
    await delay(5);
    await httpGet(port); // marks the address while the idle socket's 60 ms window runs
    await delay(100);
    expect(greeted).toBe(false);
    idle.write('GET /novnc/core/util/int.js HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => idle.once('data', r));
    expect(results.filter((r) => r.kind === 'rfb')).toEqual([]);
  });

  it.each([0, 80])('learns from an HTTP request on a socket already greeted as RFB; the RFB reader (attached after %i ms) gets every byte once', async (attachDelayMs) => {
    const web = new WebAcceptor({ sniffWindowMs: 10, browserWindowMs: 300 });
    const { port, rfbBytes } = await start(web, attachDelayMs);
    const late = await timeToGreeting(port);
    late.socket.write('GET / HTTP/1.1\r\n\r\n');
    await delay(20);
    expect(web.browsers.isRecent('127.0.0.1')).toBe(true);
    while (Buffer.concat(rfbBytes).length < 18) await delay(2);
    await delay(20);
    expect(Buffer.concat(rfbBytes).toString()).toBe('GET / HTTP/1.1\r\n\r\n');
  });

  it("closes an address's greeted-but-silent sockets once it proves to be a browser, not its talking RFB clients", async () => {
    const web = new WebAcceptor({ sniffWindowMs: 50 });
    const { port, rfbBytes } = await start(web);
    const spares = [await timeToGreeting(port), await timeToGreeting(port)];
    const talker = await timeToGreeting(port);
    talker.socket.write('RFB 003.008\n');
    while (Buffer.concat(rfbBytes).length < 12) await delay(2);
    const closed = spares.map((s) => new Promise((r) => s.socket.once('close', r)));
    await httpGet(port);
    await Promise.all(closed);
    await delay(20);
    expect(talker.socket.destroyed).toBe(false);
  });

  it('does not mark an address for raw RFB traffic, and counts connections in progress', async () => {
    const web = new WebAcceptor({ sniffWindowMs: 50 });
    const { port, rfbBytes } = await start(web);
    const c = await timeToGreeting(port);
    c.socket.write('RFB 003.008\n');
    while (Buffer.concat(rfbBytes).length < 12) await delay(2);
    expect(web.browsers.isRecent('127.0.0.1')).toBe(false);
    const idle = connect({ port, host: '127.0.0.1' });
    sockets.push(idle);
    idle.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => idle.once('data', r));
    expect(web.pending).toBe(1); // the keep-alive connection is still open
    idle.destroy();
    while (web.pending > 0) await delay(2);
  });
});
