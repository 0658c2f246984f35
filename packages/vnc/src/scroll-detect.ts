/**
 * `MoveDetector`: finds regions of a dirt batch that are a copy of what the screen showed
 * before (a scroll, a dragged window), so that CopyRect clients can be told "copy from there"
 * instead of being sent the pixels.
 *
 * Guests report damage, not moves, so moves are found by comparing each large dirty rect's new
 * content with the {@link ShadowFrame} (the frame as last reported), two ways, both bounded by
 * the rects' area:
 *
 * - pairs: two dirty rects of the same size in one batch (a window's old and new position, as
 *   a guest reports a drag) are checked for "new B equals old A";
 * - scroll: for a rect, row fingerprints of its new and old content (over the same columns, every
 *   {@link FP_STEP}th pixel, at most about {@link FP_SAMPLES} a row: a hint, not a proof) vote for a vertical offset: each changed row
 *   votes for its distance to every old row with its fingerprint, unless more than
 *   {@link MAX_SAME_ROWS} have it (blank rows say nothing). Text has repeated rows within a line
 *   (letter stems), but only the true offset collects votes from every line. Full-frame video
 *   gets no votes and stops there.
 *
 * A candidate offset is then checked row by row with exact comparisons (memcmp), and the
 * longest run of equal rows, if at least {@link MIN_MOVE_ROWS} tall, is the move (at most
 * four frame heights of exact compares per batch, whatever the guest reports). Only exactly
 * equal rows are ever reported, so a false candidate costs time, never pixels. Moves of one
 * batch never overlap each other (sources and destinations disjoint), so clients may apply them
 * in any order. The shadow then applies the moves (as a CopyRect client does) and is refreshed
 * from the frame with the rest of the batch.
 */

import type { DirtyRect } from '@openvmm-vnc-ts/video-core';
import { type Move, forEachOutside } from './encodings/copy-rect.js';
import type { FramebufferSource } from './framebuffer-source.js';
import { ShadowFrame } from './shadow-frame.js';

/** Fingerprints read every FP_STEP-th pixel of a row span, at least (see {@link FP_SAMPLES}). */
export const FP_STEP = 3;
/** ...and about this many pixels of a row at most, whatever its width (bounds the cost). */
export const FP_SAMPLES = 256;
/** A move must be at least this many rows tall. */
export const MIN_MOVE_ROWS = 16;
/** Dirty rects smaller than this many pixels are not searched. */
export const MIN_MOVE_AREA = 64 * 64;
/** Most rects of one batch searched (the largest ones). */
const MAX_SEARCHED = 8;
/** Old rows sharing a fingerprint past this many cast no votes (blank, uniform rows). */
export const MAX_SAME_ROWS = 6;
/** Exact row compares one batch may spend, in frame heights (bounds a hostile batch's cost). */
const ROW_BUDGET_FRAMES = 4;
/** Rows sampled before an exact row-by-row scan of a candidate offset. */
const SAMPLES = 5;

interface Box {
  l: number;
  t: number;
  r: number;
  b: number;
}

/** Counters for inspect. */
export interface MoveDetectorStats {
  /** Batches searched. */
  batches: number;
  /** Moves found. */
  moves: number;
  /** Time spent searching, in milliseconds (not counting the shadow refresh). */
  detectMs: number;
  /** Full copies of the frame into the shadow. */
  primes: number;
}

/** Finds moved regions between the shadow and the framebuffer; owns the shadow. */
export class MoveDetector {
  /** The frame as last reported (kept only while enabled). */
  readonly shadow = new ShadowFrame();
  private fpNew = new Int32Array(0);
  private fpOld = new Int32Array(0);
  /** Per old row: the next old row (higher index) with the same fingerprint, or -1. */
  private sameNext = new Int32Array(0);
  /** Per old row: how many old rows share its fingerprint (valid at the chain's head). */
  private sameCount = new Int32Array(0);
  private readonly oldRows = new Map<number, number>();
  private readonly votes = new Map<number, number>();
  private readonly stats: MoveDetectorStats = { batches: 0, moves: 0, detectMs: 0, primes: 0 };
  /** Exact row compares left for the batch being searched. */
  private budget = 0;

