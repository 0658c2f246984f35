/**
 * The Cursor pseudo-encoding (-239): the client draws the pointer itself, from an image and a
 * 1-bit transparency mask the server sends, so pointer movement costs no framebuffer updates.
 *
 * The rect's x/y carry the hotspot and w/h the size; the payload is `w * h` pixels in the
 * client's pixel format, then the mask: `ceil(w / 8)` bytes per row, most significant bit =
 * leftmost pixel, a set bit meaning "opaque".
 *
 * Cursor images are kept as {@link CursorImage}: one `0xAARRGGBB` word per pixel. They come from
 * the guest's pointer shape ({@link cursorFromPointerShape}: colour ARGB or monochrome AND/XOR
 * masks) or from {@link DEFAULT_CURSOR}, the fixed arrow OpenVMM sends when the guest has given
 * no shape. Clients that take Cursor With Alpha (-314) get `cursor-alpha.ts` instead.
 */

import type { PointerShape } from '@openvmm-vnc-ts/video-core';
import type { ByteWriter } from '../byte-writer.js';
import type { PixelConverter } from '../pixel-convert.js';
import { Encoding } from '../rfb.js';
import { writeRectHeader } from './encoder.js';

/** A pointer image: `pixels[y * width + x]` is `0xAARRGGBB` (straight alpha). */
export interface CursorImage {
  readonly width: number;
  readonly height: number;
  /** Hotspot column (the pixel that is "the pointer position"). */
  readonly hotX: number;
  /** Hotspot row. */
  readonly hotY: number;
  /** `width * height` pixels, rows top to bottom. */
  readonly pixels: Uint32Array;
}

/** A pixel is opaque in the 1-bit mask when its alpha is at least this. */
export const CURSOR_ALPHA_THRESHOLD = 128;

const OPAQUE_BLACK = 0xff000000;
const OPAQUE_WHITE = 0xffffffff;

/** Framebuffer-layout scratch (B, G, R, 0 per pixel) the converter reads from; grows as needed. */
let scratch = new Uint8Array(96 * 96 * 4);

/** Bytes {@link encodeCursor} appends for `image` in a format of `bytesPerPixel`. */
export function cursorRectLength(image: CursorImage, bytesPerPixel: number): number {
  return 12 + image.width * image.height * bytesPerPixel + ((image.width + 7) >> 3) * image.height;
}

/**
 * Writes the rect header of a cursor pseudo-rect (x/y = hotspot, clamped into the image; w/h =
 * size) after checking the image has its pixels; returns the pixel count.
 */
export function writeCursorHeader(image: CursorImage, encoding: number, out: ByteWriter): number {
  const { width: w, height: h } = image;
  const n = w * h;
  if (image.pixels.length < n) throw new RangeError(`cursor has ${image.pixels.length} pixels, needs ${n}`);
  const hotX = w > 0 ? Math.min(Math.max(image.hotX, 0), w - 1) : 0;
  const hotY = h > 0 ? Math.min(Math.max(image.hotY, 0), h - 1) : 0;
  writeRectHeader(out, hotX, hotY, w, h, encoding);
  return n;
}

/**
 * Appends one Cursor pseudo-encoding rect (header included) for `image` to `out`, pixels in
 * `converter`'s format. Pixels whose alpha is below {@link CURSOR_ALPHA_THRESHOLD} are masked
 * out (their colour bytes are still sent, as the protocol requires). The hotspot is clamped
 * into the image. Counts as one rectangle of the FramebufferUpdate.
 */
