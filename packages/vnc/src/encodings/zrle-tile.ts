/**
 * One ZRLE tile (at most 64x64 pixels): choosing its subencoding and writing it, uncompressed.
 * {@link ZrleEncoder} cuts rectangles into tiles and compresses what this module writes.
 *
 * A tile arrives as pixels in the client's format (what Raw would send). Each pixel is also
 * read as one number, its "key": the pixel's wire bytes packed little-endian (wire byte i is
 * `(key >>> 8 * i) & 0xff`), so equal keys mean equal pixels in any format and a CPIXEL can be
 * written from a key without caring about the client's byte order.
 *
 * One pass over the keys counts the runs of equal pixels and the distinct colours (a reused
 * open-addressing hash table on typed arrays, touched only where a run starts, so a tile
 * allocates nothing; a `Map` here cost a third of the tile coding time on busy tiles). From those numbers the
 * exact size of every applicable subencoding follows, and the smallest one is written:
 * solid (one colour), packed palette (2..16 colours, 1/2/4-bit indices, rows padded to a byte),
 * palette RLE (2..127 colours), plain RLE, or raw. Runs may cross row ends, as the format allows.
 *
 * Two exceptions to "smallest", because what counts is the size after zlib: plain RLE must be
 * under a third of raw's size ({@link PLAIN_RLE_MAX_SHARE_OF_RAW}), and either RLE under half
 * of the packed palette's ({@link RLE_MAX_SHARE_OF_PACKED}). Raw CPIXELs of a busy tile,
 * and the bit patterns of a text tile, compress better than runs and length bytes do.
 */

import type { PixelFormat } from '../pixel-format.js';
import { channelBits } from '../pixel-format.js';
import { HOST_LITTLE_ENDIAN } from '../pixel-convert.js';

/**
 * Plain RLE is written only when it is smaller than this share of raw. On the `peers` video
 * workload (a full-screen plasma, every tile busy) a tile coder choosing plain RLE whenever it was
 * smaller sent 1,525,477 bytes per frame after zlib; choosing raw unless plain RLE was under a
 * third of it sent 1,470,415 (-3.6%), and took 62 instead of 72 ms per frame. Shares of 1/1.5
 * (1,502,319) and 1/6 (1,471,146) bracket it; the terminal, drag and idle workloads did not change
 * (10,471, 13,401 and 76.2 bytes per frame). TigerVNC's ZRLE encoder never uses plain RLE.
 */
export const PLAIN_RLE_MAX_SHARE_OF_RAW = 1 / 3;

/**
 * RLE (palette or plain) is written instead of a packed palette (possible up to 16 colours) only
 * when it is smaller than this share of the packed one. On the `peers` terminal workload (text in
 * two colours, scrolling) "whichever is smaller" sent 10,471 bytes per frame after zlib (Xvnc:
 * 10,046); with this rule 9,441. Shares of 1/1.5, 1/2.5 and 1/3 (palette RLE alone) sent 9,726,
 * 9,319 and 9,481; the dragged window (13,401 before) 13,241, 13,283 at 1/2, 13,452 and 13,692.
 * Text tiles repeat their glyphs' bit patterns from row to row and tile to tile, which zlib finds;
 * runs hide them.
 */
export const RLE_MAX_SHARE_OF_PACKED = 1 / 2;

/** Width and height of a ZRLE tile. */
export const ZRLE_TILE_SIZE = 64;

/** ZRLE subencoding bytes (palette types add the palette size). */
export const ZrleSubencoding = {
  RAW: 0,
  SOLID: 1,
  /** Packed palette: this plus the palette size (2..16). */
  PACKED_PALETTE: 0,
  PLAIN_RLE: 128,
  /** Palette RLE: this plus the palette size (2..127). */
  PALETTE_RLE: 128,
} as const;

/** How a CPIXEL is cut from a pixel's wire bytes: `bytes` of them, starting at `offset`. */
export interface CPixelLayout {
  readonly bytes: number;
  readonly offset: number;
}

