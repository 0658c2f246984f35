/**
 * The demo guest's mouse pointer: a 16x16 colour (ARGB32) arrow.
 *
 * Guests that own the pointer send its image once with POINTER_SHAPE and then only move it;
 * the VNC server forwards the image to clients that support the Cursor pseudo-encoding. The
 * arrow is kept as ASCII art (`B` black outline, `W` white fill, `s` a soft shadow of black at
 * alpha 0x60, `.` transparent) so it is easy to read and check, and converted to bytes (B, G, R,
 * A per pixel) at load time. The shadow shows whether a client got the pointer's real alpha
 * (Cursor With Alpha) or a 1-bit mask (the plain Cursor pseudo-encoding drops it).
 */

import type { GuestPointerShape } from './driver.js';

// prettier-ignore
const ARROW_ART: readonly string[] = [
  'Bs..............',
  'BBs.............',
  'BWBs............',
  'BWWBs...........',
  'BWWWBs..........',
  'BWWWWBs.........',
  'BWWWWWBs........',
  'BWWWWWWBs.......',
  'BWWWWWWWBs......',
  'BWWWWWWWWBs.....',
  'BWWWWWBBBBBs....',
  'BWWBWWBs........',
  'BWBsBWWBs.......',
  'BBs.BWWBs.......',
  'Bs...BWWBs......',
  '.s...BBBBs......',
];

/** ARGB value of each art character. */
const ART_COLOURS: Readonly<Record<string, number>> = { B: 0xff000000, W: 0xffffffff, s: 0x60000000, '.': 0x00000000 };

/** Converts ASCII art rows into a colour pointer shape (hotspot given in pixels). */
export function pointerFromArt(art: readonly string[], hotX: number, hotY: number): GuestPointerShape {
  const height = art.length;
  const width = art[0]?.length ?? 0;
  const argb = new Uint8Array(width * height * 4);
  art.forEach((row, y) => {
    if (row.length !== width) throw new Error(`pointer art row ${y} is ${row.length} wide, want ${width}`);
    for (let x = 0; x < width; x++) {
      const c = ART_COLOURS[row[x]!];
      if (c === undefined) throw new Error(`pointer art row ${y} has unknown character ${JSON.stringify(row[x])}`);
      const i = (y * width + x) * 4;
      argb[i] = c & 0xff;
      argb[i + 1] = (c >>> 8) & 0xff;
      argb[i + 2] = (c >>> 16) & 0xff;
      argb[i + 3] = c >>> 24;
    }
  });
  return { width, height, hotX, hotY, argb };
}

/** The demo guest's arrow pointer (16x16, hotspot at its tip, 0,0). */
export const ARROW_POINTER: GuestPointerShape = pointerFromArt(ARROW_ART, 0, 0);
