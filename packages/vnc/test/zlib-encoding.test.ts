/**
 * Tests for the Zlib encoding (6): rect layout, and that one persistent client-side inflater
 * turns every rect back into exactly the pixels Raw would send, across pixel formats and both
 * deflate backends. Also covers the shared rect reader through Raw.
 */
import zlib from 'node:zlib';
import { describe, it, expect } from 'vitest';
import { ByteWriter } from '../src/byte-writer.js';
import type { Rect } from '../src/dirty-bitmap.js';
import type { DeflateBackend } from '../src/deflate.js';
import { RawEncoder } from '../src/encodings/raw.js';
import { RectPixelReader } from '../src/encodings/read-pixels.js';
import { ZlibEncoder } from '../src/encodings/zlib.js';
import { PixelConverter } from '../src/pixel-convert.js';
import { type PixelFormat, SERVER_PIXEL_FORMAT } from '../src/pixel-format.js';
import { Encoding } from '../src/rfb.js';
import { MemFramebuffer } from './helpers/mem-fb.js';
import { Prng } from './helpers/prng.js';

const fmt = (p: Partial<PixelFormat>): PixelFormat => ({ ...SERVER_PIXEL_FORMAT, ...p });

const FORMATS: [string, PixelFormat][] = [
  ['native 32bpp', SERVER_PIXEL_FORMAT],
  ['RGB565 LE', fmt({ bitsPerPixel: 16, depth: 16, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 })],
  ['RGB565 BE', fmt({ bitsPerPixel: 16, depth: 16, bigEndian: true, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 })],
  ['BGR233 8bpp', fmt({ bitsPerPixel: 8, depth: 8, redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6 })],
  ['32bpp BE, BGR shifts', fmt({ bigEndian: true, redShift: 0, greenShift: 8, blueShift: 16 })],
];

const RECTS: Rect[] = [
  { x: 0, y: 0, w: 64, h: 48 },
  { x: 3, y: 5, w: 17, h: 9 },
  { x: 63, y: 47, w: 1, h: 1 },
  { x: 10, y: 0, w: 40, h: 48 },
  { x: 0, y: 20, w: 64, h: 1 },
];

function makeFb(): MemFramebuffer {
  const rng = new Prng(42);
  // Half smooth gradient (compressible), half noise.
  return new MemFramebuffer(64, 48, (x, y) => (y < 24 ? ((x * 4) << 16) | ((y * 5) << 8) | ((x + y) & 0xff) : rng.int(0, 0xffffff)));
}

/** The body Raw sends for `rect` (what Zlib must inflate to). */
function rawBody(fb: MemFramebuffer, conv: PixelConverter, rect: Rect): Buffer {
  const out = new ByteWriter(16);
  new RawEncoder().encodeRect(rect, { framebuffer: fb, converter: conv, out });
  return Buffer.from(out.bytes.subarray(12, out.length));
}

interface ParsedZlibRect {
  header: { x: number; y: number; w: number; h: number; encoding: number };
  data: Buffer;
}

function parseZlibRects(bytes: Uint8Array): ParsedZlibRect[] {
  const b = Buffer.from(bytes);
  const rects: ParsedZlibRect[] = [];
  let o = 0;
  while (o < b.length) {
    const header = { x: b.readUInt16BE(o), y: b.readUInt16BE(o + 2), w: b.readUInt16BE(o + 4), h: b.readUInt16BE(o + 6), encoding: b.readInt32BE(o + 8) };
    const len = b.readUInt32BE(o + 12);
    rects.push({ header, data: b.subarray(o + 16, o + 16 + len) });
    o += 16 + len;
  }
  expect(o).toBe(b.length);
  return rects;
}

