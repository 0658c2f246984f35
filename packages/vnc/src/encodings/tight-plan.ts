/**
 * Where Tight cuts a rectangle: the geometry of its sub-rects, decided before any is written.
 *
 * Tight has no tiles of its own: every sub-rect is a whole Tight rect with its own header, and
 * the update announces how many there are before the first one. Cutting blindly (full-width
 * strips) mixes a window's flat interior with a busy background, so the whole strip goes out as
 * full-colour pixels (or text as an indexed palette instead of a 1-bit one). This planner looks
 * at the rect in 64x64 tiles first (as ZRLE does) and notes which tiles have one or two colours
 * and which; in each 64-row band, neighbouring tiles with the same colours merge into one piece
 * (sent as a fill, or as a mono palette), and neighbouring tiles of more colours merge into one
 * piece, all up to the area limit. Pieces of consecutive bands with the same columns and the same
 * colours merge downwards while they stay within the limits. TigerVNC looks for solid areas for
 * the same reason.
 *
 * The plan is geometry only: what each piece is sent as is decided when it is written, from the
 * pixels then (the guest may draw in between; the rect count must not change). Solidity is judged
 * on the native pixels (their 24 colour bits); it only shapes the cut, so it need not match what
 * a client's format would make of the pixels.
 */

import type { Rect } from '../dirty-bitmap.js';
import type { FramebufferSource } from '../framebuffer-source.js';
import { HOST_LITTLE_ENDIAN } from '../pixel-convert.js';

/** Tile size the planner looks at. */
export const TIGHT_PLAN_TILE = 64;

/** A marker for a tile or piece of more than two colours (in `a`). */
const MIXED = -1;
/** A marker for "no second colour" (in `b`). */
const NONE = -2;
/** The colour bits of a native pixel read as a host-order u32 (0x00RRGGBB little-endian). */
const COLOUR_MASK = HOST_LITTLE_ENDIAN ? 0x00ffffff : 0xffffff00 | 0;

interface Piece extends Rect {
  /** The lower of its (at most two) colours, or {@link MIXED}. */
  a: number;
  /** The higher colour, or {@link NONE} (one colour or MIXED). */
  b: number;
}

/** Plans sub-rects; owns the row and tile scratch it works with. */
export class TightPlanner {
  private row = new Uint32Array(0);
  private tileA = new Int32Array(0);
  private tileB = new Int32Array(0);

  /**
   * The pieces `rect` (inside the framebuffer, non-empty) is cut into: each at most `maxWidth`
   * wide and at most `maxArea` pixels (the encoder's buffers are that big); together they cover
   * `rect` exactly.
   */
  plan(fb: FramebufferSource, rect: Rect, maxWidth: number, maxArea: number): Rect[] {
    const T = TIGHT_PLAN_TILE;
    const tilesX = Math.ceil(rect.w / T);
    if (this.row.length < rect.w) this.row = new Uint32Array(rect.w);
    if (this.tileA.length < tilesX) {
      this.tileA = new Int32Array(tilesX);
      this.tileB = new Int32Array(tilesX);
    }
    const rowBytes = new Uint8Array(this.row.buffer, 0, rect.w * 4);
    const out: Piece[] = [];
    /** Pieces of the previous band, which may grow downwards. */
    let open: Piece[] = [];
    for (let by = 0; by < rect.h; by += T) {
      const bh = Math.min(T, rect.h - by);
      this.classifyBand(fb, rect, by, bh, tilesX, rowBytes);
      const band: Piece[] = [];
      // Runs of tiles of the same colour (or all mixed), as wide as the area limit allows.
      const mixedWidth = Math.min(maxWidth, Math.max(T, Math.floor(maxArea / bh / T) * T));
      if (mixedWidth * bh > maxArea) throw new RangeError(`Tight plan: a ${T}-px tile does not fit in ${maxArea} px`);
      const A = this.tileA;
      const B = this.tileB;
      for (let t = 0; t < tilesX; ) {
        const a = A[t]!;
        const b = B[t]!;
        const x = t * T;
        let end = t + 1;
        while (end < tilesX && A[end] === a && B[end] === b && (end + 1) * T - x <= mixedWidth) end++;
        const w = Math.min(end * T, rect.w) - x;
        band.push({ x: rect.x + x, y: rect.y + by, w, h: bh, a, b });
        t = end;
      }
      // Grow last band's pieces that match one of this band's exactly.
      const next: Piece[] = [];
      for (const p of band) {
        const above = open.find((q) => q.x === p.x && q.w === p.w && q.a === p.a && q.b === p.b && q.w * (q.h + p.h) <= maxArea);
        if (above) {
          above.h += p.h;
          next.push(above);
        } else {
          out.push(p);
          next.push(p);
        }
      }
      open = next;
    }
    return out;
  }

  /**
   * For the tiles of one band: `tileA[t]`/`tileB[t]` get the tile's colours (lower first; B is
   * NONE for one colour), or A = MIXED when it has more than two.
   */
  private classifyBand(fb: FramebufferSource, rect: Rect, by: number, bh: number, tilesX: number, rowBytes: Uint8Array): void {
    const T = TIGHT_PLAN_TILE;
    const row = this.row;
    const A = this.tileA;
    const B = this.tileB;
    for (let r = 0; r < bh; r++) {
      fb.readRow(rect.y + by + r, rect.x, rect.w, rowBytes, 0);
      for (let t = 0; t < tilesX; t++) {
        const x0 = t * T;
        if (r === 0) {
          A[t] = row[x0]! & COLOUR_MASK;
          B[t] = NONE;
        }
        let a = A[t]!;
        if (a === MIXED) continue;
        let b = B[t]!;
        const x1 = Math.min(x0 + T, rect.w);
        // Most tile rows hold only the colours already seen: checked without a branch per pixel.
        let other = 0;
        for (let x = x0; x < x1; x++) {
          const v = row[x]! & COLOUR_MASK;
          other |= +(v !== a) & +(v !== b);
        }
        if (other === 0) continue;
        for (let x = x0; x < x1; x++) {
          const v = row[x]! & COLOUR_MASK;
          if (v === a || v === b) continue;
          if (b !== NONE) {
            a = MIXED;
            break;
          }
          b = v;
        }
        if (a !== MIXED && b !== NONE && b < a) {
          A[t] = b;
          B[t] = a;
        } else {
          A[t] = a;
          B[t] = a === MIXED ? NONE : b;
        }
      }
    }
  }
}
