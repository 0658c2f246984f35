/**
 * What the RFB server reads pixels from. Anything with a size and row reads will do: the VM's
 * `FramebufferView` fits as is, and a program can serve its own pixel buffer.
 */

/** A framebuffer the server can read. Pixels are 4 bytes, little-endian `0x00RRGGBB`. */
export interface FramebufferSource {
  /** Current width in pixels. */
  readonly width: number;
  /** Current height in pixels. */
  readonly height: number;
  /**
   * Copies `w` pixels of row `y` starting at column `x` into `dst` at `dstOffset` (4 bytes per
   * pixel). The server only asks for rows and columns inside the current size.
   */
  readRow(y: number, x: number, w: number, dst: Uint8Array, dstOffset: number): void;
  /**
   * Optional zero-copy access: a live view of row `y`'s visible pixels (`width * 4` bytes).
   * When present, change detection compares rows in place instead of copying them first.
   */
  rowView?(y: number): Uint8Array;
  /**
   * Optional zero-copy access to `count` consecutive rows as one view (`count * width * 4`
   * bytes), or `undefined` when rows are not packed back to back (stride > width * 4).
   */
  rowsView?(y: number, count: number): Uint8Array | undefined;
}
