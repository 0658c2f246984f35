/**
 * Tests for DirtyBitmap: OpenVMM's dirty_bitmap.rs cases, hostile inputs, word-boundary fills
 * checked against a naive per-tile reference, and the invariants of the greedy merge.
 */
import { describe, it, expect } from 'vitest';
import { DirtyBitmap, TILE_SIZE, type Rect } from '../src/dirty-bitmap.js';
import { Prng } from './helpers/prng.js';

/** All dirty tiles as "tx,ty" strings, via the public per-tile query. */
function dirtyTiles(bm: DirtyBitmap): Set<string> {
  const s = new Set<string>();
  for (let ty = 0; ty < bm.tilesY; ty++) for (let tx = 0; tx < bm.tilesX; tx++) if (bm.isTileDirty(tx, ty)) s.add(`${tx},${ty}`);
  return s;
}

/** Tiles a pixel rect (integer edges, right/bottom exclusive) touches, computed tile by tile. */
function referenceTiles(width: number, height: number, l: number, t: number, r: number, b: number): Set<string> {
  const s = new Set<string>();
  const cl = Math.max(0, l);
  const ct = Math.max(0, t);
  const cr = Math.min(width, r);
  const cb = Math.min(height, b);
  const tilesX = Math.ceil(width / TILE_SIZE);
  const tilesY = Math.ceil(height / TILE_SIZE);
  for (let ty = 0; ty < tilesY; ty++) {
    for (let tx = 0; tx < tilesX; tx++) {
      const x0 = tx * TILE_SIZE;
      const y0 = ty * TILE_SIZE;
      const x1 = Math.min(width, x0 + TILE_SIZE);
      const y1 = Math.min(height, y0 + TILE_SIZE);
      if (Math.max(x0, cl) < Math.min(x1, cr) && Math.max(y0, ct) < Math.min(y1, cb)) s.add(`${tx},${ty}`);
    }
  }
  return s;
}

/** Checks that `rects` cover exactly the dirty tiles of `bm`, each once, and are tile-aligned. */
function expectExactCover(bm: DirtyBitmap, rects: readonly Rect[]): void {
  const covered = new Map<string, number>();
  const problems: string[] = [];
  for (const r of rects) {
    const bad =
      r.x % TILE_SIZE !== 0 || r.y % TILE_SIZE !== 0 || r.w <= 0 || r.h <= 0 || r.x + r.w > bm.width || r.y + r.h > bm.height;
    if (bad) problems.push(`bad rect ${JSON.stringify(r)}`);
    // Width/height must reach the next tile edge unless clipped by the frame edge.
    if ((r.x + r.w) % TILE_SIZE !== 0 && r.x + r.w !== bm.width) problems.push(`ragged width ${JSON.stringify(r)}`);
    if ((r.y + r.h) % TILE_SIZE !== 0 && r.y + r.h !== bm.height) problems.push(`ragged height ${JSON.stringify(r)}`);
    for (let y = r.y; y < r.y + r.h; y += TILE_SIZE) {
      for (let x = r.x; x < r.x + r.w; x += TILE_SIZE) {
        const k = `${x / TILE_SIZE},${y / TILE_SIZE}`;
        covered.set(k, (covered.get(k) ?? 0) + 1);
      }
    }
  }
  for (const [k, n] of covered) if (n !== 1) problems.push(`tile ${k} covered ${n} times`);
  expect(problems).toEqual([]);
  expect(new Set(covered.keys())).toEqual(dirtyTiles(bm));
}

function cleared(w: number, h: number): DirtyBitmap {
  const bm = new DirtyBitmap(w, h);
  bm.clear();
  return bm;
}

