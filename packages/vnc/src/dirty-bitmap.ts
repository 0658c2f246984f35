/**
 * `DirtyBitmap`: which 16x16-pixel tiles of the screen need sending.
 *
 * One bit per tile, row-major, packed LSB-first into 32-bit words with no padding between tile
 * rows (about 1 KiB at 1920x1080: 120 x 68 = 8160 tiles). Marking a wide rectangle fills whole
 * words at once. {@link DirtyBitmap.toRects} merges dirty tiles into few rectangles with a
 * single greedy pass: take the run of dirty tiles to the right, extend it downward while every
 * tile of the run is dirty in the next row, emit, clear, continue. A full bitmap gives one rect,
 * a checkerboard one rect per tile; rects are clipped to the frame at the right/bottom edges.
 */

import type { DirtyRect } from '@openvmm-vnc-ts/video-core';

/** Tile edge in pixels. */
export const TILE_SIZE = 16;
const TILE_SHIFT = 4;

/** A rectangle in pixels: origin and size (what RFB rect headers carry). */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A bitmap of dirty tiles over a `width` x `height` surface. */
export class DirtyBitmap {
  private _width = 0;
  private _height = 0;
  private _tilesX = 0;
  private _tilesY = 0;
  private bits = new Uint32Array(0);
  private scratch = new Uint32Array(0);

  /** A bitmap for the given size with every tile dirty (a new surface must be sent whole). */
  constructor(width: number, height: number) {
    this.resize(width, height);
  }

  /** Surface width in pixels. */
  get width(): number {
    return this._width;
  }
  /** Surface height in pixels. */
  get height(): number {
    return this._height;
  }
  /** Tiles per row. */
  get tilesX(): number {
    return this._tilesX;
  }
  /** Tile rows. */
  get tilesY(): number {
    return this._tilesY;
  }

  /** Changes the surface size; every tile becomes dirty. */
  resize(width: number, height: number): void {
    this._width = Math.max(0, width | 0);
    this._height = Math.max(0, height | 0);
    this._tilesX = (this._width + TILE_SIZE - 1) >> TILE_SHIFT;
    this._tilesY = (this._height + TILE_SIZE - 1) >> TILE_SHIFT;
    const words = (this._tilesX * this._tilesY + 31) >>> 5;
    if (this.bits.length !== words) {
      this.bits = new Uint32Array(words);
      this.scratch = new Uint32Array(words);
    }
    this.markAll();
  }

  /** Marks every tile dirty. */
  markAll(): void {
    const n = this._tilesX * this._tilesY;
    this.bits.fill(0xffffffff);
    const tail = n & 31;
    if (tail !== 0) this.bits[this.bits.length - 1] = (1 << tail) - 1;
  }

  /** Clears every tile. */
  clear(): void {
    this.bits.fill(0);
  }

  /** True when no tile is dirty. */
  isEmpty(): boolean {
    for (let i = 0; i < this.bits.length; i++) if (this.bits[i] !== 0) return false;
    return true;
  }

  /** Number of dirty tiles. */
  count(): number {
    let c = 0;
    for (let i = 0; i < this.bits.length; i++) {
      let v = this.bits[i]!;
      v = v - ((v >>> 1) & 0x55555555);
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      c += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
    }
    return c;
  }

  /** Marks tile (`tx`, `ty`); out-of-range tiles are ignored. */
  setTile(tx: number, ty: number): void {
    if (tx < 0 || ty < 0 || tx >= this._tilesX || ty >= this._tilesY) return;
    const i = ty * this._tilesX + tx;
    this.bits[i >>> 5]! |= 1 << (i & 31);
  }

