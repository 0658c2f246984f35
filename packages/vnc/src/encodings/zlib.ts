/**
 * Zlib encoding (6), as OpenVMM emits it: the rectangle header, a u32 big-endian byte count,
 * then that many bytes of the connection's single deflate stream, which carry the rectangle's
 * pixels row by row in the client's format (what Raw would send) and end with a sync flush.
 *
 * The deflate stream is per connection and continuous (the client keeps one inflater for the
 * whole session), so each encoder instance owns one {@link DeflateStream}: never share an
 * instance between connections, and never recreate it while the connection lives. Pixels are
 * gathered into one reused buffer, so steady state allocates nothing.
 */

import { Encoding } from '../rfb.js';
import type { Rect } from '../dirty-bitmap.js';
import { type DeflateBackend, type DeflateStream, DEFAULT_DEFLATE_BACKEND, createDeflateStream } from '../deflate.js';
import { type EncodeContext, type RectEncoder, writeRectHeader } from './encoder.js';
import { RectPixelReader } from './read-pixels.js';

/** Options for a {@link ZlibEncoder}. */
export interface ZlibEncoderOptions {
  /** Compressor implementation; default {@link DEFAULT_DEFLATE_BACKEND}. */
  backend?: DeflateBackend;
  /** zlib level 0..9; default 1 (fast), as OpenVMM. */
  level?: number;
}

/** The Zlib encoder: one instance, and so one deflate stream, per connection. */
export class ZlibEncoder implements RectEncoder {
  readonly encoding = Encoding.ZLIB;
  private readonly reader = new RectPixelReader();
  private readonly stream: DeflateStream;
  private pixels = new Uint8Array(0);
  /** Uncompressed pixel bytes fed to the stream so far. */
  bytesIn = 0;
  /** Compressed bytes produced so far (excluding headers and length fields). */
  bytesOut = 0;

  constructor(options: ZlibEncoderOptions = {}) {
    this.stream = createDeflateStream(options.backend ?? DEFAULT_DEFLATE_BACKEND, options.level ?? 1);
  }

  encodeRect(rect: Rect, ctx: EncodeContext): void {
    const { out, converter, framebuffer } = ctx;
    const n = RectPixelReader.byteLength(rect, converter);
    if (this.pixels.length < n) this.pixels = new Uint8Array(Math.max(n, this.pixels.length * 2));
    this.reader.read(framebuffer, converter, rect, this.pixels, 0);
    const compressed = this.stream.push(this.pixels.subarray(0, n));
    writeRectHeader(out, rect.x, rect.y, rect.w, rect.h, Encoding.ZLIB);
    out.u32(compressed.length);
    out.bytesFrom(compressed);
    this.bytesIn += n;
    this.bytesOut += compressed.length;
  }

  /** Releases the deflate stream (call when the connection closes). */
  close(): void {
    this.stream.close();
  }
}
