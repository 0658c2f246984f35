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
      if (Buffer.compare(cur, old) === 0) continue;
      const ty = (y / TILE_SIZE) | 0;
      for (let tx = 0; tx < tilesX; tx++) {
        const start = tx * TILE_BYTES;
        const end = Math.min(start + TILE_BYTES, stride);
        const slice = cur.subarray(start, end);
        if (Buffer.compare(slice, old.subarray(start, end)) === 0) continue;
        old.set(slice, start);
        if (!into.isTileDirty(tx, ty)) {
          into.setTile(tx, ty);
          marked++;
        }
      }
    }
    return marked;
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

  /** Forgets the snapshot (the next diff reports everything). */
  reset(): void {
    this.width = 0;
    this.height = 0;
    this.snapshot = new Uint8Array(0);
  }
}