/**
 * The CPIXEL layout for `pf`. A CPIXEL is the whole pixel, except for 32 bpp true colour with
 * depth <= 24 whose colour bits all fit in the least (or the most) significant three bytes:
 * then it is just those three bytes, in the client's byte order. When both fit (colour only in
 * the middle two bytes) the first three wire bytes are sent, as RealVNC and libvncclient do.
 */
export function cpixelLayout(pf: PixelFormat): CPixelLayout {
  const bytes = pf.bitsPerPixel >> 3;
  if (pf.bitsPerPixel !== 32 || !pf.trueColour || pf.depth > 24) return { bytes, offset: 0 };
  const channel = (max: number, shift: number): number => (((1 << channelBits(max)) - 1) << shift) >>> 0;
  const used = (channel(pf.redMax, pf.redShift) | channel(pf.greenMax, pf.greenShift) | channel(pf.blueMax, pf.blueShift)) >>> 0;
  const lowThree = (used & 0xff000000) === 0;
  const highThree = (used & 0xff) === 0;
  // Little-endian wire order puts the least significant byte first, big-endian the most.
  const lastByteFree = pf.bigEndian ? highThree : lowThree;
  const firstByteFree = pf.bigEndian ? lowThree : highThree;
  if (lastByteFree) return { bytes: 3, offset: 0 };
  if (firstByteFree) return { bytes: 3, offset: 1 };
  return { bytes, offset: 0 };
}

const MAX_PIXELS = ZRLE_TILE_SIZE * ZRLE_TILE_SIZE;
/** Largest palette a palette subencoding can carry. */
const MAX_PALETTE = 127;
/** Largest palette the packed-palette subencoding can carry. */
const MAX_PACKED_PALETTE = 16;
/** Slots of the colour hash table: a power of two, four times the most colours it holds. */
const HASH_SLOTS = 512;
const HASH_MASK = HASH_SLOTS - 1;
/** Multiplier of the colour hash (Fibonacci hashing: the top bits of key * 2^32/phi). */
const HASH_MUL = 0x9e3779b1;
const HASH_SHIFT = 32 - 9; // log2(HASH_SLOTS) top bits

/** Tile counts by chosen subencoding. */
export interface ZrleTileStats {
  solid: number;
  packedPalette: number;
  paletteRle: number;
  plainRle: number;
  raw: number;
}

/** Chooses and writes tile subencodings; owns the scratch (keys, palette) it works with. */
export class ZrleTileCoder {
  /** Tiles written so far, by subencoding. */
  readonly stats: ZrleTileStats = { solid: 0, packedPalette: 0, paletteRle: 0, plainRle: 0, raw: 0 };
  private readonly keyBuf = new Uint32Array(MAX_PIXELS);
  /** A 32-bit view of the last pixel buffer seen (the encoder passes the same one every time). */
  private pixelView: Uint32Array | undefined;
  /**
   * The colour -> palette index table: a slot is in use when its generation equals
   * {@link generation}, so starting a tile clears it in O(1) (bumping the generation).
   */
  private readonly slotKey = new Uint32Array(HASH_SLOTS);
  private readonly slotIndex = new Uint8Array(HASH_SLOTS);
  private readonly slotGen = new Uint32Array(HASH_SLOTS);
  private generation = 0;
  private readonly paletteKeys = new Uint32Array(MAX_PALETTE);
  /**
   * The tile's runs as {@link analyse} found them (length and palette index, while the palette
   * has room), so the palette writers walk runs instead of pixels and never look a colour up
   * again.
   */
  private readonly runLen = new Uint16Array(MAX_PIXELS);
  private readonly runIndex = new Uint8Array(MAX_PIXELS);
  /** Three-byte CPIXELs of a raw tile, packed four pixels to three words before one copy out. */
  private readonly packedWords = new Uint32Array((MAX_PIXELS * 3) / 4);
  private readonly packedBytes = new Uint8Array(this.packedWords.buffer);
  private paletteSize = 0;
  private runs = 0;
  private singleRuns = 0;
  private runLengthBytes = 0;

