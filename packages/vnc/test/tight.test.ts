/**
 * Tests for the Tight encoding (7): rects are encoded, decoded by the test's own decoder
 * (helpers/tight-decoder.ts: four persistent inflaters, reset bits honoured) and compared with
 * what Raw sends, pixel for pixel, in every pixel format the server accepts. Also: the choice of
 * fill / mono / indexed / copy / JPEG, splitting at 2048 px wide and 65536 px, data under 12
 * bytes sent as is, stream resets on a compression level change, compact lengths, JPEG quality
 * (PSNR) and the update builder picking Tight from the client's list.
 */
import { describe, it, expect } from 'vitest';
import { ByteWriter } from '../src/byte-writer.js';
import type { Rect } from '../src/dirty-bitmap.js';
import { RawEncoder } from '../src/encodings/raw.js';
import { TIGHT_MAX_AREA, TIGHT_MAX_AREA_JPEG, TIGHT_MAX_WIDTH, TightEncoder, jpegAllowedFor, tpixelIs24, writeCompactLength } from '../src/encodings/tight.js';
import { tightLevels } from '../src/encodings/tight-levels.js';
import { TightPalette } from '../src/encodings/tight-palette.js';
import { TightPlanner } from '../src/encodings/tight-plan.js';
import { PixelConverter } from '../src/pixel-convert.js';
import { type PixelFormat, SERVER_PIXEL_FORMAT } from '../src/pixel-format.js';
import { Encoding } from '../src/rfb.js';
import { UpdateBuilder } from '../src/update-builder.js';
import { MemFramebuffer } from './helpers/mem-fb.js';
import { Prng } from './helpers/prng.js';
import { TightTestDecoder } from './helpers/tight-decoder.js';

const fmt = (p: Partial<PixelFormat>): PixelFormat => ({ ...SERVER_PIXEL_FORMAT, ...p });
const RGB565 = { bitsPerPixel: 16, depth: 16, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 };

const FORMATS: readonly { name: string; pf: PixelFormat }[] = [
  { name: 'native 32 bpp (LE 0x00RRGGBB)', pf: SERVER_PIXEL_FORMAT },
  { name: '32 bpp red shift 0 (noVNC)', pf: fmt({ redShift: 0, greenShift: 8, blueShift: 16 }) },
  { name: '32 bpp big-endian', pf: fmt({ bigEndian: true }) },
  { name: '32 bpp LE, colour in the top 3 bytes', pf: fmt({ redShift: 24, greenShift: 16, blueShift: 8 }) },
  { name: '32 bpp depth 32 (4-byte TPIXEL)', pf: fmt({ depth: 32 }) },
  { name: '32 bpp 6-bit channels (4-byte TPIXEL)', pf: fmt({ redMax: 63, greenMax: 63, blueMax: 63 }) },
  { name: 'RGB565 LE', pf: fmt(RGB565) },
  { name: 'RGB565 BE', pf: fmt({ ...RGB565, bigEndian: true }) },
  { name: 'BGR233', pf: fmt({ bitsPerPixel: 8, depth: 8, redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6 }) },
];

/** A test screen: solid band, two-colour "text", a few-colour area, a photo-like area. */
function makeScreen(w: number, h: number, seed = 1): MemFramebuffer {
  const rnd = new Prng(seed);
  const few = [0x102030, 0xf0e0d0, 0x00ff00, 0x0000ff, 0xff0000, 0x808080, 0x123456];
  return new MemFramebuffer(w, h, (x, y) => {
    if (y < 40) return 0x3366cc;
    if (y < 80) return (x * 7 + y * 3) % 11 < 4 ? 0x000000 : 0xffffff;
    if (y < 120) return few[(x >> 3) % few.length]!;
    // Smooth gradients with a little noise: many colours, as a photo has.
    return (((x * 255) / w) << 16) | (((y * 255) / h) << 8) | (((x + y) & 0xff) ^ rnd.int(0, 7));
  });
}

