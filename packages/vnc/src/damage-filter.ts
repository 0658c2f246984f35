/**
 * Damage filter: drops the parts of the guest's dirty rectangles whose pixels did not change.
 *
 * A guest's video driver reports what it drew, not what changed: a terminal that scrolls reports
 * the whole screen, though the blank ends of its lines stay blank, and a clock redraws all its
 * digits every second. TigerVNC's Xvnc compares such damage with its previous framebuffer before
 * it sends anything ("ComparingUpdateTracker"); this does the same against a snapshot of its own.
 * Each DIRT rect is read row by row and compared with the snapshot (one native compare per row);
 * a row that differs is compared tile column by tile column (16 pixels, {@link TILE_SIZE}), two
 * pixels at a time up to each column's first difference (in WebAssembly, `column-compare.ts`,
 * which also holds the snapshot), and copied into the snapshot. What comes out is,
 * per 16-row band of each rect, the runs of changed tile columns clipped to the rect (so a
 * 2-pixel caret stays 2 pixels wide) and to the band's first and last changed rows, merged
 * downwards where they line up. Full-screen motion, where comparing finds everything changed, is
 * passed on without comparing for a while (its tiles marked stale, see
 * {@link DamageFilter.filter}).
 *
 * Why it never loses a change: the snapshot only ever takes pixels inside a DIRT rect, at the
 * moment they are compared, and every change found is passed on. A client reads pixels when it
 * encodes, after that moment, so it holds at least what the snapshot holds for every area the
 * filter has looked at; a later DIRT whose pixels equal the snapshot is one the client has
 * already been sent (or will read in an update still pending). Rects passed on without comparing
 * leave their tiles stale, and a stale tile counts as changed until it has been compared whole.
 * The snapshot is valid only from a moment when every client that gets filtered rects is about
 * to read the whole screen anyway ({@link DamageFilter.prime}: a first client, a new format, a
 * client that just switched to Raw or Zlib), or when it is the tile differ's
 * ({@link DamageFilter.adopt}); the coordinator sees to that.
 */

import { TILE_SIZE } from './dirty-bitmap.js';
import type { FramebufferSource } from './framebuffer-source.js';
import type { BatchRect } from './move-tracker.js';
import { ColumnCompare } from './column-compare.js';

/** Counters for `inspect()`: pixels that came in as DIRT and pixels passed on. */
export interface DamageFilterCounters {
  batches: number;
  pixelsIn: number;
  pixelsOut: number;
}

/** Batches at least this large (pixels) can switch to passing DIRT on whole (see filter). */
const COPY_ONLY_MIN_PIXELS = 256 * 1024;
/** ...when at least this share of their pixels really changed. */
const COPY_ONLY_CHANGED = 0.9;
/** Batches copied without comparing before the next comparison. */
const COPY_ONLY_BATCHES = 7;

/** A snapshot of the framebuffer and the comparison of DIRT rects against it. */
export class DamageFilter {
  /** Counters since start. */
  readonly counters: DamageFilterCounters = { batches: 0, pixelsIn: 0, pixelsOut: 0 };
  /**
   * The snapshot, the row being compared (the rect's part of it, copied out of the source) and
   * the changed tile columns of the band being scanned (1 = changed); none while unprimed.
   */
  private cmp: ColumnCompare | undefined;
  /**
   * Tiles (row-major, `tilesX` per row) whose snapshot is stale: passed on whole while copying
   * (see {@link DamageFilter.filter}). Such a tile counts as changed until it is compared whole.
   */
  private stale = new Uint8Array(0);
  private tilesX = 0;
  /** Batches left to copy without comparing (see {@link DamageFilter.filter}). */
  private copyOnly = 0;
  /** Pixels found really different (stale tiles aside) in the batch being compared. */
  private realChanged = 0;
  /**
   * Bumped by every prime, adopt and reset. Reading a row runs the source's code, which may
   * change the format, and a format change may prime or reset this filter from inside that read
   * (the coordinator's format listener): a read that comes back to another epoch, or to another
   * size, stops the work in progress.
   */
  private epoch = 0;
  /** The epoch {@link DamageFilter.filter} started in. */
  private filterEpoch = 0;
  /** Set when a read came back to another epoch or size (see {@link DamageFilter.epoch}). */
  private aborted = false;

  /**
   * `copyOnlyMinPixels`: how large a batch must be (pixels) to switch to passing DIRT on whole
   * when nearly all of it changed (see {@link DamageFilter.filter}); 256 Ki pixels by default.
   */
  constructor(private readonly copyOnlyMinPixels = COPY_ONLY_MIN_PIXELS) {}

