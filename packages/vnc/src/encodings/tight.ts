/**
 * Tight encoding (7), per the rfbproto description, as TigerVNC produces it.
 *
 * A rect is cut into sub-rects at most {@link TIGHT_MAX_WIDTH} pixels wide and
 * {@link TIGHT_MAX_AREA} pixels large (the width limit is the protocol's, the area
 * TigerVNC's; {@link TIGHT_MAX_AREA_JPEG} while JPEG may be sent), along 64x64 tiles so one-
 * and two-colour areas become pieces of their own ({@link TightPlanner}),
 * and each sub-rect goes out as its own Tight rect, so one dirty rect may count as several in
 * the update ({@link TightEncoder.rectCount}). Each sub-rect is written with the first that fits:
 * - fill (control 0x80): one colour, sent as one TPIXEL;
 * - mono palette (stream 1): two colours, one bit per pixel, rows padded to a byte;
 * - indexed palette (stream 2): up to `maxColours` colours (from the compression level, as
 *   TigerVNC: the area / (8 x level), or 24 / 96 while JPEG is on), one byte per pixel;
 * - JPEG (control 0x90): full colour when the client sent a quality level and its pixel format
 *   takes JPEG ({@link jpegAllowedFor});
 * - copy filter (stream 0): full colour, TPIXELs row by row.
 * The gradient filter is not produced (it is optional, and JPEG covers photo-like content).
 *
 * TPIXEL is 3 bytes (red, green, blue) when the client's format is 32 bpp true colour, depth 24,
 * 8 bits per channel; otherwise it is the whole pixel in the client's format. Palette and copy
 * data under 12 bytes are sent as they are; longer data goes through the sub-encoding's zlib
 * stream (sync-flushed, so each rect decodes at once), preceded by its compact length.
 *
 * The zlib streams (0 copy, 1 mono, 2 indexed; 3, the gradient filter's, stays unused) live as
 * long as the connection, like the client's inflaters. When
 * the compression level changes a stream's zlib level, that stream is replaced by a new one and
 * the next control byte carries its reset bit, so the client starts a new inflater too.
 */

import type { Rect } from '../dirty-bitmap.js';
import { type DeflateBackend, type DeflateStream, DEFAULT_DEFLATE_BACKEND, createDeflateStream } from '../deflate.js';
import type { PixelFormat } from '../pixel-format.js';
import { HOST_LITTLE_ENDIAN } from '../pixel-convert.js';
import { Encoding } from '../rfb.js';
import type { ByteWriter } from '../byte-writer.js';
import { type EncodeContext, type RectEncoder, writeRectHeader } from './encoder.js';
import { RectPixelReader } from './read-pixels.js';
import { TIGHT_JPEG_QUALITY, TightJpegCompressor, jpegAllowedFor } from './tight-jpeg.js';
import { TightPalette } from './tight-palette.js';
import { TightPlanner } from './tight-plan.js';

export { TIGHT_JPEG_QUALITY, jpegAllowedFor } from './tight-jpeg.js';

/** Widest Tight rect the protocol allows. */
export const TIGHT_MAX_WIDTH = 2048;
/** Largest sub-rect area we send (TigerVNC's choice; it bounds the per-rect work and buffers). */
export const TIGHT_MAX_AREA = 65536;
/**
 * Scratch shared by every Tight encoder of this thread. Encoding is synchronous, so no two
 * encoders ever use it at once, and a connection costs no scratch of its own (512 KiB, 2 MiB
 * with JPEG's larger pieces, would otherwise be per client). `pixels` holds a sub-rect's pixels,
 * native (3-byte TPIXEL, JPEG) or in the client's format; once the keys are made, the palette
 * and 3-byte copy data are written over it (4 bytes per pixel held, at most 3 needed).
 */
const SCRATCH = { pixels: new Uint8Array(0), keys: new Uint32Array(0), keyBytes: new Uint8Array(0) };