/** The test screen's bands as separate rects (300x200): fill, mono, indexed, full colour x2. */
const BANDS: readonly Rect[] = [
  { x: 0, y: 0, w: 300, h: 40 },
  { x: 0, y: 40, w: 300, h: 40 },
  { x: 0, y: 80, w: 300, h: 40 },
  { x: 0, y: 120, w: 150, h: 80 },
  { x: 150, y: 120, w: 150, h: 80 },
];

function rawFrame(fb: MemFramebuffer, conv: PixelConverter): Uint8Array {
  const out = new ByteWriter();
  new RawEncoder().encodeRect({ x: 0, y: 0, w: fb.width, h: fb.height }, { framebuffer: fb, converter: conv, out });
  return out.bytes.slice(12, out.length);
}

function encode(enc: TightEncoder, fb: MemFramebuffer, conv: PixelConverter, rects: readonly Rect[]): Uint8Array {
  const out = new ByteWriter();
  for (const r of rects) enc.encodeRect(r, { framebuffer: fb, converter: conv, out });
  return out.bytes.slice(0, out.length);
}

function psnr(a: Uint8Array, b: Uint8Array, bpp: number): number {
  let se = 0;
  let n = 0;
  for (let i = 0; i < a.length; i += bpp) {
    for (let c = 0; c < 3; c++) {
      const d = a[i + c]! - b[i + c]!;
      se += d * d;
      n++;
    }
  }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / n));
}

describe('Tight compact length', () => {
  it.each([
    [0, [0]],
    [127, [127]],
    [128, [0x80, 1]],
    [16383, [0xff, 0x7f]],
    [16384, [0x80, 0x80, 1]],
    [4194303, [0xff, 0xff, 0xff]],
  ])('%i encodes as %j', (n, bytes) => {
    const out = new ByteWriter();
    writeCompactLength(out, n);
    expect([...out.bytes.subarray(0, out.length)]).toEqual(bytes);
  });
});

describe('Tight round trip (lossless)', () => {
  for (const { name, pf } of FORMATS) {
    it(`${name}: every kind of content decodes to exactly what Raw sends`, () => {
      const fb = makeScreen(300, 200);
      const conv = new PixelConverter(pf);
      const enc = new TightEncoder();
      const dec = new TightTestDecoder(pf, fb.width, fb.height);
      // Several rects on one connection: the streams carry over from rect to rect.
      const infos = dec.decodeRects(encode(enc, fb, conv, BANDS));
      expect(Buffer.from(dec.fb).equals(Buffer.from(rawFrame(fb, conv)))).toBe(true);
      // At 8 bpp the "photo" has at most 256 colours: a palette then.
      const full = pf.bitsPerPixel === 8 ? 'palette' : 'copy';
      expect(infos.map((i) => i.kind)).toEqual(['fill', 'palette', 'palette', full, full]);
      expect(infos[1]!.colours).toBe(2);
      expect(infos[1]!.stream).toBe(1);
      expect(infos[2]!.colours).toBeGreaterThan(2);
      expect(infos[2]!.stream).toBe(2);
      if (pf.bitsPerPixel !== 8) expect(infos[3]!.stream).toBe(0);
      if (pf.bitsPerPixel !== 8) expect(enc.stats).toEqual({ fill: 1, mono: 1, indexed: 1, copy: 2, jpeg: 0 });
      // A second frame with changed content through the same streams still decodes.
      const fb2 = makeScreen(300, 200, 99);
      fb.data.set(fb2.data);
      dec.decodeRects(encode(enc, fb, conv, [{ x: 0, y: 0, w: 300, h: 200 }]));
      expect(Buffer.from(dec.fb).equals(Buffer.from(rawFrame(fb, conv)))).toBe(true);
      enc.close();
    });
  }

  it('random rects of random content decode exactly (native and 16 bpp)', () => {
    const rnd = new Prng(7);
    for (const pf of [SERVER_PIXEL_FORMAT, fmt(RGB565)]) {
      const fb = new MemFramebuffer(160, 120);
      const conv = new PixelConverter(pf);
      const enc = new TightEncoder();
      const dec = new TightTestDecoder(pf, fb.width, fb.height);
      for (let round = 0; round < 40; round++) {
        const colours = Array.from({ length: rnd.int(1, 300) }, () => rnd.int(0, 0xffffff));
        const r = { x: rnd.int(0, 150), y: rnd.int(0, 110), w: 0, h: 0 };
        r.w = rnd.int(1, fb.width - r.x);
        r.h = rnd.int(1, fb.height - r.y);
        for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) fb.setPixel(x, y, colours[rnd.int(0, colours.length - 1)]!);
        enc.setLevels(rnd.int(0, 9), undefined);
        dec.decodeRects(encode(enc, fb, conv, [r]));
        expect(Buffer.from(dec.fb).equals(Buffer.from(rawFrame(fb, conv))), `round ${round}`).toBe(true);
      }
      enc.close();
    }
  });

  it('sends palette data under 12 bytes without zlib, and longer data compressed', () => {
    const fb = new MemFramebuffer(8, 24, (x, y) => ((x + y) % 3 ? 0xffffff : 0));
    const conv = new PixelConverter(SERVER_PIXEL_FORMAT);
    const dec = new TightTestDecoder(SERVER_PIXEL_FORMAT, 8, 24);
    // 8x8 mono: 8 bitmap bytes; 8x16 mono: 16 bytes.
    const infos = dec.decodeRects(encode(new TightEncoder(), fb, conv, [{ x: 0, y: 0, w: 8, h: 8 }, { x: 0, y: 8, w: 8, h: 16 }]));
    expect(infos.map((i) => [i.kind, i.colours, i.compressed])).toEqual([
      ['palette', 2, false],
      ['palette', 2, true],
    ]);
    expect(Buffer.from(dec.fb).equals(Buffer.from(rawFrame(fb, conv)))).toBe(true);
  });
});

