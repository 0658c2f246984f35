/**
 * Tests for the ZRLE encoding (16). A decoder written here from the format's description (not
 * from the encoder) inflates every rect with ONE persistent inflater, as a client does, parses
 * the tiles and rebuilds the pixels; they must equal what Raw sends for the same rect, in every
 * pixel format. The tile contents are chosen so each subencoding (solid, packed palette with
 * 1/2/4-bit indices, palette RLE, plain RLE, raw) is exercised and checked.
 */
import { describe, it, expect } from 'vitest';
import { ByteWriter } from '../src/byte-writer.js';
import type { Rect } from '../src/dirty-bitmap.js';
import type { DeflateBackend } from '../src/deflate.js';
import { RawEncoder } from '../src/encodings/raw.js';
import { ZlibEncoder } from '../src/encodings/zlib.js';
import { ZrleEncoder, cpixelLayout } from '../src/encodings/zrle.js';
import { PixelConverter } from '../src/pixel-convert.js';
import { type PixelFormat, SERVER_PIXEL_FORMAT } from '../src/pixel-format.js';
import { Encoding } from '../src/rfb.js';
import { PersistentInflater } from './helpers/inflater.js';
import { MemFramebuffer } from './helpers/mem-fb.js';
import { Prng } from './helpers/prng.js';

const fmt = (p: Partial<PixelFormat>): PixelFormat => ({ ...SERVER_PIXEL_FORMAT, ...p });

interface FormatCase {
  readonly name: string;
  readonly pf: PixelFormat;
  /** CPIXEL size and the first wire byte of the pixel it holds (worked out by hand). */
  readonly cpixel: { readonly bytes: number; readonly offset: number };
}

const RGB565 = { bitsPerPixel: 16, depth: 16, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 };

const FORMATS: readonly FormatCase[] = [
  { name: 'native 32 bpp (LE 0x00RRGGBB)', pf: SERVER_PIXEL_FORMAT, cpixel: { bytes: 3, offset: 0 } },
  { name: '32 bpp red shift 0 (noVNC)', pf: fmt({ redShift: 0, greenShift: 8, blueShift: 16 }), cpixel: { bytes: 3, offset: 0 } },
  { name: '32 bpp big-endian', pf: fmt({ bigEndian: true }), cpixel: { bytes: 3, offset: 1 } },
  { name: '32 bpp big-endian, BGR shifts', pf: fmt({ bigEndian: true, redShift: 0, greenShift: 8, blueShift: 16 }), cpixel: { bytes: 3, offset: 1 } },
  { name: '32 bpp LE, colour in the top 3 bytes', pf: fmt({ redShift: 24, greenShift: 16, blueShift: 8 }), cpixel: { bytes: 3, offset: 1 } },
  { name: '32 bpp BE, colour in the top 3 bytes', pf: fmt({ bigEndian: true, redShift: 24, greenShift: 16, blueShift: 8 }), cpixel: { bytes: 3, offset: 0 } },
  { name: '32 bpp depth 32', pf: fmt({ depth: 32 }), cpixel: { bytes: 4, offset: 0 } },
  { name: '32 bpp, colour in bytes 0, 1 and 3', pf: fmt({ redShift: 24, greenShift: 8, blueShift: 0 }), cpixel: { bytes: 4, offset: 0 } },
  { name: 'RGB565 LE', pf: fmt(RGB565), cpixel: { bytes: 2, offset: 0 } },
  { name: 'RGB565 BE', pf: fmt({ ...RGB565, bigEndian: true }), cpixel: { bytes: 2, offset: 0 } },
  { name: 'BGR233', pf: fmt({ bitsPerPixel: 8, depth: 8, redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6 }), cpixel: { bytes: 1, offset: 0 } },
];

// ---------------------------------------------------------------------------------------------
// The test's own ZRLE decoder.

interface Decoded {
  /** The rect's pixels in the client's format, rows back to back (what Raw carries). */
  readonly pixels: Uint8Array;
  /** Subencoding byte of every tile, in order. */
  readonly subencodings: number[];
}

