/**
 * WebSocket frame decoding under hostile input, through the coordinator's real port (the
 * CVE-2017-18922 / CVE-2019-20840 class): every frame-level violation after a valid upgrade
 * (unmasked, RSV bits, reserved opcodes, text, continuation without a start, a new message inside
 * a fragmented one, fragmented or oversized control frames, 64-bit and oversized lengths, close
 * frames with bad codes or bad UTF-8) closes that connection with the matching close code and the
 * WS_ERR_* code logged; then seeded fuzz (random bytes, and mutations of a valid RFB-over-WebSocket
 * conversation). The raw-RFB witness keeps its updates all along.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutTextMsg, keyEventMsg, pointerEventMsg, setEncodingsMsg, updateRequestMsg } from '../../../vnc/test/helpers/rfb-messages.js';
import { Hostile, Prng, type RawConn, pool, u8, until } from './harness.js';
import { takeServerFrame } from '../helpers.js';

let h: Hostile;
beforeAll(async () => {
  h = await Hostile.start();
});
afterAll(async () => {
  await h.stop();
});

const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

interface FrameOptions {
  fin?: boolean;
  mask?: boolean;
  /** RSV bits (0..7). */
  rsv?: number;
  /** Announced payload length, when it must differ from the payload sent. */
  length?: number | bigint;
}

/** A client frame: masked unless `mask: false`; the length field uses the shortest form (or 64 bits for a bigint). */
function frame(opcode: number, payload: Uint8Array | string = Buffer.alloc(0), o: FrameOptions = {}): Buffer {
  const p = Buffer.from(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload);
  const mask = o.mask ?? true;
  const b0 = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode;
  const m = mask ? 0x80 : 0;
  const len = o.length ?? p.length;
  let head: Buffer;
  if (typeof len === 'bigint') {
    head = Buffer.alloc(10);
    head[1] = m | 127;
    head.writeBigUInt64BE(len, 2);
  } else if (len < 126) head = Buffer.from([0, m | len]);
  else if (len < 0x10000) {
    head = Buffer.alloc(4);
    head[1] = m | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[1] = m | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  head[0] = b0;
  if (!mask) return Buffer.concat([head, p]);
  return Buffer.concat([head, KEY, Buffer.from(p.map((x, i) => x ^ KEY[i & 3]!))]);
}

const closeBody = (code: number, reason: Uint8Array = Buffer.alloc(0)): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, reason]);
};

/** A WebSocket client over a raw connection: upgrades, then parses the server's (unmasked) frames. */
class WsClient {
  private wire = Buffer.alloc(0);
  upgraded = false;
  status = '';
  /** Binary payloads, concatenated (the RFB stream). */
  data = Buffer.alloc(0);
  /** Close frames received: their code (undefined when empty). */
  readonly closes: (number | undefined)[] = [];
  pongs = 0;
  /** Frame-level problems in what the server sent (masked frames, RSV bits, bad opcodes). */
  readonly serverViolations: string[] = [];

  constructor(readonly raw: RawConn) {
    raw.socket.on('data', (d: Buffer) => this.onData(d));
  }

