/**
 * RFC 6455 framing: the receiver over arbitrary chunking (1-byte chunks, fragmentation with
 * interleaved control frames, 16- and 64-bit lengths), every protocol violation with its error
 * code and close code, oversized frames refused at the header (nothing buffered), and the
 * encoder's frames checked by an independent decoder written here and, re-masked, by the
 * receiver itself.
 */

import { describe, expect, it } from 'vitest';
import { CloseCode, FrameReceiver, Opcode, WebSocketError, closePayload, encodeFrame, frameHeader } from '../src/web/frames.js';

const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** A client frame header (mask key included) announcing `length` bytes. */
function clientHeader(opcode: number, length: number, o: { fin?: boolean; mask?: boolean; rsv?: number } = {}): Buffer {
  const b0 = ((o.fin ?? true) ? 0x80 : 0) | (o.rsv ?? 0) | opcode;
  const m = (o.mask ?? true) ? 0x80 : 0;
  const bytes = [b0];
  if (length < 126) bytes.push(m | length);
  else if (length < 0x10000) bytes.push(m | 126, length >> 8, length & 0xff);
  else {
    bytes.push(m | 127);
    const hi = Math.floor(length / 2 ** 32);
    const lo = length >>> 0;
    for (const v of [hi, lo]) bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  return Buffer.concat([Buffer.from(bytes), m ? KEY : Buffer.alloc(0)]);
}

/** A whole client frame, masked with {@link KEY} unless `mask: false`. */
function clientFrame(opcode: number, payload: Buffer | string, o: { fin?: boolean; mask?: boolean; rsv?: number } = {}): Buffer {
  const p = Buffer.from(payload);
  const body = (o.mask ?? true) ? Buffer.from(p.map((b, i) => b ^ KEY[i & 3]!)) : p;
  return Buffer.concat([clientHeader(opcode, p.length, o), body]);
}

interface Decoded {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** An independent decoder for server frames: asserts no mask and no RSV bits. */
function decodeServerFrames(buf: Buffer): Decoded[] {
  const out: Decoded[] = [];
  let off = 0;
  while (off < buf.length) {
    const b0 = buf[off]!;
    const b1 = buf[off + 1]!;
    expect(b0 & 0x70, 'RSV bits').toBe(0);
    expect(b1 & 0x80, 'server frames are unmasked').toBe(0);
    let len = b1 & 0x7f;
    off += 2;
    if (len === 126) {
      len = buf.readUInt16BE(off);
      off += 2;
    } else if (len === 127) {
      len = buf.readUInt32BE(off) * 2 ** 32 + buf.readUInt32BE(off + 4);
      off += 8;
    }
    out.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload: buf.subarray(off, off + len) });
    off += len;
  }
  expect(off).toBe(buf.length);
  return out;
}

function collect(maxPayload?: number) {
  const ev = { data: [] as Buffer[], pings: [] as string[], pongs: [] as string[], closes: [] as [number | undefined, string][] };
  const rx = new FrameReceiver(
    {
      onData: (b) => ev.data.push(Buffer.from(b)),
      onPing: (p) => ev.pings.push(p.toString()),
      onPong: (p) => ev.pongs.push(p.toString()),
      onClose: (code, reason) => ev.closes.push([code, reason]),
    },
    maxPayload,
  );
  return { rx, ev, text: () => Buffer.concat(ev.data).toString('latin1') };
}

function feedBytewise(rx: FrameReceiver, buf: Buffer): void {
  for (let i = 0; i < buf.length; i++) rx.push(Buffer.from(buf.subarray(i, i + 1)));
}