export function encodeCursor(image: CursorImage, converter: PixelConverter, out: ByteWriter): void {
  const { width: w, height: h, pixels } = image;
  const n = writeCursorHeader(image, Encoding.CURSOR, out);
  if (scratch.length < n * 4) scratch = new Uint8Array(n * 4);
  for (let i = 0, s = 0; i < n; i++, s += 4) {
    const p = pixels[i]!;
    scratch[s] = p & 0xff;
    scratch[s + 1] = (p >>> 8) & 0xff;
    scratch[s + 2] = (p >>> 16) & 0xff;
    scratch[s + 3] = 0;
  }
  let off = out.reserve(n * converter.bytesPerPixel);
  converter.convert(scratch, 0, n, out.bytes, off);
  const rowBytes = (w + 7) >> 3;
  off = out.reserve(rowBytes * h);
  const dst = out.bytes;
  dst.fill(0, off, off + rowBytes * h);
  for (let y = 0; y < h; y++, off += rowBytes) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      if (pixels[row + x]! >>> 24 >= CURSOR_ALPHA_THRESHOLD) dst[off + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
}

/**
 * Converts the guest's pointer shape into a {@link CursorImage}.
 *
 * - Colour (`flags` 1): `data` is `w * h * 4` bytes of little-endian ARGB (bytes B, G, R, A),
 *   taken as is.
 * - Monochrome (`flags` 0): `data` is an AND mask then an XOR mask, each `ceil(w / 8) * h`
 *   bytes, MSB = leftmost pixel. Per pixel: AND=1 XOR=0 transparent; AND=0 XOR=0 black;
 *   AND=0 XOR=1 white; AND=1 XOR=1 ("invert the screen") cannot be expressed by RFB's cursor,
 *   so it is drawn as opaque black.
 *
 * Missing data bytes read as 0. An unknown `flags` value yields {@link DEFAULT_CURSOR}.
 */
export function cursorFromPointerShape(shape: PointerShape): CursorImage {
  const { width: w, height: h, data } = shape;
  const n = w * h;
  const pixels = new Uint32Array(n);
  const byte = (i: number): number => data[i] ?? 0;
  if (shape.flags === 1) {
    for (let i = 0, s = 0; i < n; i++, s += 4) {
      pixels[i] = (byte(s) | (byte(s + 1) << 8) | (byte(s + 2) << 16) | (byte(s + 3) << 24)) >>> 0;
    }
  } else if (shape.flags === 0) {
    const rowBytes = (w + 7) >> 3;
    const xorBase = rowBytes * h;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * rowBytes + (x >> 3);
        const bit = 0x80 >> (x & 7);
        const and = (byte(i) & bit) !== 0;
        const xor = (byte(xorBase + i) & bit) !== 0;
        pixels[y * w + x] = and && !xor ? 0 : !and && xor ? OPAQUE_WHITE : OPAQUE_BLACK;
      }
    }
  } else {
    return DEFAULT_CURSOR;
  }
  return { width: w, height: h, hotX: shape.hotX, hotY: shape.hotY, pixels };
}

/** Builds a cursor from 3-byte-per-row mask and fill bitmaps (MSB leftmost), OpenVMM style. */
function fromMaskRows(width: number, mask: readonly number[], fill: readonly number[]): CursorImage {
  const height = mask.length;
  const pixels = new Uint32Array(width * height);
  const top = 1 << (Math.ceil(width / 8) * 8 - 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = top >>> x;
      if (mask[y]! & bit) pixels[y * width + x] = fill[y]! & bit ? OPAQUE_WHITE : OPAQUE_BLACK;
    }
  }
  return { width, height, hotX: 0, hotY: 0, pixels };
}

/**
 * The 18x18 arrow OpenVMM sends (hotspot at the tip, 0,0): white inside a black outline.
 * Its 1-bit mask reproduces OpenVMM's mask rows exactly.
 */
export const DEFAULT_CURSOR: CursorImage = fromMaskRows(
  18,
  [
    0xc00000, 0xe00000, 0xf00000, 0xf80000, 0xfc0000, 0xfe0000, 0xff0000, 0xff8000, 0xffc000, 0xffe000, 0xfff000, 0xff0000, 0xff0000,
    0xe78000, 0xc78000, 0x83c000, 0x03c000, 0x018000,
  ],
  [
    0x000000, 0x000000, 0x600000, 0x700000, 0x780000, 0x7c0000, 0x7e0000, 0x7f0000, 0x7f8000, 0x7fc000, 0x7c0000, 0x7c0000, 0x660000,
    0x030000, 0x030000, 0x018000, 0x018000, 0x000000,
  ],
);

/** A 1x1 fully transparent cursor: send it to hide the pointer (e.g. the guest hid it). */
export const HIDDEN_CURSOR: CursorImage = { width: 1, height: 1, hotX: 0, hotY: 0, pixels: new Uint32Array(1) };