/**
 * Largest sub-rect area while JPEG may be sent: 4x larger, because jpeg-js spends ~18 ms
 * setting up its tables on every call, so a 1080p frame costs ~0.8 s in 65536-px pieces and
 * ~0.35 s in these (docs/performance.md). Clients limit only the width (2048).
 */
export const TIGHT_MAX_AREA_JPEG = 4 * TIGHT_MAX_AREA;
/** Shorter palette or copy data is sent without zlib (the protocol's threshold). */
export const TIGHT_MIN_TO_COMPRESS = 12;
/** Compression level used when the client sent none (TigerVNC's default). */
export const TIGHT_DEFAULT_COMPRESS_LEVEL = 2;

/** Tight control-byte values (high nibble; the low nibble holds stream reset bits). */
export const TightControl = {
  FILL: 0x80,
  JPEG: 0x90,
  /** Basic compression: OR in the stream number << 4. */
  BASIC: 0x00,
  /** Basic compression with a filter-id byte following. */
  EXPLICIT_FILTER: 0x40,
} as const;

/** Tight filter ids. */
export const TightFilter = { COPY: 0, PALETTE: 1, GRADIENT: 2 } as const;

/** The zlib stream each basic sub-encoding uses (as TigerVNC and libvncserver). */
const STREAM_COPY = 0;
const STREAM_MONO = 1;
const STREAM_INDEXED = 2;

/** zlib levels per compression level 0..9, indexed by stream: [copy, mono, indexed] (TigerVNC's table). */
const ZLIB_LEVELS: readonly (readonly [number, number, number])[] = [
  [0, 0, 0], [1, 1, 1], [2, 3, 3], [2, 5, 5], [3, 7, 6],
  [4, 8, 7], [5, 8, 7], [6, 9, 8], [7, 9, 9], [9, 9, 9],
];

/** Sub-rects written so far, by how they were written. */
export interface TightStats {
  fill: number;
  mono: number;
  indexed: number;
  copy: number;
  jpeg: number;
}

/** Options for a {@link TightEncoder}. */
export interface TightEncoderOptions {
  /** Compressor implementation; default {@link DEFAULT_DEFLATE_BACKEND}. */
  backend?: DeflateBackend;
}

/** Writes a Tight compact length (1 to 3 bytes, 7 bits each, least significant first). */
export function writeCompactLength(out: ByteWriter, n: number): void {
  if (n < 0x80) {
    out.u8(n);
  } else if (n < 0x4000) {
    out.u8((n & 0x7f) | 0x80);
    out.u8(n >>> 7);
  } else {
    out.u8((n & 0x7f) | 0x80);
    out.u8(((n >>> 7) & 0x7f) | 0x80);
    out.u8(n >>> 14);
  }
}

/** True when `pf`'s TPIXEL is 3 bytes (red, green, blue) rather than the whole pixel. */
export function tpixelIs24(pf: PixelFormat): boolean {
  return pf.bitsPerPixel === 32 && pf.depth === 24 && pf.trueColour && pf.redMax === 255 && pf.greenMax === 255 && pf.blueMax === 255;
}

/** The Tight encoder: one instance, and so one set of four zlib streams, per connection. */
export class TightEncoder implements RectEncoder {
  readonly encoding = Encoding.TIGHT;
  /** Sub-rects written so far, by kind. */
  readonly stats: TightStats = { fill: 0, mono: 0, indexed: 0, copy: 0, jpeg: 0 };
  private readonly backend: DeflateBackend;
  private readonly reader = new RectPixelReader();
  private readonly palette = new TightPalette();
  private readonly jpeg = new TightJpegCompressor();
  private readonly streams: (DeflateStream | undefined)[] = [undefined, undefined, undefined, undefined];
  private readonly streamLevels = [-1, -1, -1, -1];
  /** Reset bits owed to the client: streams replaced since the last control byte. */
  private pendingResets = 0;
  private compressLevel = TIGHT_DEFAULT_COMPRESS_LEVEL;
  private quality: number | undefined;
  /** Sub-rects sent as JPEG since the last {@link TightEncoder.takeLossy}. */
  private lossyRects: Rect[] = [];
  /**
   * While true no JPEG is sent: the update is the lossless refresh of areas that went out as
   * JPEG and have stopped changing (as TigerVNC does), so they end pixel-exact.
   */
  lossless = false;
  /** The sub-rect's pixels (see {@link SCRATCH}). */
  private get pixels(): Uint8Array {
    return SCRATCH.pixels;
  }