  /** The snapshot's width (0 while there is none). */
  private get width(): number {
    return this.cmp?.width ?? 0;
  }

  /** The snapshot's height (0 while there is none). */
  private get height(): number {
    return this.cmp?.height ?? 0;
  }

  /**
   * What compares: `'wasm'`, or `'js'` where no WebAssembly memory could be had (an
   * address-space limit, see `ColumnCompare`); `undefined` while there is no snapshot.
   */
  get engine(): 'wasm' | 'js' | undefined {
    return this.cmp?.engine;
  }

  /** True while a snapshot of `fb`'s current size is held. */
  isPrimedFor(fb: FramebufferSource): boolean {
    return this.width > 0 && this.width === fb.width && this.height === fb.height;
  }

  /**
   * Takes the snapshot now. Call it only when every client that will get filtered rects is about
   * to read the whole screen anyway (see the module comment).
   */
  prime(fb: FramebufferSource): void {
    const w = fb.width;
    const h = fb.height;
    const cmp = this.sized(w, h);
    const epoch = ++this.epoch;
    for (let y = 0; y < h; y++) {
      fb.readRow(y, 0, w, cmp.snapshot, y * w * 4);
      // The read changed the format: whatever ran inside it (a newer prime, or a reset) stands.
      if (this.epoch !== epoch) return;
      if (fb.width !== w || fb.height !== h) {
        this.reset();
        return;
      }
    }
  }

  /**
   * Takes over a snapshot made elsewhere under the same rule (the tile differ's, when the guest
   * starts sending DIRT: everything it holds has been passed to every client): `data` is
   * `width * height` pixels, rows back to back, and is copied.
   */
  adopt(data: Uint8Array, width: number, height: number): void {
    if (data.length !== width * height * 4) throw new RangeError('snapshot size does not match');
    this.sized(width, height).snapshot.set(data);
    this.epoch++;
  }

  /** Drops the snapshot (and its memory); the next use must {@link DamageFilter.prime} again. */
  reset(): void {
    this.epoch++;
    this.copyOnly = 0;
    this.cmp = undefined;
  }

  /** The snapshot's memory for a `w` x `h` screen (kept if it has that size), with fresh tile state. */
  private sized(w: number, h: number): ColumnCompare {
    if (this.cmp?.width !== w || this.cmp.height !== h) this.cmp = new ColumnCompare(w, h);
    this.tilesX = Math.ceil(w / TILE_SIZE);
    const tiles = this.tilesX * Math.ceil(h / TILE_SIZE);
    if (this.stale.length !== tiles) this.stale = new Uint8Array(tiles);
    else this.stale.fill(0);
    this.copyOnly = 0;
    return this.cmp;
  }

  /**
   * The changed parts of `rects` (right/bottom exclusive, clipped to the screen), with the
   * snapshot brought up to date inside them. Requires {@link DamageFilter.isPrimedFor}. After a
   * large batch that changed almost everywhere, the next few are passed on whole (clipped),
   * their pixels copied into the snapshot without comparing.
   */
  filter(fb: FramebufferSource, rects: readonly BatchRect[]): readonly BatchRect[] {
    if (!this.isPrimedFor(fb)) throw new Error('damage filter used without a snapshot of this size');
    const out: BatchRect[] = [];
    this.counters.batches++;
    const copyOnly = this.copyOnly > 0;
    if (copyOnly) this.copyOnly--;
    let pixelsIn = 0;
    this.realChanged = 0;
    this.filterEpoch = this.epoch;
    this.aborted = false;
    for (const r of rects) {
      if (this.aborted) break;
      const left = Math.max(0, r.left);
      const top = Math.max(0, r.top);
      const right = Math.min(this.width, r.right);
      const bottom = Math.min(this.height, r.bottom);
      if (right <= left || bottom <= top) continue;
      pixelsIn += (right - left) * (bottom - top);
      if (copyOnly) {
        this.markStale(left, top, right, bottom);
        out.push({ left, top, right, bottom });
      } else this.filterRect(fb, left, top, right, bottom, out);
    }
    if (this.aborted) {
      // The format changed while a row was read: pass the rects on as they are (the screen is
      // resent in full after a format change anyway). A snapshot of the old size is dropped.
      if (this.epoch === this.filterEpoch) this.reset();
      return rects;
    }
    let pixelsOut = 0;
    for (const o of out) pixelsOut += (o.right - o.left) * (o.bottom - o.top);
    // Full-screen motion (video) changes nearly every pixel: comparing then only costs (about
    // 10 ms per 1080p frame). After such a batch the next ones are passed on whole without
    // looking at their pixels (their tiles marked stale), and every COPY_ONLY_BATCHES + 1st is
    // compared again: stale tiles are passed on whole then too, but only real differences
    // count towards staying in copy mode.
    if (!copyOnly && pixelsIn >= this.copyOnlyMinPixels && this.realChanged >= COPY_ONLY_CHANGED * pixelsIn) this.copyOnly = COPY_ONLY_BATCHES;
    this.counters.pixelsIn += pixelsIn;
    this.counters.pixelsOut += pixelsOut;
    return out;
  }