describe('DirtyBitmap (OpenVMM dirty_bitmap.rs cases)', () => {
  it('a new 320x240 bitmap has all 300 tiles dirty', () => {
    const bm = new DirtyBitmap(320, 240);
    expect(bm.tilesX).toBe(20);
    expect(bm.tilesY).toBe(15);
    expect(bm.count()).toBe(300);
    expect(bm.isEmpty()).toBe(false);
  });

  it('clear leaves no dirty tiles', () => {
    const bm = new DirtyBitmap(320, 240);
    bm.clear();
    expect(bm.isEmpty()).toBe(true);
    expect(bm.count()).toBe(0);
    expect(bm.toRects()).toEqual([]);
  });

  it('marking a single pixel dirties exactly one tile at (96,96,16,16)', () => {
    const bm = cleared(320, 240);
    bm.markRect(100, 100, 101, 101);
    expect(bm.count()).toBe(1);
    expect(bm.isTileDirty(6, 6)).toBe(true);
    expect(bm.toRects()).toEqual([{ x: 96, y: 96, w: 16, h: 16 }]);
  });

  it('marking (0,0,33,33) dirties 9 tiles', () => {
    const bm = cleared(320, 240);
    bm.markRect(0, 0, 33, 33);
    expect(bm.count()).toBe(9);
    expect(dirtyTiles(bm)).toEqual(new Set(['0,0', '1,0', '2,0', '0,1', '1,1', '2,1', '0,2', '1,2', '2,2']));
  });

  it('marking (-10,-10,500,500) is clamped and dirties all tiles', () => {
    const bm = cleared(320, 240);
    bm.markRect(-10, -10, 500, 500);
    expect(bm.count()).toBe(300);
    expect(bm.toRects()).toEqual([{ x: 0, y: 0, w: 320, h: 240 }]);
  });

  it('three horizontally adjacent tiles merge into one rect (16,0,48,16)', () => {
    const bm = cleared(320, 240);
    bm.setTile(1, 0);
    bm.setTile(2, 0);
    bm.setTile(3, 0);
    expect(bm.toRects()).toEqual([{ x: 16, y: 0, w: 48, h: 16 }]);
  });

  it('a 2x3 block of tiles merges vertically into one rect (16,16,32,48)', () => {
    const bm = cleared(320, 240);
    for (let ty = 1; ty <= 3; ty++) for (let tx = 1; tx <= 2; tx++) bm.setTile(tx, ty);
    expect(bm.toRects()).toEqual([{ x: 16, y: 16, w: 32, h: 48 }]);
  });

  it('runs of different widths in consecutive rows are not merged (2 rects)', () => {
    const bm = cleared(320, 240);
    bm.setTile(0, 0);
    bm.setTile(1, 0);
    bm.setTile(0, 1);
    const rects = bm.toRects();
    expect(rects).toHaveLength(2);
    expect(rects).toEqual([
      { x: 0, y: 0, w: 32, h: 16 },
      { x: 0, y: 16, w: 16, h: 16 },
    ]);
  });

  it('an empty bitmap gives no rects', () => {
    expect(cleared(320, 240).toRects()).toHaveLength(0);
  });

  it('a zero-width or zero-height rect marks nothing', () => {
    const bm = cleared(320, 240);
    bm.markRect(50, 50, 50, 100);
    bm.markRect(50, 50, 100, 50);
    bm.markRect(0, 0, 0, 0);
    expect(bm.isEmpty()).toBe(true);
  });

  it('an inverted rect marks nothing', () => {
    const bm = cleared(320, 240);
    bm.markRect(100, 100, 50, 50);
    bm.markRect(10, 100, 50, 50);
    expect(bm.isEmpty()).toBe(true);
  });

  it('the same column with a vertical gap gives 2 rects', () => {
    const bm = cleared(320, 240);
    bm.setTile(2, 0);
    bm.setTile(2, 2);
    expect(bm.toRects()).toEqual([
      { x: 32, y: 0, w: 16, h: 16 },
      { x: 32, y: 32, w: 16, h: 16 },
    ]);
  });

  it('a bump shape (rows of 2, 3, 2 tiles) gives (0,0,32x48) and (32,16,16x16)', () => {
    const bm = cleared(320, 240);
    bm.setTile(0, 0);
    bm.setTile(1, 0);
    bm.setTile(0, 1);
    bm.setTile(1, 1);
    bm.setTile(2, 1);
    bm.setTile(0, 2);
    bm.setTile(1, 2);
    const rects = bm.toRects();
    expect(rects).toHaveLength(2);
    expect(rects).toContainEqual({ x: 0, y: 0, w: 32, h: 48 });
    expect(rects).toContainEqual({ x: 32, y: 16, w: 16, h: 16 });
  });

  it('a checkerboard gives one 16x16 rect per dirty tile', () => {
    const bm = cleared(320, 240);
    let n = 0;
    for (let ty = 0; ty < bm.tilesY; ty++) {
      for (let tx = 0; tx < bm.tilesX; tx++) {
        if ((tx + ty) % 2 === 0) {
          bm.setTile(tx, ty);
          n++;
        }
      }
    }
    const rects = bm.toRects();
    expect(rects).toHaveLength(n);
    for (const r of rects) {
      expect(r.w).toBe(16);
      expect(r.h).toBe(16);
      expect((r.x / 16 + r.y / 16) % 2).toBe(0);
    }
  });

  it('on a 17x17 surface the edge tiles are 1 pixel wide or tall', () => {
    const bm = new DirtyBitmap(17, 17);
    expect(bm.count()).toBe(4);
    const tiles: [number, number, number, number][] = [];
    bm.forEachTile((x, y, w, h) => tiles.push([x, y, w, h]));
    expect(tiles).toEqual([
      [0, 0, 16, 16],
      [16, 0, 1, 16],
      [0, 16, 16, 1],
      [16, 16, 1, 1],
    ]);
    expect(bm.toRects()).toEqual([{ x: 0, y: 0, w: 17, h: 17 }]);
    bm.clear();
    bm.setTile(1, 1);
    expect(bm.toRects()).toEqual([{ x: 16, y: 16, w: 1, h: 1 }]);
  });

  it('resizing to 640x480 makes all 1200 tiles dirty', () => {
    const bm = cleared(320, 240);
    bm.resize(640, 480);
    expect(bm.width).toBe(640);
    expect(bm.height).toBe(480);
    expect(bm.count()).toBe(1200);
  });

  it('resizing to the same word count still marks everything dirty', () => {
    const bm = cleared(32, 32); // 4 tiles, one word
    bm.resize(48, 16); // 3 tiles, one word
    expect(bm.count()).toBe(3);
    expect(bm.toRects()).toEqual([{ x: 0, y: 0, w: 48, h: 16 }]);
  });

  it('takeFrom ORs the source in and clears the source', () => {
    const a = cleared(320, 240);
    const b = cleared(320, 240);
    a.setTile(0, 0);
    b.setTile(5, 5);
    b.setTile(0, 0);
    a.takeFrom(b);
    expect(b.isEmpty()).toBe(true);
    expect(dirtyTiles(a)).toEqual(new Set(['0,0', '5,5']));
  });

  it('orFrom accumulates and leaves the other bitmap unchanged', () => {
    const a = cleared(320, 240);
    const b = cleared(320, 240);
    a.setTile(1, 1);
    b.setTile(2, 2);
    b.setTile(19, 14);
    a.orFrom(b);
    expect(dirtyTiles(a)).toEqual(new Set(['1,1', '2,2', '19,14']));
    expect(dirtyTiles(b)).toEqual(new Set(['2,2', '19,14']));
  });

  it('orFrom with a bitmap of another size throws a RangeError', () => {
    const a = cleared(320, 240);
    const b = cleared(640, 480);
    expect(() => a.orFrom(b)).toThrow(RangeError);
  });
});