  /** One key per pixel: equal keys exactly when the pixels are equal. */
  private get keys(): Uint32Array {
    return SCRATCH.keys;
  }
  private readonly planner = new TightPlanner();
  /** Cuts planned by rectCount, by rect object, until encodeRect uses them. */
  private readonly planned = new WeakMap<Rect, Rect & { readonly pieces: readonly Rect[] }>();

  constructor(options: TightEncoderOptions = {}) {
    this.backend = options.backend ?? DEFAULT_DEFLATE_BACKEND;
  }

  /**
   * Applies the client's compression level (0..9, pseudo-encodings -256..-247; undefined for
   * the default) and JPEG quality level (0..9, pseudo-encodings -32..-23; undefined for
   * lossless only).
   */
  setLevels(compressLevel: number | undefined, qualityLevel: number | undefined): void {
    this.compressLevel = compressLevel ?? TIGHT_DEFAULT_COMPRESS_LEVEL;
    // A stream at another zlib level is replaced: dropped here, and the reset bit goes in the
    // next control byte, which precedes the new stream's first use.
    const levels = ZLIB_LEVELS[this.compressLevel]!;
    for (let id = 0; id < 3; id++) {
      const s = this.streams[id];
      if (!s || this.streamLevels[id] === levels[id]) continue;
      s.close();
      this.streams[id] = undefined;
      this.pendingResets |= 1 << id;
    }
    this.quality = qualityLevel === undefined ? undefined : TIGHT_JPEG_QUALITY[qualityLevel];
  }

  /**
   * How many Tight rects {@link TightEncoder.encodeRect} writes for `rect`. The cut is planned
   * here ({@link TightPlanner}) and kept for the `encodeRect` call with the same rect object,
   * so the count holds even if the pixels change in between.
   */
  rectCount(rect: Rect, ctx: EncodeContext): number {
    if (rect.w === 0 || rect.h === 0) return 1;
    const pieces = this.planner.plan(ctx.framebuffer, rect, TIGHT_MAX_WIDTH, this.maxArea(ctx.converter.format));
    this.planned.set(rect, { x: rect.x, y: rect.y, w: rect.w, h: rect.h, pieces });
    return pieces.length;
  }

  /** The sub-rect area limit for a client in `format`. */
  private maxArea(format: PixelFormat): number {
    return this.jpegOn(format) ? TIGHT_MAX_AREA_JPEG : TIGHT_MAX_AREA;
  }

  /** Whether JPEG may be sent to a client in `format` now. */
  private jpegOn(format: PixelFormat): boolean {
    return !this.lossless && this.quality !== undefined && jpegAllowedFor(format);
  }

  /** The sub-rects sent as JPEG since the last call (then forgotten). */
  takeLossy(): Rect[] {
    const out = this.lossyRects;
    this.lossyRects = [];
    return out;
  }

