/**
 * The interface every rectangle encoding implements, one encoding per file (as noVNC has one
 * decoder per file). An encoder appends one rectangle, header included, to the update being
 * built; per-connection state (such as a zlib stream) lives in the encoder instance.
 */

import type { ByteWriter } from '../byte-writer.js';
import type { Rect } from '../dirty-bitmap.js';
import type { FramebufferSource } from '../framebuffer-source.js';
import type { PixelConverter } from '../pixel-convert.js';

/** What an encoder needs to encode one rectangle. */
export interface EncodeContext {
  readonly framebuffer: FramebufferSource;
  readonly converter: PixelConverter;
  readonly out: ByteWriter;
}

/** One rectangle encoding. */
export interface RectEncoder {
  /** The RFB encoding number it produces. */
  readonly encoding: number;
  /** Appends `rect` (12-byte header and body) to `ctx.out`. */
  encodeRect(rect: Rect, ctx: EncodeContext): void;
  /**
   * How many rectangles {@link RectEncoder.encodeRect} writes for `rect` (an encoding that cuts
   * big rects, such as Tight, writes several); 1 when absent. The update's rect count adds
   * these. Called right before `encodeRect` with the same rect object and context, so an encoder
   * may keep what it worked out for it; the count must then not change.
   */
  rectCount?(rect: Rect, ctx: EncodeContext): number;
}

/** Writes a 12-byte rectangle header. */
export function writeRectHeader(out: ByteWriter, x: number, y: number, w: number, h: number, encoding: number): void {
  out.u16(x);
  out.u16(y);
  out.u16(w);
  out.u16(h);
  out.i32(encoding);
}

/** The rect count `encoder` writes for `rects` (see {@link RectEncoder.rectCount}). */
export function countEncodedRects(encoder: RectEncoder, rects: readonly Rect[], ctx: EncodeContext): number {
  if (!encoder.rectCount) return rects.length;
  let n = 0;
  for (const r of rects) n += encoder.rectCount(r, ctx);
  return n;
}
