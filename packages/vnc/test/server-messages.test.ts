/**
 * Tests for the server-to-client byte builders: handshake messages, pseudo-rect updates,
 * ByteWriter and the Raw encoder, checked against hand-written hex.
 */
import { describe, it, expect } from 'vitest';
import { ByteWriter } from '../src/byte-writer.js';
import { RawEncoder } from '../src/encodings/raw.js';
import { writeRectHeader } from '../src/encodings/encoder.js';
import { PixelConverter } from '../src/pixel-convert.js';
import { SERVER_PIXEL_FORMAT } from '../src/pixel-format.js';
import { Encoding, encodingName } from '../src/rfb.js';
import { pseudoRectUpdate, securityResult, securityType33, securityTypes, serverInit } from '../src/server-messages.js';
import { MemFramebuffer } from './helpers/mem-fb.js';
import { hex } from './helpers/rfb-messages.js';

describe('handshake messages', () => {
  it('SecurityResult OK is u32 0 and failed is u32 1', () => {
    expect(hex(securityResult(true))).toBe('00000000');
    expect(hex(securityResult(false))).toBe('00000001');
  });

  it('a failed SecurityResult with a reason carries its length and UTF-8 bytes', () => {
    expect(hex(securityResult(false, 'no'))).toBe('00000001' + '00000002' + '6e6f');
    expect(hex(securityResult(false, 'é'))).toBe('00000001' + '00000002' + 'c3a9');
  });

  it('the security-types list is a count then the types', () => {
    expect(hex(securityTypes([1]))).toBe('0101');
    expect(hex(securityTypes([1, 2, 19]))).toBe('03010213');
    expect(hex(securityTypes([]))).toBe('00');
  });

  it('3.3 security is one u32, with a reason only when refusing', () => {
    expect(hex(securityType33(1))).toBe('00000001');
    expect(hex(securityType33(1, 'ignored'))).toBe('00000001');
    expect(hex(securityType33(0))).toBe('00000000');
    expect(hex(securityType33(0, 'bad'))).toBe('00000000' + '00000003' + '626164');
  });

  it('ServerInit is size, the 16-byte pixel format and the name', () => {
    expect(hex(serverInit(1920, 1080, SERVER_PIXEL_FORMAT, 'OpenVMM VM'))).toBe(
      '0780' + '0438' + '20180001' + '00ff00ff00ff' + '100800' + '000000' + '0000000a' + Buffer.from('OpenVMM VM').toString('hex'),
    );
  });

  it('a pseudo-rect update has one rect with a signed encoding', () => {
    expect(hex(pseudoRectUpdate(0, 0, 0, 0, Encoding.QEMU_EXTENDED_KEY_EVENT))).toBe('0000' + '0001' + '0000000000000000' + 'fffffefe');
    expect(hex(pseudoRectUpdate(0, 0, 6, 3, Encoding.DESKTOP_SIZE))).toBe('0000' + '0001' + '0000000000060003' + 'ffffff21');
  });

  it('encodingName names known encodings and prints unknown numbers', () => {
    expect(encodingName(-258)).toBe('QEMU_EXTENDED_KEY_EVENT');
    expect(encodingName(0)).toBe('RAW');
    expect(encodingName(12345)).toBe('12345');
  });
});