  encodeRect(rect: Rect, ctx: EncodeContext): void {
    if (rect.w === 0 || rect.h === 0) {
      // Nothing to cut: an empty copy rect (no data bytes) keeps the count rectCount promised.
      writeRectHeader(ctx.out, rect.x, rect.y, rect.w, rect.h, Encoding.TIGHT);
      ctx.out.u8(this.control(TightControl.BASIC | (STREAM_COPY << 4)));
      return;
    }
    const kept = this.planned.get(rect);
    this.planned.delete(rect);
    const same = kept !== undefined && kept.x === rect.x && kept.y === rect.y && kept.w === rect.w && kept.h === rect.h;
    const pieces = same ? kept.pieces : this.planner.plan(ctx.framebuffer, rect, TIGHT_MAX_WIDTH, this.maxArea(ctx.converter.format));
    for (const piece of pieces) this.encodeSubRect(piece, ctx);
  }

  /** Sizes the shared scratch buffers for sub-rects of `n` pixels (grown on first use, then kept). */
  private grow(n: number): void {
    SCRATCH.pixels = new Uint8Array(n * 4);
    SCRATCH.keys = new Uint32Array(n);
    SCRATCH.keyBytes = new Uint8Array(SCRATCH.keys.buffer);
  }

  /** Releases the zlib streams (call when the connection closes). */
  close(): void {
    for (let i = 0; i < 4; i++) {
      this.streams[i]?.close();
      this.streams[i] = undefined;
    }
  }

  private encodeSubRect(r: Rect, ctx: EncodeContext): void {
    const { out, converter } = ctx;
    const pf = converter.format;
    const is24 = tpixelIs24(pf);
    const n = r.w * r.h;
    if (this.keys.length < n) this.grow(n);
    this.gather(r, ctx, is24);
    const jpegOn = this.jpegOn(pf);
    const level = this.compressLevel;
    let maxColours = Math.floor(n / Math.max(4, level * 8));
    if (jpegOn) maxColours = level < 2 ? 24 : 96;
    const colours = this.palette.build(this.keys, n, Math.max(2, maxColours));
    writeRectHeader(out, r.x, r.y, r.w, r.h, Encoding.TIGHT);
    const bpp = is24 ? 3 : converter.bytesPerPixel;
    if (colours === 1) {
      out.u8(this.control(TightControl.FILL));
      this.writeTpixel(out, this.keys[0]!, bpp);
      this.stats.fill++;
    } else if (colours >= 2) {
      const mono = colours === 2;
      const stream = mono ? STREAM_MONO : STREAM_INDEXED;
      out.u8(this.control(TightControl.EXPLICIT_FILTER | (stream << 4)));
      out.u8(TightFilter.PALETTE);
      out.u8(colours - 1);
      for (let i = 0; i < colours; i++) this.writeTpixel(out, this.palette.colours[i]!, bpp);
      const len = mono ? this.palette.writeBitmap(this.keys, r.w, r.h, this.pixels, 0) : this.palette.writeIndices(this.keys, n, this.pixels, 0);
      this.writeData(out, stream, this.pixels.subarray(0, len));
      if (mono) this.stats.mono++;
      else this.stats.indexed++;
    } else if (jpegOn) {
      // With 3-byte TPIXELs on a little-endian host the keys are the native pixels (see gather).
      const data = this.jpeg.compress(is24 && HOST_LITTLE_ENDIAN ? SCRATCH.keyBytes : this.pixels, r.w, r.h, this.quality!);
      out.u8(this.control(TightControl.JPEG));
      writeCompactLength(out, data.length);
      out.bytesFrom(data);
      this.stats.jpeg++;
      this.lossyRects.push({ x: r.x, y: r.y, w: r.w, h: r.h });
    } else {
      out.u8(this.control(TightControl.BASIC | (STREAM_COPY << 4)));
      this.writeData(out, STREAM_COPY, this.copyData(n, bpp, is24));
      this.stats.copy++;
    }
  }

