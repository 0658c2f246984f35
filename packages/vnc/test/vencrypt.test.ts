/**
 * VeNCrypt (security type 19): the offer policy, the message bytes, the parser split at every
 * byte, and whole connections with Node's TLS client over loopback: X509Vnc, X509None (with the
 * certificate checked against its CA), TLSNone and TLSVnc (anonymous TLS), a ClientHello sent
 * ahead of the accept byte, and every refusal (wrong VeNCrypt version, a subtype not offered, a
 * plain type when only TLS is offered, RFB 3.3 without TLS, TLS aborted or garbage).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type LogRecord, createLogger } from '@openvmm-vnc-ts/video-core';
import { ClientParser } from '../src/client-parser.js';
import { VncError, VncErrorCode } from '../src/errors.js';
import { SecurityType } from '../src/rfb.js';
import { vncAuthResponse } from '../src/vnc-auth.js';
import {
  VencryptSubtype,
  createVncTlsContexts,
  innerSecurityType,
  securityOffer,
  vencryptServerVersion,
  vencryptSubtypeList,
} from '../src/vencrypt.js';
import { MemFramebuffer } from './helpers/mem-fb.js';
import { ENC_RAW } from './helpers/rfb-client.js';
import { type Fixture, closeAll, connect, delay, startServer } from './helpers/server-fixture.js';
import { hex } from './helpers/rfb-messages.js';
import { testCert, vencryptConnect } from './helpers/tls.js';

afterEach(closeAll);

const pattern = (x: number, y: number): number => ((x * 53 + y * 7) & 0xff) | (((x + y) & 0xff) << 8) | (((x * y) & 0xff) << 16);

function expectVncClose(f: Fixture, code: string): void {
  expect(f.closeErrors).toHaveLength(1);
  expect(f.closeErrors[0]).toBeInstanceOf(VncError);
  expect((f.closeErrors[0] as VncError).code).toBe(code);
}

async function waitClosed(f: Fixture): Promise<void> {
  for (let i = 0; i < 500 && f.closeErrors.length === 0; i++) await delay(5);
}

let logs: LogRecord[] = [];
function tlsServer(extra: { password?: string; plainSecurity?: boolean } = {}): Promise<Fixture> {
  const c = testCert();
  logs = [];
  const logger = createLogger('test', { level: 'debug', sink: (r) => logs.push(r) });
  return startServer(new MemFramebuffer(64, 32, pattern), { tls: createVncTlsContexts(c), logger, ...extra });
}

describe('securityOffer', () => {
  it('without TLS: the one plain type, as before', () => {
    expect(securityOffer({ password: false, tls: false, plain: false })).toEqual({ types: [1], subtypes: [], type33: 1 });
    expect(securityOffer({ password: true, tls: false, plain: false })).toEqual({ types: [2], subtypes: [], type33: 2 });
  });
  it('with TLS and a password: X509Vnc and TLSVnc, VNC Authentication in clear only where plain is allowed', () => {
    expect(securityOffer({ password: true, tls: true, plain: false })).toEqual({ types: [19], subtypes: [261, 258], type33: undefined });
    expect(securityOffer({ password: true, tls: true, plain: true })).toEqual({ types: [19, 2], subtypes: [261, 258], type33: 2 });
  });
  it('with TLS and no password: X509None and TLSNone, None in clear only where plain is allowed', () => {
    expect(securityOffer({ password: false, tls: true, plain: false })).toEqual({ types: [19], subtypes: [260, 257], type33: undefined });
    expect(securityOffer({ password: false, tls: true, plain: true })).toEqual({ types: [19, 1], subtypes: [260, 257], type33: 1 });
  });
  it('inner security of each subtype', () => {
    expect([257, 258, 260, 261].map(innerSecurityType)).toEqual([SecurityType.NONE, SecurityType.VNC_AUTH, SecurityType.NONE, SecurityType.VNC_AUTH]);
  });
});

describe('VeNCrypt messages and parsing', () => {
  it('server version 0.2; ack and subtype list as U8 0, U8 count, U32 each', () => {
    expect(hex(vencryptServerVersion())).toBe('0002');
    expect(hex(vencryptSubtypeList([261, 258]))).toBe('0002' + '00000105' + '00000102');
  });
  it('client version and subtype parse at every split point', () => {
    const bytes = Buffer.from('0002' + '00000105', 'hex');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const p = new ClientParser();
      p.phase = 'vencryptVersion';
      const events = [];
      for (const piece of [bytes.subarray(0, cut), bytes.subarray(cut)]) {
        p.push(piece);
        for (let ev = p.next(); ev; ev = p.next()) {
          events.push(ev);
          if (ev.type === 'vencryptVersion') p.phase = 'vencryptSubtype';
        }
      }
      expect(events).toEqual([{ type: 'vencryptVersion', major: 0, minor: 2 }, { type: 'vencryptSubtype', subtype: 261 }]);
    }
  });
  it('in the tls phase the parser yields nothing and hands its buffered bytes back', () => {
    const p = new ClientParser();
    p.phase = 'tls';
    p.push(Buffer.from('160301', 'hex'));
    expect(p.next()).toBeUndefined();
    expect(hex(p.takeBuffered())).toBe('160301');
    expect(p.buffered).toBe(0);
  });
  it('createVncTlsContexts rejects a key that is not PEM', () => {
    expect(() => createVncTlsContexts({ cert: testCert().cert, key: 'not a key' })).toThrow();
  });
});

/** Reads the inner VNC Authentication (right or wrong password) and SecurityResult. */
async function innerVncAuth(c: import('./helpers/rfb-client.js').RfbTestClient, password: string): Promise<number> {
  const challenge = await c.readExactly(16);
  c.write(vncAuthResponse(challenge, password));
  return c.readU32();
}

