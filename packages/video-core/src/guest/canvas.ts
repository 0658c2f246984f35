/**
 * `GuestCanvas`: the built-in guests' drawing surface, writing straight into VRAM.
 *
 * A real guest driver owns a linear framebuffer and pokes pixels into it; the host only learns
 * what changed from DIRT messages. This class is that framebuffer from the guest's side: a
 * width x height surface of 32-bit little-endian `0x00RRGGBB` pixels (bytes B, G, R, X) at some
 * byte offset and stride inside the VRAM bytes. Every operation clips to the surface (a guest
 * must never scribble outside the area it announced) and reports the rectangle it touched, so
 * callers can send DIRT for exactly that. When the layout is 4-byte aligned and the platform is
 * little-endian it works through a `Uint32Array` view, one store per pixel.
 */

import type { DirtyRect } from '../dirty-rect.js';
import { BYTES_PER_PIXEL } from '../framebuffer.js';
import { FONT_BASE_CELL_HEIGHT, FONT_BASE_CELL_WIDTH, FONT_DEFAULT_SCALE, FONT_GLYPH_HEIGHT, FONT_GLYPH_WIDTH, glyphRows } from './font.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Where a {@link GuestCanvas} lives inside VRAM. */
export interface CanvasLayout {
  /** Visible width in pixels (>= 1). */
  readonly width: number;
  /** Visible height in pixels (>= 1). */
  readonly height: number;
  /** Bytes from one row to the next; default `width * 4`. */
  readonly stride?: number;
  /** Byte offset of pixel (0, 0) inside the VRAM bytes; default 0. */
  readonly offset?: number;
}

/** Intersection of a rect given as x/y/w/h with the surface, or `undefined` when empty. */
function clip(x: number, y: number, w: number, h: number, width: number, height: number): DirtyRect | undefined {
  const left = Math.max(0, Math.trunc(x));
  const top = Math.max(0, Math.trunc(y));
  const right = Math.min(width, Math.trunc(x + w));
  const bottom = Math.min(height, Math.trunc(y + h));
  if (!(right > left && bottom > top)) return undefined;
  return { left, top, right, bottom };
}

/** A clipped 32-bpp drawing surface over VRAM bytes. */
export class GuestCanvas {
  /** Visible width in pixels. */
  readonly width: number;
  /** Visible height in pixels. */
  readonly height: number;
  /** Bytes per row. */
  readonly stride: number;
  /** Byte offset of pixel (0, 0) in {@link GuestCanvas.bytes}. */
  readonly offset: number;
  /** The VRAM bytes drawn into. */
  readonly bytes: Uint8Array;
  /** Whole-buffer `Uint32Array` view when the layout allows word access, else undefined. */
  private readonly words: Uint32Array | undefined;
  /** Stride in 32-bit words (valid when {@link GuestCanvas.words} is set). */
  private readonly strideWords: number;
  /** Offset in 32-bit words (valid when {@link GuestCanvas.words} is set). */
  private readonly offsetWords: number;