  /** The most bytes {@link ZrleTileCoder.encode} writes for `pixels` pixels of `cpixelBytes`. */
  static maxTileBytes(pixels: number, cpixelBytes: number): number {
    return 1 + pixels * cpixelBytes;
  }

  /**
   * Writes one tile of `w` x `h` pixels (`pixels`: rows back to back in the client's format,
   * `bytesPerPixel` each) into `out` at `off`, and returns the offset after it. `out` must have
   * {@link ZrleTileCoder.maxTileBytes} bytes of room. `pixels` must start 4-byte aligned.
   */
  encode(pixels: Uint8Array, w: number, h: number, bytesPerPixel: number, cp: CPixelLayout, out: Uint8Array, off: number): number {
    const n = w * h;
    const keys = this.loadKeys(pixels, n, bytesPerPixel);
    this.analyse(keys, n, cp.bytes);
    const c = cp.bytes;
    const stats = this.stats;
    if (this.paletteSize === 1) {
      stats.solid++;
      out[off] = ZrleSubencoding.SOLID;
      return writeCPixel(out, off + 1, keys[0]!, cp);
    }
    // Exact sizes (without the subencoding byte) of every applicable choice.
    const raw = n * c;
    const plainRle = this.runs * c + this.runLengthBytes;
    let best = raw;
    let choice = 0; // 0 raw, 1 packed palette, 2 palette RLE, 3 plain RLE
    if (this.paletteSize <= MAX_PACKED_PALETTE) {
      const rowBytes = (w * packedBits(this.paletteSize) + 7) >> 3;
      const packed = this.paletteSize * c + h * rowBytes;
      if (packed < best) {
        best = packed;
        choice = 1;
      }
    }
    // Either RLE beats a packed palette only when under half of it (see the constant).
    const rleCap = choice === 1 ? best * RLE_MAX_SHARE_OF_PACKED : Infinity;
    if (this.paletteSize <= MAX_PALETTE) {
      const paletteRle = this.paletteSize * c + this.runs + this.runLengthBytes - this.singleRuns;
      if (paletteRle < best && paletteRle < rleCap) {
        best = paletteRle;
        choice = 2;
      }
    }
    if (plainRle < best && plainRle < rleCap && plainRle < raw * PLAIN_RLE_MAX_SHARE_OF_RAW) choice = 3;
    switch (choice) {
      case 1:
        stats.packedPalette++;
        return this.writePackedPalette(w, h, cp, out, off);
      case 2:
        stats.paletteRle++;
        return this.writePaletteRle(cp, out, off);
      case 3:
        stats.plainRle++;
        return writePlainRle(keys, n, cp, out, off);
      default:
        stats.raw++;
        if (bytesPerPixel === 4 && cp.bytes === 3 && HOST_LITTLE_ENDIAN) return this.writeRawPacked(keys, n, cp, out, off);
        return writeRaw(pixels, n, bytesPerPixel, cp, out, off);
    }
  }

  /** The keys of the first `n` pixels: a view of the pixels themselves where the host allows. */
  private loadKeys(pixels: Uint8Array, n: number, bpp: number): Uint32Array {
    if (bpp === 4 && HOST_LITTLE_ENDIAN) {
      let view = this.pixelView;
      if (view === undefined || view.buffer !== pixels.buffer || view.byteOffset !== pixels.byteOffset || view.length < n) {
        view = this.pixelView = new Uint32Array(pixels.buffer, pixels.byteOffset, Math.max(n, Math.min(MAX_PIXELS, pixels.length >> 2)));
      }
      return view;
    }
    const keys = this.keyBuf;
    if (bpp === 1) for (let i = 0; i < n; i++) keys[i] = pixels[i]!;
    else if (bpp === 2) for (let i = 0, o = 0; i < n; i++, o += 2) keys[i] = pixels[o]! | (pixels[o + 1]! << 8);
    else for (let i = 0, o = 0; i < n; i++, o += 4) keys[i] = (pixels[o]! | (pixels[o + 1]! << 8) | (pixels[o + 2]! << 16) | (pixels[o + 3]! << 24)) >>> 0;
    return keys;
  }

