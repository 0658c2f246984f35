/**
 * The real `VncConnection` over both transports `acceptWeb` hands out, the way the coordinator
 * will wire them: the RFB handshake over WebSocket (binary frames, with a client that reads the
 * server's bytes as one stream, as noVNC does), `VncConnection.close()` ending the WebSocket with
 * a close frame, and the handshake over the raw path after the sniff window.
 */

import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { FramebufferView, Vram } from '@openvmm-vnc-ts/video-core';
import { type RfbTransport, VncConnection } from '@openvmm-vnc-ts/vnc';
import { afterEach, describe, expect, it } from 'vitest';
import { type AcceptWebResult, acceptWeb } from '../src/web/index.js';
import { RfbTestClient, takeServerFrame } from './helpers.js';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const framebuffer = (): FramebufferView => new FramebufferView(new Vram(), { width: 64, height: 32, stride: 256, offset: 0 });

/** A server that gives every classified connection a `VncConnection` (as the coordinator will). */
async function start(): Promise<{ port: number; conns: VncConnection[]; kinds: string[] }> {
  const conns: VncConnection[] = [];
  const kinds: string[] = [];
  const server = createServer({ noDelay: true }, (s) => {
    sockets.push(s);
    void acceptWeb(s, { sniffWindowMs: 100 }).then((r: AcceptWebResult) => {
      kinds.push(r.kind);
      if (r.kind === 'handled') return;
      const transport: RfbTransport = r.stream; // either kind, no cast
      conns.push(new VncConnection(transport, { framebuffer: framebuffer(), input: { send: () => {} } }));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, conns, kinds };
}

/** A WebSocket client that sends masked binary frames and reads binary payloads as one byte stream. */
class WsRfbClient {
  private wire = Buffer.alloc(0);
  private data = Buffer.alloc(0);
  private upgraded = false;
  readonly closeCodes: number[] = [];
  ended = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => (this.ended = true));
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<WsRfbClient> {
    const s = connect({ port, host: '127.0.0.1' });
    sockets.push(s);
    const c = new WsRfbClient(s);
    s.write(`GET /websockify HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await until(() => c.upgraded, '101');
    return c;
  }

  private onData(d: Buffer): void {
    this.wire = Buffer.concat([this.wire, d]);
    if (!this.upgraded) {
      const end = this.wire.indexOf('\r\n\r\n');
      if (end < 0) return;
      expect(this.wire.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
      this.wire = this.wire.subarray(end + 4);
      this.upgraded = true;
    }
    for (let f = takeServerFrame(this.wire); f; f = takeServerFrame(this.wire)) {
      if (f.op === 8) this.closeCodes.push(f.payload.readUInt16BE(0));
      else this.data = Buffer.concat([this.data, f.payload]);
      this.wire = this.wire.subarray(f.size);
    }
  }

  async read(n: number): Promise<Buffer> {
    await until(() => this.data.length >= n, `${n} bytes`);
    const out = this.data.subarray(0, n);
    this.data = this.data.subarray(n);
    return out;
  }

  send(payload: Buffer | string, opcode = 2): void {
    const p = Buffer.from(payload);
    const key = Buffer.from([1, 2, 3, 4]);
    this.socket.write(Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | p.length]), key, Buffer.from(p.map((x, i) => x ^ key[i & 3]!))]));
  }
}

describe('VncConnection over the transports acceptWeb hands out', () => {
  it('runs the RFB handshake over WebSocket, and a close frame from the client closes the connection', async () => {
    const { port, conns, kinds } = await start();
    const c = await WsRfbClient.open(port);
    expect((await c.read(12)).toString()).toBe('RFB 003.008\n');
    c.send('RFB 003.008\n');
    expect([...(await c.read(2))]).toEqual([1, 1]); // one security type: None
    c.send(Buffer.from([1]));
    expect((await c.read(4)).readUInt32BE(0)).toBe(0); // SecurityResult OK
    c.send(Buffer.from([1])); // ClientInit, shared
    const init = await c.read(24);
    expect([init.readUInt16BE(0), init.readUInt16BE(2)]).toEqual([64, 32]);
    await until(() => conns[0]?.state === 'normal', 'normal state');
    expect(kinds).toEqual(['websocket']);
    const closed = new Promise((r) => conns[0]!.once('close', r));
    c.send(Buffer.from([0x03, 0xe8]), 8);
    await closed;
    await until(() => c.ended, 'TCP close');
    expect(c.closeCodes).toEqual([1000]);
  });

  it('VncConnection.close() ends the WebSocket with a close frame after its last message', async () => {
    const { port } = await start();
    const c = await WsRfbClient.open(port);
    await c.read(12);
    c.send('RFB 003.008\n');
    await c.read(2);
    c.send(Buffer.from([7])); // a security type that was not offered: SecurityResult failed, then close
    expect((await c.read(4)).readUInt32BE(0)).toBe(1);
    const reason = await c.read((await c.read(4)).readUInt32BE(0));
    expect(reason.toString()).toContain('security type');
    await until(() => c.closeCodes.length > 0, 'close frame');
    expect(c.closeCodes).toEqual([1000]);
    c.send(Buffer.from([0x03, 0xe8]), 8);
    await until(() => c.ended, 'TCP close');
  });

  it('runs the RFB handshake over the raw path after the sniff window', async () => {
    const { port, kinds } = await start();
    const client = await RfbTestClient.connect(port);
    const hs = await client.handshake('3.8', true);
    expect([hs.init.width, hs.init.height]).toEqual([64, 32]);
    expect(kinds).toEqual(['rfb']);
    client.destroy();
  });
});