describe('Tight splitting', () => {
  /** Encodes `rect` as the update builder does (rectCount, then encodeRect) and decodes it. */
  function cut(enc: TightEncoder, fb: MemFramebuffer, pf: PixelFormat, rect: Rect): { count: number; infos: ReturnType<TightTestDecoder['decodeRects']>; dec: TightTestDecoder } {
    const out = new ByteWriter();
    const ctx = { framebuffer: fb, converter: new PixelConverter(pf), out };
    const count = enc.rectCount(rect, ctx);
    enc.encodeRect(rect, ctx);
    const dec = new TightTestDecoder(pf, fb.width, fb.height);
    return { count, infos: dec.decodeRects(out.bytes.slice(0, out.length)), dec };
  }

  function expectTiled(infos: readonly { x: number; y: number; w: number; h: number }[], rect: Rect, maxArea: number): void {
    let area = 0;
    for (const i of infos) {
      expect(i.w).toBeLessThanOrEqual(TIGHT_MAX_WIDTH);
      expect(i.w * i.h).toBeLessThanOrEqual(maxArea);
      expect(i.x >= rect.x && i.y >= rect.y && i.x + i.w <= rect.x + rect.w && i.y + i.h <= rect.y + rect.h).toBe(true);
      area += i.w * i.h;
    }
    expect(area).toBe(rect.w * rect.h); // inside the rect and adding up to it: an exact cover
  }

  it('cuts rects to at most 2048 px wide and 65536 px, exactly as many as rectCount said', () => {
    const fb = makeScreen(3000, 130);
    const rect = { x: 0, y: 0, w: 3000, h: 130 };
    const { count, infos, dec } = cut(new TightEncoder(), fb, SERVER_PIXEL_FORMAT, rect);
    expect(infos.length).toBe(count);
    expectTiled(infos, rect, TIGHT_MAX_AREA);
    expect(Buffer.from(dec.fb).equals(Buffer.from(rawFrame(fb, new PixelConverter(SERVER_PIXEL_FORMAT))))).toBe(true);
  });

  it('gives one-colour areas pieces of their own (a flat window on a busy background)', () => {
    const rnd = new Prng(3);
    // Noise everywhere except a flat 256x192 "window" at (128, 64), aligned to 64-px tiles.
    const fb = new MemFramebuffer(512, 320, (x, y) => (x >= 128 && x < 384 && y >= 64 && y < 256 ? 0x336699 : rnd.int(0, 0xffffff)));
    const rect = { x: 0, y: 0, w: 512, h: 320 };
    const { count, infos, dec } = cut(new TightEncoder(), fb, SERVER_PIXEL_FORMAT, rect);
    expect(infos.length).toBe(count);
    expectTiled(infos, rect, TIGHT_MAX_AREA);
    const fills = infos.filter((i) => i.kind === 'fill');
    expect(fills.reduce((a, i) => a + i.w * i.h, 0)).toBe(256 * 192);
    expect(fills.every((i) => i.x >= 128 && i.x + i.w <= 384 && i.y >= 64 && i.y + i.h <= 256)).toBe(true);
    expect(Buffer.from(dec.fb).equals(Buffer.from(rawFrame(fb, new PixelConverter(SERVER_PIXEL_FORMAT))))).toBe(true);
  });

  it('gives two-colour (text) areas mono pieces apart from busy edges', () => {
    const rnd = new Prng(4);
    // A text window over noise, its edges off the 64-px grid: the tiles wholly inside it have
    // two colours and must go as 1-bit palettes, not as part of a full-colour or indexed piece.
    const inside = (x: number, y: number): boolean => x >= 100 && x < 420 && y >= 30 && y < 290;
    const fb = new MemFramebuffer(512, 320, (x, y) => (inside(x, y) ? ((x * 7 + y * 3) % 11 < 3 ? 0x202020 : 0xfafafa) : rnd.int(0, 0xffffff)));
    const rect = { x: 0, y: 0, w: 512, h: 320 };
    const { count, infos, dec } = cut(new TightEncoder(), fb, SERVER_PIXEL_FORMAT, rect);
    expect(infos.length).toBe(count);
    const mono = infos.filter((i) => i.kind === 'palette' && i.colours === 2);
    // Tiles 128..383 x 64..255 lie wholly inside the window.
    expect(mono.reduce((a, i) => a + i.w * i.h, 0)).toBeGreaterThanOrEqual(256 * 192);
    expect(mono.every((i) => inside(i.x, i.y) && inside(i.x + i.w - 1, i.y + i.h - 1))).toBe(true);
    expect(Buffer.from(dec.fb).equals(Buffer.from(rawFrame(fb, new PixelConverter(SERVER_PIXEL_FORMAT))))).toBe(true);
  });

  it('keeps the planned count when the pixels change between rectCount and encodeRect', () => {
    const fb = makeScreen(300, 200);
    const enc = new TightEncoder();
    const out = new ByteWriter();
    const ctx = { framebuffer: fb, converter: new PixelConverter(SERVER_PIXEL_FORMAT), out };
    const rect = { x: 0, y: 0, w: 300, h: 200 };
    const count = enc.rectCount(rect, ctx);
    // The guest draws in between: the solid band is no longer solid.
    for (let x = 0; x < 300; x += 2) fb.setPixel(x, 5, 0xff00ff);
    enc.encodeRect(rect, ctx);
    const dec = new TightTestDecoder(SERVER_PIXEL_FORMAT, 300, 200);
    expect(dec.decodeRects(out.bytes.slice(0, out.length)).length).toBe(count);
    expect(Buffer.from(dec.fb).equals(Buffer.from(rawFrame(fb, ctx.converter)))).toBe(true);
  });

  it('cuts 4x larger pieces while JPEG may be sent, but not for a 16 bpp client', () => {
    const fb = makeScreen(3000, 300);
    const rect = { x: 0, y: 0, w: 3000, h: 300 };
    const enc = new TightEncoder();
    enc.setLevels(undefined, 5);
    const jpeg = cut(enc, fb, SERVER_PIXEL_FORMAT, rect);
    expect(jpeg.infos.length).toBe(jpeg.count);
    expectTiled(jpeg.infos, rect, TIGHT_MAX_AREA_JPEG);
    expect(jpeg.infos.some((i) => i.w * i.h > TIGHT_MAX_AREA)).toBe(true);
    const small = cut(enc, fb, fmt(RGB565), rect);
    expect(small.infos.length).toBe(small.count);
    expectTiled(small.infos, rect, TIGHT_MAX_AREA);
  });
});

