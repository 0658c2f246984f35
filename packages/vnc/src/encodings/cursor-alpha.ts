/**
 * Cursor With Alpha (pseudo-encoding -314): the pointer image with its full 8-bit alpha channel,
 * where the plain Cursor pseudo-encoding (-239) can only say opaque or transparent per pixel.
 * The guest's colour pointer shapes are ARGB, so their soft edges and shadows survive only this
 * way. TigerVNC's viewer and QEMU speak it; clients that list it get it instead of -239.
 *
 * The rect's x/y carry the hotspot and w/h the size, like -239. The payload is an S32 encoding
 * number (we use Raw, 0) and then the pixels in a fixed format, whatever the client's own: 32
 * bits per pixel, little-endian, red at bit 16, green at 8, blue at 0 and alpha at 24 (so the
 * bytes are B, G, R, A), with the colour pre-multiplied by alpha.
 */

import type { ByteWriter } from '../byte-writer.js';
import { Encoding } from '../rfb.js';
import { type CursorImage, writeCursorHeader } from './cursor.js';

/** Multiplies an 8-bit channel by an 8-bit alpha, rounded (exact for 0 and 255). */
function premultiply(c: number, a: number): number {
  const t = c * a + 128;
  return (t + (t >> 8)) >> 8;
}

/** Appends one Cursor With Alpha rect (header, encoding, pre-multiplied BGRA pixels) for `image`. */
export function encodeCursorWithAlpha(image: CursorImage, out: ByteWriter): void {
  const { pixels } = image;
  const n = writeCursorHeader(image, Encoding.CURSOR_WITH_ALPHA, out);
  out.i32(Encoding.RAW);
  const off = out.reserve(n * 4);
  const dst = out.bytes;
  for (let i = 0, d = off; i < n; i++, d += 4) {
    const p = pixels[i]!;
    const a = p >>> 24;
    dst[d] = premultiply(p & 0xff, a);
    dst[d + 1] = premultiply((p >>> 8) & 0xff, a);
    dst[d + 2] = premultiply((p >>> 16) & 0xff, a);
    dst[d + 3] = a;
  }
}
