/**
 * Colour counting for Tight: decides whether a sub-rectangle is one colour (fill), two (mono
 * palette), a few (indexed palette) or too many (full colour: copy filter or JPEG), and maps
 * pixels to palette indices for the palette filter.
 *
 * Pixels arrive as "keys", one u32 per pixel that is equal exactly when the pixels are (see
 * {@link TightEncoder}). Counting stops as soon as the palette would exceed the limit, so a
 * photo-like rect costs little more than finding its first `max + 1` colours. Runs of equal
 * pixels are skipped without a map lookup, which is most of a desktop's pixels. The map and the
 * colour array are reused, so analysing allocates nothing.
 */

/** Most colours a Tight palette can carry (the palette size is sent as one byte, minus one). */
export const TIGHT_MAX_PALETTE = 256;

/** The palette of one sub-rectangle; reused from one sub-rectangle to the next. */
export class TightPalette {
  /** The palette's colours (keys) in index order; the first {@link TightPalette.size} are valid. */
  readonly colours = new Uint32Array(TIGHT_MAX_PALETTE);
  /** Colours found by the last {@link TightPalette.build}; 0 when there were more than allowed. */
  size = 0;
  private readonly index = new Map<number, number>();

  /**
   * Collects the distinct colours of `keys[0..n)` (n >= 1), in order of first appearance.
   * Returns the number of colours, or 0 when there are more than `max` (then the palette is
   * unusable and the rect is full colour).
   */
  build(keys: Uint32Array, n: number, max: number): number {
    const index = this.index;
    const colours = this.colours;
    const limit = Math.min(max, TIGHT_MAX_PALETTE);
    index.clear();
    let prev = keys[0]!;
    colours[0] = prev;
    index.set(prev, 0);
    let size = 1;
    let i = 1;
    while (i < n && keys[i] === prev) i++;
    if (i < n && limit >= 2) {
      // Two colours (text, two-colour art) are most of what is not a fill. Pixels are checked
      // against both in chunks without a branch per pixel (the colours alternate unpredictably);
      // a chunk with a third colour goes on in the general loop below.
      const second = keys[i]!;
      colours[1] = second;
      index.set(second, 1);
      size = 2;
      prev = second;
      const first = colours[0]!;
      while (i < n) {
        const end = Math.min(n, i + 256);
        let other = 0;
        for (let j = i; j < end; j++) {
          const k = keys[j]!;
          other |= +(k !== first) & +(k !== second);
        }
        if (other !== 0) break;
        i = end;
      }
    }
    // The colour before `prev`: colours that alternate are found without a map lookup.
    let before = size === 2 ? colours[0]! : prev;
    for (; i < n; i++) {
      const k = keys[i]!;
      if (k === prev) continue;
      if (k === before) {
        before = prev;
        prev = k;
        continue;
      }
      before = prev;
      prev = k;
      if (index.has(k)) continue;
      if (size >= limit) {
        this.size = 0;
        return 0;
      }
      colours[size] = k;
      index.set(k, size++);
    }
    this.size = size;
    return size;
  }

  /**
   * Writes one palette index per pixel of `keys[0..n)` into `dst` at `off` (indexed filter,
   * palettes of 3..256 colours). Returns the offset after the last index.
   */
  writeIndices(keys: Uint32Array, n: number, dst: Uint8Array, off: number): number {
    const index = this.index;
    let prevKey = keys[0]!;
    let prevIdx = index.get(prevKey)!;
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      if (k !== prevKey) {
        prevKey = k;
        prevIdx = index.get(k)!;
      }
      dst[off++] = prevIdx;
    }
    return off;
  }

  /**
   * Writes the 1-bit-per-pixel bitmap of a two-colour palette (mono filter) for a `w` x `h`
   * rect: each row starts on a byte boundary, most significant bit first, a set bit meaning
   * palette colour 1. Returns the offset after the last byte.
   */
  writeBitmap(keys: Uint32Array, w: number, h: number, dst: Uint8Array, off: number): number {
    const one = this.colours[1]!;
    const whole = w & ~7;
    let i = 0;
    for (let y = 0; y < h; y++) {
      // Eight pixels per byte without branches, then the row's last partial byte.
      let x = 0;
      for (; x < whole; x += 8, i += 8) {
        dst[off++] =
          (+(keys[i] === one) << 7) |
          (+(keys[i + 1] === one) << 6) |
          (+(keys[i + 2] === one) << 5) |
          (+(keys[i + 3] === one) << 4) |
          (+(keys[i + 4] === one) << 3) |
          (+(keys[i + 5] === one) << 2) |
          (+(keys[i + 6] === one) << 1) |
          +(keys[i + 7] === one);
      }
      if (x < w) {
        let byte = 0;
        for (let bit = 7; x < w; x++, i++, bit--) if (keys[i] === one) byte |= 1 << bit;
        dst[off++] = byte;
      }
    }
    return off;
  }
}
