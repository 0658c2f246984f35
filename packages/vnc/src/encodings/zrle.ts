/**
 * ZRLE encoding (16): the rectangle is cut into 64x64 tiles (left to right, top to bottom; the
 * last column and row may be smaller), each tile is written with the subencoding that makes it
 * smallest (see {@link ZrleTileCoder}), and all of the rectangle's tile data goes through the
 * connection's ZRLE deflate stream, ending with a sync flush. On the wire: the rectangle
 * header, a u32 big-endian byte count, then that many compressed bytes.
 *
 * Like Zlib's, the deflate stream lives as long as the connection (the client keeps one
 * inflater for it), but it is ZRLE's own: a client keeps a separate inflater per encoding, so
 * a connection that switches between Zlib and ZRLE needs one stream for each. Never share an
 * instance between connections. Tiles are read into one reused scratch and written into one
 * reused body buffer, so steady state allocates nothing.
 */

import { Encoding } from '../rfb.js';
import type { Rect } from '../dirty-bitmap.js';
import { type DeflateBackend, type DeflateStream, DEFAULT_DEFLATE_BACKEND, createDeflateStream } from '../deflate.js';
import type { PixelFormat } from '../pixel-format.js';
import { type EncodeContext, type RectEncoder, writeRectHeader } from './encoder.js';
import { RectPixelReader } from './read-pixels.js';
import { type CPixelLayout, type ZrleTileStats, ZRLE_TILE_SIZE, ZrleTileCoder, cpixelLayout } from './zrle-tile.js';

export * from './zrle-tile.js';

/** Options for a {@link ZrleEncoder}. */
export interface ZrleEncoderOptions {
  /** Compressor implementation; default {@link DEFAULT_DEFLATE_BACKEND}. */
  backend?: DeflateBackend;
  /** zlib level 0..9; default 1 (fast), as the Zlib encoder. */
  level?: number;
}

/** The ZRLE encoder: one instance, and so one deflate stream, per connection. */
export class ZrleEncoder implements RectEncoder {
  readonly encoding = Encoding.ZRLE;
  private readonly reader = new RectPixelReader();
  private readonly tiles = new ZrleTileCoder();
  private readonly stream: DeflateStream;
  /** One tile's pixels in the client's format. */
  private readonly tilePixels = new Uint8Array(ZRLE_TILE_SIZE * ZRLE_TILE_SIZE * 4);
  private readonly tileRect: Rect = { x: 0, y: 0, w: 0, h: 0 };
  /** The rectangle's uncompressed ZRLE data. */
  private body = new Uint8Array(64 * 1024);
  private layoutFormat: PixelFormat | undefined;
  private layout: CPixelLayout = { bytes: 4, offset: 0 };
  /** Uncompressed ZRLE bytes (tile data) fed to the stream so far. */
  bytesIn = 0;
  /** Compressed bytes produced so far (excluding headers and length fields). */
  bytesOut = 0;

  constructor(options: ZrleEncoderOptions = {}) {
    this.stream = createDeflateStream(options.backend ?? DEFAULT_DEFLATE_BACKEND, options.level ?? 1);
  }

  /** Tiles written so far, by the subencoding chosen for them. */
  get tileStats(): Readonly<ZrleTileStats> {
    return this.tiles.stats;
  }

  encodeRect(rect: Rect, ctx: EncodeContext): void {
    const { out, converter, framebuffer } = ctx;
    if (converter.format !== this.layoutFormat) {
      this.layoutFormat = converter.format;
      this.layout = cpixelLayout(converter.format);
    }
    const cp = this.layout;
    const bpp = converter.bytesPerPixel;
    const tile = this.tileRect;
    const pixels = this.tilePixels;
    let len = 0;
    for (let ty = 0; ty < rect.h; ty += ZRLE_TILE_SIZE) {
      tile.y = rect.y + ty;
      tile.h = Math.min(ZRLE_TILE_SIZE, rect.h - ty);
      for (let tx = 0; tx < rect.w; tx += ZRLE_TILE_SIZE) {
        tile.x = rect.x + tx;
        tile.w = Math.min(ZRLE_TILE_SIZE, rect.w - tx);
        this.reader.read(framebuffer, converter, tile, pixels, 0);
        const need = len + ZrleTileCoder.maxTileBytes(tile.w * tile.h, cp.bytes);
        if (need > this.body.length) this.growBody(need, len);
        len = this.tiles.encode(pixels, tile.w, tile.h, bpp, cp, this.body, len);
      }
    }
    writeRectHeader(out, rect.x, rect.y, rect.w, rect.h, Encoding.ZRLE);
    // An empty rectangle has no tiles: length 0, and the stream is left alone.
    if (len === 0) {
      out.u32(0);
      return;
    }
    const compressed = this.stream.push(this.body.subarray(0, len));
    out.u32(compressed.length);
    out.bytesFrom(compressed);
    this.bytesIn += len;
    this.bytesOut += compressed.length;
  }

  /** Releases the deflate stream (call when the connection closes). */
  close(): void {
    this.stream.close();
  }

  private growBody(need: number, keep: number): void {
    let cap = this.body.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.body.subarray(0, keep));
    this.body = next;
  }
}