describe('Tight stream resets', () => {
  it('a compression level change replaces the streams and sets their reset bits once', () => {
    const fb = makeScreen(300, 200);
    const conv = new PixelConverter(SERVER_PIXEL_FORMAT);
    const enc = new TightEncoder();
    enc.setLevels(1, undefined);
    const all = BANDS;
    const dec = new TightTestDecoder(SERVER_PIXEL_FORMAT, 300, 200);
    const first = dec.decodeRects(encode(enc, fb, conv, all));
    expect(first.every((i) => i.resets === 0)).toBe(true);
    enc.setLevels(9, undefined);
    const bytes = encode(enc, fb, conv, all);
    const second = new TightTestDecoder(SERVER_PIXEL_FORMAT, 300, 200);
    // Continue on the first decoder (whose inflaters are live): the reset must be honoured.
    const infos = dec.decodeRects(bytes);
    expect(infos[0]!.resets).toBe(0b111); // copy, mono and indexed levels all change from 1 to 9
    expect(infos.map((i) => i.stream)).toEqual([-1, 1, 2, 0, 0]);
    expect(infos.slice(1).every((i) => i.resets === 0)).toBe(true);
    expect(Buffer.from(dec.fb).equals(Buffer.from(rawFrame(fb, conv)))).toBe(true);
    // A decoder that ignores reset bits cannot follow (its inflaters expect the old streams).
    const deaf = new TightTestDecoder(SERVER_PIXEL_FORMAT, 300, 200);
    deaf.decodeRects(encode(new TightEncoder(), fb, conv, all)); // warm up all its streams... on another encoder
    deaf.honourResets = false;
    expect(() => deaf.decodeRects(bytes)).toThrow();
    void second;
    // The same level again changes nothing.
    enc.setLevels(9, undefined);
    expect(dec.decodeRects(encode(enc, fb, conv, all)).every((i) => i.resets === 0)).toBe(true);
  });
});