  /**
   * Reads the sub-rect into `keys` (and `pixels`). With a 3-byte TPIXEL the native pixels are
   * read (8-bit channels convert to themselves, so red, green and blue are the native ones) and
   * the key is 0xRRGGBB; on a little-endian host they are read into the keys directly, and
   * `pixels` is left alone. Otherwise the client-format pixels are read into `pixels` and the
   * key packs the pixel's wire bytes little-endian (wire byte i is `key >>> 8i & 0xff`).
   */
  private gather(r: Rect, ctx: EncodeContext, is24: boolean): void {
    const { framebuffer, converter } = ctx;
    const n = r.w * r.h;
    const px = this.pixels;
    const keys = this.keys;
    if (is24) {
      const rowBytes = r.w * 4;
      if (HOST_LITTLE_ENDIAN) {
        // Native pixels are 0x00RRGGBB little-endian: read straight into the keys, whose
        // padding byte is then masked off. The key bytes are then the native pixels (with 0
        // padding), which is what JPEG reads.
        const dst = SCRATCH.keyBytes;
        for (let y = 0, off = 0; y < r.h; y++, off += rowBytes) framebuffer.readRow(r.y + y, r.x, r.w, dst, off);
        for (let i = 0; i < n; i++) keys[i] = keys[i]! & 0xffffff;
        return;
      }
      for (let y = 0, off = 0; y < r.h; y++, off += rowBytes) framebuffer.readRow(r.y + y, r.x, r.w, px, off);
      for (let i = 0, o = 0; i < n; i++, o += 4) keys[i] = px[o]! | (px[o + 1]! << 8) | (px[o + 2]! << 16);
      return;
    }
    this.reader.read(framebuffer, converter, r, px, 0);
    const bpp = converter.bytesPerPixel;
    if (bpp === 1) {
      for (let i = 0; i < n; i++) keys[i] = px[i]!;
    } else if (bpp === 2) {
      for (let i = 0, o = 0; i < n; i++, o += 2) keys[i] = px[o]! | (px[o + 1]! << 8);
    } else {
      for (let i = 0, o = 0; i < n; i++, o += 4) keys[i] = (px[o]! | (px[o + 1]! << 8) | (px[o + 2]! << 16) | (px[o + 3]! << 24)) >>> 0;
    }
  }

  /** The copy filter's data: TPIXELs row by row. */
  private copyData(n: number, bpp: number, is24: boolean): Uint8Array {
    if (!is24) return this.pixels.subarray(0, n * bpp);
    const body = this.pixels;
    const keys = this.keys;
    for (let i = 0, o = 0; i < n; i++, o += 3) {
      const k = keys[i]!;
      body[o] = k >>> 16;
      body[o + 1] = k >>> 8;
      body[o + 2] = k;
    }
    return body.subarray(0, n * 3);
  }

  private writeTpixel(out: ByteWriter, key: number, bpp: number): void {
    if (bpp === 3) {
      out.u8((key >>> 16) & 0xff);
      out.u8((key >>> 8) & 0xff);
      out.u8(key & 0xff);
      return;
    }
    for (let b = 0; b < bpp; b++) out.u8((key >>> (8 * b)) & 0xff);
  }

  /** A control byte with any reset bits owed to the client. */
  private control(value: number): number {
    const c = value | this.pendingResets;
    this.pendingResets = 0;
    return c;
  }

  /** Palette or copy data: as is when short, else compact length and zlib stream `id`. */
  private writeData(out: ByteWriter, id: number, data: Uint8Array): void {
    if (data.length < TIGHT_MIN_TO_COMPRESS) {
      out.bytesFrom(data);
      return;
    }
    const compressed = this.stream(id).push(data);
    writeCompactLength(out, compressed.length);
    out.bytesFrom(compressed);
  }

  /** Stream `id`, created at its zlib level on first use. */
  private stream(id: number): DeflateStream {
    let s = this.streams[id];
    if (s) return s;
    const level = ZLIB_LEVELS[this.compressLevel]![id];
    s = createDeflateStream(this.backend, level);
    this.streams[id] = s;
    this.streamLevels[id] = level;
    return s;
  }
}