/** Decodes one rect's inflated ZRLE data; throws on anything malformed or left over. */
function decodeZrle(data: Uint8Array, w: number, h: number, bpp: number, cp: FormatCase['cpixel']): Decoded {
  const pixels = new Uint8Array(w * h * bpp);
  const subencodings: number[] = [];
  let o = 0;
  const need = (n: number): void => {
    if (o + n > data.length) throw new Error(`ZRLE data truncated at ${o} (+${n} of ${data.length})`);
  };
  const byte = (): number => {
    need(1);
    return data[o++]!;
  };
  const cpixel = (): Uint8Array => {
    need(cp.bytes);
    const px = new Uint8Array(bpp);
    px.set(data.subarray(o, o + cp.bytes), cp.offset);
    o += cp.bytes;
    return px;
  };
  const runLength = (): number => {
    let len = 1;
    for (;;) {
      const b = byte();
      len += b;
      if (b !== 255) return len;
    }
  };
  for (let ty = 0; ty < h; ty += 64) {
    for (let tx = 0; tx < w; tx += 64) {
      const tw = Math.min(64, w - tx);
      const th = Math.min(64, h - ty);
      const n = tw * th;
      const tile: Uint8Array[] = [];
      const type = byte();
      subencodings.push(type);
      if (type === 0) {
        for (let i = 0; i < n; i++) tile.push(cpixel());
      } else if (type === 1) {
        const px = cpixel();
        for (let i = 0; i < n; i++) tile.push(px);
      } else if (type >= 2 && type <= 16) {
        const palette = Array.from({ length: type }, cpixel);
        const bits = type === 2 ? 1 : type <= 4 ? 2 : 4;
        const rowBytes = Math.ceil((tw * bits) / 8);
        for (let y = 0; y < th; y++) {
          need(rowBytes);
          for (let x = 0; x < tw; x++) {
            const bit = x * bits;
            const index = (data[o + (bit >> 3)]! >> (8 - bits - (bit & 7))) & ((1 << bits) - 1);
            if (index >= type) throw new Error(`packed index ${index} outside a palette of ${type}`);
            tile.push(palette[index]!);
          }
          const padBits = rowBytes * 8 - tw * bits;
          if ((data[o + rowBytes - 1]! & ((1 << padBits) - 1)) !== 0) throw new Error('row padding bits are not zero');
          o += rowBytes;
        }
      } else if (type === 128) {
        while (tile.length < n) {
          const px = cpixel();
          const len = runLength();
          if (tile.length + len > n) throw new Error(`plain RLE run of ${len} overflows the tile`);
          for (let i = 0; i < len; i++) tile.push(px);
        }
      } else if (type >= 130) {
        const size = type - 128;
        const palette = Array.from({ length: size }, cpixel);
        while (tile.length < n) {
          const b = byte();
          const index = b & 0x7f;
          if (index >= size) throw new Error(`palette RLE index ${index} outside a palette of ${size}`);
          const len = b & 0x80 ? runLength() : 1;
          if (tile.length + len > n) throw new Error(`palette RLE run of ${len} overflows the tile`);
          for (let i = 0; i < len; i++) tile.push(palette[index]!);
        }
      } else {
        throw new Error(`invalid subencoding ${type}`);
      }
      for (let y = 0; y < th; y++) {
        for (let x = 0; x < tw; x++) pixels.set(tile[y * tw + x]!, ((ty + y) * w + tx + x) * bpp);
      }
    }
  }
  if (o !== data.length) throw new Error(`${data.length - o} bytes left over after the last tile`);
  return { pixels, subencodings };
}

interface ParsedRect {
  readonly header: Rect & { encoding: number };
  readonly compressed: Uint8Array;
}

function parseRects(bytes: Uint8Array): ParsedRect[] {
  const b = Buffer.from(bytes);
  const rects: ParsedRect[] = [];
  let o = 0;
  while (o < b.length) {
    const header = { x: b.readUInt16BE(o), y: b.readUInt16BE(o + 2), w: b.readUInt16BE(o + 4), h: b.readUInt16BE(o + 6), encoding: b.readInt32BE(o + 8) };
    const len = b.readUInt32BE(o + 12);
    rects.push({ header, compressed: b.subarray(o + 16, o + 16 + len) });
    o += 16 + len;
  }
  expect(o).toBe(b.length);
  return rects;
}

