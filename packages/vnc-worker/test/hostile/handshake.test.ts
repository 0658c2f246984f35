/**
 * The handshake under hostile input (the unbounded pre-auth reads and TLS-teardown classes:
 * CVE-2017-7394, CVE-2016-10207, CVE-2023-3354): wrong, garbage and truncated version strings,
 * invalid security types, a missing ClientInit, huge input, and VNC Authentication aborted at
 * every byte, answered wrongly, or answered twice. Each connection ends with its reason logged (or
 * cleanly when the client leaves), failed authentication counts exactly once, and the witness
 * keeps its updates throughout.
 *
 * TLS: without a certificate, a client that opens with a TLS ClientHello is a raw RFB client
 * with a bad version string. With one (a second server), VeNCrypt cut at every byte of its
 * negotiation, a real ClientHello cut at every byte after the accept byte, garbage instead of
 * TLS, and the same ClientHello cuts on the web port (wss://), each end that connection only,
 * with VNC_TLS_HANDSHAKE_FAILED where the TLS layer had started, and the witness keeps its
 * updates.
 */

import { vncAuthResponse } from '@openvmm-vnc-ts/vnc';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { testCert } from '../../../vnc/test/helpers/cert.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveMemory } from '../helpers.js';
import { Hostile, type Outcome, Prng, type RawConn, expectCleanClientEnd, expectClosedWith, pool, u8, until } from './harness.js';

const V33 = 'RFB 003.003\n';
const V37 = 'RFB 003.007\n';
const V38 = 'RFB 003.008\n';
const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let h: Hostile;
beforeAll(async () => {
  h = await Hostile.start();
});
afterAll(async () => {
  await h.stop();
});

describe('version strings', () => {
  const wrong = [
    'RFB 003.889\n', // Apple Remote Desktop
    'RFB 003.006\n',
    'RFB 003.005\n',
    'RFB 004.000\n',
    'RFB 004.001\n', // RealVNC 4+
    'RFB 005.000\n',
    'RFB 000.000\n',
    'RFB 999.999\n',
    'RFB 003.008\r',
    'RFB 003.008 ',
    'RFB 003.0080',
    'rfb 003.008\n',
    'RFB 003,008\n',
    'RFB 03.008\n\n',
    '\nRFB 003.008',
    '\0'.repeat(12),
    '\xff'.repeat(12),
  ];
  it.each(wrong)('%j closes with VNC_UNSUPPORTED_VERSION and sends nothing back', async (v) => {
    const o = await h.run({ before: 'greeting', bytes: latin1(v) });
    expectClosedWith(o, 'VNC_UNSUPPORTED_VERSION');
    expect(o.error).toBe(`unsupported protocol version ${JSON.stringify(v)}`);
    expect(o.back.length).toBe(0);
  });

  it('40 seeded random 12-byte version strings all close with VNC_UNSUPPORTED_VERSION', async () => {
    const rng = new Prng(0xbadc0de);
    const garbage = Array.from({ length: 40 }, () => Buffer.from(rng.bytes(12)));
    const outcomes = await pool(garbage, 16, (g) => h.run({ before: 'greeting', bytes: g }));
    for (const o of outcomes) expectClosedWith(o, 'VNC_UNSUPPORTED_VERSION');
    await h.checkWitness();
  });

  it('a wrong version sent before the greeting (no wait) closes the same way', async () => {
    const o = await h.run({ before: 'none', bytes: latin1('RFB 003.889\n') });
    expectClosedWith(o, 'VNC_UNSUPPORTED_VERSION');
    expect(o.back.toString('latin1')).toBe(V38); // only the greeting
  });

  it('5 MiB of input behind a wrong version: closed at the version, the rest ignored', async () => {
    const o = await h.run({ before: 'greeting', bytes: Buffer.concat([latin1('RFB 003.889\n'), Buffer.alloc(5 * 1024 * 1024, 0x41)]) });
    expect(o.serverClosed).toBe(true);
    expect(o.code).toBe('VNC_UNSUPPORTED_VERSION');
    await h.checkWitness();
  });

  it('5 MiB of input behind a valid version: closed at the security type (the first junk byte)', async () => {
    const o = await h.run({ before: 'greeting', bytes: Buffer.concat([latin1(V38), Buffer.alloc(5 * 1024 * 1024, 0xaa)]) });
    expect(o.serverClosed).toBe(true);
    expect(o.code).toBe('VNC_UNSUPPORTED_SECURITY_TYPE');
    expect(o.error).toBe('client chose security type 170');
    await h.checkWitness();
  });

  it('an endless HTTP-looking head (GET + 64 KiB, no blank line) is answered 431 and never becomes an RFB client', async () => {
    const o = await h.run({ before: 'none', bytes: Buffer.concat([latin1('GET / HTTP/1.1\r\nX: '), Buffer.alloc(64 * 1024, 0x61)]) });
    expect(o.back.toString('latin1')).toMatch(/^HTTP\/1\.1 431 /);
    expect(o.id).toBeUndefined();
    await h.checkWitness();
  });
});