  /** A copy of the counters. */
  get counters(): MoveDetectorStats {
    return { ...this.stats, detectMs: Math.round(this.stats.detectMs * 100) / 100 };
  }

  /** Forgets the shadow (a new format, the dirt channel closed, nobody takes CopyRect). */
  invalidate(): void {
    this.shadow.invalidate();
  }

  /**
   * A dirt batch: returns the moves it contains (none when `enabled` is false, or when the
   * shadow had to be primed first), then refreshes the shadow with the batch.
   */
  observe(fb: FramebufferSource, rects: readonly DirtyRect[], enabled: boolean): Move[] {
    const s = this.shadow;
    if (!enabled) {
      s.invalidate();
      return [];
    }
    if (!s.active || s.width !== fb.width || s.height !== fb.height) {
      s.prime(fb);
      this.stats.primes++;
      return [];
    }
    const t0 = performance.now();
    const moves = this.detect(fb, rects);
    this.stats.detectMs += performance.now() - t0;
    this.stats.batches++;
    this.stats.moves += moves.length;
    // The shadow takes each move as a CopyRect client does (so it holds what such a client
    // holds even if the guest writes the destination again before the refresh below; that
    // write comes with a later report), then the rest of the batch from the frame.
    for (const m of moves) s.copy(m);
    const refresh = (l: number, t: number, r: number, b: number): void => s.update(fb, l, t, r, b);
    for (const r of rects) forEachOutside(r.left, r.top, r.right, r.bottom, moves, refresh);
    return moves;
  }

  private detect(fb: FramebufferSource, rects: readonly DirtyRect[]): Move[] {
    const W = fb.width;
    const H = fb.height;
    const boxes: Box[] = [];
    for (const r of rects) {
      const l = Math.max(0, Math.floor(r.left) || 0);
      const t = Math.max(0, Math.floor(r.top) || 0);
      const rr = Math.min(W, Math.floor(r.right) || 0);
      const b = Math.min(H, Math.floor(r.bottom) || 0);
      const big = rr - l > 0 && b - t >= MIN_MOVE_ROWS && (rr - l) * (b - t) >= MIN_MOVE_AREA;
      if (big && !boxes.some((o) => o.l === l && o.t === t && o.r === rr && o.b === b)) boxes.push({ l, t, r: rr, b });
    }
    if (boxes.length === 0) return [];
    boxes.sort((a, c) => (c.r - c.l) * (c.b - c.t) - (a.r - a.l) * (a.b - a.t));
    boxes.length = Math.min(boxes.length, MAX_SEARCHED);
    this.budget = ROW_BUDGET_FRAMES * H;
    const moves: Move[] = [];
    for (const dst of boxes) {
      let m: Move | undefined;
      for (const src of boxes) {
        if (src === dst || src.r - src.l !== dst.r - dst.l || src.b - src.t !== dst.b - dst.t) continue;
        m = this.bestRun(fb, dst, src.l - dst.l, src.t - dst.t);
        if (m) break;
      }
      if (!m) {
        const dy = this.voteScroll(fb, dst);
        if (dy !== 0) m = this.bestRun(fb, dst, 0, dy);
      }
      if (m && moves.every((o) => disjoint(o, m))) moves.push(m);
    }
    return moves;
  }

