/**
 * RFB PIXEL_FORMAT: parsing, validation and the server's native format.
 *
 * Validation follows OpenVMM and goes a little further: bpp must be 8, 16 or 32, true colour is
 * required (we keep no colour map), each channel's width (from the highest set bit of its max)
 * is at most 8 bits and shift + bits fits in 32, and a channel must fit in the pixel's bits so a
 * converted value can never spill past `bpp`. `max = 0` is accepted (the channel converts to 0).
 * A max that is not 2^N-1 is accepted; the caller logs it.
 */

/** A client's requested pixel format (RFB PIXEL_FORMAT, 16 bytes). */
export interface PixelFormat {
  readonly bitsPerPixel: number;
  readonly depth: number;
  readonly bigEndian: boolean;
  readonly trueColour: boolean;
  readonly redMax: number;
  readonly greenMax: number;
  readonly blueMax: number;
  readonly redShift: number;
  readonly greenShift: number;
  readonly blueShift: number;
}

/** The framebuffer's own format: 32 bpp, depth 24, little-endian 0x00RRGGBB. */
export const SERVER_PIXEL_FORMAT: PixelFormat = Object.freeze({
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
});

/** Parses the 16-byte PIXEL_FORMAT structure. */
export function parsePixelFormat(b: Uint8Array): PixelFormat {
  return {
    bitsPerPixel: b[0]!,
    depth: b[1]!,
    bigEndian: b[2]! !== 0,
    trueColour: b[3]! !== 0,
    redMax: (b[4]! << 8) | b[5]!,
    greenMax: (b[6]! << 8) | b[7]!,
    blueMax: (b[8]! << 8) | b[9]!,
    redShift: b[10]!,
    greenShift: b[11]!,
    blueShift: b[12]!,
  };
}

/** Writes the 16-byte PIXEL_FORMAT structure into `out` at `off`. */
export function writePixelFormat(pf: PixelFormat, out: Uint8Array, off: number): void {
  out[off] = pf.bitsPerPixel;
  out[off + 1] = pf.depth;
  out[off + 2] = pf.bigEndian ? 1 : 0;
  out[off + 3] = pf.trueColour ? 1 : 0;
  out[off + 4] = pf.redMax >> 8;
  out[off + 5] = pf.redMax & 0xff;
  out[off + 6] = pf.greenMax >> 8;
  out[off + 7] = pf.greenMax & 0xff;
  out[off + 8] = pf.blueMax >> 8;
  out[off + 9] = pf.blueMax & 0xff;
  out[off + 10] = pf.redShift;
  out[off + 11] = pf.greenShift;
  out[off + 12] = pf.blueShift;
  out.fill(0, off + 13, off + 16);
}

/** Bits needed for a channel's max value (the position of its highest set bit). */
export function channelBits(max: number): number {
  return max === 0 ? 0 : 32 - Math.clz32(max);
}

/** Why a format is unusable, or `undefined` when it is fine. */
export function pixelFormatProblem(pf: PixelFormat): string | undefined {
  if (pf.bitsPerPixel !== 8 && pf.bitsPerPixel !== 16 && pf.bitsPerPixel !== 32) {
    return `bits-per-pixel ${pf.bitsPerPixel} (expected 8, 16 or 32)`;
  }
  if (!pf.trueColour) return 'colour-map formats are not supported (true-colour flag is 0)';
  const channels: [string, number, number][] = [
    ['red', pf.redMax, pf.redShift],
    ['green', pf.greenMax, pf.greenShift],
    ['blue', pf.blueMax, pf.blueShift],
  ];
  for (const [name, max, shift] of channels) {
    const bits = channelBits(max);
    if (bits > 8) return `${name}-max ${max} needs ${bits} bits (at most 8)`;
    if (shift + bits > pf.bitsPerPixel) {
      return `${name} channel (shift ${shift}, ${bits} bits) does not fit in ${pf.bitsPerPixel} bits per pixel`;
    }
  }
  return undefined;
}

/** True when a channel max is not of the form 2^N - 1 (legal, but worth a log line). */
export function hasIrregularMax(pf: PixelFormat): boolean {
  return [pf.redMax, pf.greenMax, pf.blueMax].some((m) => (m & (m + 1)) !== 0);
}

/** True when `pf` is byte-for-byte the framebuffer's own layout (no conversion needed). */
export function isNativeFormat(pf: PixelFormat): boolean {
  return (
    pf.bitsPerPixel === 32 &&
    !pf.bigEndian &&
    pf.redMax === 255 &&
    pf.greenMax === 255 &&
    pf.blueMax === 255 &&
    pf.redShift === 16 &&
    pf.greenShift === 8 &&
    pf.blueShift === 0
  );
}
