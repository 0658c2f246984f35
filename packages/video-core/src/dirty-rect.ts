/**
 * `DirtyRect`: the one rectangle type that crosses the device/consumer boundary.
 *
 * The synthvid DIRT message carries rectangles as four signed 32-bit edges; we keep that shape
 * (left/top inclusive, right/bottom exclusive) so a rect from the wire is representable as is,
 * including the hostile ones (negative, inverted, far past the surface). Consumers must clamp
 * with {@link clampDirtyRect} before using one to index memory.
 */

/** A rectangle in framebuffer pixels: `left`/`top` inclusive, `right`/`bottom` exclusive. */
export interface DirtyRect {
  /** First column, inclusive. May be negative when it comes from a guest. */
  left: number;
  /** First row, inclusive. */
  top: number;
  /** One past the last column. */
  right: number;
  /** One past the last row. */
  bottom: number;
}

/** Builds a {@link DirtyRect} from edges. */
export function dirtyRect(left: number, top: number, right: number, bottom: number): DirtyRect {
  return { left, top, right, bottom };
}

/** True when the rect covers no pixel (zero or negative width or height). */
export function isEmptyRect(r: DirtyRect): boolean {
  return !(r.right > r.left && r.bottom > r.top);
}

/**
 * Clamps `r` to a `width` x `height` surface. Returns `undefined` when nothing of it is left,
 * so callers never index VRAM with a guest-controlled value (the CVE-2016-9603 class).
 */
export function clampDirtyRect(r: DirtyRect, width: number, height: number): DirtyRect | undefined {
  const left = Math.max(0, Math.min(width, r.left | 0));
  const top = Math.max(0, Math.min(height, r.top | 0));
  const right = Math.max(0, Math.min(width, r.right | 0));
  const bottom = Math.max(0, Math.min(height, r.bottom | 0));
  if (right <= left || bottom <= top) return undefined;
  return { left, top, right, bottom };
}