async function expectPixels(c: import('./helpers/rfb-client.js').RfbTestClient, fb: MemFramebuffer): Promise<void> {
  c.write(Uint8Array.of(1));
  const init = await c.readServerInit();
  expect(init).toMatchObject({ width: 64, height: 32 });
  c.setEncodings([ENC_RAW]);
  c.requestUpdate(false, 0, 0, 64, 32);
  const rects = await c.readUpdate();
  expect(rects).toHaveLength(1);
  const data = rects[0]!.data;
  let bad = 0;
  for (let y = 0; y < 32; y++) for (let x = 0; x < 64; x++) if (Buffer.from(data.subarray((y * 64 + x) * 4, (y * 64 + x) * 4 + 3)).compare(Buffer.from(fb.data.subarray((y * 64 + x) * 4, (y * 64 + x) * 4 + 3))) !== 0) bad++;
  expect(bad).toBe(0);
}

describe('VeNCrypt connections (Node TLS client)', () => {
  for (const ahead of [false, true]) {
    it(`X509Vnc with the right password: certificate checked, pixels exact${ahead ? ' (ClientHello sent ahead of the accept byte)' : ''}`, async () => {
      const f = await tlsServer({ password: 'secret', plainSecurity: false });
      const r = await vencryptConnect(f.port, { subtype: VencryptSubtype.X509_VNC, ca: testCert().cert, ahead });
      expect(r.types).toEqual([19]);
      expect(r.subtypes).toEqual([261, 258]);
      expect(r.tlsSocket.authorized).toBe(true);
      expect(await innerVncAuth(r.client, 'secret')).toBe(0);
      await expectPixels(r.client, f.fb);
      expect(f.conns[0]!.inspect()).toMatchObject({ state: 'normal', tls: 'X509Vnc' });
      const start = logs.find((l) => l.message.startsWith('VeNCrypt accepted'));
      // Sent ahead, the ClientHello was in the parser's buffer and went back to the TLS layer.
      if (ahead) expect(start?.fields?.['bytesAhead']).toBeGreaterThan(0);
      else expect(start?.fields?.['bytesAhead']).toBe(0);
      r.client.destroy();
    });

    it(`TLSNone (anonymous TLS) without a password: pixels exact${ahead ? ' (ClientHello ahead)' : ''}`, async () => {
      const f = await tlsServer({ plainSecurity: false });
      const r = await vencryptConnect(f.port, { subtype: VencryptSubtype.TLS_NONE, ahead });
      expect(r.subtypes).toEqual([260, 257]);
      expect(r.tlsSocket.getCipher().standardName).toMatch(/_anon_/);
      expect(await r.client.readU32()).toBe(0); // SecurityResult after None (3.8)
      await expectPixels(r.client, f.fb);
      r.client.destroy();
    });
  }

  it('TLSVnc with a wrong password: SecurityResult failed with a reason, VNC_AUTH_FAILED', async () => {
    const f = await tlsServer({ password: 'secret' });
    const r = await vencryptConnect(f.port, { subtype: VencryptSubtype.TLS_VNC });
    expect(r.types).toEqual([19, 2]); // loopback fixture: plain allowed by default
    expect(await innerVncAuth(r.client, 'wrong')).toBe(1);
    await waitClosed(f);
    expectVncClose(f, VncErrorCode.AUTH_FAILED);
  });

  it('X509None: a client that does not trust the certificate gives up; one with the CA gets in', async () => {
    const f = await tlsServer();
    await expect(vencryptConnect(f.port, { subtype: VencryptSubtype.X509_NONE, ca: '' })).rejects.toThrow();
    await waitClosed(f);
    expectVncClose(f, VncErrorCode.TLS_HANDSHAKE_FAILED);
    const r = await vencryptConnect(f.port, { subtype: VencryptSubtype.X509_NONE, ca: testCert().cert });
    expect(await r.client.readU32()).toBe(0);
    await expectPixels(r.client, f.fb);
  });
});

/** Connects, sends 3.8 and chooses VeNCrypt; returns the client after the server's version. */
async function toVencrypt(f: Fixture): Promise<import('./helpers/rfb-client.js').RfbTestClient> {
  const c = await connect(f);
  await c.readExactly(12);
  c.write(Buffer.from('RFB 003.008\n', 'latin1'));
  await c.readExactly(await c.readU8());
  c.write(Uint8Array.of(19));
  expect(hex(await c.readExactly(2))).toBe('0002');
  return c;
}

