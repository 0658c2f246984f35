/**
 * `ColumnCompare` (the damage filter's WebAssembly comparison): against a plain reference, a
 * single changed byte anywhere in a row is found in exactly its tile column, clipped to the
 * compared span, and nothing outside the span counts.
 */

import { describe, expect, it } from 'vitest';
import { ColumnCompare } from '../src/column-compare.js';

/** The reference: for each 16-pixel column touched by [left, right), whether any pixel inside the span differs. */
function reference(row: Uint8Array, snap: Uint8Array, y: number, width: number, left: number, right: number): { flags: number[]; pixels: number } {
  const flags: number[] = [];
  let pixels = 0;
  for (let t = Math.floor(left / 16); t * 16 < right; t++) {
    const a = Math.max(left, t * 16);
    const b = Math.min(right, t * 16 + 16);
    let differs = false;
    for (let x = a; x < b && !differs; x++) for (let k = 0; k < 4; k++) if (row[x * 4 + k] !== snap[(y * width + x) * 4 + k]) differs = true;
    if (differs) {
      flags.push(t);
      pixels += b - a;
    }
  }
  return { flags, pixels };
}

function setFlags(c: ColumnCompare): number[] {
  const out: number[] = [];
  c.changed.forEach((v, t) => {
    if (v) out.push(t);
  });
  return out;
}

describe('ColumnCompare', () => {
  const width = 333; // an odd width: a last column of 13 pixels, odd pixel counts
  const height = 4;

  it('finds one changed byte at every position in exactly its column, clipped to the span', () => {
    const c = new ColumnCompare(width, height);
    let seed = 5;
    for (let i = 0; i < c.snapshot.length; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      c.snapshot[i] = seed >>> 24;
    }
    const y = 2;
    const spans = [
      [0, width],
      [3, 40],
      [17, 18],
      [31, 33],
      [320, 333],
    ];
    for (const [left, right] of spans) {
      for (let p = left!; p < right!; p++) {
        for (const k of [0, 3]) {
          c.row.set(c.snapshot.subarray(y * width * 4, (y + 1) * width * 4));
          c.row[p * 4 + k] ^= 0x80;
          // A difference just outside the span must not count.
          if (left! > 0) c.row[(left! - 1) * 4] ^= 1;
          if (right! < width) c.row[right! * 4] ^= 1;
          c.changed.fill(0);
          const got = c.diff(y, left!, right!);
          const want = reference(c.row, c.snapshot, y, width, left!, right!);
          expect({ flags: setFlags(c), pixels: got }, `span ${left}..${right}, byte ${k} of pixel ${p}`).toEqual(want);
          expect(want.flags).toEqual([Math.floor(p / 16)]);
        }
      }
    }
  });

  it('random rows: flags and pixel counts equal the reference; store makes the row equal', () => {
    const c = new ColumnCompare(width, height);
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 300; i++) {
      const y = rnd(height);
      const left = rnd(width);
      const right = left + 1 + rnd(width - left);
      c.row.set(c.snapshot.subarray(y * width * 4, (y + 1) * width * 4));
      for (let n = rnd(6); n > 0; n--) c.row[rnd(width * 4)] = rnd(256);
      c.changed.fill(0);
      const got = c.diff(y, left, right);
      expect({ flags: setFlags(c), pixels: got }).toEqual(reference(c.row, c.snapshot, y, width, left, right));
      c.store(y, left, right);
      c.changed.fill(0);
      expect(c.diff(y, left, right)).toBe(0);
      expect(setFlags(c)).toEqual([]);
    }
  });
});
