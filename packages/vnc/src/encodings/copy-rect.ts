/**
 * CopyRect (encoding 1): "this rectangle equals the one at (srcX, srcY) on your screen". The
 * body is just the source position (two u16), so a scrolled terminal or a dragged window costs
 * 16 bytes instead of its pixels. Unlike the other encodings it reads no pixels: it is only
 * right if the client's picture of the source is known, which is what `MoveTracker` ensures.
 * Clients apply rects in order, so CopyRects go first in an update, before the pixels that
 * repair what the copy got wrong.
 */

import type { ByteWriter } from '../byte-writer.js';
import { Encoding } from '../rfb.js';
import { writeRectHeader } from './encoder.js';

/** A region that moved: `w` x `h` pixels from (`srcX`, `srcY`) to (`dstX`, `dstY`). */
export interface Move {
  readonly srcX: number;
  readonly srcY: number;
  readonly dstX: number;
  readonly dstY: number;
  readonly w: number;
  readonly h: number;
}

/** Appends one CopyRect rectangle (16 bytes) for `move`. */
export function encodeCopyRect(out: ByteWriter, move: Move): void {
  writeRectHeader(out, move.dstX, move.dstY, move.w, move.h, Encoding.COPY_RECT);
  out.u16(move.srcX);
  out.u16(move.srcY);
}

/**
 * Calls `fn` with pieces covering `l..r` x `t..b` minus the destinations of `moves` (up to four
 * pieces per destination it cuts: above, below, left, right). Empty input calls nothing.
 * `from` skips the first moves (used by the recursion).
 */
export function forEachOutside(l: number, t: number, r: number, b: number, moves: readonly Move[], fn: (l: number, t: number, r: number, b: number) => void, from = 0): void {
  // NaN edges count as 0, as the dirty bitmap clamps them.
  if (l !== l) l = 0;
  if (t !== t) t = 0;
  if (r !== r) r = 0;
  if (b !== b) b = 0;
  if (!(l < r && t < b)) return;
  for (let i = from; i < moves.length; i++) {
    const m = moves[i]!;
    const ml = m.dstX;
    const mt = m.dstY;
    const mr = m.dstX + m.w;
    const mb = m.dstY + m.h;
    if (mr <= l || ml >= r || mb <= t || mt >= b) continue;
    forEachOutside(l, t, r, Math.min(b, mt), moves, fn, i + 1);
    forEachOutside(l, Math.max(t, mb), r, b, moves, fn, i + 1);
    forEachOutside(l, Math.max(t, mt), Math.min(r, ml), Math.min(b, mb), moves, fn, i + 1);
    forEachOutside(Math.max(l, mr), Math.max(t, mt), r, Math.min(b, mb), moves, fn, i + 1);
    return;
  }
  fn(l, t, r, b);
}
