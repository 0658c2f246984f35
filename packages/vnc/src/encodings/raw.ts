/**
 * Raw encoding (0): the pixels row by row in the client's format, read straight into the
 * output (see {@link RectPixelReader}).
 */

import { Encoding } from '../rfb.js';
import type { Rect } from '../dirty-bitmap.js';
import { type EncodeContext, type RectEncoder, writeRectHeader } from './encoder.js';
import { RectPixelReader } from './read-pixels.js';

/** The Raw encoder. */
export class RawEncoder implements RectEncoder {
  readonly encoding = Encoding.RAW;
  private readonly reader = new RectPixelReader();

  encodeRect(rect: Rect, ctx: EncodeContext): void {
    const { out, converter, framebuffer } = ctx;
    writeRectHeader(out, rect.x, rect.y, rect.w, rect.h, Encoding.RAW);
    const off = out.reserve(RectPixelReader.byteLength(rect, converter));
    this.reader.read(framebuffer, converter, rect, out.bytes, off);
  }
}