/** A client's single persistent inflater, fed rect by rect. */
async function inflateEach(chunks: Buffer[]): Promise<Buffer[]> {
  const inf = zlib.createInflate();
  let cur: Buffer[] = [];
  inf.on('data', (d: Buffer) => cur.push(d));
  const res: Buffer[] = [];
  for (const c of chunks) {
    inf.write(c);
    await new Promise<void>((r) => inf.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    res.push(Buffer.concat(cur));
    cur = [];
  }
  inf.close();
  return res;
}

describe('RectPixelReader', () => {
  it('reports the byte length of a rect in a format', () => {
    expect(RectPixelReader.byteLength({ x: 0, y: 0, w: 3, h: 2 }, new PixelConverter(FORMATS[1]![1]))).toBe(12);
  });

  it('reads the native format byte for byte from the framebuffer', () => {
    const fb = makeFb();
    const dst = new Uint8Array(17 * 9 * 4 + 3);
    new RectPixelReader().read(fb, new PixelConverter(SERVER_PIXEL_FORMAT), { x: 3, y: 5, w: 17, h: 9 }, dst, 3);
    expect(Buffer.from(dst.subarray(3))).toEqual(Buffer.from(fb.rectBytes(3, 5, 17, 9)));
  });

  it('converts through its scratch row for other formats', () => {
    const fb = makeFb();
    const conv = new PixelConverter(FORMATS[1]![1]);
    const dst = new Uint8Array(4 * 2 * 2);
    new RectPixelReader().read(fb, conv, { x: 1, y: 30, w: 4, h: 2 }, dst, 0);
    for (let r = 0; r < 2; r++)
      for (let c = 0; c < 4; c++) {
        const v = conv.pixelValue(fb.pixel(1 + c, 30 + r));
        const o = (r * 4 + c) * 2;
        expect(dst[o]! | (dst[o + 1]! << 8)).toBe(v);
      }
  });
});

describe('ZlibEncoder', () => {
  it('has encoding number 6', () => {
    const z = new ZlibEncoder();
    expect(z.encoding).toBe(6);
    expect(z.encoding).toBe(Encoding.ZLIB);
    z.close();
  });

  for (const backend of ['node', 'pako'] as DeflateBackend[]) {
    for (const [name, pf] of FORMATS) {
      it(`${backend}: rects in ${name} inflate (one persistent inflater) to the Raw pixels`, async () => {
        const fb = makeFb();
        const conv = new PixelConverter(pf);
        const enc = new ZlibEncoder({ backend });
        const out = new ByteWriter(32);
        out.u8(0xee); // something already in the update
        for (const r of RECTS) enc.encodeRect(r, { framebuffer: fb, converter: conv, out });
        enc.close();
        expect(out.bytes[0]).toBe(0xee);
        const parsed = parseZlibRects(out.bytes.subarray(1, out.length));
        expect(parsed.map((p) => p.header)).toEqual(RECTS.map((r) => ({ ...r, encoding: 6 })));
        expect(parsed[0]!.data[0]).toBe(0x78); // zlib header once, at the stream start
        const inflated = await inflateEach(parsed.map((p) => p.data));
        RECTS.forEach((r, i) => expect(inflated[i]!.equals(rawBody(fb, conv, r)), `rect ${i}`).toBe(true));
        expect(enc.bytesIn).toBe(RECTS.reduce((s, r) => s + r.w * r.h * conv.bytesPerPixel, 0));
        expect(enc.bytesOut).toBe(parsed.reduce((s, p) => s + p.data.length, 0));
      });
    }
  }

  it('keeps one stream across updates and pixel-format changes', async () => {
    const fb = makeFb();
    const enc = new ZlibEncoder({ level: 6 });
    const chunks: Buffer[] = [];
    const expected: Buffer[] = [];
    for (const [, pf] of FORMATS) {
      const conv = new PixelConverter(pf);
      const out = new ByteWriter(8);
      enc.encodeRect(RECTS[1]!, { framebuffer: fb, converter: conv, out });
      chunks.push(...parseZlibRects(out.bytes.subarray(0, out.length)).map((p) => Buffer.from(p.data)));
      expected.push(rawBody(fb, conv, RECTS[1]!));
      fb.setPixel(5, 7, 0x123456); // the screen changes between updates
    }
    enc.close();
    const inflated = await inflateEach(chunks);
    inflated.forEach((got, i) => expect(got.equals(expected[i]!), `update ${i}`).toBe(true));
  });

  it('gives each instance its own stream', async () => {
    const fb = makeFb();
    const conv = new PixelConverter(SERVER_PIXEL_FORMAT);
    const a = new ZlibEncoder();
    const b = new ZlibEncoder();
    const outA = new ByteWriter();
    const outB = new ByteWriter();
    a.encodeRect(RECTS[1]!, { framebuffer: fb, converter: conv, out: outA });
    b.encodeRect(RECTS[2]!, { framebuffer: fb, converter: conv, out: outB });
    a.encodeRect(RECTS[2]!, { framebuffer: fb, converter: conv, out: outA });
    a.close();
    b.close();
    const da = await inflateEach(parseZlibRects(outA.bytes.subarray(0, outA.length)).map((p) => p.data));
    const db = await inflateEach(parseZlibRects(outB.bytes.subarray(0, outB.length)).map((p) => p.data));
    expect(da[1]!.equals(rawBody(fb, conv, RECTS[2]!))).toBe(true);
    expect(db[0]!.equals(rawBody(fb, conv, RECTS[2]!))).toBe(true);
  });
});

describe('RawEncoder (through the shared reader)', () => {
  for (const [name, pf] of FORMATS) {
    it(`writes header and ${name} pixels`, () => {
      const fb = makeFb();
      const conv = new PixelConverter(pf);
      const out = new ByteWriter(4);
      const r = RECTS[1]!;
      new RawEncoder().encodeRect(r, { framebuffer: fb, converter: conv, out });
      expect(out.length).toBe(12 + r.w * r.h * conv.bytesPerPixel);
      const b = Buffer.from(out.bytes.subarray(0, out.length));
      expect([b.readUInt16BE(0), b.readUInt16BE(2), b.readUInt16BE(4), b.readUInt16BE(6), b.readInt32BE(8)]).toEqual([3, 5, 17, 9, 0]);
      // Last pixel of the rect, decoded by hand.
      const v = conv.pixelValue(fb.pixel(r.x + r.w - 1, r.y + r.h - 1));
      const bpp = conv.bytesPerPixel;
      const last = b.subarray(b.length - bpp);
      const got = bpp === 1 ? last[0]! : bpp === 2 ? (pf.bigEndian ? last.readUInt16BE(0) : last.readUInt16LE(0)) : pf.bigEndian ? last.readUInt32BE(0) : last.readUInt32LE(0);
      expect(got).toBe(v);
    });
  }
});
