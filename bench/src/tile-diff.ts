/**
 * `tile-diff`: the cost of finding changes without device dirt.
 *
 * A 1920x1080 test card in real VRAM (a `FramebufferView` over an 8 MiB `Vram`). Each case
 * times `TileDiffer.diff` and, right next to it, the native floor: one `Buffer.compare` of the
 * same 8,294,400 bytes (the live VRAM view against a copy), which is what an unchanged frame
 * cannot beat. Cases: unchanged, 1% of tiles changed, 100% changed, each for a packed surface
 * (stride = width * 4, where whole 16-row bands compare in one call) and a stride-padded one
 * (stride 7744 > 7680, where the band fast path is unavailable and rows compare one by one).
 * The only stated target: an unchanged packed frame within 1.5x of `Buffer.compare`.
 */

import { FramebufferView, GuestCanvas, type FramebufferFormat } from '@openvmm-vnc-ts/video-core';
import { DirtyBitmap, TILE_SIZE, TileDiffer } from '@openvmm-vnc-ts/vnc';
import { FHD, FHD_BYTES, makeFrame, makeVram } from './frames.js';
import { type Contender, Prng, check, measureSideBySide, type Stats } from './harness.js';
import { type BenchResult, type Benchmark, type Row, fmtInt, fmtRatio, fmtTime } from './report.js';

/** The target for an unchanged packed frame, as a ratio to `Buffer.compare`. */
export const UNCHANGED_TARGET_RATIO = 1.5;

/**
 * Largest 16-byte-aligned stride that still fits 1080 rows of 1920 pixels in 8 MiB of VRAM.
 * (A stride of 8192 would need 8,846,848 bytes: more than the VRAM.)
 */
const PADDED_STRIDE = 7744;

type Change = 'unchanged' | '1% tiles' | '1% clustered' | '100%';

const CHANGES: readonly Change[] = ['unchanged', '1% tiles', '1% clustered', '100%'];

interface Layout {
  readonly label: string;
  readonly format: FramebufferFormat;
}

const LAYOUTS: readonly Layout[] = [
  { label: 'packed (stride 7680)', format: { ...FHD, stride: FHD.width * 4, offset: 0 } },
  { label: `padded (stride ${PADDED_STRIDE})`, format: { ...FHD, stride: PADDED_STRIDE, offset: 0 } },
];

/** Copies a packed frame into VRAM at `format` (untimed setup). */
function blit(frame: Uint8Array, vram: Uint8Array, f: FramebufferFormat): void {
  const rowBytes = f.width * 4;
  if (f.stride === rowBytes) {
    vram.set(frame, f.offset);
    return;
  }
  for (let y = 0; y < f.height; y++) vram.set(frame.subarray(y * rowBytes, (y + 1) * rowBytes), f.offset + y * f.stride);
}

/**
 * The native floor: one compare of 8,294,400 bytes of live VRAM against an equal copy. The VRAM
 * must not change while it is measured (an early difference would end the compare early).
 */
function compareContender(vramBytes: Uint8Array): Contender {
  const live = vramBytes.subarray(0, FHD_BYTES);
  const copy = Uint8Array.from(live);
  return {
    fn: () => {
      if (Buffer.compare(live, copy) !== 0) throw new Error('VRAM changed under the baseline');
    },
  };
}

/** Per-row `Buffer.compare` of the visible rows (what the padded layout has to do at best). */
function rowCompareContender(view: FramebufferView): Contender {
  const f = view.format;
  const copy = new Uint8Array(f.width * f.height * 4);
  for (let y = 0; y < f.height; y++) view.readRow(y, 0, f.width, copy, y * f.width * 4);
  const rowBytes = f.width * 4;
  return {
    fn: () => {
      for (let y = 0; y < f.height; y++) {
        if (Buffer.compare(view.rowView(y), copy.subarray(y * rowBytes, (y + 1) * rowBytes)) !== 0) throw new Error('row differs');
      }
    },
  };
}