/** The body Raw sends for `rect`: what the decoded ZRLE rect must equal. */
function rawBody(fb: MemFramebuffer, conv: PixelConverter, rect: Rect): Buffer {
  const out = new ByteWriter(16);
  new RawEncoder().encodeRect(rect, { framebuffer: fb, converter: conv, out });
  return Buffer.from(out.bytes.subarray(12, out.length));
}

/** A client session: one ZRLE inflater for the whole connection. */
class Client {
  readonly inflater = new PersistentInflater();
  inflated = 0;
  compressed = 0;

  constructor(readonly encoder: ZrleEncoder) {}

  /** Encodes `rect`, decodes it with this client's inflater and checks it against Raw. */
  roundTrip(fb: MemFramebuffer, fc: FormatCase, rect: Rect, conv = new PixelConverter(fc.pf)): Decoded {
    const out = new ByteWriter(16);
    this.encoder.encodeRect(rect, { framebuffer: fb, converter: conv, out });
    const [parsed, ...more] = parseRects(out.bytes.subarray(0, out.length));
    expect(more).toHaveLength(0);
    expect(parsed!.header).toEqual({ ...rect, encoding: Encoding.ZRLE });
    // An empty rect carries no data at all (a decoder then has nothing to inflate).
    expect(parsed!.compressed.length === 0).toBe(rect.w * rect.h === 0);
    const data = parsed!.compressed.length === 0 ? new Uint8Array(0) : this.inflater.push(parsed!.compressed);
    this.inflated += data.length;
    this.compressed += parsed!.compressed.length;
    const decoded = decodeZrle(data, rect.w, rect.h, conv.bytesPerPixel, fc.cpixel);
    expect(Buffer.from(decoded.pixels).equals(rawBody(fb, conv, rect)), `${fc.name}: ${JSON.stringify(rect)} decodes to other pixels than Raw`).toBe(true);
    return decoded;
  }
}

// ---------------------------------------------------------------------------------------------
// Framebuffer content: one 64x64 tile per case.

/** 256 colours that stay distinct in every format above (each keeps >= 3/3/2 top bits). */
const distinct = (i: number): number => ((i & 7) << 21) | (((i >> 3) & 7) << 13) | (((i >> 6) & 3) << 6);

/** Each tile's fill and the subencoding it must get (the same in every format above). */
interface TileCase {
  readonly name: string;
  /** The expected subencoding, given the CPIXEL size. */
  readonly subencoding: number | ((cpixelBytes: number) => number);
  fill(rng: Prng): number[];
}

/** `colours` colours in runs of 1..`maxRun` pixels (every colour appears). */
function runsOf(colours: number, maxRun: number) {
  return (rng: Prng): number[] => {
    const px: number[] = [];
    for (let c = 0; c < colours; c++) px.push(distinct(c));
    while (px.length < 4096) {
      const c = distinct(rng.int(0, colours - 1));
      for (let n = rng.int(1, maxRun); n > 0 && px.length < 4096; n--) px.push(c);
    }
    return px;
  };
}

/**
 * `singles` single pixels cycling through `cycle` colours, then long runs of the given lengths
 * (crossing row ends) in 8 other colours, then one more colour to the end of the tile.
 */
function longRuns(singles: number, cycle: number, lengths: number[]) {
  return (): number[] => {
    const px: number[] = [];
    for (let i = 0; i < singles; i++) px.push(distinct(i % cycle));
    lengths.forEach((len, i) => {
      for (let n = 0; n < len; n++) px.push(distinct(255 - (i % 8)));
    });
    while (px.length < 4096) px.push(distinct(200));
    return px.slice(0, 4096);
  };
}

const RUN_LENGTHS = [1, 2, 254, 255, 256, 257, 509, 510, 511, 1000, 1000];

