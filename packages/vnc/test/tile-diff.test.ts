/** Tests for TileDiffer: snapshot-based change detection in 16x16 tiles. */
import { describe, it, expect } from 'vitest';
import { DirtyBitmap } from '../src/dirty-bitmap.js';
import { TileDiffer } from '../src/tile-diff.js';
import { MemFramebuffer } from './helpers/mem-fb.js';
import { Prng } from './helpers/prng.js';

function dirtyList(bm: DirtyBitmap): string[] {
  const out: string[] = [];
  bm.forEachTile((x, y, w, h) => out.push(`${x},${y},${w},${h}`));
  return out;
}

describe('TileDiffer', () => {
  it('the first diff marks every tile and returns the tile count', () => {
    const fb = new MemFramebuffer(100, 40, (x, y) => x * 3 + y);
    const bm = new DirtyBitmap(100, 40);
    bm.clear();
    const d = new TileDiffer();
    expect(d.diff(fb, bm)).toBe(7 * 3);
    expect(bm.count()).toBe(21);
  });

  it('a second diff with no change marks nothing', () => {
    const fb = new MemFramebuffer(100, 40, (x, y) => x * 3 + y);
    const bm = new DirtyBitmap(100, 40);
    const d = new TileDiffer();
    d.diff(fb, bm);
    bm.clear();
    expect(d.diff(fb, bm)).toBe(0);
    expect(bm.isEmpty()).toBe(true);
  });

  it('a single changed pixel marks exactly its tile', () => {
    const fb = new MemFramebuffer(100, 40);
    const bm = new DirtyBitmap(100, 40);
    const d = new TileDiffer();
    d.diff(fb, bm);
    bm.clear();
    fb.setPixel(20, 20, 0x123456);
    expect(d.diff(fb, bm)).toBe(1);
    expect(dirtyList(bm)).toEqual(['16,16,16,16']);
  });

  it('a change in a clipped edge tile marks that tile', () => {
    const fb = new MemFramebuffer(100, 40);
    const bm = new DirtyBitmap(100, 40);
    const d = new TileDiffer();
    d.diff(fb, bm);
    bm.clear();
    fb.setPixel(99, 39, 0xffffff);
    expect(d.diff(fb, bm)).toBe(1);
    expect(dirtyList(bm)).toEqual(['96,32,4,8']);
  });

  it('detects a change in only the padding byte of a pixel', () => {
    const fb = new MemFramebuffer(32, 32);
    const bm = new DirtyBitmap(32, 32);
    const d = new TileDiffer();
    d.diff(fb, bm);
    bm.clear();
    fb.data[(5 * 32 + 17) * 4 + 3] = 1;
    expect(d.diff(fb, bm)).toBe(1);
    expect(dirtyList(bm)).toEqual(['16,0,16,16']);
  });

  it('updates the snapshot, so a second diff after a change finds nothing', () => {
    const fb = new MemFramebuffer(64, 64);
    const bm = new DirtyBitmap(64, 64);
    const d = new TileDiffer();
    d.diff(fb, bm);
    bm.clear();
    fb.setPixel(40, 3, 0xff);
    expect(d.diff(fb, bm)).toBe(1);
    bm.clear();
    expect(d.diff(fb, bm)).toBe(0);
    expect(bm.isEmpty()).toBe(true);
  });

  it('counts a tile that was already dirty in the bitmap as not newly marked', () => {
    const fb = new MemFramebuffer(64, 64);
    const bm = new DirtyBitmap(64, 64);
    const d = new TileDiffer();
    d.diff(fb, bm);
    bm.clear();
    bm.setTile(0, 0);
    fb.setPixel(1, 1, 0xff);
    fb.setPixel(33, 33, 0xff);
    expect(d.diff(fb, bm)).toBe(1);
    expect(dirtyList(bm)).toEqual(['0,0,16,16', '32,32,16,16']);
    bm.clear();
    expect(d.diff(fb, bm)).toBe(0);
  });

  it('a resize marks everything and resizes the bitmap', () => {
    const fb = new MemFramebuffer(64, 64);
    const bm = new DirtyBitmap(64, 64);
    const d = new TileDiffer();
    d.diff(fb, bm);
    bm.clear();
    fb.resize(80, 33);
    expect(d.diff(fb, bm)).toBe(5 * 3);
    expect(bm.width).toBe(80);
    expect(bm.height).toBe(33);
    expect(bm.count()).toBe(15);
    bm.clear();
    expect(d.diff(fb, bm)).toBe(0);
  });

  it('reset makes the next diff report everything', () => {
    const fb = new MemFramebuffer(32, 32);
    const bm = new DirtyBitmap(32, 32);
    const d = new TileDiffer();
    d.diff(fb, bm);
    bm.clear();
    d.reset();
    expect(d.diff(fb, bm)).toBe(4);
    expect(bm.count()).toBe(4);
  });

  it('matches a per-pixel reference on random changes', () => {
    const rng = new Prng(2024);
    const w = 150;
    const h = 70;
    const fb = new MemFramebuffer(w, h, () => rng.int(0, 0xffffff));
    const bm = new DirtyBitmap(w, h);
    const d = new TileDiffer();
    d.diff(fb, bm);
    for (let round = 0; round < 20; round++) {
      bm.clear();
      const expected = new Set<string>();
      const changes = rng.int(0, 12);
      for (let i = 0; i < changes; i++) {
        const x = rng.int(0, w - 1);
        const y = rng.int(0, h - 1);
        const old = fb.pixel(x, y);
        const v = (old + rng.int(1, 0xfffffe)) & 0xffffff;
        fb.setPixel(x, y, v);
        expected.add(`${x >> 4},${y >> 4}`);
      }
      const marked = d.diff(fb, bm);
      const got = new Set<string>();
      bm.forEachTile((x, y) => got.add(`${x >> 4},${y >> 4}`));
      expect(got).toEqual(expected);
      expect(marked).toBe(expected.size);
    }
  });

  it('reads only rows inside the framebuffer', () => {
    const fb = new MemFramebuffer(17, 3);
    const bm = new DirtyBitmap(17, 3);
    const d = new TileDiffer();
    d.diff(fb, bm);
    d.diff(fb, bm);
    expect(fb.reads).toBe(6);
  });
});