async function runCase(layout: Layout, change: Change): Promise<Row> {
  const f = layout.format;
  const vram = makeVram('test-card', f);
  const view = new FramebufferView(vram, f);
  const differ = new TileDiffer();
  const bitmap = new DirtyBitmap(f.width, f.height);
  bitmap.clear();
  differ.prime(view);
  const totalTiles = bitmap.tilesX * bitmap.tilesY;
  let marked = 0;
  let expected = 0;
  let setup: ((op: number) => void) | undefined;
  if (change === '1% tiles' || change === '1% clustered') {
    const canvas = new GuestCanvas(vram.bytes, f);
    const rng = new Prng(0x1e55);
    const count = Math.round(totalTiles / 100);
    setup = () => {
      bitmap.clear();
      const tiles = new Set<number>();
      if (change === '1% tiles') while (tiles.size < count) tiles.add(rng.int(totalTiles));
      else {
        // One 9x9-tile block (81 tiles, a 144x144-px window) at a random place.
        const tx0 = rng.int(bitmap.tilesX - 9);
        const ty0 = rng.int(bitmap.tilesY - 9);
        for (let ty = ty0; ty < ty0 + 9; ty++) for (let tx = tx0; tx < tx0 + 9; tx++) tiles.add(ty * bitmap.tilesX + tx);
      }
      for (const t of tiles) {
        const x = (t % bitmap.tilesX) * TILE_SIZE;
        const y = Math.floor(t / bitmap.tilesX) * TILE_SIZE;
        // The inverse of the tile's first pixel: that pixel, at least, is sure to change.
        canvas.fillRect(x, y, TILE_SIZE, TILE_SIZE, ~canvas.pixel(x, y)! & 0xffffff);
      }
      expected = tiles.size;
    };
  } else if (change === '100%') {
    const a = makeFrame('test-card');
    const b = Uint8Array.from(a, (v, i) => ((i & 3) === 3 ? 0 : v ^ 0xff)); // every pixel differs
    setup = (op) => {
      bitmap.clear();
      blit(op % 2 === 0 ? b : a, vram.bytes, f);
      expected = totalTiles;
    };
  }
  // Changed cases modify this VRAM between diffs, so their baseline reads a twin VRAM instead.
  const baselineVram = change === 'unchanged' ? vram : makeVram('test-card', f);
  const diffContender: Contender = { fn: () => (marked = differ.diff(view, bitmap)), ...(setup ? { setup } : {}) };
  const [stats, cmp] = (await measureSideBySide([diffContender, compareContender(baselineVram.bytes)])) as [Stats, Stats];
  check(marked === expected, `${layout.label} ${change}: marked ${marked} tiles, expected ${expected}`);
  return {
    layout: layout.label,
    change,
    tiles: marked,
    diffMedianMs: stats.median,
    diffP90Ms: stats.p90,
    compareMedianMs: cmp.median,
    ratio: stats.median / cmp.median,
    target: layout === LAYOUTS[0] && change === 'unchanged' ? `<= ${UNCHANGED_TARGET_RATIO}x` : '',
  };
}

/** The `tile-diff` benchmark. */
export const tileDiffBenchmark: Benchmark = {
  name: 'tile-diff',
  async run(): Promise<BenchResult> {
    const rows: Row[] = [];
    for (const layout of LAYOUTS) for (const change of CHANGES) rows.push(await runCase(layout, change));
    // Reference for the padded layout: the best a row-by-row scan can do.
    const padded = LAYOUTS[1]!.format;
    const view = new FramebufferView(makeVram('test-card', padded), padded);
    const [rowCmp, cmp] = (await measureSideBySide([rowCompareContender(view), compareContender(view.vram.bytes)])) as [Stats, Stats];
    rows.push({
      layout: LAYOUTS[1]!.label,
      change: 'ref: 1080 x row compare',
      tiles: null,
      diffMedianMs: rowCmp.median,
      diffP90Ms: rowCmp.p90,
      compareMedianMs: cmp.median,
      ratio: rowCmp.median / cmp.median,
      target: '',
    });
    const head = rows[0]!;
    const ratio = head['ratio'] as number;
    const verdict = ratio <= UNCHANGED_TARGET_RATIO ? 'meets' : 'MISSES';
    return {
      name: 'tile-diff',
      title: 'TileDiffer.diff on 1920x1080 in VRAM vs one native Buffer.compare of 8,294,400 bytes',
      columns: [
        { key: 'layout', header: 'layout' },
        { key: 'change', header: 'change' },
        { key: 'tiles', header: 'tiles marked', format: fmtInt },
        { key: 'diffMedianMs', header: 'diff median', format: fmtTime },
        { key: 'diffP90Ms', header: 'diff p90', format: fmtTime },
        { key: 'compareMedianMs', header: 'Buffer.compare', format: fmtTime },
        { key: 'ratio', header: 'ratio', format: fmtRatio },
        { key: 'target', header: 'target' },
      ],
      rows,
      notes: [
        `Target: an unchanged packed frame within ${UNCHANGED_TARGET_RATIO}x of Buffer.compare; this run ${fmtRatio(ratio)} (${verdict} it).`,
        'Changed cases include marking and copying changed tiles into the snapshot; VRAM is changed untimed before each diff.',
        '1% tiles = 82 tiles scattered at random (seeded) each round; 1% clustered = one 9x9-tile block (81 tiles) at a random place.',
        `Padded layout: stride ${PADDED_STRIDE} (8192 does not fit 1080 rows in 8 MiB), so rowsView is unavailable and diff goes row by row.`,
        `Buffer.compare is measured interleaved with each case, round by round (same VRAM when unchanged, a twin VRAM otherwise); ${fmtInt(8160)} tiles in total.`,
      ],
    };
  },
};