describe('Tight JPEG', () => {
  it('maps quality levels like TigerVNC and only allows JPEG for 888 formats', () => {
    expect(tightLevels([7, -256 + 6, -32 + 8, -32 + 2])).toEqual({ compress: 6, quality: 8 });
    expect(tightLevels([7, 16])).toEqual({ compress: undefined, quality: undefined });
    expect(jpegAllowedFor(SERVER_PIXEL_FORMAT)).toBe(true);
    expect(jpegAllowedFor(fmt({ redShift: 0, blueShift: 16 }))).toBe(true);
    expect(jpegAllowedFor(fmt({ redShift: 24, greenShift: 16, blueShift: 8 }))).toBe(false);
    expect(jpegAllowedFor(fmt(RGB565))).toBe(false);
    expect(tpixelIs24(fmt({ depth: 32 }))).toBe(false);
  });

  for (const [level, minPsnr] of [
    [9, 40],
    [6, 30],
    [0, 20],
  ] as const) {
    it(`quality level ${level}: photo areas go as JPEG with PSNR >= ${minPsnr} dB, flat areas stay lossless`, () => {
      const fb = makeScreen(300, 240);
      const pf = fmt({ redShift: 0, greenShift: 8, blueShift: 16 });
      const conv = new PixelConverter(pf);
      const enc = new TightEncoder();
      enc.setLevels(undefined, level);
      const dec = new TightTestDecoder(pf, 300, 240);
      const infos = dec.decodeRects(encode(enc, fb, conv, [...BANDS.slice(0, 3), { x: 0, y: 120, w: 300, h: 120 }]));
      expect(infos.map((i) => i.kind)).toEqual(['fill', 'palette', 'palette', 'jpeg']);
      const raw = rawFrame(fb, conv);
      const cut = 300 * 120 * 4;
      // The lossless part is exact; the JPEG part is close.
      expect(Buffer.from(dec.fb.subarray(0, cut)).equals(Buffer.from(raw.subarray(0, cut)))).toBe(true);
      const p = psnr(dec.fb.subarray(cut), raw.subarray(cut), 4);
      expect(p).toBeGreaterThanOrEqual(minPsnr);
      expect(p).toBeLessThan(Infinity);
    });
  }

  it('never sends JPEG to a 16 bpp client, nor without a quality level', () => {
    const fb = makeScreen(200, 200);
    for (const [pf, q] of [
      [fmt(RGB565), 6],
      [SERVER_PIXEL_FORMAT, undefined],
    ] as const) {
      const enc = new TightEncoder();
      enc.setLevels(undefined, q);
      const dec = new TightTestDecoder(pf, 200, 200);
      const conv = new PixelConverter(pf);
      dec.decodeRects(encode(enc, fb, conv, [{ x: 0, y: 0, w: 200, h: 200 }]));
      expect(enc.stats.jpeg).toBe(0);
      expect(Buffer.from(dec.fb).equals(Buffer.from(rawFrame(fb, conv)))).toBe(true);
    }
  });
});

