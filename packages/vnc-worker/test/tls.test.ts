/**
 * The coordinator with a TLS certificate: VeNCrypt on the RFB port (X509Vnc with the password,
 * pixels exact), HTTPS for the console page, wss:// for the console's WebSocket and RFB over
 * plain TLS on the same port (first byte 0x16), and plain HTTP still answered beside them.
 */

import { request as httpsRequest } from 'node:https';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { vncAuthResponse } from '@openvmm-vnc-ts/vnc';
import { testCert } from '../../vnc/test/helpers/cert.js';
import { vencryptConnect } from '../../vnc/test/helpers/tls.js';
import { ENC_RAW, RfbTestClient, clients, startFixture, stopAll, until } from './helpers.js';

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

  it('without TLS configured, a ClientHello is still a bad RFB version', async () => {
    const f = await startFixture();
    await expect(tlsConnect(f.port)).rejects.toThrow();
    expect(f.vnc.clientCount).toBe(0);
  });
});