describe('DirtyBitmap with hostile input', () => {
  const hostile = [NaN, Infinity, -Infinity, -1e300, 1e300, 2 ** 31, -(2 ** 31), 2 ** 32 + 5, Number.MAX_SAFE_INTEGER, -0, 0.5];

  it('markRect never throws for NaN, infinities and huge values', () => {
    const bm = cleared(100, 50);
    for (const l of hostile) for (const t of hostile) for (const r of hostile) for (const b of hostile) expect(() => bm.markRect(l, t, r, b)).not.toThrow();
  });

  it('NaN edges mark nothing', () => {
    const bm = cleared(100, 50);
    bm.markRect(NaN, NaN, NaN, NaN);
    bm.markRect(0, 0, NaN, 50);
    bm.markRect(0, 0, 100, NaN);
    expect(bm.isEmpty()).toBe(true);
  });

  it('an infinite rect marks everything and nothing outside the surface', () => {
    const bm = cleared(100, 50);
    bm.markRect(-Infinity, -Infinity, Infinity, Infinity);
    expect(bm.count()).toBe(7 * 4);
    expect(bm.toRects()).toEqual([{ x: 0, y: 0, w: 100, h: 50 }]);
  });

  it('a rect entirely past the surface marks nothing', () => {
    const bm = cleared(100, 50);
    bm.markRect(100, 0, 200, 50);
    bm.markRect(0, 50, 100, 80);
    bm.markRect(2 ** 31, 2 ** 31, 2 ** 32, 2 ** 32);
    bm.markRect(-50, -50, 0, 0);
    expect(bm.isEmpty()).toBe(true);
  });

  it('setTile and isTileDirty ignore out-of-range tiles', () => {
    const bm = cleared(100, 50);
    bm.setTile(-1, 0);
    bm.setTile(0, -1);
    bm.setTile(7, 0);
    bm.setTile(0, 4);
    expect(bm.isEmpty()).toBe(true);
    expect(bm.isTileDirty(7, 0)).toBe(false);
    expect(bm.isTileDirty(-1, -1)).toBe(false);
  });

  it('a 0x0 surface has no tiles and gives no rects', () => {
    const bm = new DirtyBitmap(0, 0);
    expect(bm.count()).toBe(0);
    expect(bm.isEmpty()).toBe(true);
    bm.markRect(0, 0, 10, 10);
    bm.markAll();
    expect(bm.toRects()).toEqual([]);
  });

  it('negative or NaN sizes become an empty surface', () => {
    expect(() => new DirtyBitmap(-5, NaN)).not.toThrow();
    const bm = new DirtyBitmap(-5, NaN);
    expect(bm.width).toBe(0);
    expect(bm.height).toBe(0);
    expect(bm.toRects()).toEqual([]);
  });
});