describe('truncated handshakes: cut at every byte, then the client leaves', () => {
  // The client's side of each handshake with security None, and what the server must have sent
  // back after a prefix of k bytes (beyond its greeting).
  const flows: [string, Buffer, (k: number) => number][] = [
    ['3.8', Buffer.concat([latin1(V38), u8(1), u8(1)]), (k) => (k < 12 ? 0 : k === 12 ? 2 : 2 + 4)],
    ['3.7', Buffer.concat([latin1(V37), u8(1), u8(1)]), (k) => (k < 12 ? 0 : 2)],
    ['3.3', Buffer.concat([latin1(V33), u8(1)]), (k) => (k < 12 ? 0 : 4)],
  ];
  it.each(flows)('RFB %s: every prefix waits, and closes cleanly when the client leaves', async (_v, flow, expectedBack) => {
    const prefixes = Array.from({ length: flow.length }, (_, k) => k);
    const outcomes = await pool(prefixes, 16, (k) => h.run({ before: 'greeting', bytes: flow.subarray(0, k), then: 'end' }));
    outcomes.forEach((o, k) => {
      expect({ k, open: o.openAfterBytes, back: o.back.length }).toEqual({ k, open: true, back: expectedBack(k) });
      expectCleanClientEnd(o);
    });
    await h.checkWitness();
    expect(h.vnc.clientCount).toBe(1);
  });

  it('the same prefixes destroyed (RST instead of FIN) also leave nothing behind', async () => {
    const flow = Buffer.concat([latin1(V38), u8(1), u8(1)]);
    await pool(
      Array.from({ length: flow.length }, (_, k) => k),
      16,
      async (k) => {
        const c = await h.open();
        await c.read(12);
        if (k > 0) await c.writeAndDrain(flow.subarray(0, k));
        c.destroy();
      },
    );
    await h.checkWitness();
    await waitForClients(1);
  });
});