  /** True when tile (`tx`, `ty`) is dirty. */
  isTileDirty(tx: number, ty: number): boolean {
    if (tx < 0 || ty < 0 || tx >= this._tilesX || ty >= this._tilesY) return false;
    const i = ty * this._tilesX + tx;
    return (this.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  /**
   * Marks every tile touched by the pixel rectangle `left..right` x `top..bottom` (right/bottom
   * exclusive). Any input is safe: edges are clamped to the surface before use, and an empty
   * rectangle marks nothing.
   */
  markRect(left: number, top: number, right: number, bottom: number): void {
    const l = clamp(left, this._width);
    const t = clamp(top, this._height);
    const r = clamp(right, this._width);
    const b = clamp(bottom, this._height);
    if (l >= r || t >= b) return;
    const tx0 = l >> TILE_SHIFT;
    const tx1 = (r - 1) >> TILE_SHIFT;
    const ty1 = (b - 1) >> TILE_SHIFT;
    for (let ty = t >> TILE_SHIFT; ty <= ty1; ty++) this.fillBits(ty * this._tilesX + tx0, tx1 - tx0 + 1);
  }

  /**
   * Clears every tile lying wholly inside the pixel rectangle `left..right` x `top..bottom`
   * (right/bottom exclusive; a tile cut by the frame's right or bottom edge counts as inside when
   * the rectangle reaches that edge). Tiles the rectangle only partly covers stay as they are.
   */
  clearInside(left: number, top: number, right: number, bottom: number): void {
    const l = clamp(left, this._width);
    const t = clamp(top, this._height);
    const r = clamp(right, this._width);
    const b = clamp(bottom, this._height);
    const tx0 = (l + TILE_SIZE - 1) >> TILE_SHIFT;
    const ty0 = (t + TILE_SIZE - 1) >> TILE_SHIFT;
    const tx1 = r === this._width ? this._tilesX : r >> TILE_SHIFT; // exclusive
    const ty1 = b === this._height ? this._tilesY : b >> TILE_SHIFT;
    if (tx0 >= tx1 || ty0 >= ty1) return;
    for (let ty = ty0; ty < ty1; ty++) clearBits(this.bits, ty * this._tilesX + tx0, tx1 - tx0);
  }

  /** True when any tile touched by the pixel rectangle (right/bottom exclusive, clamped) is dirty. */
  anyInRect(left: number, top: number, right: number, bottom: number): boolean {
    const l = clamp(left, this._width);
    const t = clamp(top, this._height);
    const r = clamp(right, this._width);
    const b = clamp(bottom, this._height);
    if (l >= r || t >= b) return false;
    for (let ty = t >> TILE_SHIFT; ty <= (b - 1) >> TILE_SHIFT; ty++) {
      for (let tx = l >> TILE_SHIFT; tx <= (r - 1) >> TILE_SHIFT; tx++) if (this.isTileDirty(tx, ty)) return true;
    }
    return false;
  }

  /** Marks a {@link DirtyRect}. */
  markDirtyRect(r: DirtyRect): void {
    this.markRect(r.left, r.top, r.right, r.bottom);
  }

  /** ORs `other` (same size) into this bitmap. */
  orFrom(other: DirtyBitmap): void {
    this.checkSameSize(other);
    for (let i = 0; i < this.bits.length; i++) this.bits[i]! |= other.bits[i]!;
  }

  /** ORs `other` into this bitmap and clears `other`. */
  takeFrom(other: DirtyBitmap): void {
    this.orFrom(other);
    other.clear();
  }

  /** Calls `fn` for each dirty tile with its pixel rect (edge tiles clipped to the frame). */
  forEachTile(fn: (x: number, y: number, w: number, h: number) => void): void {
    for (let wi = 0; wi < this.bits.length; wi++) {
      let word = this.bits[wi]!;
      while (word !== 0) {
        const bit = 31 - Math.clz32(word & -word);
        word &= word - 1;
        const i = (wi << 5) + bit;
        const tx = i % this._tilesX;
        const ty = (i - tx) / this._tilesX;
        const x = tx << TILE_SHIFT;
        const y = ty << TILE_SHIFT;
        fn(x, y, Math.min(TILE_SIZE, this._width - x), Math.min(TILE_SIZE, this._height - y));
      }
    }
  }

  /**
   * Merges the dirty tiles into rectangles (greedy: right run, then down). Writes into `out`
   * (reusing its objects) and returns it, truncated to the rect count. The bitmap is unchanged.
   */
  toRects(out: Rect[] = []): Rect[] {
    const tx = this._tilesX;
    const s = this.scratch;
    s.set(this.bits);
    let n = 0;
    for (let ty = 0; ty < this._tilesY; ty++) {
      const rowBase = ty * tx;
      let x = 0;
      while (x < tx) {
        x = nextSet(s, rowBase + x, rowBase + tx) - rowBase;
        if (x >= tx) break;
        let run = 1;
        while (x + run < tx && testBit(s, rowBase + x + run)) run++;
        let rows = 1;
        while (ty + rows < this._tilesY && allSet(s, (ty + rows) * tx + x, run)) rows++;
        for (let r = 0; r < rows; r++) clearBits(s, (ty + r) * tx + x, run);
        const px = x << TILE_SHIFT;
        const py = ty << TILE_SHIFT;
        const rect = out[n] ?? (out[n] = { x: 0, y: 0, w: 0, h: 0 });
        rect.x = px;
        rect.y = py;
        rect.w = Math.min((x + run) << TILE_SHIFT, this._width) - px;
        rect.h = Math.min((ty + rows) << TILE_SHIFT, this._height) - py;
        n++;
        x += run;
      }
    }
    out.length = n;
    return out;
  }

  private fillBits(start: number, count: number): void {
    const b = this.bits;
    let i = start;
    const end = start + count;
    while (i < end && (i & 31) !== 0) {
      b[i >>> 5]! |= 1 << (i & 31);
      i++;
    }
    while (end - i >= 32) {
      b[i >>> 5] = 0xffffffff;
      i += 32;
    }
    while (i < end) {
      b[i >>> 5]! |= 1 << (i & 31);
      i++;
    }
  }

  private checkSameSize(other: DirtyBitmap): void {
    if (other._tilesX !== this._tilesX || other._tilesY !== this._tilesY) {
      throw new RangeError(`bitmap size mismatch: ${other._width}x${other._height} vs ${this._width}x${this._height}`);
    }
  }
}

function clamp(v: number, max: number): number {
  if (!(v > 0)) return 0; // also catches NaN
  return v > max ? max : Math.floor(v);
}

function testBit(s: Uint32Array, i: number): boolean {
  return (s[i >>> 5]! & (1 << (i & 31))) !== 0;
}

function nextSet(s: Uint32Array, from: number, end: number): number {
  let i = from;
  while (i < end) {
    const word = s[i >>> 5]! >>> (i & 31);
    if (word === 0) {
      i = (i | 31) + 1;
      continue;
    }
    return Math.min(end, i + (31 - Math.clz32(word & -word)));
  }
  return end;
}

function allSet(s: Uint32Array, start: number, count: number): boolean {
  for (let i = start; i < start + count; i++) if (!testBit(s, i)) return false;
  return true;
}

function clearBits(s: Uint32Array, start: number, count: number): void {
  for (let i = start; i < start + count; i++) s[i >>> 5]! &= ~(1 << (i & 31));
}