const TILE_CASES: readonly TileCase[] = [
  { name: 'solid', subencoding: 1, fill: () => new Array<number>(4096).fill(distinct(77)) },
  { name: '2 colours', subencoding: 2, fill: runsOf(2, 2) },
  { name: '3 colours', subencoding: 3, fill: runsOf(3, 1) },
  { name: '4 colours', subencoding: 4, fill: runsOf(4, 1) },
  { name: '5 colours', subencoding: 5, fill: runsOf(5, 1) },
  { name: '16 colours', subencoding: 16, fill: runsOf(16, 1) },
  { name: '17 colours (palette RLE)', subencoding: 128 + 17, fill: runsOf(17, 4) },
  // With 1-byte pixels a palette saves nothing over plain RLE unless single pixels abound.
  { name: '2-colour stripes 8 rows tall (RLE, runs of 512)', subencoding: (c) => (c === 1 ? 128 : 130), fill: () => Array.from({ length: 4096 }, (_, i) => distinct((i >> 9) & 1)) },
  { name: 'long runs after 1000 single pixels in 20 colours (palette RLE)', subencoding: 128 + 28, fill: longRuns(1000, 20, RUN_LENGTHS) },
  { name: 'long runs after 200 colours (plain RLE)', subencoding: 128, fill: longRuns(200, 200, RUN_LENGTHS) },
  // Plain RLE only under a third of raw (PLAIN_RLE_MAX_SHARE_OF_RAW): runs of 2 are 1/2 to 3/4 of
  // raw in every format and stay raw; runs of 8 are 1/6 to 1/4 and go plain RLE.
  { name: 'runs of 2 in 200 colours (raw: plain RLE not under a third of it)', subencoding: 0, fill: () => Array.from({ length: 4096 }, (_, i) => distinct((i >> 1) % 200)) },
  { name: 'runs of 8 in 200 colours (plain RLE)', subencoding: 128, fill: () => Array.from({ length: 4096 }, (_, i) => distinct((i >> 3) % 200)) },
  // Either RLE over a packed palette only under half of it (RLE_MAX_SHARE_OF_PACKED): 2 colours
  // in runs of 32 are just over half of packed (but for 1-byte pixels, whose plain RLE is just
  // under), in runs of 64 about a quarter (where 1-byte pixels make plain RLE smaller still).
  { name: '2 colours in runs of 32 (packed: RLE not under half of it)', subencoding: (c) => (c === 1 ? 128 : 2), fill: () => Array.from({ length: 4096 }, (_, i) => distinct((i >> 5) & 1)) },
  { name: '2 colours in runs of 64 (palette RLE)', subencoding: (c) => (c === 1 ? 128 : 130), fill: () => Array.from({ length: 4096 }, (_, i) => distinct((i >> 6) & 1)) },
  { name: 'noise (raw)', subencoding: 0, fill: (rng) => Array.from({ length: 4096 }, () => rng.int(0, 0xffffff)) },
];

function expectedSubencoding(tc: TileCase, fc: FormatCase): number {
  return typeof tc.subencoding === 'number' ? tc.subencoding : tc.subencoding(fc.cpixel.bytes);
}

/** A framebuffer with the tile cases side by side (64 px apart), seeded for reproducibility. */
function tileCaseFb(): MemFramebuffer {
  const rng = new Prng(7);
  const fb = new MemFramebuffer(64 * TILE_CASES.length, 64);
  TILE_CASES.forEach((tc, t) => {
    const px = tc.fill(rng);
    expect(px).toHaveLength(4096);
    px.forEach((rgb, i) => fb.setPixel(t * 64 + (i & 63), i >> 6, rgb));
  });
  return fb;
}

/** Mixed content: gradient, noise, flat areas and stripes, for rects that cross tile edges. */
function mixedFb(width: number, height: number, seed = 3): MemFramebuffer {
  const rng = new Prng(seed);
  return new MemFramebuffer(width, height, (x, y) => {
    if (y < 40) return ((x * 3) << 16) | ((y * 5) << 8) | ((x + y) & 0xff);
    if (x < 50) return rng.int(0, 0xffffff);
    if (x < 120) return distinct((x >> 4) + (y >> 3));
    return (y >> 2) & 1 ? 0xffffff : 0x102030;
  });
}

// ---------------------------------------------------------------------------------------------

describe('cpixelLayout', () => {
  for (const fc of FORMATS) {
    it(`${fc.name}: ${fc.cpixel.bytes} bytes from wire byte ${fc.cpixel.offset}`, () => {
      expect(cpixelLayout(fc.pf)).toEqual(fc.cpixel);
    });
  }

  it('colour only in the middle two bytes: the first three wire bytes, either byte order', () => {
    const middle = { depth: 16, redMax: 31, greenMax: 63, blueMax: 31, redShift: 19, greenShift: 13, blueShift: 8 };
    expect(cpixelLayout(fmt(middle))).toEqual({ bytes: 3, offset: 0 });
    expect(cpixelLayout(fmt({ ...middle, bigEndian: true }))).toEqual({ bytes: 3, offset: 0 });
  });
});

