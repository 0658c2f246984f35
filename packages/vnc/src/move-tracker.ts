/**
 * `MoveTracker`: one CopyRect client's moves not yet sent, and what must be resent because of
 * them.
 *
 * A move found by the `MoveDetector` says "new frame at dst = shadow at src". Sending it as a
 * CopyRect makes the client copy *its own* picture of src, which is right only where that
 * picture equals the shadow. It may differ in two places, and both are repaired by marking the
 * copied image of them dirty (the pixels follow the CopyRects in the same update):
 *
 * - the client's pending dirt (anything not sent yet, including what earlier unsent moves
 *   left to repair): moves compose, so a slow client can hold several;
 * - its *taint*: pixels it was sent that differed from the shadow when they were read (a guest
 *   writing VRAM before it reports the write). Each update compares what it sends with the
 *   shadow (memcmp) and marks the differing rows; the next dirt batch over them clears them.
 *
 * So for each move taken: dirt := (dirt minus dst) + translate((dirt + taint) within src); the
 * batch's own rects are marked minus the destinations. A move not taken (too many pending, out
 * of this client's screen) is plain dirt. Anything that resends everything (a new pixel
 * format, a resize) drops the pending moves, and a new shadow epoch taints everything.
 */

import { DirtyBitmap, type Rect } from './dirty-bitmap.js';
import type { DirtyRegion } from './dirty-region.js';
import { type Move, forEachOutside } from './encodings/copy-rect.js';
import type { FramebufferSource } from './framebuffer-source.js';
import type { ShadowFrame } from './shadow-frame.js';

/** Most moves held for one client between two updates; later ones become plain dirt. */
export const MAX_PENDING_MOVES = 16;

/** A batch's dirt rectangle (right/bottom exclusive), as the coordinator passes it on. */
export interface BatchRect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** Per-client move bookkeeping (see the module comment). */
export class MoveTracker {
  private readonly pending: Move[] = [];
  /** Tiles where the client's picture may differ from the shadow although not dirty. */
  private readonly taint = new DirtyBitmap(0, 0);
  private epoch = -1;
  private shadow: ShadowFrame | undefined;
  private readonly scratch: Rect[] = [];
  private readonly marks: number[] = [];
  /** Moves taken and sent, and moves turned into dirt, for inspect. */
  readonly stats = { movesTaken: 0, movesRefused: 0, copyRectsSent: 0 };

  /** Moves waiting for the next update. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * Applies one dirt batch with its moves to this client's `dirty` region (see the module
   * comment); `shadow` is what the moves were found against.
   */
  applyBatch(rects: readonly BatchRect[], moves: readonly Move[], shadow: ShadowFrame, dirty: DirtyRegion): void {
    this.sync(shadow, dirty);
    const taken: Move[] = [];
    const marks = this.marks;
    marks.length = 0;
    for (const m of moves) {
      const fits = m.srcX + m.w <= dirty.width && m.srcY + m.h <= dirty.height && m.dstX + m.w <= dirty.width && m.dstY + m.h <= dirty.height;
      if (!fits || this.pending.length >= MAX_PENDING_MOVES) {
        this.stats.movesRefused++;
        continue;
      }
      // What the client's copy of src gets wrong lands translated inside dst.
      const src: Rect = { x: m.srcX, y: m.srcY, w: m.w, h: m.h };
      const ddx = m.dstX - m.srcX;
      const ddy = m.dstY - m.srcY;
      const push = (l: number, t: number, r: number, b: number): void => {
        marks.push(l + ddx, t + ddy, r + ddx, b + ddy);
      };
      dirty.forEachIn(src, push, this.scratch);
      for (const q of this.taint.toRects(this.scratch)) {
        const l = Math.max(q.x, src.x);
        const t = Math.max(q.y, src.y);
        const r = Math.min(q.x + q.w, src.x + src.w);
        const b = Math.min(q.y + q.h, src.y + src.h);
        if (l < r && t < b) push(l, t, r, b);
      }
      taken.push(m);
      this.pending.push(m);
      this.stats.movesTaken++;
    }
    for (const m of taken) dirty.clearInside(m.dstX, m.dstY, m.dstX + m.w, m.dstY + m.h);
    const mark = (l: number, t: number, r: number, b: number): void => dirty.markRect(l, t, r, b);
    for (const r of rects) forEachOutside(r.left, r.top, r.right, r.bottom, taken, mark);
    for (let i = 0; i < marks.length; i += 4) dirty.markRect(marks[i]!, marks[i + 1]!, marks[i + 2]!, marks[i + 3]!);
    // The shadow now holds the batch's content there, and the client either gets it resent
    // (dirty) or copies exactly it (dst, repaired above): no longer tainted.
    for (const r of rects) this.taint.clearInside(r.left, r.top, r.right, r.bottom);
  }

  /** The moves to send first in this update (the list is emptied). */
  take(): readonly Move[] {
    const out = this.pending.slice();
    this.pending.length = 0;
    this.stats.copyRectsSent += out.length;
    return out;
  }

  /**
   * Drops the pending moves: the whole screen is being resent anyway, or (with `dirty`) their
   * destinations are marked for resending instead.
   */
  drop(dirty?: DirtyRegion): void {
    if (dirty) for (const m of this.pending) dirty.markRect(m.dstX, m.dstY, m.dstX + m.w, m.dstY + m.h);
    this.pending.length = 0;
  }

  /**
   * After an update: `sent` was just read from `fb` and sent; rows of it that differ from the
   * shadow become taint (the guest wrote them and has not reported it yet).
   */
  afterSend(sent: readonly Rect[], fb: FramebufferSource): void {
    const s = this.shadow;
    if (!s || !s.active || s.epoch !== this.epoch || s.width !== fb.width || s.height !== fb.height) return;
    for (const r of sent) {
      this.taint.clearInside(r.x, r.y, r.x + r.w, r.y + r.h);
      for (let y = r.y; y < r.y + r.h; y++) if (!s.rowEquals(fb, y, r.x, y, r.x, r.w)) this.taint.markRect(r.x, y, r.x + r.w, y + 1);
    }
  }

  /** A new shadow epoch (or size): nothing the client was sent is known to match it. */
  private sync(shadow: ShadowFrame, dirty: DirtyRegion): void {
    this.shadow = shadow;
    if (shadow.epoch === this.epoch && this.taint.width === dirty.width && this.taint.height === dirty.height) return;
    this.epoch = shadow.epoch;
    this.taint.resize(dirty.width, dirty.height); // marks everything
  }
}
