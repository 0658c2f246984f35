/**
 * `ShadowFrame`: one copy of the framebuffer as it was when the guest last reported each region,
 * shared by every client of a server. Move detection compares the new content of a dirty rect
 * with this copy ("where was this before?"), and each client's `MoveTracker` compares what it
 * sends with it ("does this client's picture equal the copy here?").
 *
 * It is kept only while some client takes CopyRect, is refreshed from the dirty rects as they
 * arrive (a row copy per dirty row, no more than a client would read), and is dropped and
 * re-primed whole when the frame's format changes. Every prime or drop bumps
 * {@link ShadowFrame.epoch}, so that trackers know to trust nothing they learned before.
 */

import type { Move } from './encodings/copy-rect.js';
import type { FramebufferSource } from './framebuffer-source.js';

/** A copy of the framebuffer's pixels (4 bytes each, as the source stores them). */
export class ShadowFrame {
  private _width = 0;
  private _height = 0;
  private _epoch = 0;
  private _active = false;
  private buf: Buffer = Buffer.alloc(0);
  private scratch: Buffer = Buffer.alloc(0);

  /** Width in pixels of the copy (0 while inactive). */
  get width(): number {
    return this._width;
  }
  /** Height in pixels of the copy. */
  get height(): number {
    return this._height;
  }
  /** Bumped whenever the copy starts over (prime) or is dropped. */
  get epoch(): number {
    return this._epoch;
  }
  /** True while the copy is kept up to date. */
  get active(): boolean {
    return this._active;
  }
  /** The copy's bytes, row-major with no padding (`width * 4` bytes a row). */
  get bytes(): Buffer {
    return this.buf;
  }

  /** Copies the whole frame and starts a new epoch. */
  prime(fb: FramebufferSource): void {
    const { width, height } = fb;
    const size = width * height * 4;
    if (this.buf.length !== size) this.buf = Buffer.alloc(size);
    this._width = width;
    this._height = height;
    for (let y = 0; y < height; y++) fb.readRow(y, 0, width, this.buf, y * width * 4);
    this._active = true;
    this._epoch++;
  }

  /** Drops the copy (frees its memory) and starts a new epoch. */
  invalidate(): void {
    if (!this._active && this.buf.length === 0) return;
    this._active = false;
    this.buf = Buffer.alloc(0);
    this.scratch = Buffer.alloc(0);
    this._width = 0;
    this._height = 0;
    this._epoch++;
  }

  /** Refreshes the rectangle `l..r` x `t..b` (clamped to the copy) from `fb`. */
  update(fb: FramebufferSource, l: number, t: number, r: number, b: number): void {
    if (!this._active) return;
    const x0 = clampTo(l, this._width);
    const y0 = clampTo(t, this._height);
    const x1 = clampTo(r, this._width);
    const y1 = clampTo(b, this._height);
    if (x0 >= x1 || y0 >= y1) return;
    const rowBytes = this._width * 4;
    for (let y = y0; y < y1; y++) fb.readRow(y, x0, x1 - x0, this.buf, y * rowBytes + x0 * 4);
  }

  /**
   * Applies a move inside the copy (what a CopyRect client does with its picture): the
   * destination gets the source's pixels, overlapping or not. The caller keeps both in the copy.
   */
  copy(m: Move): void {
    if (!this._active) return;
    const rowBytes = this._width * 4;
    const len = m.w * 4;
    // Rows in the order that never reads a row already overwritten (Buffer.copy is a memmove).
    const down = m.dstY > m.srcY;
    for (let i = 0; i < m.h; i++) {
      const r = down ? m.h - 1 - i : i;
      const from = (m.srcY + r) * rowBytes + m.srcX * 4;
      this.buf.copy(this.buf, (m.dstY + r) * rowBytes + m.dstX * 4, from, from + len);
    }
  }

  /**
   * Reads `w` pixels of `fb`'s row `y` from column `x` into a scratch buffer (reused; valid
   * until the next call) and returns it.
   */
  readFrameRow(fb: FramebufferSource, y: number, x: number, w: number): Buffer {
    if (this.scratch.length < w * 4) this.scratch = Buffer.alloc(Math.max(w, this._width) * 4);
    fb.readRow(y, x, w, this.scratch, 0);
    return this.scratch;
  }

  /**
   * True when `w` pixels of `fb`'s row `fy` from column `fx` equal the copy's row `sy` from
   * column `sx`. The caller keeps both spans inside the frame.
   */
  rowEquals(fb: FramebufferSource, fy: number, fx: number, sy: number, sx: number, w: number): boolean {
    const at = (sy * this._width + sx) * 4;
    const view = fb.rowView?.(fy);
    if (view) return this.buf.compare(view, fx * 4, (fx + w) * 4, at, at + w * 4) === 0; // no copy
    const row = this.readFrameRow(fb, fy, fx, w);
    return row.compare(this.buf, at, at + w * 4, 0, w * 4) === 0;
  }
}

function clampTo(v: number, max: number): number {
  const n = Math.floor(v) || 0; // NaN -> 0
  return n < 0 ? 0 : n > max ? max : n;
}
