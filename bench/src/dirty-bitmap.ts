/**
 * `dirty-bitmap`: the per-operation cost of the 16x16-tile dirty bitmap at 1920x1080
 * (120 x 68 = 8160 tiles), which every dirt rectangle and every update goes through.
 *
 * - `markRect` of typical update shapes: one character cell (12x16, unaligned), a text line,
 *   a window, the full screen;
 * - `toRects` (the greedy merge into RFB rectangles) of a full bitmap (one rect), a
 *   checkerboard (the worst case: one rect per dirty tile) and a seeded random 5% of tiles.
 *
 * These are microsecond operations, so each round batches many calls; no baseline applies, the
 * point is the absolute size next to a 30 ms update interval.
 */

import { DirtyBitmap, type Rect } from '@openvmm-vnc-ts/vnc';
import { FHD } from './frames.js';
import { Prng, measure } from './harness.js';
import { type BenchResult, type Benchmark, type Row, fmtInt, fmtUs } from './report.js';

interface MarkCase {
  readonly label: string;
  readonly rect: readonly [left: number, top: number, right: number, bottom: number];
}

const MARK_CASES: readonly MarkCase[] = [
  { label: '1 char cell 12x16 @ (605,203)', rect: [605, 203, 617, 219] },
  { label: 'text line 1920x16 @ y=203', rect: [0, 203, 1920, 219] },
  { label: 'window 800x600 @ (333,177)', rect: [333, 177, 1133, 777] },
  { label: 'full screen 1920x1080', rect: [0, 0, 1920, 1080] },
];

function fullBitmap(): DirtyBitmap {
  return new DirtyBitmap(FHD.width, FHD.height); // starts all dirty
}

function checkerboard(): DirtyBitmap {
  const b = new DirtyBitmap(FHD.width, FHD.height);
  b.clear();
  for (let ty = 0; ty < b.tilesY; ty++) for (let tx = ty & 1; tx < b.tilesX; tx += 2) b.setTile(tx, ty);
  return b;
}

function randomTiles(fraction: number, seed: number): DirtyBitmap {
  const b = new DirtyBitmap(FHD.width, FHD.height);
  b.clear();
  const rng = new Prng(seed);
  const total = b.tilesX * b.tilesY;
  const want = Math.round(total * fraction);
  while (b.count() < want) b.setTile(rng.int(b.tilesX), rng.int(b.tilesY));
  return b;
}

/** The `dirty-bitmap` benchmark. */
export const dirtyBitmapBenchmark: Benchmark = {
  name: 'dirty-bitmap',
  run(): BenchResult {
    const rows: Row[] = [];
    for (const c of MARK_CASES) {
      const b = new DirtyBitmap(FHD.width, FHD.height);
      b.clear();
      const [l, t, r, bo] = c.rect;
      const s = measure(() => b.markRect(l, t, r, bo), { rounds: 21 });
      rows.push({ op: 'markRect', input: c.label, tiles: b.count(), rects: null, medianUs: s.median * 1e3, p90Us: s.p90 * 1e3 });
    }
    const toRectsCases: readonly [string, DirtyBitmap][] = [
      ['full (all 8160 tiles)', fullBitmap()],
      ['checkerboard (every other tile)', checkerboard()],
      ['random 5% of tiles (seeded)', randomTiles(0.05, 0x5eed)],
    ];
    for (const [label, b] of toRectsCases) {
      const out: Rect[] = [];
      const s = measure(() => b.toRects(out), { rounds: 21 });
      rows.push({ op: 'toRects', input: label, tiles: b.count(), rects: out.length, medianUs: s.median * 1e3, p90Us: s.p90 * 1e3 });
    }
    return {
      name: 'dirty-bitmap',
      title: 'DirtyBitmap at 1920x1080 (120x68 tiles), microseconds per operation',
      columns: [
        { key: 'op', header: 'operation' },
        { key: 'input', header: 'input' },
        { key: 'tiles', header: 'dirty tiles', format: fmtInt },
        { key: 'rects', header: 'rects out', format: fmtInt },
        { key: 'medianUs', header: 'median µs', format: fmtUs },
        { key: 'p90Us', header: 'p90 µs', format: fmtUs },
      ],
      rows,
      notes: [
        'markRect repeats on an already-marked bitmap (same work: it ORs bits); toRects leaves its bitmap unchanged and reuses its output array.',
        'No baseline: these are absolute per-call costs, to set against a 30 ms update interval.',
      ],
    };
  },
};
