/**
 * `DirtyRegion`: a {@link DirtyBitmap} that also remembers the exact rectangles it was marked
 * with since it was last cleared, so that an update sends the damage, not the 16x16 tiles
 * around it.
 *
 * Why: a guest reports small damage (a 10x20 character cell, a 2-pixel caret); rounding it out
 * to tiles sends up to several times the pixels, and peers (Xvnc, libvncserver) send the exact
 * rects. The bitmap stays the source of truth for *where* something is dirty (cheap merging,
 * bounded size); the list only narrows each merged tile rect down to the exact rects inside it.
 *
 * The list is small and bounded ({@link MAX_EXACT_RECTS}); past that, or after any marking that
 * is not an exact rect (everything, a resize, single tiles, another bitmap), the region falls
 * back to tile precision until the next {@link DirtyRegion.clear}. Either way every dirty pixel
 * lies inside what {@link DirtyRegion.refine} returns.
 */

import { DirtyBitmap, type Rect } from './dirty-bitmap.js';

/** Most exact rects remembered between two updates before falling back to tiles. */
export const MAX_EXACT_RECTS = 64;
/** At most this many pieces of one tile rect are sent separately (else their bounding box). */
const MAX_PIECES = 8;

/** A dirty-tile bitmap that keeps the exact damage rects while they are few. */
export class DirtyRegion extends DirtyBitmap {
  /** Exact rects as left, top, right, bottom (clamped to the surface). */
  private readonly boxes = new Int32Array(MAX_EXACT_RECTS * 4);
  private boxCount = 0;
  /**
   * True while every dirty pixel is inside a listed rect. Starts false: a new surface is all
   * dirty (the constructor marks everything through {@link DirtyRegion.markAll}).
   */
  private exact = false;
  private readonly pieces: Rect[] = [];

  /** True while the region knows its exact rects (not fallen back to tiles). */
  get isExact(): boolean {
    return this.exact;
  }

  /** Number of exact rects held (0 when fallen back to tiles). */
  get exactCount(): number {
    return this.exact ? this.boxCount : 0;
  }

  /** Marks the tiles of the rectangle and remembers it exactly (see {@link DirtyBitmap.markRect}). */
  override markRect(left: number, top: number, right: number, bottom: number): void {
    super.markRect(left, top, right, bottom);
    if (!this.exact) return;
    const l = Math.max(0, Math.floor(left) || 0);
    const t = Math.max(0, Math.floor(top) || 0);
    const r = Math.min(this.width, Math.floor(right) || 0);
    const b = Math.min(this.height, Math.floor(bottom) || 0);
    if (l >= r || t >= b) return;
    // Already inside a remembered rect (a repeated caret blink, the same cell twice): nothing new.
    const bx = this.boxes;
    for (let i = 0; i < this.boxCount * 4; i += 4) {
      if (bx[i]! <= l && bx[i + 1]! <= t && bx[i + 2]! >= r && bx[i + 3]! >= b) return;
    }
    if (this.boxCount === MAX_EXACT_RECTS) {
      this.exact = false;
      return;
    }
    const i = this.boxCount++ * 4;
    bx[i] = l;
    bx[i + 1] = t;
    bx[i + 2] = r;
    bx[i + 3] = b;
  }

  /** Marks everything; tile precision until the next clear. */
  override markAll(): void {
    super.markAll();
    this.exact = false;
  }

  /** Marks one tile; tile precision until the next clear. */
  override setTile(tx: number, ty: number): void {
    super.setTile(tx, ty);
    this.exact = false;
  }

  /** ORs another bitmap in; tile precision until the next clear. */
  override orFrom(other: DirtyBitmap): void {
    super.orFrom(other);
    this.exact = false;
  }

  /** Clears every tile and the exact list: exact again. */
  override clear(): void {
    super.clear();
    this.boxCount = 0;
    this.exact = true;
  }

  /**
   * Calls `fn` with each exact rect's part inside `clip` (left, top, right, bottom), or once
   * with the dirty tiles' rects clipped the same way when the region is at tile precision.
   */
  forEachIn(clip: Rect, fn: (l: number, t: number, r: number, b: number) => void, scratch: Rect[] = []): void {
    const cr = clip.x + clip.w;
    const cb = clip.y + clip.h;
    if (this.exact) {
      const bx = this.boxes;
      for (let i = 0; i < this.boxCount * 4; i += 4) {
        const l = Math.max(bx[i]!, clip.x);
        const t = Math.max(bx[i + 1]!, clip.y);
        const r = Math.min(bx[i + 2]!, cr);
        const b = Math.min(bx[i + 3]!, cb);
        if (l < r && t < b) fn(l, t, r, b);
      }
      return;
    }
    for (const q of this.toRects(scratch)) {
      const l = Math.max(q.x, clip.x);
      const t = Math.max(q.y, clip.y);
      const r = Math.min(q.x + q.w, cr);
      const b = Math.min(q.y + q.h, cb);
      if (l < r && t < b) fn(l, t, r, b);
    }
  }

  /**
   * Narrows merged tile rects (from {@link DirtyBitmap.toRects}) to the exact damage: per tile
   * rect, the exact rects' parts inside it, sent one by one when they are few and cover
   * clearly less than their bounding box, else that bounding box. At tile precision `tiles`
   * comes back as is. Writes into `out` (reusing its objects) and returns it.
   */
  refine(tiles: readonly Rect[], out: Rect[]): Rect[] {
    if (!this.exact) {
      for (let i = 0; i < tiles.length; i++) setRect(out, i, tiles[i]!.x, tiles[i]!.y, tiles[i]!.w, tiles[i]!.h);
      out.length = tiles.length;
      return out;
    }
    let n = 0;
    const pieces = this.pieces;
    const bx = this.boxes;
    for (const tr of tiles) {
      let np = 0;
      let area = 0;
      let l0 = Infinity;
      let t0 = Infinity;
      let r0 = -Infinity;
      let b0 = -Infinity;
      const cr = tr.x + tr.w;
      const cb = tr.y + tr.h;
      for (let i = 0; i < this.boxCount * 4; i += 4) {
        const l = Math.max(bx[i]!, tr.x);
        const t = Math.max(bx[i + 1]!, tr.y);
        const r = Math.min(bx[i + 2]!, cr);
        const b = Math.min(bx[i + 3]!, cb);
        if (l >= r || t >= b) continue;
        setRect(pieces, np++, l, t, r - l, b - t);
        area += (r - l) * (b - t);
        if (l < l0) l0 = l;
        if (t < t0) t0 = t;
        if (r > r0) r0 = r;
        if (b > b0) b0 = b;
      }
      if (np === 0) {
        // Tiles with no exact rect in them cannot happen while exact; send them whole anyway.
        setRect(out, n++, tr.x, tr.y, tr.w, tr.h);
      } else if (np > 1 && np <= MAX_PIECES && area * 4 < (r0 - l0) * (b0 - t0) * 3) {
        for (let i = 0; i < np; i++) setRect(out, n++, pieces[i]!.x, pieces[i]!.y, pieces[i]!.w, pieces[i]!.h);
      } else {
        setRect(out, n++, l0, t0, r0 - l0, b0 - t0);
      }
    }
    out.length = n;
    return out;
  }
}

function setRect(arr: Rect[], i: number, x: number, y: number, w: number, h: number): void {
  const r = arr[i] ?? (arr[i] = { x: 0, y: 0, w: 0, h: 0 });
  r.x = x;
  r.y = y;
  r.w = w;
  r.h = h;
}