  /** Marks the tiles `left..right` x `top..bottom` touches as stale. */
  private markStale(left: number, top: number, right: number, bottom: number): void {
    const T = TILE_SIZE;
    const t0 = Math.floor(left / T);
    const t1 = Math.ceil(right / T);
    for (let ty = Math.floor(top / T); ty < Math.ceil(bottom / T); ty++) this.stale.fill(1, ty * this.tilesX + t0, ty * this.tilesX + t1);
  }

  private filterRect(fb: FramebufferSource, left: number, top: number, right: number, bottom: number, out: BatchRect[]): void {
    const T = TILE_SIZE;
    const t0 = Math.floor(left / T);
    const t1 = Math.ceil(right / T);
    const changed = this.cmp!.changed;
    /** Rects of the previous band, which may grow downwards. */
    let open: { left: number; top: number; right: number; bottom: number }[] = [];
    for (let y0 = top; y0 < bottom; ) {
      const y1 = Math.min(bottom, (Math.floor(y0 / T) + 1) * T);
      changed.fill(0, t0, t1);
      const ty = Math.floor(y0 / T);
      const staleAt = ty * this.tilesX;
      // Stale tiles count as changed, compared or not.
      let staleBand = false;
      for (let t = t0; t < t1; t++) {
        if (!this.stale[staleAt + t]) continue;
        staleBand = true;
        changed[t] = 1;
      }
      // The band's first and last rows that differ: its rects are cut to those rows (all of
      // them where a stale tile is passed on).
      let first = staleBand ? y0 : -1;
      let last = staleBand ? y1 - 1 : -1;
      for (let y = y0; y < y1 && !this.aborted; y++) {
        if (!this.compareRow(fb, y, left, right, staleBand)) continue;
        if (first < 0) first = y;
        last = y;
      }
      if (this.aborted) return;
      if (staleBand) {
        // A stale tile whose every pixel was just copied is fresh again.
        const whole = y0 === ty * T && y1 === Math.min(this.height, (ty + 1) * T);
        for (let t = t0; t < t1; t++) if (whole && t * T >= left && Math.min(this.width, (t + 1) * T) <= right) this.stale[staleAt + t] = 0;
      }
      const next: typeof open = [];
      if (first >= 0) {
        for (let t = t0; t < t1; ) {
          if (!changed[t]) {
            t++;
            continue;
          }
          let e = t + 1;
          while (e < t1 && changed[e]) e++;
          const rl = Math.max(left, t * T);
          const rr = Math.min(right, e * T);
          const above = first === y0 ? open.find((o) => o.left === rl && o.right === rr && o.bottom === y0) : undefined;
          if (above) {
            above.bottom = last + 1;
            next.push(above);
          } else {
            const rect = { left: rl, top: first, right: rr, bottom: last + 1 };
            out.push(rect);
            next.push(rect);
          }
          t = e;
        }
      }
      open = next;
      y0 = y1;
    }
  }

  /**
   * Compares row `y`'s pixels `left..right` with the snapshot; marks the tile columns that
   * differ in `changed` and copies the row into the snapshot. True if any differed, or always in
   * a band with stale tiles (`staleBand`: the row is compared and copied even if it is equal).
   */
  private compareRow(fb: FramebufferSource, y: number, left: number, right: number, staleBand: boolean): boolean {
    const w = this.width;
    const base = y * w;
    const cmp = this.cmp!;
    // The rect's part of the row is copied first, so that the comparison and the copy into the
    // snapshot see the same pixels while the guest may be writing (and the source's count of
    // bytes read stays honest).
    const cur = cmp.row;
    fb.readRow(y, left, right - left, cur, left * 4);
    if (this.aborted || this.epoch !== this.filterEpoch || fb.width !== w || fb.height !== this.height) {
      this.aborted = true;
      return false;
    }
    if (!staleBand && Buffer.compare(cur.subarray(left * 4, right * 4), cmp.snapshot.subarray((base + left) * 4, (base + right) * 4)) === 0) return false;
    // Tile column by tile column, each up to its first difference (equal words are equal pixels
    // in any byte order). Then the span is copied in one call (equal columns copy onto themselves).
    this.realChanged += cmp.diff(y, left, right);
    cmp.store(y, left, right);
    return true;
  }
}