describe('UpdateBuilder with Tight', () => {
  const log = { debug() {}, info() {}, warn() {}, error() {}, child() { return log; } } as never;

  it('picks Tight by the client order, counts split rects and passes the levels on', () => {
    const fb = makeScreen(2100, 200);
    const b = new UpdateBuilder(fb, 'x', log);
    b.setEncodings([Encoding.ZRLE, Encoding.TIGHT]);
    expect(b.rectEncoding).toBe(Encoding.ZRLE);
    b.setEncodings([Encoding.TIGHT, Encoding.ZRLE, -32 + 5]);
    expect(b.rectEncoding).toBe(Encoding.TIGHT);
    b.dirty.markAll();
    const r = b.build();
    if (r.kind !== 'update') throw new Error(r.kind);
    const count = r.data.readUInt16BE(2);
    const dec = new TightTestDecoder(SERVER_PIXEL_FORMAT, 2100, 200);
    const infos = dec.decodeRects(new Uint8Array(r.data.subarray(4)));
    expect(count).toBe(infos.length);
    expect(r.rects).toBe(infos.length);
    expect(infos.some((i) => i.w > 2048)).toBe(false);
    expect(infos.some((i) => i.kind === 'jpeg')).toBe(true);
    b.close();
  });

  it('ends the update with LastRect when the client takes it and the count would overflow', () => {
    const fb = makeScreen(64, 64);
    const b = new UpdateBuilder(fb, 'x', log);
    b.setEncodings([Encoding.TIGHT, Encoding.LAST_RECT]);
    // An encoder that claims a huge count stands in for an update with too many rects.
    const inner = (b as unknown as { encoder: TightEncoder }).encoder;
    inner.rectCount = (): number => 70000;
    b.dirty.markAll();
    const r = b.build();
    if (r.kind !== 'update') throw new Error(r.kind);
    expect(r.data.readUInt16BE(2)).toBe(0xffff);
    expect(r.data.readInt32BE(r.data.length - 4)).toBe(Encoding.LAST_RECT);
    b.close();
  });
});