function expectError(bytes: Buffer, code: string, closeCode: number, maxPayload?: number): void {
  const { rx } = collect(maxPayload);
  let err: unknown;
  try {
    rx.push(bytes);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(WebSocketError);
  expect((err as WebSocketError).code).toBe(code);
  expect((err as WebSocketError).closeCode).toBe(closeCode);
}

describe('FrameReceiver', () => {
  it('parses the RFC 6455 masked "Hello" sample (as binary), whole and in 1-byte chunks', () => {
    const sample = Buffer.from([0x82, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    const whole = collect();
    whole.rx.push(Buffer.from(sample));
    expect(whole.text()).toBe('Hello');
    const bytewise = collect();
    feedBytewise(bytewise.rx, sample);
    expect(bytewise.text()).toBe('Hello');
  });

  it('reassembles a fragmented message with a ping between the fragments', () => {
    const { rx, ev, text } = collect();
    const bytes = Buffer.concat([
      clientFrame(Opcode.BINARY, 'ab', { fin: false }),
      clientFrame(Opcode.PING, 'x'),
      clientFrame(Opcode.CONTINUATION, 'cd', { fin: false }),
      clientFrame(Opcode.CONTINUATION, 'ef'),
      clientFrame(Opcode.BINARY, 'gh'),
    ]);
    feedBytewise(rx, bytes);
    expect(text()).toBe('abcdefgh');
    expect(ev.pings).toEqual(['x']);
  });

  it('handles 16-bit and 64-bit lengths and empty frames over uneven chunks', () => {
    const a = Buffer.alloc(300, 7);
    const b = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff));
    const all = Buffer.concat([clientFrame(Opcode.BINARY, a), clientFrame(Opcode.BINARY, ''), clientFrame(Opcode.BINARY, b)]);
    const { rx, ev } = collect();
    for (let off = 0, step = 1; off < all.length; off += step, step = (step * 7 + 3) % 997) rx.push(Buffer.from(all.subarray(off, off + step)));
    expect(Buffer.concat(ev.data).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('parses close frames (with and without status) and ignores anything after', () => {
    const a = collect();
    a.rx.push(Buffer.concat([clientFrame(Opcode.CLOSE, closePayload(1000, 'bye')), clientFrame(Opcode.BINARY, 'late')]));
    expect(a.ev.closes).toEqual([[1000, 'bye']]);
    expect(a.ev.data).toEqual([]);
    expect(a.rx.closed).toBe(true);
    const b = collect();
    b.rx.push(clientFrame(Opcode.CLOSE, ''));
    expect(b.ev.closes).toEqual([[undefined, '']]);
  });

  it('refuses every protocol violation with a stable code and the right close code', () => {
    expectError(clientFrame(Opcode.BINARY, 'x', { mask: false }), 'WS_ERR_UNMASKED', CloseCode.PROTOCOL_ERROR);
    expectError(clientFrame(Opcode.BINARY, 'x', { rsv: 0x40 }), 'WS_ERR_RSV_SET', CloseCode.PROTOCOL_ERROR);
    expectError(clientFrame(3, 'x'), 'WS_ERR_INVALID_OPCODE', CloseCode.PROTOCOL_ERROR);
    expectError(clientFrame(0xb, 'x'), 'WS_ERR_INVALID_OPCODE', CloseCode.PROTOCOL_ERROR);
    expectError(clientFrame(Opcode.CONTINUATION, 'x'), 'WS_ERR_UNEXPECTED_CONTINUATION', CloseCode.PROTOCOL_ERROR);
    expectError(
      Buffer.concat([clientFrame(Opcode.BINARY, 'a', { fin: false }), clientFrame(Opcode.BINARY, 'b')]),
      'WS_ERR_EXPECTED_CONTINUATION',
      CloseCode.PROTOCOL_ERROR,
    );
    expectError(clientFrame(Opcode.PING, 'x', { fin: false }), 'WS_ERR_FRAGMENTED_CONTROL', CloseCode.PROTOCOL_ERROR);
    expectError(clientFrame(Opcode.PING, Buffer.alloc(126)), 'WS_ERR_CONTROL_TOO_BIG', CloseCode.PROTOCOL_ERROR);
    expectError(clientFrame(Opcode.TEXT, 'RFB 003.008\n'), 'WS_ERR_TEXT_UNSUPPORTED', CloseCode.UNSUPPORTED_DATA);
    expectError(clientFrame(Opcode.CLOSE, Buffer.from([3])), 'WS_ERR_INVALID_CLOSE_FRAME', CloseCode.PROTOCOL_ERROR);
    expectError(clientFrame(Opcode.CLOSE, closePayload(1005)), 'WS_ERR_INVALID_CLOSE_FRAME', CloseCode.PROTOCOL_ERROR);
    expectError(clientFrame(Opcode.CLOSE, closePayload(999)), 'WS_ERR_INVALID_CLOSE_FRAME', CloseCode.PROTOCOL_ERROR);
    expectError(clientFrame(Opcode.CLOSE, Buffer.from([0x03, 0xe8, 0xc3, 0x28])), 'WS_ERR_INVALID_UTF8', CloseCode.INVALID_PAYLOAD);
  });

  it('refuses an oversized frame at its header, before any payload arrives', () => {
    expectError(clientHeader(Opcode.BINARY, 1024 * 1024 * 1024), 'WS_ERR_PAYLOAD_TOO_BIG', CloseCode.MESSAGE_TOO_BIG);
    expectError(clientHeader(Opcode.BINARY, 1025), 'WS_ERR_PAYLOAD_TOO_BIG', CloseCode.MESSAGE_TOO_BIG, 1024);
    // A message over the cap in fragments that are each under it.
    expectError(
      Buffer.concat([clientFrame(Opcode.BINARY, Buffer.alloc(600), { fin: false }), clientHeader(Opcode.CONTINUATION, 600)]),
      'WS_ERR_PAYLOAD_TOO_BIG',
      CloseCode.MESSAGE_TOO_BIG,
      1024,
    );
  });

  it('refuses 64-bit lengths above 2^53-1 (1009) and accepts 2^53-1 itself up to maxPayload', () => {
    const huge = Buffer.concat([Buffer.from([0x82, 0xff, 0x00, 0x20, 0, 0, 0, 0, 0, 0]), KEY]); // 2^53
    expectError(huge, 'WS_ERR_LENGTH_UNSUPPORTED', CloseCode.MESSAGE_TOO_BIG);
    const top = Buffer.from([0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...KEY]); // 2^64-1
    expectError(top, 'WS_ERR_LENGTH_UNSUPPORTED', CloseCode.MESSAGE_TOO_BIG);
    const { rx } = collect(Number.MAX_SAFE_INTEGER);
    expect(() => rx.push(clientHeader(Opcode.BINARY, Number.MAX_SAFE_INTEGER))).not.toThrow();
  });
});

describe('frame encoder', () => {
  it('encodes every length form as valid unmasked frames', () => {
    for (const len of [0, 1, 125, 126, 65_535, 65_536, 100_000]) {
      const payload = Buffer.alloc(len, 0x5a);
      const [f] = decodeServerFrames(encodeFrame(Opcode.BINARY, payload));
      expect(f).toMatchObject({ fin: true, opcode: Opcode.BINARY });
      expect(f!.payload.equals(payload)).toBe(true);
    }
    const big = frameHeader(Opcode.BINARY, 2 ** 32 + 5);
    expect([...big]).toEqual([0x82, 127, 0, 0, 0, 1, 0, 0, 0, 5]);
  });

  it("produces frames the receiver reads back once masked (the server's frames as a client would send them)", () => {
    const payloads = [Buffer.from('RFB 003.008\n'), Buffer.alloc(300, 1), Buffer.alloc(70_000, 2)];
    const wire = Buffer.concat([...payloads.map((p) => encodeFrame(Opcode.BINARY, p)), encodeFrame(Opcode.PING, Buffer.from('hb'))]);
    const remasked = Buffer.concat(decodeServerFrames(wire).map((f) => clientFrame(f.opcode, f.payload, { fin: f.fin })));
    const { rx, ev } = collect();
    feedBytewise(rx, remasked.subarray(0, 400));
    rx.push(Buffer.from(remasked.subarray(400)));
    expect(Buffer.concat(ev.data).equals(Buffer.concat(payloads))).toBe(true);
    expect(ev.pings).toEqual(['hb']);
  });

  it('cuts a close reason to fit 125 bytes without splitting a UTF-8 sequence', () => {
    const p = closePayload(1001, 'é'.repeat(100));
    expect(p.length).toBeLessThanOrEqual(125);
    expect(p.readUInt16BE(0)).toBe(1001);
    expect(p.subarray(2).toString('utf8')).toBe('é'.repeat(61));
    expect(closePayload(undefined).length).toBe(0);
  });
});