  /** Counts runs, single-pixel runs, run-length bytes and colours (up to 128, meaning "too many"). */
  private analyse(keys: Uint32Array, n: number, cpixelBytes: number): void {
    // A new generation empties the table; on wrap-around the stamps start over.
    let gen = (this.generation + 1) >>> 0;
    if (gen === 0) {
      this.slotGen.fill(0);
      gen = 1;
    }
    this.generation = gen;
    const slotKey = this.slotKey;
    const slotIndex = this.slotIndex;
    const slotGen = this.slotGen;
    const paletteKeys = this.paletteKeys;
    let size = 0;
    let runs = 0;
    let singles = 0;
    let lengthBytes = 0;
    const runLen = this.runLen;
    const runIndex = this.runIndex;
    let prev = keys[0]!;
    let prevIndex = 0;
    let start = 0;
    let slot = Math.imul(prev, HASH_MUL) >>> HASH_SHIFT;
    slotGen[slot] = gen;
    slotKey[slot] = prev;
    slotIndex[slot] = 0;
    paletteKeys[size++] = prev;
    // Each pass of the outer loop closes one run: the inner loop skips the run's equal pixels
    // (the hot part: one load and one compare per pixel), past the last pixel the last run ends.
    for (let i = 1; ; ) {
      while (i < n && keys[i] === prev) i++;
      const len = i - start;
      if (size <= MAX_PALETTE) {
        // Recorded only while a palette subencoding is possible: they are what its writers use.
        runLen[runs] = len;
        runIndex[runs] = prevIndex;
      } else if (runs * (cpixelBytes + 1) >= n * cpixelBytes) {
        // Too many colours for a palette, and already more runs than plain RLE can afford
        // (each costs a CPIXEL and a length byte): raw wins, the rest need not be looked at.
        // The counts stay lower bounds, so the size comparison picks raw.
        break;
      }
      runs++;
      if (len === 1) singles++;
      lengthBytes += len <= 255 ? 1 : 1 + (((len - 1) / 255) | 0);
      if (i >= n) break;
      const k = keys[i]!;
      prev = k;
      start = i++;
      if (size <= MAX_PALETTE) {
        slot = Math.imul(k, HASH_MUL) >>> HASH_SHIFT;
        while (slotGen[slot] === gen && slotKey[slot] !== k) slot = (slot + 1) & HASH_MASK;
        if (slotGen[slot] === gen) prevIndex = slotIndex[slot]!;
        else {
          // A new colour; past the largest palette only the count goes on (to 128: "too many").
          if (size < MAX_PALETTE) {
            slotGen[slot] = gen;
            slotKey[slot] = k;
            slotIndex[slot] = size;
            paletteKeys[size] = k;
            prevIndex = size;
          }
          size++;
        }
      }
    }
    this.paletteSize = size;
    this.runs = runs;
    this.singleRuns = singles;
    this.runLengthBytes = lengthBytes;
  }

  /**
   * A raw tile of 3-byte CPIXELs from 4-byte keys: four pixels become three 32-bit words in a
   * scratch buffer (a quarter of the stores of writing byte by byte), copied out at once. Keys
   * are wire bytes packed little-endian, and the words are stored in host order, so this runs
   * only on little-endian hosts (where the keys are a view of the pixels); `n` may be any count.
   */
  private writeRawPacked(keys: Uint32Array, n: number, cp: CPixelLayout, out: Uint8Array, off: number): number {
    out[off++] = ZrleSubencoding.RAW;
    const words = this.packedWords;
    const shift = 8 * cp.offset;
    const quads = n >> 2;
    let i = 0;
    let w = 0;
    for (let q = 0; q < quads; q++, i += 4, w += 3) {
      const p0 = keys[i]! >>> shift;
      const p1 = keys[i + 1]! >>> shift;
      const p2 = keys[i + 2]! >>> shift;
      const p3 = keys[i + 3]! >>> shift;
      words[w] = (p0 & 0xffffff) | (p1 << 24);
      words[w + 1] = ((p1 >>> 8) & 0xffff) | (p2 << 16);
      words[w + 2] = ((p2 >>> 16) & 0xff) | (p3 << 8);
    }
    const bytes = this.packedBytes;
    let b = w * 4;
    for (; i < n; i++) {
      const p = keys[i]! >>> shift;
      bytes[b++] = p;
      bytes[b++] = p >>> 8;
      bytes[b++] = p >>> 16;
    }
    out.set(bytes.subarray(0, b), off);
    return off + b;
  }