for (const backend of ['node', 'pako'] as const satisfies readonly DeflateBackend[]) {
  describe(`ZRLE round trips (${backend} deflate)`, () => {
    for (const fc of FORMATS) {
      it(`${fc.name}: every subencoding, each tile decodes to Raw's pixels`, () => {
        const fb = tileCaseFb();
        const client = new Client(new ZrleEncoder({ backend }));
        // Tile by tile (several rects on one inflater), then all tiles as one rect.
        TILE_CASES.forEach((tc, t) => {
          const { subencodings } = client.roundTrip(fb, fc, { x: t * 64, y: 0, w: 64, h: 64 });
          expect(subencodings, tc.name).toEqual([expectedSubencoding(tc, fc)]);
        });
        const whole = client.roundTrip(fb, fc, { x: 0, y: 0, w: fb.width, h: 64 });
        expect(whole.subencodings).toEqual(TILE_CASES.map((tc) => expectedSubencoding(tc, fc)));
        expect(client.encoder.bytesIn).toBe(client.inflated);
        expect(client.encoder.bytesOut).toBe(client.compressed);
        client.encoder.close();
      });

      it(`${fc.name}: edge tiles and odd rects across tile boundaries`, () => {
        const fb = mixedFb(200, 150);
        const client = new Client(new ZrleEncoder({ backend }));
        const rects: Rect[] = [
          { x: 0, y: 0, w: 65, h: 70 },
          { x: 199, y: 149, w: 1, h: 1 },
          { x: 10, y: 30, w: 64, h: 1 },
          { x: 0, y: 100, w: 1, h: 50 },
          { x: 3, y: 7, w: 130, h: 129 },
          { x: 0, y: 0, w: 200, h: 150 },
          { x: 136, y: 86, w: 64, h: 64 },
        ];
        for (const r of rects) {
          const { subencodings } = client.roundTrip(fb, fc, r);
          expect(subencodings).toHaveLength(Math.ceil(r.w / 64) * Math.ceil(r.h / 64));
        }
        client.encoder.close();
      });
    }
  });
}

