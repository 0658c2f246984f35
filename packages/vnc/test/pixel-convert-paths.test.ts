/**
 * The converter's word fast path and its byte fallback (unaligned buffers) give identical bytes
 * for every format, and both agree with an independent per-pixel formula.
 */

import { describe, expect, it } from 'vitest';
import { PixelConverter } from '../src/pixel-convert.js';
import type { PixelFormat } from '../src/pixel-format.js';

const fmt = (bpp: number, be: boolean, [rm, gm, bm]: number[], [rs, gs, bs]: number[]): PixelFormat => ({
  bitsPerPixel: bpp,
  depth: 24,
  bigEndian: be,
  trueColour: true,
  redMax: rm!,
  greenMax: gm!,
  blueMax: bm!,
  redShift: rs!,
  greenShift: gs!,
  blueShift: bs!,
});

const FORMATS: [string, PixelFormat][] = [
  ['bgr888 32', fmt(32, false, [255, 255, 255], [0, 8, 16])],
  ['rgb888 32 BE', fmt(32, true, [255, 255, 255], [16, 8, 0])],
  ['rgb565', fmt(16, false, [31, 63, 31], [11, 5, 0])],
  ['rgb565 BE', fmt(16, true, [31, 63, 31], [11, 5, 0])],
  ['rgb555', fmt(16, false, [31, 31, 31], [10, 5, 0])],
  ['bgr233', fmt(8, false, [7, 7, 3], [0, 3, 6])],
  ['irregular max 100', fmt(32, false, [100, 100, 100], [0, 8, 16])],
];

function expected(pf: PixelFormat, rgb: number): number[] {
  const ch = (v: number, max: number): number => ((max & (max + 1)) === 0 ? (max === 0 ? 0 : v >>> (8 - (32 - Math.clz32(max)))) : Math.floor((v * max) / 255));
  const v = ((ch((rgb >>> 16) & 255, pf.redMax) << pf.redShift) | (ch((rgb >>> 8) & 255, pf.greenMax) << pf.greenShift) | (ch(rgb & 255, pf.blueMax) << pf.blueShift)) >>> 0;
  const n = pf.bitsPerPixel >> 3;
  const bytes = Array.from({ length: n }, (_, i) => (v >>> (8 * i)) & 255);
  return pf.bigEndian ? bytes.reverse() : bytes;
}

describe('PixelConverter paths', () => {
  const count = 257;
  const src = new Uint8Array(4 + count * 4 + 4);
  let seed = 7;
  for (let i = 0; i < src.length; i++) src[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;

  for (const [name, pf] of FORMATS) {
    it(`${name}: aligned and unaligned conversions agree with the formula`, () => {
      const c = new PixelConverter(pf);
      const n = c.bytesPerPixel;
      const aligned = new Uint8Array(count * n);
      c.convert(src, 4, count, aligned, 0);
      const unalignedSrc = new Uint8Array(src.length + 1);
      unalignedSrc.set(src, 1);
      const unaligned = new Uint8Array(count * n + 1);
      c.convert(unalignedSrc, 5, count, unaligned, 1);
      expect(Buffer.from(unaligned.subarray(1)).equals(Buffer.from(aligned))).toBe(true);
      for (let i = 0; i < count; i++) {
        const o = 4 + i * 4;
        const rgb = src[o]! | (src[o + 1]! << 8) | (src[o + 2]! << 16);
        expect([...aligned.subarray(i * n, i * n + n)], `pixel ${i}`).toEqual(expected(pf, rgb));
      }
    });
  }
});