describe('TightPalette', () => {
  /** The palette by a plain set, in order of first appearance (the reference). */
  const reference = (keys: Uint32Array, max: number): number[] | undefined => {
    const seen: number[] = [];
    for (const k of keys) if (!seen.includes(k)) seen.push(k);
    return seen.length > max ? undefined : seen;
  };

  it('counts colours as a plain set does, wherever a third colour first appears', () => {
    const rng = new Prng(7);
    const p = new TightPalette();
    for (let round = 0; round < 300; round++) {
      const n = 1 + rng.int(0, 2000 - 1);
      const colours = [0x101418, 0xc8c8c8, 0x5fd75f, 0xff0000, 0x0000ff];
      const used = 1 + rng.int(0, colours.length - 1);
      // Mostly two colours, with rare others at a random spot (in or past the first chunks).
      const keys = new Uint32Array(n).map(() => colours[rng.int(0, Math.min(2, used) - 1)]!);
      for (let extra = rng.int(0, 4 - 1); extra > 0 && used > 2; extra--) keys[rng.int(0, n - 1)] = colours[2 + rng.int(0, used - 2 - 1)]!;
      const max = 2 + rng.int(0, 4 - 1);
      const want = reference(keys, max);
      const got = p.build(keys, n, max);
      if (want === undefined) expect(got).toBe(0);
      else {
        expect(got).toBe(want.length);
        expect([...p.colours.subarray(0, got)]).toEqual(want);
      }
    }
  });

  it('finds a single third colour at every position of a two-colour run', () => {
    const rng = new Prng(3);
    const p = new TightPalette();
    const n = 600; // past two of the 256-pixel chunks checked without a branch per pixel
    const base = new Uint32Array(n).map(() => (rng.int(0, 1) ? 0xc8c8c8 : 0x101418));
    base[0] = 0x101418;
    base[1] = 0xc8c8c8;
    for (let pos = 2; pos < n; pos++) {
      const keys = base.slice();
      keys[pos] = 0x5fd75f;
      expect(p.build(keys, n, 3)).toBe(3);
      expect([...p.colours.subarray(0, 3)]).toEqual([0x101418, 0xc8c8c8, 0x5fd75f]);
      expect(p.build(keys, n, 2)).toBe(0);
    }
  });

  it('writes the mono bitmap as a bit-by-bit reference does, for every row width', () => {
    const rng = new Prng(11);
    const p = new TightPalette();
    for (let w = 1; w <= 40; w++) {
      const h = 3;
      const keys = new Uint32Array(w * h).map(() => (rng.int(0, 2 - 1) ? 0xaaaaaa : 0x555555));
      keys[0] = 0x555555;
      if (w * h > 1) keys[1] = 0xaaaaaa;
      expect(p.build(keys, w * h, 2)).toBe(2);
      const got = new Uint8Array(64);
      const end = p.writeBitmap(keys, w, h, got, 1);
      const want: number[] = [];
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x += 8) {
          let b = 0;
          for (let i = 0; i < 8 && x + i < w; i++) if (keys[y * w + x + i] === 0xaaaaaa) b |= 0x80 >> i;
          want.push(b);
        }
      }
      expect(end - 1).toBe(want.length);
      expect([...got.subarray(1, end)]).toEqual(want);
    }
  });
});

describe('TightPlanner', () => {
  it('sees a single third colour anywhere in a text tile (it then stays out of the mono piece)', () => {
    const text = (x: number, y: number): number => ((x * 7 + y * 3) % 11 < 3 ? 0x202020 : 0xfafafa);
    const planner = new TightPlanner();
    const rect = { x: 0, y: 0, w: 128, h: 64 };
    // Two text tiles side by side: one mono piece.
    expect(planner.plan(new MemFramebuffer(128, 64, text), rect, TIGHT_MAX_WIDTH, TIGHT_MAX_AREA)).toHaveLength(1);
    for (const y of [0, 1, 37, 63]) {
      for (let x = 64; x < 128; x++) {
        const fb = new MemFramebuffer(128, 64, (px, py) => (px === x && py === y ? 0xff0000 : text(px, py)));
        const pieces = planner.plan(fb, rect, TIGHT_MAX_WIDTH, TIGHT_MAX_AREA);
        expect(pieces.map((p) => [p.x, p.w])).toEqual([
          [0, 64],
          [64, 64],
        ]);
      }
    }
  });
});

