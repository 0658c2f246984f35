/**
 * JPEG for Tight's JPEG compression type (0x90): the quality table, which client formats may
 * receive JPEG, and the encoder call.
 *
 * The compressor is jpeg-js (pure JavaScript, no dependencies, synchronous). It was chosen by
 * measurement (`docs/performance.md`, "Tight and JPEG"): sharp (libvips) is 5-10x faster but is
 * asynchronous only, which the synchronous {@link RectEncoder} interface cannot wait for, and
 * brings ~19 MB of native code; @jsquash/jpeg (mozjpeg in WebAssembly) is about 2x faster on
 * Tight-sized strips but needs an asynchronous WebAssembly start-up and ~600 kB. jpeg-js costs
 * ~116 kB and works wherever Node runs.
 */

import jpeg from 'jpeg-js';
import type { PixelFormat } from '../pixel-format.js';

/**
 * libjpeg quality for each RFB JPEG quality level 0..9 (pseudo-encodings -32..-23), the table
 * TigerVNC and TurboVNC use, so a client's level means the same thing on every server.
 */
export const TIGHT_JPEG_QUALITY: readonly number[] = [15, 29, 41, 42, 62, 77, 79, 86, 92, 100];

/**
 * True when JPEG rects may be sent to a client in `pf`: 32 bpp true colour, depth 24, 8-bit
 * channels, red and blue in bytes 2 and 0 (either way round). Those are the layouts clients
 * decode JPEG into directly (libvncclient hands them to TurboJPEG as RGBX or BGRX; noVNC and
 * TigerVNC always work in such a format); every other format gets lossless rects only.
 */
export function jpegAllowedFor(pf: PixelFormat): boolean {
  if (pf.bitsPerPixel !== 32 || pf.depth !== 24 || !pf.trueColour) return false;
  if (pf.redMax !== 255 || pf.greenMax !== 255 || pf.blueMax !== 255 || pf.greenShift !== 8) return false;
  return (pf.redShift === 16 && pf.blueShift === 0) || (pf.redShift === 0 && pf.blueShift === 16);
}

/** RGBA scratch shared by every compressor of this thread (compression is synchronous). */
let rgbaScratch = new Uint8Array(0);

/** Compresses framebuffer pixels to JPEG, swizzling into a shared RGBA scratch. */
export class TightJpegCompressor {

  /**
   * JPEG-compresses `w` x `h` pixels given in the server's native format (little-endian
   * 0x00RRGGBB, 4 bytes each, rows back to back in `native`) at libjpeg `quality` 1..100.
   */
  compress(native: Uint8Array, w: number, h: number, quality: number): Uint8Array {
    const n = w * h * 4;
    if (rgbaScratch.length < n) rgbaScratch = new Uint8Array(n);
    const rgba = rgbaScratch;
    for (let i = 0; i < n; i += 4) {
      rgba[i] = native[i + 2]!;
      rgba[i + 1] = native[i + 1]!;
      rgba[i + 2] = native[i]!;
      rgba[i + 3] = 255;
    }
    return jpeg.encode({ data: rgba.subarray(0, n), width: w, height: h }, quality).data;
  }
}