describe('ZRLE encoder', () => {
  it('rect 65x70 is four tiles: 64x64, 1x64, 64x6, 1x6, in row order', () => {
    // Left column solid black; the 1-px column solid white: tiles alternate solid colours.
    const fb = new MemFramebuffer(65, 70, (x, y) => (x === 64 ? 0xffffff : y >= 64 ? 0x00ff00 : 0));
    const client = new Client(new ZrleEncoder());
    const { subencodings } = client.roundTrip(fb, FORMATS[0]!, { x: 0, y: 0, w: 65, h: 70 });
    expect(subencodings).toEqual([1, 1, 1, 1]);
    expect(client.inflated).toBe(4 * (1 + 3));
  });

  it('packed palette rows narrower than a byte multiple are padded (1, 2 and 4-bit indices)', () => {
    const rng = new Prng(21);
    for (const [colours, w, type] of [
      [2, 13, 2],
      [3, 7, 3],
      [4, 5, 4],
      [5, 3, 5],
      [16, 61, 16],
    ] as const) {
      const fb = new MemFramebuffer(w, 9, (x, y) => distinct(x + y < colours ? x + y : rng.int(0, colours - 1)));
      for (const fc of FORMATS) {
        const { subencodings } = new Client(new ZrleEncoder()).roundTrip(fb, fc, { x: 0, y: 0, w, h: 9 });
        expect(subencodings, `${colours} colours ${w} wide, ${fc.name}`).toEqual([type]);
      }
    }
  });

  it('a solid tile is the subencoding byte and one CPIXEL', () => {
    const fb = new MemFramebuffer(64, 64, () => 0x123456);
    const client = new Client(new ZrleEncoder());
    client.roundTrip(fb, FORMATS[0]!, { x: 0, y: 0, w: 64, h: 64 });
    expect(client.encoder.bytesIn).toBe(4);
    expect(client.encoder.tileStats.solid).toBe(1);
  });

  it('many rects in sequence, a pixel format change and changing content, on one inflater', () => {
    const rng = new Prng(11);
    const fb = mixedFb(300, 200, 5);
    const client = new Client(new ZrleEncoder());
    for (let i = 0; i < 60; i++) {
      const fc = FORMATS[Math.floor(i / 6) % FORMATS.length]!;
      const w = rng.int(1, 150);
      const h = rng.int(1, 150);
      const rect = { x: rng.int(0, 300 - w), y: rng.int(0, 200 - h), w, h };
      client.roundTrip(fb, fc, rect);
      // Scribble on the framebuffer between updates, as a guest would.
      for (let n = 0; n < 500; n++) fb.setPixel(rng.int(0, 299), rng.int(0, 199), rng.int(0, 3) === 0 ? rng.int(0, 0xffffff) : distinct(rng.int(0, 20)));
    }
    expect(client.inflater.chunks).toBe(60);
    // Scribbles leave no 64x64 tile solid here; solid tiles are checked above.
    const stats = client.encoder.tileStats;
    for (const k of ['packedPalette', 'paletteRle', 'plainRle', 'raw'] as const) expect(stats[k], k).toBeGreaterThan(0);
  });

  it('random palettes and runs: every format round-trips (seeded fuzz)', () => {
    const rng = new Prng(99);
    for (const fc of FORMATS) {
      const client = new Client(new ZrleEncoder({ backend: 'pako' }));
      for (let round = 0; round < 12; round++) {
        const colours = [1, 2, 3, 4, 5, 8, 16, 17, 60, 127, 128, 300][round]!;
        const maxRun = rng.int(1, 600);
        const fb = new MemFramebuffer(140, 90);
        let c = distinct(0);
        for (let i = 0, left = 0; i < 140 * 90; i++, left--) {
          if (left <= 0) {
            c = colours > 256 ? rng.int(0, 0xffffff) : distinct(rng.int(0, colours - 1));
            left = rng.int(1, maxRun);
          }
          fb.setPixel(i % 140, Math.floor(i / 140), c);
        }
        client.roundTrip(fb, fc, { x: rng.int(0, 20), y: rng.int(0, 10), w: rng.int(100, 120), h: rng.int(60, 80) });
      }
      client.encoder.close();
    }
  });

  it('an empty rect carries a zero length and no data, and the stream goes on', () => {
    const fb = mixedFb(100, 100);
    const client = new Client(new ZrleEncoder());
    client.roundTrip(fb, FORMATS[0]!, { x: 5, y: 5, w: 30, h: 30 });
    const empty = client.roundTrip(fb, FORMATS[0]!, { x: 5, y: 5, w: 0, h: 10 });
    expect(empty.subencodings).toEqual([]);
    client.roundTrip(fb, FORMATS[0]!, { x: 0, y: 0, w: 100, h: 100 });
  });

  it('has its own deflate stream: Zlib and ZRLE rects interleave on separate inflaters', () => {
    const fb = mixedFb(128, 96);
    const conv = new PixelConverter(SERVER_PIXEL_FORMAT);
    const zlib = new ZlibEncoder();
    const zlibInflater = new PersistentInflater();
    const client = new Client(new ZrleEncoder());
    for (const r of [
      { x: 0, y: 0, w: 128, h: 96 },
      { x: 10, y: 10, w: 70, h: 70 },
      { x: 64, y: 0, w: 64, h: 96 },
    ]) {
      client.roundTrip(fb, FORMATS[0]!, r, conv);
      const out = new ByteWriter(16);
      zlib.encodeRect(r, { framebuffer: fb, converter: conv, out });
      const [z] = parseRects(out.bytes.subarray(0, out.length));
      expect(Buffer.from(zlibInflater.push(z!.compressed)).equals(rawBody(fb, conv, r))).toBe(true);
    }
    zlib.close();
  });

  it('compresses flat content far below Raw', () => {
    const fb = new MemFramebuffer(640, 480, (x, y) => ((x >> 5) + (y >> 5)) & 1 ? 0xe0e0e0 : 0x2040a0);
    const client = new Client(new ZrleEncoder());
    client.roundTrip(fb, FORMATS[0]!, { x: 0, y: 0, w: 640, h: 480 });
    expect(client.compressed).toBeLessThan((640 * 480 * 4) / 100);
  });
});
