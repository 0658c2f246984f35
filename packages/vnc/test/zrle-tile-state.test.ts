/**
 * The ZRLE tile coder keeps state between tiles (a colour hash table cleared by bumping a
 * generation number, run buffers): a coder that has already written many tiles, including across
 * the generation counter's wrap-around, must write exactly the bytes a fresh coder writes.
 */

import { describe, expect, it } from 'vitest';
import { SERVER_PIXEL_FORMAT } from '../src/pixel-format.js';
import { ZrleTileCoder, cpixelLayout } from '../src/encodings/zrle-tile.js';

function tiles(count: number): { pixels: Uint8Array; w: number; h: number }[] {
  let seed = 99;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const out = [];
  for (let t = 0; t < count; t++) {
    const w = 1 + rnd(64);
    const h = 1 + rnd(64);
    const colours = [1, 2, 3, 5, 16, 17, 100, 127, 128, 300][rnd(10)]!;
    const palette = Array.from({ length: colours }, () => rnd(0x1000000));
    const px = new Uint32Array(w * h);
    let run = 0;
    let c = 0;
    for (let i = 0; i < px.length; i++) {
      if (run-- <= 0) {
        c = palette[rnd(colours)]!;
        run = colours === 300 ? 0 : rnd(3) === 0 ? rnd(200) : rnd(4);
      }
      px[i] = c;
    }
    out.push({ pixels: new Uint8Array(px.buffer), w, h });
  }
  return out;
}

describe('ZrleTileCoder state between tiles', () => {
  const cp = cpixelLayout(SERVER_PIXEL_FORMAT);
  const encode = (coder: ZrleTileCoder, t: { pixels: Uint8Array; w: number; h: number }): Buffer => {
    const out = new Uint8Array(ZrleTileCoder.maxTileBytes(t.w * t.h, cp.bytes));
    const end = coder.encode(t.pixels, t.w, t.h, 4, cp, out, 0);
    return Buffer.from(out.subarray(0, end));
  };

  it('a long-lived coder writes what a fresh coder writes, tile after tile', () => {
    const reused = new ZrleTileCoder();
    for (const t of tiles(300)) expect(encode(reused, t).equals(encode(new ZrleTileCoder(), t))).toBe(true);
    const s = reused.stats;
    for (const k of ['solid', 'packedPalette', 'paletteRle', 'plainRle', 'raw'] as const) expect(s[k], k).toBeGreaterThan(0);
  });

  it('across the wrap-around of its generation counter too', () => {
    const reused = new ZrleTileCoder();
    const all = tiles(60);
    // Stamp table slots with the first generations, jump to just before the wrap, go on past it:
    // the stamps of long ago must not read as current.
    for (const t of all.slice(0, 20)) encode(reused, t);
    (reused as unknown as { generation: number }).generation = 0xffffffff - 5;
    for (const t of all) expect(encode(reused, t).equals(encode(new ZrleTileCoder(), t))).toBe(true);
    expect((reused as unknown as { generation: number }).generation).toBeLessThan(100);
  });

  it('the first tile after the wrap-around does not see the colours of the first tile ever', () => {
    const twoColours = (first: number, second: number): { pixels: Uint8Array; w: number; h: number } => {
      const px = new Uint32Array(64).fill(first);
      px.fill(second, 40);
      return { pixels: new Uint8Array(px.buffer), w: 8, h: 8 };
    };
    const x = twoColours(0x102030, 0x405060);
    const y = twoColours(0x405060, 0x102030); // the same colours, the other way round
    const reused = new ZrleTileCoder();
    encode(reused, x); // generation 1
    (reused as unknown as { generation: number }).generation = 0xffffffff; // the next one wraps
    expect(encode(reused, y).equals(encode(new ZrleTileCoder(), y))).toBe(true);
  });
});