describe('ByteWriter', () => {
  it('writes big-endian values', () => {
    const w = new ByteWriter(4);
    w.u8(0x12);
    w.u16(0x3456);
    w.u32(0x789abcde);
    w.i32(-2);
    w.bytesFrom(new Uint8Array([1, 2]));
    expect(hex(w.toBuffer())).toBe('12' + '3456' + '789abcde' + 'fffffffe' + '0102');
    expect(w.length).toBe(13);
  });

  it('keeps what was written when u16/u32 make it grow', () => {
    const w = new ByteWriter(2);
    for (let i = 0; i < 500; i++) w.u16(i);
    for (let i = 0; i < 100; i++) w.u32(0x01020304 * i);
    const b = w.toBuffer();
    expect(b.length).toBe(1400);
    for (let i = 0; i < 500; i++) expect(b.readUInt16BE(i * 2)).toBe(i);
    for (let i = 0; i < 100; i++) expect(b.readUInt32BE(1000 + i * 4)).toBe((0x01020304 * i) >>> 0);
  });

  // Regression: `this.buf[this.reserve(1)] = v` once evaluated `this.buf` before `reserve`
  // swapped in the grown buffer, so the byte landed in the discarded old buffer.
  it('keeps a byte written by u8 when that write makes it grow', () => {
    const w = new ByteWriter(2);
    w.u8(0x11);
    w.u8(0x22);
    w.u8(0x33); // grows here
    expect(hex(w.toBuffer())).toBe('112233');
  });

  // Regression: `this.buf.set(src, this.reserve(n))` once ran `set` on the old, too-small
  // buffer and threw "RangeError: offset is out of bounds".
  it('keeps bytes appended by bytesFrom when that append makes it grow', () => {
    const w = new ByteWriter(4);
    w.u16(0xaaaa);
    w.bytesFrom(new Uint8Array([1, 2, 3, 4, 5]));
    expect(hex(w.toBuffer())).toBe('aaaa' + '0102030405');
  });

  it('grows from a zero initial capacity', () => {
    const w = new ByteWriter(0);
    w.u32(0xdeadbeef);
    expect(hex(w.toBuffer())).toBe('deadbeef');
  });

  it('u8 and bytesFrom work while there is room', () => {
    const w = new ByteWriter(16);
    w.u8(0x11);
    w.bytesFrom(new Uint8Array([1, 2, 3]));
    w.u8(0x22);
    expect(hex(w.toBuffer())).toBe('11' + '010203' + '22');
  });

  it('reserve returns the start offset and grows to fit a large request', () => {
    const w = new ByteWriter(8);
    w.u8(1);
    expect(w.reserve(100)).toBe(1);
    expect(w.length).toBe(101);
    expect(w.bytes.length).toBeGreaterThanOrEqual(101);
  });

  it('patchU16 overwrites a count in place, reset forgets, toBuffer copies', () => {
    const w = new ByteWriter();
    w.u16(0);
    w.u8(9);
    w.patchU16(0, 0xbeef);
    const b = w.toBuffer();
    expect(hex(b)).toBe('beef09');
    w.reset();
    expect(w.length).toBe(0);
    w.u8(0x55);
    expect(hex(b)).toBe('beef09');
    expect(hex(w.toBuffer())).toBe('55');
  });

  it('writeRectHeader writes x, y, w, h and a signed encoding', () => {
    const w = new ByteWriter();
    writeRectHeader(w, 1, 2, 640, 480, -223);
    expect(hex(w.toBuffer())).toBe('0001' + '0002' + '0280' + '01e0' + 'ffffff21');
  });
});

describe('RawEncoder', () => {
  const fb = new MemFramebuffer(20, 5, (x, y) => (x << 16) | (y << 8) | (x + y));

  it('writes the header and the native pixels of a sub-rectangle', () => {
    const out = new ByteWriter(16);
    new RawEncoder().encodeRect({ x: 3, y: 1, w: 4, h: 2 }, { framebuffer: fb, converter: new PixelConverter(SERVER_PIXEL_FORMAT), out });
    const b = out.toBuffer();
    expect(hex(b.subarray(0, 12))).toBe('0003' + '0001' + '0004' + '0002' + '00000000');
    expect(hex(b.subarray(12))).toBe(hex(fb.rectBytes(3, 1, 4, 2)));
  });

  it('converts through a scratch row for other formats, across several rects', () => {
    const pf = { ...SERVER_PIXEL_FORMAT, bitsPerPixel: 8, depth: 8, redMax: 7, greenMax: 7, blueMax: 3, redShift: 5, greenShift: 2, blueShift: 0 };
    const conv = new PixelConverter(pf);
    const enc = new RawEncoder();
    const out = new ByteWriter(1);
    enc.encodeRect({ x: 0, y: 0, w: 2, h: 1 }, { framebuffer: fb, converter: conv, out });
    enc.encodeRect({ x: 10, y: 2, w: 10, h: 3 }, { framebuffer: fb, converter: conv, out });
    const b = out.toBuffer();
    expect(b.length).toBe(12 + 2 + 12 + 30);
    const expected: number[] = [];
    for (let y = 2; y < 5; y++) for (let x = 10; x < 20; x++) expected.push(conv.pixelValue(fb.pixel(x, y)));
    expect([...b.subarray(26)]).toEqual(expected);
    expect([...b.subarray(12, 14)]).toEqual([conv.pixelValue(fb.pixel(0, 0)), conv.pixelValue(fb.pixel(1, 0))]);
  });
});