describe('DirtyBitmap word-boundary fills', () => {
  // tilesX = 31, 32, 33 and 120 (1920 px); heights with a partial last tile row.
  const sizes: [number, number][] = [
    [31 * 16, 75],
    [32 * 16, 80],
    [33 * 16, 70],
    [1920, 1080],
    [31 * 16 - 3, 100],
    [33 * 16 + 5, 33],
  ];

  for (const [w, h] of sizes) {
    it(`markRect matches a per-tile reference over random rects on ${w}x${h}`, () => {
      const rng = new Prng(w * 7919 + h);
      const bm = cleared(w, h);
      for (let i = 0; i < 300; i++) {
        bm.clear();
        const l = rng.int(-40, w + 40);
        const t = rng.int(-40, h + 40);
        const r = rng.next() < 0.3 ? l + rng.int(0, 40) : rng.int(-40, w + 40);
        const b = rng.next() < 0.3 ? t + rng.int(0, 40) : rng.int(-40, h + 40);
        bm.markRect(l, t, r, b);
        const expected = referenceTiles(w, h, l, t, r, b);
        expect(dirtyTiles(bm), `rect ${l},${t},${r},${b}`).toEqual(expected);
        expect(bm.count()).toBe(expected.size);
      }
    });

    it(`accumulated random rects on ${w}x${h} equal the union of the references`, () => {
      const rng = new Prng(w + h * 31);
      const bm = cleared(w, h);
      const expected = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const l = rng.int(0, w);
        const t = rng.int(0, h);
        const r = l + rng.int(1, 600);
        const b = t + rng.int(1, 60);
        bm.markRect(l, t, r, b);
        for (const k of referenceTiles(w, h, l, t, r, b)) expected.add(k);
      }
      expect(dirtyTiles(bm)).toEqual(expected);
      expect(bm.count()).toBe(expected.size);
    });
  }

  it('a full-width row on 32 tiles per row fills exactly one word per row', () => {
    const bm = cleared(512, 64);
    bm.markRect(0, 16, 512, 32);
    expect(dirtyTiles(bm)).toEqual(new Set(Array.from({ length: 32 }, (_, i) => `${i},1`)));
    expect(bm.toRects()).toEqual([{ x: 0, y: 16, w: 512, h: 16 }]);
  });

  it('a span crossing a word boundary (tiles 30..34 of row 0 on 33 per row) marks exactly those', () => {
    const bm = cleared(33 * 16, 48);
    bm.markRect(30 * 16, 0, 33 * 16, 16);
    bm.markRect(0, 16, 2 * 16, 32); // tiles 33, 34 in linear order
    expect(dirtyTiles(bm)).toEqual(new Set(['30,0', '31,0', '32,0', '0,1', '1,1']));
    expect(bm.toRects()).toEqual([
      { x: 480, y: 0, w: 48, h: 16 },
      { x: 0, y: 16, w: 32, h: 16 },
    ]);
  });

  it('markAll sets exactly tilesX*tilesY bits for sizes around word boundaries', () => {
    for (let tiles = 1; tiles <= 70; tiles++) {
      const bm = cleared(tiles * 16, 16);
      bm.markAll();
      expect(bm.count()).toBe(tiles);
      expect(bm.toRects()).toEqual([{ x: 0, y: 0, w: tiles * 16, h: 16 }]);
    }
  });
});

