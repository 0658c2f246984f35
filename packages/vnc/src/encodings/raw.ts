/**
 * Raw encoding (0): the pixels row by row in the client's format. Rows are read from the
 * framebuffer straight into the output when the client's format is native, or through one
 * reused scratch row otherwise.
 */

import { Encoding } from '../rfb.js';
import type { Rect } from '../dirty-bitmap.js';
import { type EncodeContext, type RectEncoder, writeRectHeader } from './encoder.js';

/** The Raw encoder. */
export class RawEncoder implements RectEncoder {
  readonly encoding = Encoding.RAW;
  private scratch = new Uint8Array(0);

  encodeRect(rect: Rect, ctx: EncodeContext): void {
    const { out, converter, framebuffer } = ctx;
    writeRectHeader(out, rect.x, rect.y, rect.w, rect.h, Encoding.RAW);
    const rowBytes = rect.w * converter.bytesPerPixel;
    let off = out.reserve(rowBytes * rect.h);
    const dst = out.bytes;
    if (converter.native) {
      for (let y = rect.y; y < rect.y + rect.h; y++, off += rowBytes) framebuffer.readRow(y, rect.x, rect.w, dst, off);
      return;
    }
    if (this.scratch.length < rect.w * 4) this.scratch = new Uint8Array(rect.w * 4);
    for (let y = rect.y; y < rect.y + rect.h; y++, off += rowBytes) {
      framebuffer.readRow(y, rect.x, rect.w, this.scratch, 0);
      converter.convert(this.scratch, 0, rect.w, dst, off);
    }
  }
}
