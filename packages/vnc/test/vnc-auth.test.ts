/**
 * VNC Authentication: the DES building block against the standard vector, the bit-reversed key,
 * and the whole exchange over loopback for RFB 3.3, 3.7 and 3.8, right and wrong passwords.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { VncConnection } from '../src/connection.js';
import { VncErrorCode } from '../src/errors.js';
import { desEcbEncrypt, newVncAuthChallenge, verifyVncAuth, vncAuthKey, vncAuthResponse } from '../src/vnc-auth.js';
import { MemFramebuffer, RecordingSink } from './helpers/mem-fb.js';
import { RfbTestClient } from './helpers/rfb-client.js';

describe('VNC Authentication primitives', () => {
  it('single DES matches the standard vector (key 0123456789ABCDEF, "Now is t" -> 3FA40E8A984D4815)', () => {
    expect(desEcbEncrypt(Buffer.from('0123456789abcdef', 'hex'), Buffer.from('Now is t')).toString('hex')).toBe('3fa40e8a984d4815');
  });

  it('keys with the first 8 bytes, zero-padded, each bit-reversed', () => {
    expect(vncAuthKey('a').toString('hex')).toBe('8600000000000000'); // 0x61 = 01100001 -> 10000110
    expect(vncAuthKey('\x01\x80').toString('hex')).toBe('8001000000000000');
    expect(vncAuthKey('123456789')).toEqual(vncAuthKey('12345678'));
  });

  it('encrypts the two 8-byte blocks of the challenge independently (ECB)', () => {
    const challenge = Buffer.concat([Buffer.alloc(8, 0x11), Buffer.alloc(8, 0x11)]);
    const r = vncAuthResponse(challenge, 'pw');
    expect(r.subarray(0, 8)).toEqual(r.subarray(8, 16));
    expect(r.subarray(0, 8)).toEqual(desEcbEncrypt(vncAuthKey('pw'), Buffer.alloc(8, 0x11)));
  });

  it('verifies right answers, rejects wrong ones and wrong lengths; challenges are fresh', () => {
    const c = newVncAuthChallenge();
    expect(c).toHaveLength(16);
    expect(newVncAuthChallenge().equals(c)).toBe(false);
    expect(verifyVncAuth(c, vncAuthResponse(c, 'secret'), 'secret')).toBe(true);
    expect(verifyVncAuth(c, vncAuthResponse(c, 'Secret'), 'secret')).toBe(false);
    expect(verifyVncAuth(c, new Uint8Array(15), 'secret')).toBe(false);
  });
});

describe('VNC Authentication over a connection', () => {
  let server: Server | undefined;
  const clients: RfbTestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await new Promise((r) => (server ? server.close(r) : r(null)));
    server = undefined;
  });

  async function start(): Promise<{ port: number; results: boolean[]; errors: (string | undefined)[] }> {
    const results: boolean[] = [];
    const errors: (string | undefined)[] = [];
    server = createServer((s) => {
      const conn = new VncConnection(s, { framebuffer: new MemFramebuffer(8, 8), input: new RecordingSink(), password: 'secret' });
      conn.on('auth', (ok) => results.push(ok));
      conn.on('close', (e) => errors.push((e as { code?: string } | undefined)?.code));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { port: (server!.address() as { port: number }).port, results, errors };
  }

  async function attempt(port: number, version: '3.3' | '3.7' | '3.8', password: string): Promise<{ types: number[]; result: number; reason?: string; c: RfbTestClient }> {
    const c = await RfbTestClient.connect(port);
    clients.push(c);
    await c.readExactly(12);
    c.write(Buffer.from(`RFB 003.00${version.at(-1)}\n`, 'latin1'));
    let types: number[];
    if (version === '3.3') types = [await c.readU32()];
    else {
      types = [...(await c.readExactly(await c.readU8()))];
      c.write(new Uint8Array([2]));
    }
    const challenge = await c.readExactly(16);
    c.write(vncAuthResponse(challenge, password));
    const result = await c.readU32();
    if (result !== 0 && version === '3.8') {
      const reason = Buffer.from(await c.readExactly(await c.readU32())).toString('utf8');
      return { types, result, reason, c };
    }
    return { types, result, c };
  }

  for (const version of ['3.3', '3.7', '3.8'] as const) {
    it(`RFB ${version}: offers only type 2, accepts the right password, then ServerInit follows`, async () => {
      const { port, results } = await start();
      const { types, result, c } = await attempt(port, version, 'secret');
      expect(types).toEqual([2]);
      expect(result).toBe(0);
      c.write(new Uint8Array([1]));
      expect((await c.readServerInit()).width).toBe(8);
      expect(results).toEqual([true]);
    });

    it(`RFB ${version}: a wrong password gets SecurityResult 1${version === '3.8' ? ' with a reason' : ''} and the connection closes`, async () => {
      const { port, results, errors } = await start();
      const r = await attempt(port, version, 'guess');
      expect(r.result).toBe(1);
      if (version === '3.8') expect(r.reason).toBe('authentication failed');
      await r.c.closed;
      expect(results).toEqual([false]);
      expect(errors).toEqual([VncErrorCode.AUTH_FAILED]);
    });
  }

  it('a client choosing None when only VNC Authentication is offered is refused', async () => {
    const { port } = await start();
    const c = await RfbTestClient.connect(port);
    clients.push(c);
    await c.readExactly(12);
    c.write(Buffer.from('RFB 003.008\n', 'latin1'));
    await c.readExactly(2);
    c.write(new Uint8Array([1]));
    expect(await c.readU32()).toBe(1);
    await c.closed;
  });

  it('a handshake cut off in the middle of the response leaves no state behind (split writes work)', async () => {
    const { port } = await start();
    const c = await RfbTestClient.connect(port);
    clients.push(c);
    await c.readExactly(12);
    await c.writeSlowly(Buffer.from('RFB 003.008\n', 'latin1'), 1);
    await c.readExactly(2);
    c.write(new Uint8Array([2]));
    const challenge = await c.readExactly(16);
    await c.writeSlowly(vncAuthResponse(challenge, 'secret'), 1);
    expect(await c.readU32()).toBe(0);
  });
});