describe('VeNCrypt refusals', () => {
  for (const [major, minor] of [[0, 1], [0, 3], [1, 2], [255, 255]] as const) {
    it(`client version ${major}.${minor}: ack 1, VNC_VENCRYPT_VERSION`, async () => {
      const f = await tlsServer();
      const c = await toVencrypt(f);
      c.write(Uint8Array.of(major, minor));
      expect(await c.readU8()).toBe(1);
      await c.waitClose();
      expectVncClose(f, VncErrorCode.VENCRYPT_VERSION);
    });
  }

  for (const [password, subtype] of [[undefined, 261], [undefined, 258], ['pw', 257], ['pw', 260], ['pw', 256], [undefined, 0], [undefined, 0xffffffff]] as const) {
    it(`subtype ${subtype} not offered (${password ? 'password' : 'no password'}): accept byte 0, VNC_UNSUPPORTED_VENCRYPT_SUBTYPE`, async () => {
      const f = await tlsServer(password ? { password } : {});
      const c = await toVencrypt(f);
      c.write(Uint8Array.of(0, 2));
      expect(await c.readU8()).toBe(0);
      await c.readExactly(4 * (await c.readU8()));
      const b = Buffer.alloc(4);
      b.writeUInt32BE(subtype);
      c.write(b);
      expect(await c.readU8()).toBe(0);
      await c.waitClose();
      expectVncClose(f, VncErrorCode.UNSUPPORTED_VENCRYPT_SUBTYPE);
    });
  }

  it('the whole negotiation one byte per write still reaches TLS', async () => {
    const f = await tlsServer({ password: 'pw', plainSecurity: false });
    const c = await connect(f);
    await c.readExactly(12);
    await c.writeSlowly(Buffer.from('RFB 003.008\n', 'latin1'), 1);
    expect([...(await c.readExactly(2))]).toEqual([1, 19]);
    c.write(Uint8Array.of(19));
    await c.readExactly(2);
    await c.writeSlowly(Uint8Array.of(0, 2), 1);
    expect(hex(await c.readExactly(10))).toBe('0002' + '00000105' + '00000102');
    await c.writeSlowly(Buffer.from('00000102', 'hex'), 1);
    expect(await c.readU8()).toBe(1);
    await delay(20);
    expect(f.conns[0]!.state).toBe('handshake');
    expect(f.closeErrors).toHaveLength(0);
  });

  it('only VeNCrypt offered: choosing VNC Authentication in clear is refused', async () => {
    const f = await tlsServer({ password: 'pw', plainSecurity: false });
    const c = await connect(f);
    await c.readExactly(12);
    c.write(Buffer.from('RFB 003.008\n', 'latin1'));
    expect([...(await c.readExactly(2))]).toEqual([1, 19]);
    c.write(Uint8Array.of(2));
    expect(await c.readU32()).toBe(1);
    await c.waitClose();
    expectVncClose(f, VncErrorCode.UNSUPPORTED_SECURITY_TYPE);
  });

  it('RFB 3.3 when only VeNCrypt is offered: type 0 with a reason, VNC_TLS_REQUIRED', async () => {
    const f = await tlsServer({ plainSecurity: false });
    const c = await connect(f);
    await c.readExactly(12);
    c.write(Buffer.from('RFB 003.003\n', 'latin1'));
    expect(await c.readU32()).toBe(0);
    const reason = Buffer.from(await c.readExactly(await c.readU32())).toString();
    expect(reason).toMatch(/requires TLS/);
    await c.waitClose();
    expectVncClose(f, VncErrorCode.TLS_REQUIRED);
  });

  it('RFB 3.3 where plain is allowed gets the plain type', async () => {
    const f = await tlsServer({ password: 'pw' });
    const c = await connect(f);
    await c.readExactly(12);
    c.write(Buffer.from('RFB 003.003\n', 'latin1'));
    expect(await c.readU32()).toBe(2);
  });

  /** Through the accept byte of TLSVnc; returns the raw client. */
  async function toTls(f: Fixture): Promise<import('./helpers/rfb-client.js').RfbTestClient> {
    const c = await toVencrypt(f);
    c.write(Uint8Array.of(0, 2));
    await c.readExactly(2 + 8);
    c.write(Buffer.from('00000102', 'hex'));
    expect(await c.readU8()).toBe(1);
    return c;
  }

  it('the client leaves right after the accept byte: VNC_TLS_HANDSHAKE_FAILED', async () => {
    const f = await tlsServer({ password: 'pw' });
    const c = await toTls(f);
    c.socket.end();
    await waitClosed(f);
    expectVncClose(f, VncErrorCode.TLS_HANDSHAKE_FAILED);
  });

  it('RFB bytes instead of a ClientHello: VNC_TLS_HANDSHAKE_FAILED', async () => {
    const f = await tlsServer({ password: 'pw' });
    const c = await toTls(f);
    c.write(Buffer.from('RFB 003.008\n', 'latin1'));
    await waitClosed(f);
    expectVncClose(f, VncErrorCode.TLS_HANDSHAKE_FAILED);
  });
});