  static async open(path = '/websockify', extraHeaders = ''): Promise<WsClient> {
    const raw = await h.open();
    const c = new WsClient(raw);
    raw.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${h.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: binary\r\n${extraHeaders}\r\n`,
    );
    await until(() => c.status !== '' || raw.closed, 'the upgrade response');
    return c;
  }

  private onData(d: Buffer): void {
    this.wire = Buffer.concat([this.wire, d]);
    if (!this.upgraded) {
      const end = this.wire.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.status = this.wire.subarray(0, this.wire.indexOf('\r\n')).toString('latin1');
      this.wire = this.wire.subarray(end + 4);
      if (!this.status.startsWith('HTTP/1.1 101')) return;
      this.upgraded = true;
    }
    for (let f = takeServerFrame(this.wire); f; f = takeServerFrame(this.wire)) {
      if (f.masked) this.serverViolations.push('masked server frame');
      if (f.rsv) this.serverViolations.push('RSV bits in a server frame');
      if (f.op === 0x8) this.closes.push(f.payload.length >= 2 ? f.payload.readUInt16BE(0) : undefined);
      else if (f.op === 0xa) this.pongs++;
      else if (f.op === 0x2 || f.op === 0x0) this.data = Buffer.concat([this.data, f.payload]);
      else this.serverViolations.push(`server opcode ${f.op}`);
      this.wire = this.wire.subarray(f.size);
    }
  }

  send(bytes: Uint8Array): void {
    this.raw.write(bytes);
  }

  async readData(n: number): Promise<Buffer> {
    await until(() => this.data.length >= n || this.raw.closed, `${n} RFB bytes over WebSocket`);
    if (this.data.length < n) throw new Error(`closed with ${this.data.length} of ${n} RFB bytes`);
    const out = this.data.subarray(0, n);
    this.data = this.data.subarray(n);
    return out;
  }

  /** The server's id for this client. */
  id(): number | undefined {
    return h.idOfConn(this.raw, true);
  }
}

/** How the server ended a hostile WebSocket connection. */
interface WsOutcome {
  serverClosed: boolean;
  closes: (number | undefined)[];
  code: string | undefined;
  violations: string[];
}

/** Upgrades, waits for the RFB greeting, sends `bytes` (one write per element), and reports how the server ended it. */
async function wsCase(bytes: Uint8Array | readonly Uint8Array[], then: 'wait' | 'end' = 'wait'): Promise<WsOutcome> {
  const c = await WsClient.open();
  expect(c.status).toMatch(/^HTTP\/1\.1 101 /);
  expect((await c.readData(12)).toString('latin1')).toBe('RFB 003.008\n');
  const id = c.id();
  expect(id).toBeDefined();
  for (const b of bytes instanceof Uint8Array ? [bytes] : bytes) await c.raw.writeAndDrain(b);
  if (then === 'end') {
    await new Promise((r) => setTimeout(r, 20));
    if (!c.raw.serverEnded) c.raw.end();
  } else await c.raw.waitServerEnd();
  const serverClosed = c.raw.serverEnded && !c.raw.clientEnded;
  if (!c.raw.serverEnded) c.raw.end();
  await c.raw.whenClosed;
  await until(() => h.disconnected(id!), `client ${id} disconnected`);
  return { serverClosed, closes: c.closes, code: h.closeError(id!)?.fields.code as string | undefined, violations: c.serverViolations };
}

function expectWsClosed(o: WsOutcome, closeCode: number, code: string): void {
  expect({ serverClosed: o.serverClosed, closes: o.closes, code: o.code, violations: o.violations }).toEqual({ serverClosed: true, closes: [closeCode], code, violations: [] });
}

describe('frame violations after a valid upgrade', () => {
  const violations: [string, Buffer, number, string][] = [
    ['an unmasked binary frame', frame(2, 'RFB 003.008\n', { mask: false }), 1002, 'WS_ERR_UNMASKED'],
    ['an unmasked empty ping', frame(9, '', { mask: false }), 1002, 'WS_ERR_UNMASKED'],
    ...[1, 2, 4, 7].map((rsv): [string, Buffer, number, string] => [`RSV bits ${rsv}`, frame(2, 'x', { rsv }), 1002, 'WS_ERR_RSV_SET']),
    ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map((op): [string, Buffer, number, string] => [`reserved opcode ${op}`, frame(op, 'x'), 1002, 'WS_ERR_INVALID_OPCODE']),
    ['a text frame', frame(1, 'RFB 003.008\n'), 1003, 'WS_ERR_TEXT_UNSUPPORTED'],
    ['an empty text frame', frame(1), 1003, 'WS_ERR_TEXT_UNSUPPORTED'],
    ['a continuation without a start', frame(0, 'x'), 1002, 'WS_ERR_UNEXPECTED_CONTINUATION'],
    ['a binary frame inside a fragmented message', Buffer.concat([frame(2, 'RFB', { fin: false }), frame(2, ' 003')]), 1002, 'WS_ERR_EXPECTED_CONTINUATION'],
    ['a fragmented ping', frame(9, 'x', { fin: false }), 1002, 'WS_ERR_FRAGMENTED_CONTROL'],
    ['a fragmented close', frame(8, closeBody(1000), { fin: false }), 1002, 'WS_ERR_FRAGMENTED_CONTROL'],
    ['a ping announcing 126 bytes (16-bit length)', frame(9, Buffer.alloc(126)), 1002, 'WS_ERR_CONTROL_TOO_BIG'],
    ['a ping announcing a 64-bit length', frame(9, '', { length: 1n << 40n }), 1002, 'WS_ERR_CONTROL_TOO_BIG'],
    ['a close announcing 65535 bytes', frame(8, '', { length: 65535 }), 1002, 'WS_ERR_CONTROL_TOO_BIG'],
    ['a 64-bit length of 2^63 (MSB set)', frame(2, '', { length: 1n << 63n }), 1009, 'WS_ERR_LENGTH_UNSUPPORTED'],
    ['a 64-bit length of 2^64-1', frame(2, '', { length: (1n << 64n) - 1n }), 1009, 'WS_ERR_LENGTH_UNSUPPORTED'],
    ['a 64-bit length of 2^53', frame(2, '', { length: 1n << 53n }), 1009, 'WS_ERR_LENGTH_UNSUPPORTED'],
    ['a 64-bit length of 2^53-1', frame(2, '', { length: (1n << 53n) - 1n }), 1009, 'WS_ERR_PAYLOAD_TOO_BIG'],
    ['a 64-bit length of 2^32', frame(2, '', { length: 1n << 32n }), 1009, 'WS_ERR_PAYLOAD_TOO_BIG'],
    ['a 4 MiB + 1 message', frame(2, '', { length: 4 * 1024 * 1024 + 1 }), 1009, 'WS_ERR_PAYLOAD_TOO_BIG'],
    ['a close with a 1-byte payload', frame(8, u8(3)), 1002, 'WS_ERR_INVALID_CLOSE_FRAME'],
    ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535].map((code): [string, Buffer, number, string] => [
      `a close with code ${code}`,
      frame(8, closeBody(code)),
      1002,
      'WS_ERR_INVALID_CLOSE_FRAME',
    ]),
    ['a close whose reason is not UTF-8', frame(8, closeBody(1000, u8(0xc3, 0x28))), 1007, 'WS_ERR_INVALID_UTF8'],
    ['a close whose reason is a lone surrogate', frame(8, closeBody(1000, u8(0xed, 0xa0, 0x80))), 1007, 'WS_ERR_INVALID_UTF8'],
  ];
  it.each(violations)('%s: closed with %i, %s logged', async (_name, bytes, closeCode, code) => {
    expectWsClosed(await wsCase(bytes), closeCode, code);
  });

  it('the same violations sent one byte at a time close the same way', async () => {
    const picked = violations.filter((_, i) => i % 4 === 0);
    const outcomes = await pool(picked, 8, ([, bytes]) => wsCase([...bytes].map((b) => u8(b))));
    outcomes.forEach((o, i) => expectWsClosed(o, picked[i]![2], picked[i]![3]));
    await h.checkWitness();
  });

  it('a fragmented message growing past 4 MiB is closed with 1009 at the header that crosses the limit', async () => {
    // A valid start: the handshake, then a ClientCutText declaring 4 GiB, so that the first
    // fragment's 3 MiB payload is drained as clipboard text.
    const start = Buffer.concat([Buffer.from('RFB 003.008\n'), u8(1, 1), u8(6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff)]);
    const first = Buffer.concat([start, Buffer.alloc(3 * 1024 * 1024 - start.length)]);
    const o = await wsCase([frame(2, first, { fin: false }), frame(0, '', { length: 2 * 1024 * 1024, fin: true })]);
    expectWsClosed(o, 1009, 'WS_ERR_PAYLOAD_TOO_BIG');
    await h.checkWitness();
  });

  it('the witness was served after all of them, and only it is left', async () => {
    await h.checkWitness();
    await until(() => h.vnc.clientCount === 1, 'only the witness');
  });
});

describe('close frames from the client that are valid', () => {
  it.each([1000, 1001, 1003, 1011, 1014, 3000, 4999])('code %i is echoed and the connection ends without an error', async (code) => {
    const o = await wsCase(frame(8, closeBody(code, Buffer.from('bye ✓'))));
    expect({ serverClosed: o.serverClosed, closes: o.closes, code: o.code }).toEqual({ serverClosed: true, closes: [code], code: undefined });
  });

  it('an empty close is answered with an empty close', async () => {
    const o = await wsCase(frame(8));
    expect({ serverClosed: o.serverClosed, closes: o.closes, code: o.code }).toEqual({ serverClosed: true, closes: [undefined], code: undefined });
    await h.checkWitness();
  });

  it('bytes after a close frame are ignored', async () => {
    const o = await wsCase(Buffer.concat([frame(8, closeBody(1000)), frame(2, 'garbage'), Buffer.from('not even a frame')]));
    expect({ closes: o.closes, code: o.code }).toEqual({ closes: [1000], code: undefined });
  });
});

describe('bounded control traffic', () => {
  it('pings with 125-byte payloads are answered with pongs and RFB goes on in between', async () => {
    const c = await WsClient.open();
    await c.readData(12);
    const rfb = Buffer.concat([Buffer.from('RFB 003.008\n'), u8(1, 1)]);
    const parts: Buffer[] = [];
    for (const b of rfb) parts.push(frame(9, Buffer.alloc(125, b)), frame(2, u8(b)));
    c.send(Buffer.concat(parts));
    await until(() => c.pongs === rfb.length, 'a pong per ping');
    expect([...(await c.readData(2 + 4))]).toEqual([1, 1, 0, 0, 0, 0]);
    const init = await c.readData(24);
    expect([init.readUInt16BE(0), init.readUInt16BE(2)]).toEqual([64, 32]);
    c.raw.destroy();
    await h.checkWitness();
  });

  it('a ping flood from a client that does not read gets coalesced pongs, not one per ping', async () => {
    const c = await WsClient.open();
    await c.readData(12);
    c.raw.socket.pause();
    const ping = frame(9, Buffer.alloc(125, 0x70));
    const n = 150_000; // 19.6 MB of pings: more pongs than any socket buffers hold
    const burst = Buffer.concat(Array.from({ length: 1000 }, () => ping));
    for (let i = 0; i < n / 1000; i++) await c.raw.writeAndDrain(burst);
    await h.checkWitness();
    c.raw.socket.resume();
    let last = -1;
    await until(() => {
      const done = c.pongs === last;
      last = c.pongs;
      return done;
    }, 'the pongs to stop');
    expect(c.pongs).toBeGreaterThan(0);
    expect(c.pongs).toBeLessThan(n);
    expect(c.raw.serverEnded).toBe(false);
    c.raw.destroy();
    await h.checkWitness();
  });
});

describe('upgrade requests the server refuses', () => {
  it.each([
    ['version 8', 'Sec-WebSocket-Version: 8\r\n', /^HTTP\/1\.1 426 /],
    ['a cross-site Origin', 'Origin: https://evil.example\r\n', /^HTTP\/1\.1 403 /],
  ])('%s is answered with an HTTP error and never reaches RFB', async (_name, header, status) => {
    // A second Sec-WebSocket-Version header joins the first ("13, 8"): not 13, so 426.
    const c = await WsClient.open('/websockify', header);
    expect(c.status).toMatch(status);
    expect(c.id()).toBeUndefined();
    await c.raw.whenClosed;
  });
});

// ---------------------------------------------------------------------------------------------

/** What the server may send in a close frame: a valid code (never 1005/1006/1015), or none. */
function validSentCloseCode(code: number | undefined): boolean {
  return code === undefined || (code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999);
}

/** A valid RFB-over-WebSocket conversation split into frames, with pings in between. */
function validConversation(rng: Prng): Buffer {
  const rfb = Buffer.concat([
    Buffer.from('RFB 003.008\n'),
    u8(1, 1),
    setEncodingsMsg([6, 0, -223, -239, -258]),
    updateRequestMsg(false, 0, 0, 64, 32),
    keyEventMsg(true, 0x61),
    keyEventMsg(false, 0x61),
    pointerEventMsg(1, 10, 10),
    cutTextMsg(Buffer.from('fuzz')),
    updateRequestMsg(true, 0, 0, 64, 32),
  ]);
  const frames: Buffer[] = [];
  let off = 0;
  let fragmented = false;
  while (off < rfb.length) {
    const n = Math.min(rng.int(1, 24), rfb.length - off);
    const last = off + n >= rfb.length;
    const fin = last || rng.int(0, 2) > 0;
    frames.push(frame(fragmented ? 0 : 2, rfb.subarray(off, off + n), { fin }));
    fragmented = !fin;
    off += n;
    if (rng.int(0, 4) === 0) frames.push(frame(9, rng.bytes(rng.int(0, 20))));
  }
  return Buffer.concat(frames);
}

/** Applies 1..4 seeded mutations: flip a byte, insert one, delete one, or cut the tail. */
function mutate(rng: Prng, b: Buffer): Buffer {
  let out = Buffer.from(b);
  for (let k = rng.int(1, 4); k > 0; k--) {
    const at = rng.int(0, out.length - 1);
    switch (rng.int(0, 3)) {
      case 0:
        out[at] = rng.int(0, 255);
        break;
      case 1:
        out = Buffer.concat([out.subarray(0, at), u8(rng.int(0, 255)), out.subarray(at)]);
        break;
      case 2:
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
        break;
      default:
        out = out.subarray(0, Math.max(1, at));
    }
  }
  return out;
}

describe('seeded fuzz after a valid upgrade', () => {
  /** Runs `inputs`; each connection ends (by the server, or by the client after its bytes), cleanly accounted for. */
  async function fuzz(inputs: Buffer[]): Promise<{ serverClosed: number; leftOpen: number; codes: Map<string, number> }> {
    const codes = new Map<string, number>();
    let serverClosed = 0;
    const outcomes = await pool(inputs, 8, (bytes) => wsCase(bytes, 'end'));
    for (const o of outcomes) {
      expect(o.violations).toEqual([]);
      for (const c of o.closes) expect(validSentCloseCode(c), `close code ${c}`).toBe(true);
      if (o.serverClosed) serverClosed++;
      const key = o.code ?? (o.serverClosed ? 'clean close' : 'client ended');
      codes.set(key, (codes.get(key) ?? 0) + 1);
    }
    return { serverClosed, leftOpen: inputs.length - serverClosed, codes };
  }

  it('60 random byte strings: every connection ends and is cleaned up; the witness is served', async () => {
    const rng = new Prng(0xf0221);
    const inputs = Array.from({ length: 60 }, () => Buffer.from(rng.bytes(rng.int(1, 96))));
    const r = await fuzz(inputs);
    // Random first bytes almost always break the frame rules at once (RSV bits, mask bit).
    expect(r.serverClosed).toBeGreaterThan(40);
    for (const code of r.codes.keys()) expect(code).toMatch(/^(WS_ERR_|VNC_)|^clean close$|^client ended$/);
    await h.checkWitness();
    await until(() => h.vnc.clientCount === 1, 'only the witness');
  });

  it('120 mutations of a valid RFB-over-WebSocket conversation: every connection ends and is cleaned up; the witness is served', async () => {
    const rng = new Prng(0xf0222);
    const inputs = Array.from({ length: 120 }, () => mutate(rng, validConversation(rng)));
    // The unmutated conversations stay open (the client ends them).
    const valid = Array.from({ length: 5 }, () => validConversation(rng));
    const r = await fuzz([...inputs, ...valid]);
    for (const code of r.codes.keys()) expect(code).toMatch(/^(WS_ERR_|VNC_)|^clean close$|^client ended$/);
    expect(r.leftOpen).toBeGreaterThanOrEqual(5);
    await h.checkWitness();
    await until(() => h.vnc.clientCount === 1, 'only the witness');
  });
});