describe('security type', () => {
  it('3.8: every type but None (1) closes with VNC_UNSUPPORTED_SECURITY_TYPE after a failed SecurityResult with the reason', async () => {
    const types = Array.from({ length: 256 }, (_, t) => t).filter((t) => t !== 1);
    const outcomes = await pool(types, 16, (t) => h.run({ before: 'greeting', bytes: Buffer.concat([latin1(V38), u8(t)]) }));
    outcomes.forEach((o, i) => {
      expectClosedWith(o, 'VNC_UNSUPPORTED_SECURITY_TYPE');
      const reason = `security type ${types[i]} was not offered`;
      const result = Buffer.alloc(8);
      result.writeUInt32BE(1, 0);
      result.writeUInt32BE(reason.length, 4);
      expect(o.back.toString('latin1')).toBe(Buffer.concat([u8(1, 1), result, latin1(reason)]).toString('latin1'));
    });
    await h.checkWitness();
  });

  it.each([0, 2, 16, 19, 255])('3.7: type %i closes with VNC_UNSUPPORTED_SECURITY_TYPE and no SecurityResult', async (t) => {
    const o = await h.run({ before: 'greeting', bytes: Buffer.concat([latin1(V37), u8(t)]) });
    expectClosedWith(o, 'VNC_UNSUPPORTED_SECURITY_TYPE');
    expect([...o.back]).toEqual([1, 1]);
  });

  it('3.3: the byte where a 3.7 client would choose a type is its ClientInit instead', async () => {
    const o = await h.run({ before: 'greeting', bytes: Buffer.concat([latin1(V33), u8(19)]), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expect(o.stateBeforeEnd).toMatchObject({ state: 'normal', version: '3.3' });
    expectCleanClientEnd(o);
  });
});

/** The first flight of Node's TLS client (a real ClientHello), captured without a network. */
async function captureClientHello(options: tls.ConnectionOptions): Promise<Buffer> {
  return new Promise((resolve) => {
    const d = new Duplex({
      write(chunk: Buffer, _e, cb) {
        resolve(Buffer.from(chunk));
        cb();
      },
      read() {},
    });
    const t = tls.connect({ socket: d, ...options });
    t.on('error', () => {});
    setTimeout(() => t.destroy(), 50);
  });
}

describe('TLS (VeNCrypt and wss://) aborted mid-handshake', () => {
  let t: Hostile;
  let x509Hello: Buffer;
  let anonHello: Buffer;
  beforeAll(async () => {
    const { cert, key } = testCert();
    t = await Hostile.start({ params: { password: 'secret', tls: { cert, key } } });
    x509Hello = await captureClientHello({ rejectUnauthorized: false, servername: 'localhost' });
    anonHello = await captureClientHello({ ciphers: 'aNULL:@SECLEVEL=0', maxVersion: 'TLSv1.2', rejectUnauthorized: false });
  });
  afterAll(async () => {
    await t.stop();
  });

  /** 3.8, VeNCrypt 0.2 and `subtype` accepted; returns the raw connection. */
  async function throughAccept(subtype: number): Promise<RawConn> {
    const c = await t.open();
    await c.read(12);
    c.write(V38);
    const n = (await c.read(1))[0]!;
    expect([...(await c.read(n))]).toEqual([19, 2]);
    c.write(u8(19));
    expect([...(await c.read(2))]).toEqual([0, 2]);
    c.write(u8(0, 2));
    expect((await c.read(10)).toString('hex')).toBe('0002' + '00000105' + '00000102');
    c.write(Buffer.from(subtype.toString(16).padStart(8, '0'), 'hex'));
    expect([...(await c.read(1))]).toEqual([1]);
    return c;
  }

  async function closeCode(c: RawConn): Promise<string | undefined> {
    await c.whenClosed;
    const id = t.idOfConn(c);
    expect(id).toBeDefined();
    await until(() => t.disconnected(id!), `client ${id} disconnected`);
    return t.closeError(id!)?.fields.code as string | undefined;
  }

  it('the VeNCrypt negotiation cut at every byte: the client leaving ends it cleanly', async () => {
    const tail = Buffer.concat([u8(19, 0, 2), Buffer.from('00000105', 'hex')]);
    const codes = await pool(
      Array.from({ length: tail.length }, (_, k) => k),
      8,
      async (k) => {
        const c = await t.open();
        await c.read(12);
        await c.writeAndDrain(Buffer.concat([latin1(V38), tail.subarray(0, k)]));
        await delay(5);
        c.end();
        return closeCode(c);
      },
    );
    expect(codes).toEqual(new Array(tail.length).fill(undefined));
    await t.checkWitness();
  });

  for (const [name, subtype, hello] of [
    ['X509Vnc', 261, () => x509Hello],
    ['TLSVnc', 258, () => anonHello],
  ] as const) {
    it(`${name}: a real ClientHello cut at every byte, then the client leaves: VNC_TLS_HANDSHAKE_FAILED each time`, async () => {
      const h0 = hello();
      expect(h0[0]).toBe(0x16);
      const cuts = Array.from({ length: h0.length }, (_, k) => k);
      const codes = await pool(cuts, 16, async (k) => {
        const c = await throughAccept(subtype);
        if (k > 0) await c.writeAndDrain(h0.subarray(0, k));
        await delay(2);
        c.end();
        return closeCode(c);
      });
      expect(new Set(codes)).toEqual(new Set(['VNC_TLS_HANDSHAKE_FAILED']));
      // Nothing of them is left: the witness is the only client.
      expect(t.vnc.clientCount).toBe(1);
      await t.checkWitness();
    });
  }

  it('memory stays bounded: three more rounds of every X509 ClientHello cut leave the heap where one round left it', async () => {
    const round = async (): Promise<void> => {
      const h0 = x509Hello;
      await pool(
        Array.from({ length: h0.length }, (_, k) => k),
        16,
        async (k) => {
          const c = await throughAccept(261);
          if (k > 0) await c.writeAndDrain(h0.subarray(0, k));
          c.end();
          await closeCode(c);
        },
      );
    };
    const used = (): number => liveMemory().live;
    await round(); // warm-up: first TLS contexts, pools, JIT
    const before = used();
    for (let i = 0; i < 3; i++) await round();
    const grown = used() - before;
    console.log(`TLS cut rounds: heap + external grew ${(grown / 1e6).toFixed(2)} MB`);
    // Three rounds are ~3 x 500 TLS connections: a per-connection leak of even 5 KB would show.
    expect(grown, `heap + external grew ${(grown / 1e6).toFixed(2)} MB`).toBeLessThan(6e6);
    expect(t.vnc.clientCount).toBe(1);
    await t.checkWitness();
  });

  it('garbage instead of TLS after the accept byte: VNC_TLS_HANDSHAKE_FAILED, the server closes', async () => {
    for (const junk of [latin1(V38), Buffer.alloc(64), Buffer.from('16030100ff' + 'ff'.repeat(300), 'hex')]) {
      const c = await throughAccept(258);
      c.write(junk);
      await c.waitServerEnd();
      expect(c.serverEnded).toBe(true);
      expect(await closeCode(c)).toBe('VNC_TLS_HANDSHAKE_FAILED');
    }
    await t.checkWitness();
  });

  it('wss:// port: a ClientHello cut at every byte is logged and dropped before RFB; the witness is served', async () => {
    const handledBefore = t.vnc.inspect().handledWeb as number;
    const cuts = Array.from({ length: x509Hello.length - 1 }, (_, k) => k + 1);
    await pool(cuts, 16, async (k) => {
      const c = await t.open();
      await c.writeAndDrain(x509Hello.subarray(0, k));
      await delay(2);
      c.end();
      await c.whenClosed;
    });
    await until(() => (t.vnc.inspect().handledWeb as number) >= handledBefore + cuts.length, 'every cut connection handled');
    expect(t.logs.filter((l) => l.message === 'TLS handshake failed on the web port').length).toBeGreaterThan(0);
    expect(t.vnc.clientCount).toBe(1); // the witness only: none of them became an RFB client
    await t.checkWitness();
  });
});

describe('TLS ClientHello without TLS configured', () => {

  // A TLS 1.2 ClientHello record header and the start of its handshake message.
  const clientHello = Buffer.from('160301010001' + '0000fd0303' + '00'.repeat(32), 'hex');
  it('a TLS ClientHello as the first bytes is a bad RFB version: VNC_UNSUPPORTED_VERSION, nothing but the greeting back', async () => {
    const o = await h.run({ before: 'none', bytes: clientHello });
    expectClosedWith(o, 'VNC_UNSUPPORTED_VERSION');
    expect(o.back.toString('latin1')).toBe(V38);
  });

  it('a ClientHello cut at every byte below 12 waits for the version and closes cleanly when the client leaves', async () => {
    const outcomes = await pool(
      Array.from({ length: 11 }, (_, k) => k + 1),
      11,
      (k) => h.run({ before: 'greeting', bytes: clientHello.subarray(0, k), then: 'end' }),
    );
    for (const o of outcomes) expectCleanClientEnd(o);
    await h.checkWitness();
  });
});

describe('handshake timeout (10 s)', () => {
  it('every stalled stage, ClientInit missing included, closes with VNC_HANDSHAKE_TIMEOUT while the witness is served', async () => {
    const { cert, key } = testCert();
    const auth = await Hostile.start({ params: { password: 'secret', tls: { cert, key } }, witness: false });
    // VeNCrypt TLSVnc chosen in one write with the start of a ClientHello, then silence: the
    // ClientHello bytes went ahead to the TLS layer, which waits for the rest.
    const tlsStall = Buffer.concat([latin1(V38), u8(19, 0, 2), Buffer.from('00000102', 'hex'), Buffer.from('160301010001' + '0000fd0303', 'hex')]);
    try {
      const stalls: [Hostile, Omit<Parameters<Hostile['run']>[0], 'hangGuardMs'>][] = [
        [h, { before: 'greeting', bytes: [] }],
        [h, { before: 'greeting', bytes: latin1(V38.slice(0, 10)) }],
        [h, { before: 'greeting', bytes: latin1(V38) }],
        [h, { before: 'greeting', bytes: Buffer.concat([latin1(V38), u8(1)]) }], // ClientInit missing
        [h, { before: 'greeting', bytes: Buffer.concat([latin1(V37), u8(1)]) }], // ClientInit missing
        [h, { before: 'greeting', bytes: latin1(V33) }], // ClientInit missing
        [auth, { before: 'greeting', bytes: Buffer.concat([latin1(V38), u8(2)]) }], // challenge unanswered
        [auth, { before: 'greeting', bytes: Buffer.concat([latin1(V38), u8(2), Buffer.alloc(15)]) }], // response 15 of 16
        [auth, { before: 'greeting', bytes: Buffer.concat([latin1(V38), u8(19)]) }], // VeNCrypt version unanswered
        [auth, { before: 'greeting', bytes: tlsStall }], // TLS handshake stalled mid-ClientHello
      ];
      const t0 = Date.now();
      const running = stalls.map(([server, c]) => server.run({ ...c, hangGuardMs: 15_000 }));
      // Served all along: check the witness a few times while the stalls wait.
      for (let i = 0; i < 5; i++) {
        await h.checkWitness();
        await new Promise((r) => setTimeout(r, 500));
      }
      const outcomes: Outcome[] = await Promise.all(running);
      for (const o of outcomes) {
        expectClosedWith(o, 'VNC_HANDSHAKE_TIMEOUT');
        expect(o.error).toBe('handshake not completed in time');
      }
      expect(Date.now() - t0).toBeGreaterThanOrEqual(9_900);
      expect(auth.vnc.inspect()).toMatchObject({ authFailures: 0 });
      await h.checkWitness();
    } finally {
      await auth.stop();
    }
  }, 30_000);
});

async function waitForClients(n: number): Promise<void> {
  await until(() => h.vnc.clientCount === n, `${n} clients (have ${h.vnc.clientCount})`);
}

// ---------------------------------------------------------------------------------------------

describe('VNC Authentication', () => {
  const PASSWORD = 'secret';
  let a: Hostile;
  beforeAll(async () => {
    a = await Hostile.start({ params: { password: PASSWORD } });
  });
  afterAll(async () => {
    await a.stop();
  });

  /** Opens from `from`, sends `version`, answers the challenge with `respond(challenge)`; returns the connection. */
  async function authenticate(version: string, respond: (challenge: Buffer) => Buffer, from: string): Promise<RawConn> {
    const c = await a.open(from);
    await c.read(12);
    c.write(latin1(version));
    if (version === V33) expect((await c.read(4)).readUInt32BE(0)).toBe(2);
    else {
      expect([...(await c.read(2))]).toEqual([1, 2]);
      c.write(u8(2));
    }
    c.write(respond(await c.read(16)));
    return c;
  }

  it('the witness authenticated; aborting the 3.8 exchange at every byte never counts as a failure', async () => {
    const flow = Buffer.concat([latin1(V38), u8(2), Buffer.alloc(16, 0x5a)]);
    const prefixes = Array.from({ length: flow.length }, (_, k) => k); // 0..28: the response never completes
    const outcomes = await pool(prefixes, 16, (k) => a.run({ before: 'greeting', bytes: flow.subarray(0, k), then: 'end' }));
    outcomes.forEach((o, k) => {
      expect({ k, open: o.openAfterBytes, back: o.back.length }).toEqual({ k, open: true, back: k < 12 ? 0 : k === 12 ? 2 : 2 + 16 });
      expectCleanClientEnd(o);
    });
    expect(a.vnc.inspect()).toMatchObject({ authFailures: 0, authBlocked: 0 });
    await a.checkWitness();
  });

  it('aborting the 3.3 exchange at every byte never counts either', async () => {
    const flow = Buffer.concat([latin1(V33), Buffer.alloc(16, 0x5a)]);
    const prefixes = Array.from({ length: flow.length }, (_, k) => k);
    const outcomes = await pool(prefixes, 16, (k) => a.run({ before: 'greeting', bytes: flow.subarray(0, k), then: 'end' }));
    outcomes.forEach((o, k) => {
      expect({ k, back: o.back.length }).toEqual({ k, back: k < 12 ? 0 : 4 + 16 });
      expectCleanClientEnd(o);
    });
    expect(a.vnc.inspect()).toMatchObject({ authFailures: 0 });
    await a.checkWitness();
  });

  it('None (1) is not offered with a password: VNC_UNSUPPORTED_SECURITY_TYPE', async () => {
    const o = await a.run({ before: 'greeting', bytes: Buffer.concat([latin1(V38), u8(1)]) });
    expectClosedWith(o, 'VNC_UNSUPPORTED_SECURITY_TYPE');
    expect(o.back.subarray(0, 6)).toEqual(u8(1, 2, 0, 0, 0, 1));
  });

  it.each([
    [V38, '127.0.0.2', Buffer.concat([u8(0, 0, 0, 1, 0, 0, 0, 21), latin1('authentication failed')])],
    [V37, '127.0.0.3', u8(0, 0, 0, 1)],
    [V33, '127.0.0.4', u8(0, 0, 0, 1)],
  ])('%j: a wrong response gets SecurityResult failed, VNC_AUTH_FAILED is logged, one failure counted', async (version, from, result) => {
    const failures = a.vnc.inspect().authFailures as number;
    const c = await authenticate(version, () => Buffer.alloc(16, 0x11), from);
    expect(await c.waitServerEnd()).toBe(true);
    await c.whenClosed;
    expect(c.all().subarray(c.received - result.length)).toEqual(result);
    const id = await a.idOf(c);
    await until(() => a.disconnected(id), 'disconnect');
    expect(a.closeError(id)?.fields.code).toBe('VNC_AUTH_FAILED');
    expect(a.vnc.inspect().authFailures).toBe(failures + 1);
    await a.checkWitness();
  });

  it('a wrong response sent twice counts once (the second is never read as anything)', async () => {
    const failures = a.vnc.inspect().authFailures as number;
    const c = await authenticate(V38, () => Buffer.alloc(32, 0x22), '127.0.0.5');
    await c.waitServerEnd();
    await c.whenClosed;
    const id = await a.idOf(c);
    await until(() => a.disconnected(id), 'disconnect');
    expect(a.closeError(id)?.fields.code).toBe('VNC_AUTH_FAILED');
    expect(a.vnc.inspect().authFailures).toBe(failures + 1);
    await a.checkWitness();
  });

  it('a right response sent twice: the second is the ClientInit and then messages; junk there closes with VNC_UNKNOWN_MESSAGE, and no failure is counted', async () => {
    const failures = a.vnc.inspect().authFailures as number;
    const KNOWN = new Set([0, 2, 3, 4, 5, 6, 251, 255]);
    // The response is random (the challenge is); retry until its second byte is not a known
    // message type, which makes the outcome exact.
    for (let attempt = 0; ; attempt++) {
      expect(attempt).toBeLessThan(20);
      let response: Buffer | undefined;
      const c = await authenticate(V38, (ch) => {
        response = vncAuthResponse(ch, PASSWORD);
        return Buffer.concat([response, response]);
      }, '127.0.0.6');
      if (KNOWN.has(response![1]!)) {
        c.destroy();
        continue;
      }
      await c.waitServerEnd();
      await c.whenClosed;
      const back = c.all().subarray(12 + 2 + 16);
      expect(back.readUInt32BE(0)).toBe(0); // SecurityResult OK
      expect(back.readUInt16BE(4)).toBe(64); // ServerInit: the second response's first byte was the ClientInit
      const id = await a.idOf(c);
      await until(() => a.disconnected(id), 'disconnect');
      expect(a.closeError(id)?.fields).toMatchObject({ code: 'VNC_UNKNOWN_MESSAGE', error: `unknown client message type ${response![1]}` });
      break;
    }
    expect(a.vnc.inspect().authFailures).toBe(failures);
    await a.checkWitness();
  });

  it('four failures block the address at accept (no byte sent), other addresses and the witness unaffected', async () => {
    const from = '127.0.0.9';
    for (let i = 0; i < 4; i++) {
      const c = await authenticate(V38, () => Buffer.alloc(16), from);
      await c.whenClosed;
    }
    const refused = await a.open(from);
    await refused.whenClosed;
    expect(refused.received).toBe(0);
    expect(a.vnc.inspect().authBlocked).toBe(1);
    // Another address authenticates fine.
    const ok = await authenticate(V38, (ch) => vncAuthResponse(ch, PASSWORD), '127.0.0.10');
    expect((await ok.read(4)).readUInt32BE(0)).toBe(0);
    ok.destroy();
    await a.checkWitness();
  });
});