  private writePalette(type: number, cp: CPixelLayout, out: Uint8Array, off: number): number {
    out[off++] = type;
    for (let i = 0; i < this.paletteSize; i++) off = writeCPixel(out, off, this.paletteKeys[i]!, cp);
    return off;
  }

  private writePackedPalette(w: number, h: number, cp: CPixelLayout, out: Uint8Array, off: number): number {
    off = this.writePalette(ZrleSubencoding.PACKED_PALETTE + this.paletteSize, cp, out, off);
    const bits = packedBits(this.paletteSize);
    const runLen = this.runLen;
    const runIndex = this.runIndex;
    // Runs cross row ends; rows are padded to a whole byte.
    let r = 0;
    let left = runLen[0]!;
    let index = runIndex[0]!;
    for (let y = 0; y < h; y++) {
      let acc = 0;
      let filled = 0;
      for (let x = 0; x < w; x++) {
        if (left === 0) {
          r++;
          left = runLen[r]!;
          index = runIndex[r]!;
        }
        left--;
        acc = (acc << bits) | index;
        filled += bits;
        if (filled === 8) {
          out[off++] = acc;
          acc = 0;
          filled = 0;
        }
      }
      if (filled > 0) out[off++] = acc << (8 - filled);
    }
    return off;
  }

  private writePaletteRle(cp: CPixelLayout, out: Uint8Array, off: number): number {
    off = this.writePalette(ZrleSubencoding.PALETTE_RLE + this.paletteSize, cp, out, off);
    const runLen = this.runLen;
    const runIndex = this.runIndex;
    for (let r = 0, runs = this.runs; r < runs; r++) {
      const len = runLen[r]!;
      if (len === 1) out[off++] = runIndex[r]!;
      else {
        out[off++] = runIndex[r]! | 0x80;
        off = writeRunLength(out, off, len);
      }
    }
    return off;
  }

}

/** Index width of a packed palette of `size` colours. */
function packedBits(size: number): number {
  return size <= 2 ? 1 : size <= 4 ? 2 : 4;
}

/** Writes the CPIXEL of `key` (wire bytes packed little-endian). */
function writeCPixel(out: Uint8Array, off: number, key: number, cp: CPixelLayout): number {
  for (let b = cp.offset, end = cp.offset + cp.bytes; b < end; b++) out[off++] = key >>> (8 * b);
  return off;
}

/** A run length: (len - 1) as 255s and a final byte below 255. */
function writeRunLength(out: Uint8Array, off: number, len: number): number {
  let v = len - 1;
  while (v >= 255) {
    out[off++] = 255;
    v -= 255;
  }
  out[off++] = v;
  return off;
}

function writePlainRle(keys: Uint32Array, n: number, cp: CPixelLayout, out: Uint8Array, off: number): number {
  out[off++] = ZrleSubencoding.PLAIN_RLE;
  for (let start = 0; start < n; ) {
    const k = keys[start]!;
    let end = start + 1;
    while (end < n && keys[end] === k) end++;
    off = writeRunLength(out, writeCPixel(out, off, k, cp), end - start);
    start = end;
  }
  return off;
}

function writeRaw(pixels: Uint8Array, n: number, bpp: number, cp: CPixelLayout, out: Uint8Array, off: number): number {
  out[off++] = ZrleSubencoding.RAW;
  if (cp.bytes === bpp) {
    out.set(pixels.subarray(0, n * bpp), off);
    return off + n * bpp;
  }
  for (let i = 0, s = cp.offset; i < n; i++, s += bpp) {
    out[off++] = pixels[s]!;
    out[off++] = pixels[s + 1]!;
    out[off++] = pixels[s + 2]!;
  }
  return off;
}
