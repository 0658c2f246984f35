/**
 * Tests for the Cursor pseudo-encoding (-239): byte-exact rects for a tiny cursor in two pixel
 * formats, conversion of the guest's colour and monochrome pointer shapes, and the default
 * OpenVMM arrow.
 */
import { describe, it, expect } from 'vitest';
import type { PointerShape } from '@openvmm-vnc-ts/video-core';
import { ByteWriter } from '../src/byte-writer.js';
import {
  type CursorImage,
  CURSOR_ALPHA_THRESHOLD,
  DEFAULT_CURSOR,
  HIDDEN_CURSOR,
  cursorFromPointerShape,
  cursorRectLength,
  encodeCursor,
} from '../src/encodings/cursor.js';
import { PixelConverter } from '../src/pixel-convert.js';
import { type PixelFormat, SERVER_PIXEL_FORMAT } from '../src/pixel-format.js';

const RGB565: PixelFormat = { ...SERVER_PIXEL_FORMAT, bitsPerPixel: 16, depth: 16, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 };

/** Red opaque, transparent, green at alpha 128 (opaque), blue at alpha 127 (transparent). */
const TINY: CursorImage = { width: 2, height: 2, hotX: 1, hotY: 0, pixels: new Uint32Array([0xffff0000, 0x00000000, 0x8000ff00, 0x7f0000ff]) };

function encode(image: CursorImage, pf: PixelFormat): number[] {
  const out = new ByteWriter(8);
  encodeCursor(image, new PixelConverter(pf), out);
  return [...out.bytes.subarray(0, out.length)];
}

const HEADER_TINY = [0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0xff, 0xff, 0xff, 0x11]; // hot 1,0; 2x2; -239

describe('encodeCursor', () => {
  it('uses 128 as the opacity threshold', () => {
    expect(CURSOR_ALPHA_THRESHOLD).toBe(128);
  });

  it('writes a 2x2 cursor in the native format byte for byte', () => {
    expect(encode(TINY, SERVER_PIXEL_FORMAT)).toEqual([
      ...HEADER_TINY,
      0x00, 0x00, 0xff, 0x00, // red: B G R X
      0x00, 0x00, 0x00, 0x00, // transparent (colour still sent)
      0x00, 0xff, 0x00, 0x00, // green
      0xff, 0x00, 0x00, 0x00, // blue
      0x80, // row 0: only pixel 0 opaque
      0x80, // row 1: alpha 128 opaque, alpha 127 not
    ]);
  });

  it('writes a 2x2 cursor in RGB565 little-endian byte for byte', () => {
    expect(encode(TINY, RGB565)).toEqual([...HEADER_TINY, 0x00, 0xf8, 0x00, 0x00, 0xe0, 0x07, 0x1f, 0x00, 0x80, 0x80]);
  });

  it('writes RGB565 big-endian and 8-bit formats too', () => {
    expect(encode(TINY, { ...RGB565, bigEndian: true }).slice(12)).toEqual([0xf8, 0x00, 0x00, 0x00, 0x07, 0xe0, 0x00, 0x1f, 0x80, 0x80]);
    const bgr233: PixelFormat = { ...SERVER_PIXEL_FORMAT, bitsPerPixel: 8, depth: 8, redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6 };
    expect(encode(TINY, bgr233).slice(12)).toEqual([0x07, 0x00, 0x38, 0xc0, 0x80, 0x80]);
  });

  it('appends after what is already in the writer and reports its length', () => {
    const out = new ByteWriter(4);
    out.u32(0xdeadbeef);
    encodeCursor(TINY, new PixelConverter(RGB565), out);
    expect(out.length).toBe(4 + cursorRectLength(TINY, 2));
    expect(cursorRectLength(TINY, 2)).toBe(12 + 8 + 2);
  });

  it('packs masks wider than 8 pixels MSB first with zero padding bits', () => {
    const pixels = new Uint32Array(10).fill(0xff000000);
    pixels[1] = 0; // second pixel transparent
    const bytes = encode({ width: 10, height: 1, hotX: 0, hotY: 0, pixels }, SERVER_PIXEL_FORMAT);
    expect(bytes.slice(12 + 40)).toEqual([0b1011_1111, 0b1100_0000]);
  });

  it('clamps a hotspot outside the image', () => {
    const bytes = encode({ ...TINY, hotX: 9, hotY: -3 }, SERVER_PIXEL_FORMAT);
    expect(bytes.slice(0, 4)).toEqual([0, 1, 0, 0]);
  });

  it('rejects an image with too few pixels', () => {
    expect(() => encode({ ...TINY, pixels: new Uint32Array(3) }, SERVER_PIXEL_FORMAT)).toThrow(RangeError);
  });

  it('hides the pointer with a 1x1 fully transparent cursor', () => {
    expect(encode(HIDDEN_CURSOR, SERVER_PIXEL_FORMAT)).toEqual([0, 0, 0, 0, 0, 1, 0, 1, 0xff, 0xff, 0xff, 0x11, 0, 0, 0, 0, 0x00]);
  });
});

