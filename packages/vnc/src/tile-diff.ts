/**
 * Tile diff: find what changed on screen when the guest does not say (an older video driver
 * that sends no DIRT, or `--vnc` without the synthetic device).
 *
 * Keeps one snapshot of the last frame. {@link TileDiffer.diff} walks the framebuffer row by
 * row, compares each 16-pixel tile slice of the row against the snapshot, marks tiles that
 * differ, and copies only the changed slices into the snapshot. A resize resets the snapshot
 * and reports everything dirty.
 */

import { DirtyBitmap, TILE_SIZE } from './dirty-bitmap.js';
import type { FramebufferSource } from './framebuffer-source.js';

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
    if (w !== this.width || h !== this.height || this.snapshot.length !== w * h * 4) {
      this.width = w;
      this.height = h;
      this.snapshot = new Uint8Array(w * h * 4);
      this.row = new Uint8Array(w * 4);
      for (let y = 0; y < h; y++) fb.readRow(y, 0, w, this.snapshot, y * w * 4);
      if (into.width !== w || into.height !== h) into.resize(w, h);
      else into.markAll();
      return into.tilesX * into.tilesY;
    }
    if (into.width !== w || into.height !== h) into.resize(w, h);
    const snap = this.snapshot;
    const row = this.row;
    const stride = w * 4;
    const tilesX = into.tilesX;
    let marked = 0;
    for (let y = 0; y < h; y++) {
      fb.readRow(y, 0, w, row, 0);
      const base = y * stride;
      const ty = Math.floor(y / TILE_SIZE);
      for (let tx = 0; tx < tilesX; tx++) {
        const start = tx * TILE_SIZE * 4;
        const end = Math.min(start + TILE_SIZE * 4, stride);
        if (!equalRange(row, snap, start, end, base)) {
          snap.set(row.subarray(start, end), base + start);
          if (!into.isTileDirty(tx, ty)) {
            into.setTile(tx, ty);
            marked++;
          }
        }
      }
    }
    return marked;
  }

  /** Forgets the snapshot (the next diff reports everything). */
  reset(): void {
    this.width = 0;
    this.height = 0;
    this.snapshot = new Uint8Array(0);
  }
}

function equalRange(row: Uint8Array, snap: Uint8Array, start: number, end: number, base: number): boolean {
  for (let i = start; i < end; i++) if (row[i] !== snap[base + i]) return false;
  return true;
}
