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