describe('ByteWriter.take', () => {
  it('hands over large and small outputs intact and keeps working afterwards', () => {
    const w = new ByteWriter(16);
    const big = new Uint8Array(100_000).map((_, i) => i & 0xff);
    w.bytesFrom(big);
    const first = w.take();
    expect(first.length).toBe(100_000);
    w.u32(0xcafebabe); // must not scribble over what was handed out
    w.bytesFrom(new Uint8Array(100_000).fill(7));
    expect(Buffer.from(first).equals(Buffer.from(big))).toBe(true);
    expect(w.take().subarray(0, 4).toString('hex')).toBe('cafebabe');
    w.u16(0x1234);
    expect(w.take().toString('hex')).toBe('1234');
    expect(w.length).toBe(0);
  });
});

describe('ByteWriter.recycle', () => {
  it('reuses a handed-out storage once it comes back, and ignores buffers it never handed out', () => {
    const w = new ByteWriter(16);
    const fill = (v: number): Buffer => {
      w.bytesFrom(new Uint8Array(70_000).fill(v));
      return w.take();
    };
    const a = fill(1);
    const b = fill(2);
    expect(b.buffer === a.buffer).toBe(false); // `a` is still in flight: never written into
    w.recycle(a);
    w.recycle(Buffer.alloc(100_000)); // not ours: ignored
    const c = fill(3); // written into the storage taken after `b`
    const d = fill(4); // written into `a`'s recycled storage: no allocation in steady state
    expect(d.buffer === a.buffer).toBe(true);
    expect(c.buffer === a.buffer).toBe(false);
    expect(b.every((v) => v === 2) && c.every((v) => v === 3) && d.every((v) => v === 4)).toBe(true);
  });
});

describe('ByteWriter small hand-overs', () => {
  it('two storages take turns while each output comes back before the next: no copy', () => {
    const w = new ByteWriter(16);
    const storages = new Set<ArrayBufferLike>();
    for (let i = 0; i < 20; i++) {
      w.u32(i);
      w.bytesFrom(new Uint8Array(300).fill(i));
      const out = w.take();
      expect(out.length).toBe(304);
      expect(out.readUInt32BE(0)).toBe(i);
      expect(out.subarray(4).every((v) => v === i)).toBe(true);
      storages.add(out.buffer);
      w.recycle(out);
    }
    expect(storages.size).toBe(2);
  });

  it('copies a small output while an earlier one is still in flight, and never writes into it', () => {
    const w = new ByteWriter(16);
    w.u16(0xaaaa);
    const inFlight = w.take();
    w.u16(0xbbbb);
    const second = w.take(); // nothing came back: a copy, not another 64 KiB storage
    expect(second.buffer).not.toBe(inFlight.buffer);
    expect(second.buffer.byteLength).toBeLessThan(64 * 1024);
    w.bytesFrom(new Uint8Array(1000).fill(0xcc));
    w.take();
    expect(inFlight.toString('hex')).toBe('aaaa');
    expect(second.toString('hex')).toBe('bbbb');
    w.recycle(inFlight);
    w.u16(0xdddd);
    const next = w.take(); // the writer's current storage is handed over again
    expect(next.buffer).not.toBe(inFlight.buffer);
    expect(w.bytes.buffer).toBe(inFlight.buffer); // and it continues on the one that came back
    w.u16(0xeeee);
    expect(w.take().toString('hex')).toBe('eeee');
    expect(next.toString('hex')).toBe('dddd');
  });
});