  /**
   * The longest run of rows of `dst` whose new content equals the shadow at offset (`ox`, `oy`),
   * as a move, or undefined when shorter than {@link MIN_MOVE_ROWS} (or out of the frame).
   */
  private bestRun(fb: FramebufferSource, dst: Box, ox: number, oy: number): Move | undefined {
    const s = this.shadow;
    const w = dst.r - dst.l;
    const sx = dst.l + ox;
    if (sx < 0 || sx + w > s.width) return undefined;
    const y0 = Math.max(dst.t, -oy);
    const y1 = Math.min(dst.b, s.height - oy);
    if (y1 - y0 < MIN_MOVE_ROWS) return undefined;
    let hit = false;
    for (let i = 0; i < SAMPLES && !hit; i++) {
      const y = y0 + Math.floor(((y1 - y0) * (2 * i + 1)) / (2 * SAMPLES));
      hit = s.rowEquals(fb, y, dst.l, y + oy, sx, w);
    }
    if (!hit) return undefined;
    let bestStart = 0;
    let bestLen = 0;
    let start = y0;
    if (this.budget < y1 - y0) return undefined; // this batch has compared enough rows
    this.budget -= y1 - y0;
    for (let y = y0; y <= y1; y++) {
      if (y < y1 && s.rowEquals(fb, y, dst.l, y + oy, sx, w)) continue;
      if (y - start > bestLen) {
        bestLen = y - start;
        bestStart = start;
      }
      start = y + 1;
    }
    if (bestLen < MIN_MOVE_ROWS) return undefined;
    return { srcX: sx, srcY: bestStart + oy, dstX: dst.l, dstY: bestStart, w, h: bestLen };
  }

  /** The vertical offset most changed rows of `box` vote for (0: none). */
  private voteScroll(fb: FramebufferSource, box: Box): number {
    const s = this.shadow;
    const h = box.b - box.t;
    const w = box.r - box.l;
    if (this.fpNew.length < h) {
      this.fpNew = new Int32Array(h);
      this.fpOld = new Int32Array(h);
      this.sameNext = new Int32Array(h);
      this.sameCount = new Int32Array(h);
    }
    const { fpNew, fpOld, sameNext, sameCount } = this;
    // old: fingerprint -> first old row with it; sameNext chains the others (built backwards so
    // each chain runs upwards in index order).
    const old = this.oldRows;
    old.clear();
    const src = s.bytes;
    const step = Math.max(FP_STEP, Math.floor(w / FP_SAMPLES));
    for (let i = 0; i < h; i++) {
      const y = box.t + i;
      const view = fb.rowView?.(y);
      fpNew[i] = view ? fingerprint(view, box.l * 4, w, step) : fingerprint(s.readFrameRow(fb, y, box.l, w), 0, w, step);
      fpOld[i] = fingerprint(src, (y * s.width + box.l) * 4, w, step);
    }
    for (let i = h - 1; i >= 0; i--) {
      const head = old.get(fpOld[i]!);
      sameNext[i] = head ?? -1;
      sameCount[i] = head === undefined ? 1 : sameCount[head]! + 1;
      old.set(fpOld[i]!, i);
    }
    const votes = this.votes;
    votes.clear();
    let best = 0;
    let bestVotes = 0;
    for (let i = 0; i < h; i++) {
      if (fpNew[i] === fpOld[i]) continue;
      const head = old.get(fpNew[i]!);
      if (head === undefined || sameCount[head]! > MAX_SAME_ROWS) continue;
      for (let j = head; j >= 0; j = sameNext[j]!) {
        const v = (votes.get(j - i) ?? 0) + 1;
        votes.set(j - i, v);
        if (v > bestVotes) {
          bestVotes = v;
          best = j - i;
        }
      }
    }
    return bestVotes >= 2 ? best : 0;
  }
}

/** FNV-1a-like hash of every `step`-th 32-bit pixel of `w` pixels at byte `at` of `buf`. */
function fingerprint(buf: Uint8Array, at: number, w: number, step: number): number {
  let h = 0x811c9dc5 | 0;
  for (let x = 0, i = at; x < w; x += step, i += step * 4) {
    h = Math.imul(h ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16)), 16777619);
  }
  return h;
}

function disjoint(a: Move, b: Move): boolean {
  const sep = (ax: number, ay: number, bx: number, by: number): boolean =>
    ax + a.w <= bx || bx + b.w <= ax || ay + a.h <= by || by + b.h <= ay;
  return sep(a.dstX, a.dstY, b.dstX, b.dstY) && sep(a.srcX, a.srcY, b.dstX, b.dstY) && sep(a.dstX, a.dstY, b.srcX, b.srcY);
}