  /**
   * Wraps `vram` (the VRAM `SharedArrayBuffer`, an `ArrayBuffer`, or a byte view over either).
   * Throws `RangeError` when the surface does not fit in it or the layout is not sane.
   */
  constructor(vram: SharedArrayBuffer | ArrayBuffer | Uint8Array, layout: CanvasLayout) {
    const bytes = vram instanceof Uint8Array ? vram : new Uint8Array(vram);
    const { width, height } = layout;
    const stride = layout.stride ?? width * BYTES_PER_PIXEL;
    const offset = layout.offset ?? 0;
    for (const [name, v] of [['width', width], ['height', height], ['stride', stride], ['offset', offset]] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`canvas ${name} ${v} must be a non-negative integer`);
    }
    if (width < 1 || height < 1) throw new RangeError(`canvas size ${width}x${height} is empty`);
    if (stride < width * BYTES_PER_PIXEL) throw new RangeError(`canvas stride ${stride} is less than width*4`);
    const end = offset + stride * (height - 1) + width * BYTES_PER_PIXEL;
    if (end > bytes.length) throw new RangeError(`canvas ends at byte ${end}, past the buffer (${bytes.length})`);
    this.width = width;
    this.height = height;
    this.stride = stride;
    this.offset = offset;
    this.bytes = bytes;
    const aligned = LITTLE_ENDIAN && bytes.byteOffset % 4 === 0 && offset % 4 === 0 && stride % 4 === 0;
    this.words = aligned ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2) : undefined;
    this.strideWords = stride >>> 2;
    this.offsetWords = offset >>> 2;
  }

  /** The whole surface as a rect. */
  get bounds(): DirtyRect {
    return { left: 0, top: 0, right: this.width, bottom: this.height };
  }

  /** The pixel at (x, y) as `0x00RRGGBB`, or `undefined` outside the surface. */
  pixel(x: number, y: number): number | undefined {
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= this.width || y >= this.height) return undefined;
    const i = this.offset + y * this.stride + x * BYTES_PER_PIXEL;
    const b = this.bytes;
    return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16)) >>> 0;
  }

  /** Sets one pixel (clipped); returns true when it was inside the surface. */
  setPixel(x: number, y: number, rgb: number): boolean {
    return this.fillRect(x, y, 1, 1, rgb) !== undefined;
  }

  /**
   * Fills the rect at (x, y) of size w x h with `rgb` (`0x00RRGGBB`; the top byte is written as
   * 0). Returns the clipped rect that was written, or `undefined` when none of it is visible.
   */
  fillRect(x: number, y: number, w: number, h: number, rgb: number): DirtyRect | undefined {
    const r = clip(x, y, w, h, this.width, this.height);
    if (!r) return undefined;
    const value = (rgb & 0xffffff) >>> 0;
    if (this.words) {
      for (let row = r.top; row < r.bottom; row++) {
        const base = this.offsetWords + row * this.strideWords;
        this.words.fill(value, base + r.left, base + r.right);
      }
    } else {
      const b = this.bytes;
      for (let row = r.top; row < r.bottom; row++) {
        let i = this.offset + row * this.stride + r.left * BYTES_PER_PIXEL;
        for (let col = r.left; col < r.right; col++, i += 4) {
          b[i] = value & 0xff;
          b[i + 1] = (value >>> 8) & 0xff;
          b[i + 2] = (value >>> 16) & 0xff;
          b[i + 3] = 0;
        }
      }
    }
    return r;
  }

  /**
   * Fills the rect (x, y, w, h), clipped, with `colorAt(x, y)` per pixel (absolute surface
   * coordinates, `0x00RRGGBB`). For patterns and gradients. Returns the clipped rect.
   */
  fillWith(x: number, y: number, w: number, h: number, colorAt: (x: number, y: number) => number): DirtyRect | undefined {
    const r = clip(x, y, w, h, this.width, this.height);
    if (!r) return undefined;
    const b = this.bytes;
    for (let row = r.top; row < r.bottom; row++) {
      if (this.words) {
        const base = this.offsetWords + row * this.strideWords;
        for (let col = r.left; col < r.right; col++) this.words[base + col] = (colorAt(col, row) & 0xffffff) >>> 0;
      } else {
        let i = this.offset + row * this.stride + r.left * BYTES_PER_PIXEL;
        for (let col = r.left; col < r.right; col++, i += 4) {
          const v = colorAt(col, row);
          b[i] = v & 0xff;
          b[i + 1] = (v >>> 8) & 0xff;
          b[i + 2] = (v >>> 16) & 0xff;
          b[i + 3] = 0;
        }
      }
    }
    return r;
  }

  /** Fills the whole surface with `rgb`. */
  clear(rgb: number): DirtyRect {
    return this.fillRect(0, 0, this.width, this.height, rgb)!;
  }

  /**
   * Draws a 1-px rectangle outline just inside (x, y, w, h); returns the clipped outer rect
   * touched, or `undefined` when nothing was visible.
   */
  strokeRect(x: number, y: number, w: number, h: number, rgb: number): DirtyRect | undefined {
    if (w <= 0 || h <= 0) return undefined;
    const parts = [
      this.fillRect(x, y, w, 1, rgb),
      this.fillRect(x, y + h - 1, w, 1, rgb),
      this.fillRect(x, y, 1, h, rgb),
      this.fillRect(x + w - 1, y, 1, h, rgb),
    ];
    return parts.some((p) => p) ? clip(x, y, w, h, this.width, this.height) : undefined;
  }

  /**
   * Draws `text` with its top-left corner at (x, y): each character is one font cell
   * (`6*scale` x `8*scale` pixels), ink in `fg`, the rest of the cell in `bg` — or left as it
   * was when `bg` is `undefined`. Characters outside printable ASCII draw as a box. Returns the
   * clipped bounds of all the cells, or `undefined` when nothing was visible.
   */
  drawText(x: number, y: number, text: string, fg: number, bg: number | undefined, scale: number = FONT_DEFAULT_SCALE): DirtyRect | undefined {
    if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`text scale ${scale} must be a positive integer`);
    x = Math.trunc(x);
    y = Math.trunc(y);
    const cellW = FONT_BASE_CELL_WIDTH * scale;
    const cellH = FONT_BASE_CELL_HEIGHT * scale;
    const bounds = clip(x, y, cellW * text.length, cellH, this.width, this.height);
    if (!bounds) return undefined;
    if (bg !== undefined) this.fillRect(bounds.left, bounds.top, bounds.right - bounds.left, bounds.bottom - bounds.top, bg);
    for (let i = 0; i < text.length; i++) {
      const cx = x + i * cellW;
      if (cx >= bounds.right || cx + cellW <= bounds.left) continue;
      const rows = glyphRows(text.charCodeAt(i));
      for (let gy = 0; gy < FONT_GLYPH_HEIGHT; gy++) {
        const mask = rows[gy]!;
        if (mask === 0) continue;
        for (let gx = 0; gx < FONT_GLYPH_WIDTH; gx++) {
          if ((mask >> (FONT_GLYPH_WIDTH - 1 - gx)) & 1) this.fillRect(cx + gx * scale, y + gy * scale, scale, scale, fg);
        }
      }
    }
    return bounds;
  }

  /**
   * Moves the contents of the rect (x, y, w, h) up by `dy` pixels (down when negative), filling
   * the rows it uncovers with `fill`. Like a console scrolling. Returns the clipped rect, which
   * is everything that may have changed, or `undefined` when it is off the surface.
   */
  scroll(x: number, y: number, w: number, h: number, dy: number, fill: number): DirtyRect | undefined {
    const r = clip(x, y, w, h, this.width, this.height);
    if (!r) return undefined;
    dy = Math.trunc(dy);
    const rw = r.right - r.left;
    const rh = r.bottom - r.top;
    if (dy === 0) return r;
    if (Math.abs(dy) >= rh) {
      this.fillRect(r.left, r.top, rw, rh, fill);
      return r;
    }
    const rowBytes = rw * BYTES_PER_PIXEL;
    const start = (row: number): number => this.offset + row * this.stride + r.left * BYTES_PER_PIXEL;
    if (dy > 0) {
      for (let row = r.top; row < r.bottom - dy; row++) this.bytes.copyWithin(start(row), start(row + dy), start(row + dy) + rowBytes);
      this.fillRect(r.left, r.bottom - dy, rw, dy, fill);
    } else {
      for (let row = r.bottom - 1; row >= r.top - dy; row--) this.bytes.copyWithin(start(row), start(row + dy), start(row + dy) + rowBytes);
      this.fillRect(r.left, r.top, rw, -dy, fill);
    }
    return r;
  }

  /** A copy of the surface's visible pixels, row by row, with no stride padding (for tests). */
  snapshot(): Uint8Array {
    const rowBytes = this.width * BYTES_PER_PIXEL;
    const out = new Uint8Array(rowBytes * this.height);
    for (let row = 0; row < this.height; row++) {
      const s = this.offset + row * this.stride;
      out.set(this.bytes.subarray(s, s + rowBytes), row * rowBytes);
    }
    return out;
  }
}

/** Smallest rect containing all of `rects` (ignoring `undefined`s), or `undefined` if none. */
export function unionRects(...rects: (DirtyRect | undefined)[]): DirtyRect | undefined {
  let out: DirtyRect | undefined;
  for (const r of rects) {
    if (!r) continue;
    out = out
      ? { left: Math.min(out.left, r.left), top: Math.min(out.top, r.top), right: Math.max(out.right, r.right), bottom: Math.max(out.bottom, r.bottom) }
      : { ...r };
  }
  return out;
}
