/**
 * Tile diff: find what changed on screen when the guest does not say (an older video driver
 * that sends no DIRT, or `--vnc` without the synthetic device).
 *
 * Keeps one snapshot of the last frame. {@link TileDiffer.diff} compares each framebuffer row
 * with the snapshot using the native `Buffer.compare` (in place when the source offers
 * `rowView`), so an unchanged row costs about what `memcmp` costs. Only a row that differs is
 * compared tile by tile (16-pixel slices) to mark the changed tiles and copy them into the
 * snapshot. A resize resets the snapshot and reports everything dirty.
 */

import { DirtyBitmap, TILE_SIZE } from './dirty-bitmap.js';
import type { FramebufferSource } from './framebuffer-source.js';

const TILE_BYTES = TILE_SIZE * 4;
/** Spans of at most this many tiles are compared tile by tile rather than halved. */
const LINEAR_SPAN = 8;

/** Snapshot-based change detection over a framebuffer. */
export class TileDiffer {
  private snapshot = new Uint8Array(0);
  private row = new Uint8Array(0);
  private width = 0;
  private height = 0;

  /**
   * Compares the framebuffer with the last snapshot and marks changed tiles in `into` (which is
   * resized, all dirty, when the framebuffer size changed). Returns the number of tiles marked.
   */
  diff(fb: FramebufferSource, into: DirtyBitmap): number {
    const w = fb.width;
    const h = fb.height;
    const stride = w * 4;
    if (w !== this.width || h !== this.height) {
      this.prime(fb);
      if (into.width !== w || into.height !== h) into.resize(w, h);
      else into.markAll();
      return into.tilesX * into.tilesY;
    }
    if (into.width !== w || into.height !== h) {
      into.resize(w, h);
      into.clear();
    }
    const snap = this.snapshot;
    const tilesX = into.tilesX;
    let marked = 0;
    for (let band = 0; band < h; band += TILE_SIZE) {
      // A whole band of tile rows in one native compare when the surface is packed.
      const rows = Math.min(TILE_SIZE, h - band);
      const view = fb.rowsView?.(band, rows);
      if (view && Buffer.compare(view, snap.subarray(band * stride, (band + rows) * stride)) === 0) continue;
      marked += this.diffRows(fb, band, rows, tilesX, into);
    }
    return marked;
  }

  private diffRows(fb: FramebufferSource, y0: number, rows: number, tilesX: number, into: DirtyBitmap): number {
    const w = this.width;
    const stride = w * 4;
    const snap = this.snapshot;
    let marked = 0;
    for (let y = y0; y < y0 + rows; y++) {
      let cur: Uint8Array;
      if (fb.rowView) cur = fb.rowView(y);
      else {
        fb.readRow(y, 0, w, this.row, 0);
        cur = this.row;
      }
      const base = y * stride;
      const old = snap.subarray(base, base + stride);
      marked += this.diffSpan(cur, old, 0, tilesX, (y / TILE_SIZE) | 0, into);
    }
    return marked;
  }

  /**
   * Marks the changed tiles among columns `t0 .. t1` of one row, known or suspected to differ:
   * halves are compared natively and only differing halves are split further, so a row with
   * k changed tiles costs O(k log n) compares instead of one per tile. Changed tiles are copied
   * into the snapshot.
   */
  private diffSpan(cur: Uint8Array, old: Uint8Array, t0: number, t1: number, ty: number, into: DirtyBitmap): number {
    const start = t0 * TILE_BYTES;
    const end = Math.min(t1 * TILE_BYTES, cur.length);
    if (Buffer.compare(cur.subarray(start, end), old.subarray(start, end)) === 0) return 0;
    if (t1 - t0 <= LINEAR_SPAN) {
      // Short spans tile by tile: halving further would cost more compares on a busy row.
      let marked = 0;
      for (let t = t0; t < t1; t++) {
        const a = t * TILE_BYTES;
        const b = Math.min(a + TILE_BYTES, cur.length);
        const slice = cur.subarray(a, b);
        if (Buffer.compare(slice, old.subarray(a, b)) === 0) continue;
        old.set(slice, a);
        if (into.isTileDirty(t, ty)) continue;
        into.setTile(t, ty);
        marked++;
      }
      return marked;
    }
    const mid = (t0 + t1) >>> 1;
    return this.diffSpan(cur, old, t0, mid, ty, into) + this.diffSpan(cur, old, mid, t1, ty, into);
  }

  /**
   * Takes the snapshot now without reporting anything: call it when every consumer is about to
   * read the whole frame anyway (a new client, a resize), so later diffs report only what
   * changed after this point.
   */
  prime(fb: FramebufferSource): void {
    const w = fb.width;
    const h = fb.height;
    this.width = w;
    this.height = h;
    if (this.snapshot.length !== w * h * 4) this.snapshot = new Uint8Array(w * h * 4);
    if (this.row.length !== w * 4) this.row = new Uint8Array(w * 4);
    for (let y = 0; y < h; y++) fb.readRow(y, 0, w, this.snapshot, y * w * 4);
  }

  /** True once a snapshot of the current size exists. */
  isPrimedFor(fb: FramebufferSource): boolean {
    return this.width === fb.width && this.height === fb.height && this.width > 0;
  }

  /**
   * Hands the snapshot over (to the damage filter, when the guest starts sending DIRT) and
   * forgets it; `undefined` when there is none. Rows are back to back, `width * 4` bytes each.
   */
  handOver(): { data: Uint8Array; width: number; height: number } | undefined {
    if (this.width === 0) return undefined;
    const out = { data: this.snapshot, width: this.width, height: this.height };
    this.reset();
    return out;
  }

  /** Forgets the snapshot (the next diff reports everything). */
  reset(): void {
    this.width = 0;
    this.height = 0;
    this.snapshot = new Uint8Array(0);
  }
}