describe('cursorFromPointerShape', () => {
  const shape = (p: Partial<PointerShape>): PointerShape => ({ flags: 0, width: 1, height: 1, hotX: 0, hotY: 0, data: new Uint8Array(2), ...p });

  it('takes colour shapes as little-endian ARGB (bytes B, G, R, A)', () => {
    const c = cursorFromPointerShape(shape({ flags: 1, width: 2, height: 1, hotX: 1, data: new Uint8Array([0x33, 0x22, 0x11, 0xff, 0x01, 0x02, 0x03, 0x40]) }));
    expect(c.width).toBe(2);
    expect(c.height).toBe(1);
    expect(c.hotX).toBe(1);
    expect([...c.pixels]).toEqual([0xff112233, 0x40030201]);
  });

  it('maps the four monochrome AND/XOR combinations', () => {
    // Pixels: AND 1 0 1 0, XOR 0 1 1 0 -> transparent, white, invert (black), black.
    const c = cursorFromPointerShape(shape({ width: 4, height: 1, data: new Uint8Array([0b1010_0000, 0b0110_0000]) }));
    expect([...c.pixels]).toEqual([0x00000000, 0xffffffff, 0xff000000, 0xff000000]);
    expect(encode(c, SERVER_PIXEL_FORMAT).slice(-1)).toEqual([0b0111_0000]);
  });

  it('reads monochrome masks with several bytes per row and the XOR mask after all AND rows', () => {
    // 10x2: rowBytes 2, AND = 4 bytes, XOR = 4 bytes.
    const and = [0xff, 0xc0, 0x00, 0x00]; // row 0 all transparent unless XOR; row 1 all opaque
    const xor = [0x00, 0x00, 0x00, 0x40]; // row 1, pixel 9 white
    const c = cursorFromPointerShape(shape({ width: 10, height: 2, hotY: 1, data: new Uint8Array([...and, ...xor]) }));
    expect([...c.pixels.subarray(0, 10)]).toEqual(new Array(10).fill(0));
    expect([...c.pixels.subarray(10, 19)]).toEqual(new Array(9).fill(0xff000000));
    expect(c.pixels[19]).toBe(0xffffffff);
    expect(c.hotY).toBe(1);
  });

  it('treats missing data bytes as zero and unknown flags as the default cursor', () => {
    const c = cursorFromPointerShape(shape({ flags: 1, width: 1, height: 1, data: new Uint8Array(0) }));
    expect([...c.pixels]).toEqual([0]);
    expect(cursorFromPointerShape(shape({ flags: 7 }))).toBe(DEFAULT_CURSOR);
  });
});

describe('DEFAULT_CURSOR', () => {
  const MASK = [0xc00000, 0xe00000, 0xf00000, 0xf80000, 0xfc0000, 0xfe0000, 0xff0000, 0xff8000, 0xffc000, 0xffe000, 0xfff000, 0xff0000, 0xff0000, 0xe78000, 0xc78000, 0x83c000, 0x03c000, 0x018000];

  it('is 18x18 with the hotspot at the tip', () => {
    expect([DEFAULT_CURSOR.width, DEFAULT_CURSOR.height, DEFAULT_CURSOR.hotX, DEFAULT_CURSOR.hotY]).toEqual([18, 18, 0, 0]);
    expect(DEFAULT_CURSOR.pixels.length).toBe(324);
  });

  it('encodes to 12 + 18*18*bpp + 54 bytes with OpenVMM\'s mask rows', () => {
    const bytes = encode(DEFAULT_CURSOR, SERVER_PIXEL_FORMAT);
    expect(bytes.length).toBe(12 + 18 * 18 * 4 + 54);
    expect(encode(DEFAULT_CURSOR, RGB565).length).toBe(12 + 18 * 18 * 2 + 54);
    const mask = bytes.slice(12 + 18 * 18 * 4);
    expect(mask).toEqual(MASK.flatMap((r) => [r >>> 16, (r >>> 8) & 0xff, r & 0xff]));
  });

  it('is white inside a black outline', () => {
    const px = (x: number, y: number): number => DEFAULT_CURSOR.pixels[y * 18 + x]!;
    expect(px(0, 0)).toBe(0xff000000); // tip: outline
    expect(px(1, 2)).toBe(0xffffffff); // fill row 2 = 0x600000: columns 1, 2
    expect(px(3, 2)).toBe(0xff000000);
    expect(px(17, 0)).toBe(0); // outside the mask
    const white = [...DEFAULT_CURSOR.pixels].filter((p) => p === 0xffffffff).length;
    expect(white).toBeGreaterThan(40);
  });
});
