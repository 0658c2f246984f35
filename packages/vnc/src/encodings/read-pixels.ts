/**
 * Reading a rectangle of framebuffer pixels in the client's pixel format, row by row, into any
 * byte buffer. Raw writes them straight into the update; Zlib (and later encodings) compress
 * them first, so the reading lives here once. Native-format rows go straight from the
 * framebuffer to the destination; other formats pass through one reused scratch row.
 */

import type { Rect } from '../dirty-bitmap.js';
import type { FramebufferSource } from '../framebuffer-source.js';
import type { PixelConverter } from '../pixel-convert.js';

/** Reads rectangles in a client's format; owns the scratch row it converts through. */
export class RectPixelReader {
  private scratch = new Uint8Array(0);

  /** Bytes {@link RectPixelReader.read} writes for `rect` with `converter`. */
  static byteLength(rect: Rect, converter: PixelConverter): number {
    return rect.w * rect.h * converter.bytesPerPixel;
  }

  /**
   * Writes `rect`'s pixels, rows top to bottom, in `converter`'s format into `dst` at `dstOff`
   * (`rect.w * rect.h * converter.bytesPerPixel` bytes; `dst` must have room). `rect` must lie
   * inside the framebuffer.
   */
  read(framebuffer: FramebufferSource, converter: PixelConverter, rect: Rect, dst: Uint8Array, dstOff: number): void {
    const rowBytes = rect.w * converter.bytesPerPixel;
    let off = dstOff;
    const end = rect.y + rect.h;
    if (converter.native) {
      for (let y = rect.y; y < end; y++, off += rowBytes) framebuffer.readRow(y, rect.x, rect.w, dst, off);
      return;
    }
    if (this.scratch.length < rect.w * 4) this.scratch = new Uint8Array(rect.w * 4);
    const scratch = this.scratch;
    for (let y = rect.y; y < end; y++, off += rowBytes) {
      framebuffer.readRow(y, rect.x, rect.w, scratch, 0);
      converter.convert(scratch, 0, rect.w, dst, off);
    }
  }
}