describe('DirtyBitmap.toRects', () => {
  it('reuses the objects of the out array and truncates it', () => {
    const bm = cleared(320, 240);
    bm.setTile(0, 0);
    bm.setTile(5, 5);
    bm.setTile(10, 10);
    const out: Rect[] = [];
    const first = bm.toRects(out);
    expect(first).toBe(out);
    expect(out).toHaveLength(3);
    const objs = [...out];
    bm.clear();
    bm.setTile(3, 3);
    bm.setTile(4, 4);
    const second = bm.toRects(out);
    expect(second).toBe(out);
    expect(out).toHaveLength(2);
    expect(out[0]).toBe(objs[0]);
    expect(out[1]).toBe(objs[1]);
    expect(out).toEqual([
      { x: 48, y: 48, w: 16, h: 16 },
      { x: 64, y: 64, w: 16, h: 16 },
    ]);
    // Growing again reuses the old ones and adds new ones.
    bm.markAll();
    bm.clear();
    for (let i = 0; i < 5; i++) bm.setTile(i * 2, 0);
    bm.toRects(out);
    expect(out).toHaveLength(5);
    expect(out[0]).toBe(objs[0]);
  });

  it('leaves the bitmap unchanged', () => {
    const bm = cleared(320, 240);
    bm.markRect(10, 10, 100, 60);
    const before = dirtyTiles(bm);
    bm.toRects();
    bm.toRects();
    expect(dirtyTiles(bm)).toEqual(before);
  });

  it('covers exactly the dirty tiles, without overlap, for random bitmaps', () => {
    const rng = new Prng(12345);
    const sizes: [number, number][] = [
      [496, 75],
      [512, 80],
      [528, 70],
      [1920, 1080],
      [17, 17],
      [100, 3],
      [3, 100],
    ];
    for (const [w, h] of sizes) {
      for (let iter = 0; iter < 15; iter++) {
        const bm = cleared(w, h);
        const density = rng.next();
        for (let ty = 0; ty < bm.tilesY; ty++) for (let tx = 0; tx < bm.tilesX; tx++) if (rng.next() < density) bm.setTile(tx, ty);
        for (let i = 0; i < rng.int(0, 5); i++) bm.markRect(rng.int(0, w), rng.int(0, h), rng.int(0, w), rng.int(0, h));
        expectExactCover(bm, bm.toRects());
      }
    }
  });

  it('forEachTile visits each dirty tile once in row-major order', () => {
    const bm = cleared(100, 50);
    bm.setTile(6, 3);
    bm.setTile(0, 0);
    bm.setTile(3, 1);
    const seen: string[] = [];
    bm.forEachTile((x, y, w, h) => seen.push(`${x},${y},${w},${h}`));
    expect(seen).toEqual(['0,0,16,16', '48,16,16,16', '96,48,4,2']);
  });

  it('forEachTile handles bit 31 of a word', () => {
    const bm = cleared(32 * 16, 32);
    bm.setTile(31, 0);
    bm.setTile(0, 1);
    const seen: string[] = [];
    bm.forEachTile((x, y) => seen.push(`${x},${y}`));
    expect(seen).toEqual(['496,0', '0,16']);
  });
});
