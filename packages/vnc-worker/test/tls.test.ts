/**
 * The coordinator with a TLS certificate: VeNCrypt on the RFB port (X509Vnc with the password,
 * pixels exact), HTTPS for the console page, wss:// for the console's WebSocket and RFB over
 * plain TLS on the same port (first byte 0x16), and plain HTTP still answered beside them.
 */

import { request as httpsRequest } from 'node:https';
import { type Socket, connect as netConnect } from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { vncAuthResponse } from '@openvmm-vnc-ts/vnc';
import { testCert } from '../../vnc/test/helpers/cert.js';
import { vencryptConnect } from '../../vnc/test/helpers/tls.js';
import { ENC_RAW, RfbTestClient, clients, startFixture, stopAll, takeServerFrame, until } from './helpers.js';

afterEach(stopAll);

const pem = (): { cert: string; key: string } => ({ cert: testCert().cert, key: testCert().key });

function tlsConnect(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', ca: testCert().cert, servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
  });
}

describe('coordinator with TLS', () => {
  it('VeNCrypt X509Vnc: certificate verified, password inside TLS, the frame arrives pixel-exact', async () => {
    const f = await startFixture({ password: 'secret', tls: pem() });
    for (let y = 0; y < 32; y++) for (let x = 0; x < 64; x++) f.setPixel(x, y, (x * 3) | ((y * 5) << 8) | ((x ^ y) << 16));
    const r = await vencryptConnect(f.port, { subtype: 261, ca: testCert().cert });
    clients.push(r.client);
    expect(r.types).toEqual([19, 2]); // a loopback peer may also use VNC Authentication in clear
    expect(r.tlsSocket.authorized).toBe(true);
    r.client.write(vncAuthResponse(await r.client.readExactly(16), 'secret'));
    expect(await r.client.readU32()).toBe(0);
    r.client.write(Uint8Array.of(1));
    expect(await r.client.readServerInit()).toMatchObject({ width: 64, height: 32 });
    r.client.setEncodings([ENC_RAW]);
    r.client.requestUpdate(false, 0, 0, 64, 32);
    const [rect] = await r.client.readUpdate();
    let bad = 0;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 64; x++) {
        const o = (y * 64 + x) * 4;
        const want = (x * 3) | ((y * 5) << 8) | ((x ^ y) << 16);
        if ((rect!.data[o]! | (rect!.data[o + 1]! << 8) | (rect!.data[o + 2]! << 16)) !== want) bad++;
      }
    }
    expect(bad).toBe(0);
    const listed = f.vnc.inspect().clients as Record<string, unknown>[];
    expect(listed[0]).toMatchObject({ tls: 'X509Vnc', state: 'normal' });
  });

  it('HTTPS serves the console page on the VNC port; plain HTTP still works beside it', async () => {
    const f = await startFixture({ tls: pem() });
    const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: f.port, path: '/', ca: testCert().cert, servername: 'localhost' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body.status).toBe(200);
    expect(body.text).toMatch(/<html/i);
    const plain = await fetch(`http://127.0.0.1:${f.port}/`);
    expect(plain.status).toBe(200);
  });

  it('wss://: a WebSocket inside TLS carries RFB, offering the plain type only (no VeNCrypt inside TLS)', async () => {
    const f = await startFixture({ tls: pem() });
    const s = await tlsConnect(f.port);
    let wire = Buffer.alloc(0);
    s.on('data', (d: Buffer) => (wire = Buffer.concat([wire, d])));
    s.write(`GET /websockify HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await until(() => wire.includes('\r\n\r\n'), 3000, '101');
    expect(wire.subarray(0, 12).toString()).toBe('HTTP/1.1 101');
    wire = wire.subarray(wire.indexOf('\r\n\r\n') + 4);
    // One unmasked binary frame from the server: the RFB greeting.
    await until(() => wire.length >= 14, 3000, 'greeting frame');
    expect(wire[0]).toBe(0x82);
    expect(wire.subarray(2, 14).toString('latin1')).toBe('RFB 003.008\n');
    wire = wire.subarray(14);
    // The client's version in one masked binary frame; the server answers with its types.
    const version = Buffer.from('RFB 003.008\n', 'latin1');
    s.write(Buffer.concat([Buffer.from([0x82, 0x80 | version.length, 0, 0, 0, 0]), version]));
    await until(() => wire.length >= 4, 3000, 'security types frame');
    expect([...wire.subarray(2, 4)]).toEqual([1, 1]);
    await until(() => f.vnc.clientCount === 1, 3000, 'client');
    s.destroy();
  });

  it('RFB over plain TLS (a silent client after the TLS handshake) gets the greeting inside TLS', async () => {
    const f = await startFixture({ tls: pem() });
    const s = await tlsConnect(f.port);
    const c = RfbTestClient.adopt(s);
    clients.push(c);
    const r = await c.handshake('3.8');
    expect(r.securityTypes).toEqual([1]); // already encrypted: no VeNCrypt inside TLS
    expect(r.init.width).toBe(64);
  });

  it('VeNCrypt inside a plain ws:// WebSocket: TLSNone works, and garbage instead of TLS only ends that connection', async () => {
    const f = await startFixture({ tls: pem() });
    for (const garbage of [false, true]) {
      const ws = await WsBytes.open(f.port);
      expect((await ws.read(12)).toString('latin1')).toBe('RFB 003.008\n');
      ws.send(Buffer.from('RFB 003.008\n', 'latin1'));
      expect([...(await ws.read(3))]).toEqual([2, 19, 1]); // loopback: VeNCrypt, then None
      ws.send(Buffer.from([19]));
      expect([...(await ws.read(2))]).toEqual([0, 2]);
      ws.send(Buffer.from([0, 2]));
      expect((await ws.read(10)).toString('hex')).toBe('0002' + '00000104' + '00000101');
      ws.send(Buffer.from('00000101', 'hex'));
      expect([...(await ws.read(1))]).toEqual([1]);
      if (garbage) {
        ws.send(Buffer.alloc(64, 0x41));
        await until(() => ws.closed, 3000, 'server closes');
        continue;
      }
      const t = tls.connect({ socket: ws.duplex(), ciphers: 'aNULL:@SECLEVEL=0', maxVersion: 'TLSv1.2', rejectUnauthorized: false, checkServerIdentity: () => undefined });
      await new Promise<void>((resolve, reject) => {
        t.once('secureConnect', resolve);
        t.once('error', reject);
      });
      const c = RfbTestClient.adopt(t);
      clients.push(c);
      expect(await c.readU32()).toBe(0);
      c.write(Uint8Array.of(1));
      expect(await c.readServerInit()).toMatchObject({ width: 64, height: 32 });
      c.destroy();
    }
    await until(() => f.vnc.clientCount === 0, 3000, 'all gone');
  });

  it('without TLS configured, a ClientHello is still a bad RFB version', async () => {
    const f = await startFixture();
    await expect(tlsConnect(f.port)).rejects.toThrow();
    expect(f.vnc.clientCount).toBe(0);
  });
});

/** A minimal WebSocket client over plain TCP: masked binary frames out, payload bytes in. */
class WsBytes {
  private wire = Buffer.alloc(0);
  private data = Buffer.alloc(0);
  private upgraded = false;
  private sink: Duplex | undefined;
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => {
      this.closed = true;
      this.sink?.push(null);
    });
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<WsBytes> {
    const s = netConnect({ port, host: '127.0.0.1' });
    const w = new WsBytes(s);
    s.write(`GET /websockify HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await until(() => w.upgraded, 3000, '101');
    return w;
  }

  private onData(d: Buffer): void {
    this.wire = Buffer.concat([this.wire, d]);
    if (!this.upgraded) {
      const end = this.wire.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.wire = this.wire.subarray(end + 4);
      this.upgraded = true;
    }
    for (let f = takeServerFrame(this.wire); f; f = takeServerFrame(this.wire)) {
      if (f.op === 2) {
        if (this.sink) this.sink.push(Buffer.from(f.payload));
        else this.data = Buffer.concat([this.data, f.payload]);
      }
      this.wire = this.wire.subarray(f.size);
    }
  }

  async read(n: number): Promise<Buffer> {
    await until(() => this.data.length >= n, 3000, `${n} bytes`);
    const out = this.data.subarray(0, n);
    this.data = this.data.subarray(n);
    return out;
  }

  send(payload: Buffer): void {
    const head = payload.length < 126 ? Buffer.from([0x82, 0x80 | payload.length]) : Buffer.from([0x82, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
    this.socket.write(Buffer.concat([head, Buffer.alloc(4), payload])); // mask 0: payload unchanged
  }

  /** The payload stream as a Duplex (for a TLS client inside the WebSocket). */
  duplex(): Duplex {
    const d = new Duplex({
      write: (chunk: Buffer, _e, cb) => {
        for (let i = 0; i < chunk.length; i += 60_000) this.send(chunk.subarray(i, i + 60_000));
        cb();
      },
      read() {},
      destroy: (err, cb) => {
        this.socket.destroy();
        cb(err);
      },
    });
    this.sink = d;
    if (this.data.length > 0) d.push(this.data);
    return d;
  }
}
