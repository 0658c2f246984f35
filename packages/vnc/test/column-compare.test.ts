/**
 * `ColumnCompare` (the damage filter's WebAssembly comparison, and its JavaScript fallback):
 * against a plain reference, a single changed byte anywhere in a row is found in exactly its
 * tile column, clipped to the compared span, and nothing outside the span counts. Where no
 * WebAssembly memory can be had (a RangeError, as under `ulimit -v`), the fallback takes over:
 * in this process with `WebAssembly.Memory` made to throw, and in a child process under a real
 * 8 GiB address-space limit.
 */

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

describe.each(['wasm', 'js'] as const)('ColumnCompare (%s)', (engine) => {
  const width = 333; // an odd width: a last column of 13 pixels, odd pixel counts
  const height = 4;

  it('runs the engine asked for', () => {
    expect(new ColumnCompare(width, height, { engine }).engine).toBe(engine);
  });

  it('finds one changed byte at every position in exactly its column, clipped to the span', () => {
    const c = new ColumnCompare(width, height, { engine });
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
    const c = new ColumnCompare(width, height, { engine });
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

describe('ColumnCompare without WebAssembly memory', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('falls back to JavaScript on a RangeError from WebAssembly.Memory, with the same results', () => {
    vi.spyOn(WebAssembly, 'Memory').mockImplementation(() => {
      throw new RangeError('WebAssembly.Memory(): could not allocate memory');
    });
    const c = new ColumnCompare(40, 2);
    expect(c.engine).toBe('js');
    c.row.set(c.snapshot.subarray(40 * 4, 80 * 4));
    c.row[35 * 4 + 2] ^= 1;
    expect(c.diff(1, 0, 40)).toBe(8); // the last column: pixels 32..39
    expect(Array.from(c.changed)).toEqual([0, 0, 1]);
  });

  it('lets any other error through', () => {
    vi.spyOn(WebAssembly, 'Memory').mockImplementation(() => {
      throw new TypeError('not an allocation failure');
    });
    expect(() => new ColumnCompare(40, 2)).toThrow(TypeError);
  });

  it('under a real 8 GiB address-space limit (ulimit -v), a 1080p snapshot still compares', () => {
    // A child node under the limit: first whether WebAssembly memory can be had at all there
    // (on this project's machines it cannot), then a 1920x1080 ColumnCompare from the build.
    const dist = fileURLToPath(new URL('../dist/column-compare.js', import.meta.url));
    const script = `
      let wasmMemory = true;
      try { new WebAssembly.Memory({ initial: 1 }); } catch { wasmMemory = false; }
      const { ColumnCompare } = await import(${JSON.stringify(dist)});
      const c = new ColumnCompare(1920, 1080);
      c.row[1000 * 4] = 1;
      const pixels = c.diff(1079, 990, 1010);
      console.log(JSON.stringify({ wasmMemory, engine: c.engine, pixels, flag: c.changed[62] }));`;
    const r = spawnSync('sh', ['-c', 'ulimit -v 8388608 && exec "$0" --input-type=module -e "$1"', process.execPath, script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { wasmMemory: boolean; engine: string; pixels: number; flag: number };
    expect(out.wasmMemory, 'WebAssembly memory was available under ulimit -v: this test no longer exercises the fallback').toBe(false);
    // Pixel 1000 lies in tile column 62 (pixels 992..1007), wholly inside the span 990..1010.
    expect(out).toEqual({ wasmMemory: false, engine: 'js', pixels: 16, flag: 1 });
  });
});
