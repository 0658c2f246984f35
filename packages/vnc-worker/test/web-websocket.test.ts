/**
 * `WebSocketStream` end to end over real loopback sockets through `acceptWeb`, driven by a
 * hand-written client (masked-frame builder, unmasked-frame reader): data in 1-byte chunks and in
 * fragments, pings, every protocol violation answered with its close code, close handshakes in
 * both directions, and backpressure both ways.
 */

import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type AcceptWebOptions, WebSocketError, WebSocketStream, acceptWeb } from '../src/web/index.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(2);
  }
}

/** Server-side view of one WebSocket connection. */
interface ServerSide {
  stream: WebSocketStream;
  errors: Error[];
  closed: boolean;
}

/** A port that upgrades through `acceptWeb` and hands each stream to `onStream` (default: echo). */
async function start(onStream: (ws: WebSocketStream) => void = (ws) => ws.on('data', (d: Buffer) => ws.write(d)), options: AcceptWebOptions = {}) {
  const conns: ServerSide[] = [];
  const server = createServer({ noDelay: true }, (s) => {
    sockets.push(s);
    void acceptWeb(s, { sniffWindowMs: 200, ...options }).then((r) => {
      if (r.kind !== 'websocket') return;
      const side: ServerSide = { stream: r.stream, errors: [], closed: false };
      r.stream.on('error', (e) => side.errors.push(e));
      r.stream.on('close', () => (side.closed = true));
      conns.push(side);
      onStream(r.stream);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, conns };
}

const KEY = Buffer.from([0xa1, 0x02, 0xc3, 0x44]);

/** A masked client frame (or unmasked with `mask: false`); `length` overrides the announced length. */
function frame(opcode: number, payload: Buffer | string = '', o: { fin?: boolean; mask?: boolean; length?: number } = {}): Buffer {
  const p = Buffer.from(payload);
  const len = o.length ?? p.length;
  const m = (o.mask ?? true) ? 0x80 : 0;
  const head = [((o.fin ?? true) ? 0x80 : 0) | opcode];
  if (len < 126) head.push(m | len);
  else if (len < 0x10000) head.push(m | 126, len >> 8, len & 0xff);
  else head.push(m | 127, 0, 0, 0, 0, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff);
  const body = m ? Buffer.from(p.map((b, i) => b ^ KEY[i & 3]!)) : p;
  return Buffer.concat([Buffer.from(head), m ? KEY : Buffer.alloc(0), body]);
}

interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** The browser's side: upgrade, then frames in and out. */
class WsClient {
  private chunks: Buffer[] = [];
  ended = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.chunks.push(d));
    socket.on('close', () => (this.ended = true));
    socket.on('error', () => {});
  }

  static async open(port: number, after: Buffer = Buffer.alloc(0)): Promise<WsClient> {
    const s = connect({ port, host: '127.0.0.1', noDelay: true });
    sockets.push(s);
    const c = new WsClient(s);
    const key = 'x3JJHMbDL1EzLkh9GBhXDw==';
    s.write(Buffer.concat([Buffer.from(`GET /websockify HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`), after]));
    await until(() => c.buf.includes('\r\n\r\n'), '101');
    const end = c.buf.indexOf('\r\n\r\n') + 4;
    expect(c.buf.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
    c.buf = c.buf.subarray(end);
    return c;
  }

  /** Unparsed bytes, merged only when read. */
  private get buf(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private set buf(b: Buffer) {
    this.chunks = [b];
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next server frame (asserting it is unmasked with no RSV bits). */
  async frame(timeoutMs = 3000): Promise<Frame> {
    let f: Frame | undefined;
    await until(() => (f = this.tryFrame()) !== undefined, 'a frame', timeoutMs);
    return f!;
  }

  private tryFrame(): Frame | undefined {
    const b = this.buf;
    if (b.length < 2) return undefined;
    expect(b[0]! & 0x70).toBe(0);
    expect(b[1]! & 0x80).toBe(0);
    let len = b[1]! & 0x7f;
    let off = 2;
    if (len === 126) {
      if (b.length < 4) return undefined;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10) return undefined;
      len = b.readUInt32BE(2) * 2 ** 32 + b.readUInt32BE(6);
      off = 10;
    }
    if (b.length < off + len) return undefined;
    this.buf = b.subarray(off + len);
    return { fin: (b[0]! & 0x80) !== 0, opcode: b[0]! & 0x0f, payload: b.subarray(off, off + len) };
  }

  /** Reads binary frames until `n` payload bytes arrived. */
  async bytes(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const f = await this.frame();
      expect(f.opcode).toBe(2);
      parts.push(f.payload);
      got += f.payload.length;
    }
    return Buffer.concat(parts);
  }

  /** Expects a close frame with `code`, then the TCP close. */
  async expectClose(code: number): Promise<string> {
    const f = await this.frame();
    expect(f.opcode).toBe(8);
    expect(f.payload.readUInt16BE(0)).toBe(code);
    await until(() => this.ended, 'TCP close');
    return f.payload.subarray(2).toString('utf8');
  }
}

describe('WebSocketStream', () => {
  it('reassembles masked binary data sent in 1-byte chunks and echoes it as valid frames', async () => {
    const { port } = await start();
    const c = await WsClient.open(port);
    const payload = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
    const bytes = Buffer.concat([frame(2, payload.subarray(0, 100)), frame(2, payload.subarray(100))]);
    for (let i = 0; i < bytes.length; i++) {
      c.send(bytes.subarray(i, i + 1));
      if (i % 50 === 0) await delay(1);
    }
    expect((await c.bytes(300)).equals(payload)).toBe(true);
  });

  it('reassembles a fragmented message (binary + continuations) and answers the ping between them', async () => {
    const { port } = await start();
    const c = await WsClient.open(port);
    c.send(Buffer.concat([frame(2, 'RFB ', { fin: false }), frame(9, 'are you there?'), frame(0, '003.', { fin: false }), frame(0, '008\n')]));
    const frames: Frame[] = [];
    let data = '';
    while (data.length < 12) {
      const f = await c.frame();
      frames.push(f);
      if (f.opcode === 2) data += f.payload.toString();
    }
    expect(data).toBe('RFB 003.008\n');
    expect(frames.find((f) => f.opcode === 0xa)?.payload.toString()).toBe('are you there?');
  });

  it('processes frames pipelined behind the upgrade request', async () => {
    const { port } = await start();
    const c = await WsClient.open(port, frame(2, 'early'));
    expect((await c.bytes(5)).toString()).toBe('early');
  });

  it('answers a ping with a pong carrying the same payload', async () => {
    const { port } = await start();
    const c = await WsClient.open(port);
    const payload = Buffer.alloc(125, 0x61);
    c.send(frame(9, payload));
    const f = await c.frame();
    expect(f.opcode).toBe(0xa);
    expect(f.payload.equals(payload)).toBe(true);
  });

  it.each([
    ['an unmasked frame', 1002, 'WS_ERR_UNMASKED', () => frame(2, 'x', { mask: false })],
    ['a ping with a 126-byte payload', 1002, 'WS_ERR_CONTROL_TOO_BIG', () => frame(9, Buffer.alloc(126))],
    ['a fragmented ping', 1002, 'WS_ERR_FRAGMENTED_CONTROL', () => frame(9, 'x', { fin: false })],
    ['a continuation with nothing to continue', 1002, 'WS_ERR_UNEXPECTED_CONTINUATION', () => frame(0, 'x')],
    ['a text frame', 1003, 'WS_ERR_TEXT_UNSUPPORTED', () => frame(1, 'RFB 003.008\n')],
  ] as const)('closes on %s with %i', async (_what, code, errorCode, make) => {
    const { port, conns } = await start();
    const c = await WsClient.open(port);
    c.send(make());
    await c.expectClose(code);
    await until(() => conns[0]?.closed === true, 'server stream closed');
    expect((conns[0]!.errors[0] as WebSocketError).code).toBe(errorCode);
  });

  it('closes an oversized frame with 1009 at its header, without waiting for (or buffering) the payload', async () => {
    const received: Buffer[] = [];
    const { port, conns } = await start((ws) => ws.on('data', (d: Buffer) => received.push(d)), { maxPayload: 64 * 1024 });
    const c = await WsClient.open(port);
    c.send(frame(2, Buffer.alloc(10), { length: 64 * 1024 + 1 })); // header announces more than allowed; 10 bytes follow
    await c.expectClose(1009);
    expect(received).toEqual([]);
    expect((conns[0]!.errors[0] as WebSocketError).code).toBe('WS_ERR_PAYLOAD_TOO_BIG');
  });

  it('echoes a close frame and closes the TCP connection; the stream ends cleanly', async () => {
    const { port, conns } = await start();
    const c = await WsClient.open(port);
    let ended = false;
    await until(() => conns.length === 1, 'server side');
    conns[0]!.stream.on('end', () => (ended = true));
    c.send(frame(8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')])));
    expect(await c.expectClose(1000)).toBe('');
    await until(() => conns[0]!.closed && ended, 'server stream end and close');
    expect(conns[0]!.errors).toEqual([]);
    expect(conns[0]!.stream.peerClose).toEqual({ code: 1000, reason: 'bye' });
  });

  it('server-initiated close: flushes data, sends the close frame, and closes when the peer answers', async () => {
    const { port, conns } = await start(() => {});
    const c = await WsClient.open(port);
    await until(() => conns.length === 1, 'server side');
    const ws = conns[0]!.stream;
    ws.write(Buffer.from('last words'));
    ws.close(1001, 'server shutting down');
    expect((await c.frame()).payload.toString()).toBe('last words');
    const f = await c.frame();
    expect(f.opcode).toBe(8);
    expect(f.payload.readUInt16BE(0)).toBe(1001);
    expect(f.payload.subarray(2).toString()).toBe('server shutting down');
    expect(c.ended).toBe(false);
    c.send(frame(8, Buffer.from([0x03, 0xe9])));
    await until(() => c.ended && conns[0]!.closed, 'TCP close after the close handshake');
  });

  it('server-initiated close gives up on a silent peer after closeTimeoutMs; destroy() sends 1000', async () => {
    const { port, conns } = await start(() => {}, { closeTimeoutMs: 100 });
    const c = await WsClient.open(port);
    await until(() => conns.length === 1, 'server side');
    const t0 = Date.now();
    conns[0]!.stream.close(1001);
    await c.expectClose(1001);
    console.log(`close timeout: TCP closed ${Date.now() - t0} ms after close() (closeTimeoutMs 100)`);
    const d = await WsClient.open(port);
    await until(() => conns.length === 2, 'second server side');
    conns[1]!.stream.destroy();
    await d.expectClose(1000);
  });

  it('writes large data as valid frames (64-bit length form)', async () => {
    const { port, conns } = await start(() => {});
    const c = await WsClient.open(port);
    await until(() => conns.length === 1, 'server side');
    const big = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff));
    conns[0]!.stream.write(big);
    const f = await c.frame();
    expect(f).toMatchObject({ fin: true, opcode: 2 });
    expect(f.payload.equals(big)).toBe(true);
  });

  it('backpressure out: writableLength grows while the peer does not read, and drain follows when it does', async () => {
    const { port, conns } = await start(() => {});
    const c = await WsClient.open(port);
    c.socket.pause();
    await until(() => conns.length === 1, 'server side');
    const ws = conns[0]!.stream;
    const chunk = Buffer.alloc(60_000, 1);
    let writes = 0;
    // Fill the kernel's buffers until the socket itself holds data, then some more.
    while (ws.socket.writableLength === 0 && writes < 2000) {
      for (let i = 0; i < 16; i++, writes++) ws.write(chunk);
      await delay(5);
    }
    for (let i = 0; i < 16; i++, writes++) ws.write(chunk);
    console.log(`backpressure out: after ${writes} x 60000 B unread, writableLength ${ws.writableLength}, socket ${ws.socket.writableLength}`);
    expect(ws.socket.writableLength).toBeGreaterThan(0);
    expect(ws.writableLength).toBeGreaterThan(ws.socket.writableLength);
    expect(ws.writableNeedDrain).toBe(true);
    const drained = new Promise((r) => ws.once('drain', r));
    c.socket.resume();
    await drained;
    // Queued writes may leave as fewer, larger frames (_writev); the bytes are what count.
    await until(() => ws.writableLength === 0 && ws.socket.writableLength === 0, 'everything flushed');
    const got = await c.bytes(writes * chunk.length);
    expect(got.length).toBe(writes * chunk.length);
  });

  it('backpressure in: the socket is paused while the reader is not reading, and nothing is lost', async () => {
    const { port, conns } = await start(() => {});
    const c = await WsClient.open(port);
    await until(() => conns.length === 1, 'server side');
    const ws = conns[0]!.stream;
    const payload = Buffer.from(Array.from({ length: 2 * 1024 * 1024 }, (_, i) => (i * 13) & 0xff));
    for (let off = 0; off < payload.length; off += 8192) c.send(frame(2, payload.subarray(off, off + 8192)));
    await delay(100);
    console.log(`backpressure in: ${ws.readableLength} bytes held by the unread stream; socket paused: ${ws.socket.isPaused()}`);
    expect(ws.readableLength).toBeLessThan(payload.length);
    expect(ws.socket.isPaused()).toBe(true);
    const got: Buffer[] = [];
    ws.on('data', (d: Buffer) => got.push(d));
    await until(() => Buffer.concat(got).length === payload.length, 'all data');
    expect(Buffer.concat(got).equals(payload)).toBe(true);
  });
});
