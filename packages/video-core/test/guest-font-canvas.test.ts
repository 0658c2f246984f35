import { describe, expect, it } from 'vitest';
import { GuestCanvas, unionRects } from '../src/guest/canvas.js';
import {
  FONT_CELL_HEIGHT,
  FONT_CELL_WIDTH,
  FONT_FIRST_CHAR,
  FONT_GLYPH_HEIGHT,
  FONT_GLYPH_WIDTH,
  FONT_LAST_CHAR,
  glyphBit,
  glyphRows,
  hasGlyph,
  textSize,
} from '../src/guest/font.js';

describe('font', () => {
  it('has a well-formed glyph for every printable ASCII character', () => {
    expect(FONT_FIRST_CHAR).toBe(32);
    expect(FONT_LAST_CHAR).toBe(126);
    for (let c = 32; c <= 126; c++) {
      expect(hasGlyph(c)).toBe(true);
      const rows = glyphRows(c);
      expect(rows.length).toBe(FONT_GLYPH_HEIGHT);
      for (const r of rows) expect(r).toBeLessThan(1 << FONT_GLYPH_WIDTH);
      const ink = [...rows].reduce((n, r) => n + r.toString(2).split('1').length - 1, 0);
      if (c === 32) expect(ink).toBe(0);
      else expect(ink, `char ${String.fromCharCode(c)}`).toBeGreaterThan(0);
    }
  });

  it('draws every character differently', () => {
    const seen = new Map<string, string>();
    for (let c = 32; c <= 126; c++) {
      const key = [...glyphRows(c)].join(',');
      expect(seen.get(key), `${String.fromCharCode(c)} duplicates ${seen.get(key)}`).toBeUndefined();
      seen.set(key, String.fromCharCode(c));
    }
  });

  it('draws characters outside the range as a box', () => {
    for (const c of [0, 10, 31, 127, 0xe9, 0x263a]) {
      expect(hasGlyph(c)).toBe(false);
      const rows = [...glyphRows(c)];
      expect(rows[0]).toBe(0b11111);
      expect(rows[6]).toBe(0b11111);
      expect(rows.slice(1, 6).every((r) => r === 0b10001)).toBe(true);
      expect(rows[7]).toBe(0);
    }
  });

  it('exposes bits and sizes', () => {
    // 'T' has a full top bar and a centre stem.
    const T = 'T'.charCodeAt(0);
    for (let x = 0; x < 5; x++) expect(glyphBit(T, x, 0)).toBe(true);
    expect(glyphBit(T, 2, 6)).toBe(true);
    expect(glyphBit(T, 0, 6)).toBe(false);
    expect(glyphBit(T, -1, 0)).toBe(false);
    expect(glyphBit(T, 5, 0)).toBe(false);
    expect([FONT_CELL_WIDTH, FONT_CELL_HEIGHT]).toEqual([12, 16]);
    expect(textSize(3)).toEqual({ width: 36, height: 16 });
    expect(textSize(3, 1)).toEqual({ width: 18, height: 8 });
  });
});

function surface(width: number, height: number, stride = width * 4, offset = 0): { bytes: Uint8Array; c: GuestCanvas } {
  const bytes = new Uint8Array(offset + stride * height + 8);
  return { bytes, c: new GuestCanvas(bytes, { width, height, stride, offset }) };
}

describe('GuestCanvas', () => {
  it('fills, clips and reports what it touched', () => {
    const { c } = surface(10, 8);
    expect(c.fillRect(-5, -5, 8, 7, 0x123456)).toEqual({ left: 0, top: 0, right: 3, bottom: 2 });
    expect(c.pixel(0, 0)).toBe(0x123456);
    expect(c.pixel(2, 1)).toBe(0x123456);
    expect(c.pixel(3, 1)).toBe(0);
    expect(c.pixel(2, 2)).toBe(0);
    expect(c.fillRect(8, 6, 100, 100, 0xabcdef)).toEqual({ left: 8, top: 6, right: 10, bottom: 8 });
    expect(c.pixel(9, 7)).toBe(0xabcdef);
    expect(c.fillRect(10, 0, 5, 5, 1)).toBeUndefined();
    expect(c.fillRect(0, -3, 5, 3, 1)).toBeUndefined();
    expect(c.fillRect(2, 2, 0, 4, 1)).toBeUndefined();
    expect(c.pixel(-1, 0)).toBeUndefined();
    expect(c.pixel(10, 0)).toBeUndefined();
    expect(c.pixel(0, 8)).toBeUndefined();
  });

  it('stores pixels as little-endian 0x00RRGGBB and masks the top byte', () => {
    const { bytes, c } = surface(2, 1);
    c.fillRect(1, 0, 1, 1, 0xff112233);
    expect([...bytes.subarray(4, 8)]).toEqual([0x33, 0x22, 0x11, 0x00]);
  });

  it('never writes stride padding or outside the surface, on the word and byte paths', () => {
    for (const offset of [0, 4, 2, 3]) {
      const { bytes, c } = surface(5, 4, 28, offset);
      c.fillRect(-10, -10, 100, 100, 0xffffff);
      c.drawText(-3, -3, 'WW', 0xffffff, 0x00ff00, 1);
      for (let i = 0; i < bytes.length; i++) {
        const rel = i - offset;
        const inside = rel >= 0 && rel < 28 * 4 && rel % 28 < 20;
        if (!inside) expect(bytes[i], `byte ${i} offset ${offset}`).toBe(0);
      }
      expect(c.pixel(4, 3)).toBe(0xffffff);
    }
  });

  it('gives identical pictures through the word and the byte path', () => {
    const a = surface(40, 20, 160, 0).c;
    const b = surface(40, 20, 162, 1).c;
    for (const c of [a, b]) {
      c.clear(0x101010);
      c.drawText(1, 2, 'Hi!', 0xff0000, 0x0000ff);
      c.fillWith(0, 18, 40, 2, (x, y) => x * 5 + y);
      c.scroll(0, 0, 40, 20, 3, 0x00ff00);
    }
    expect(b.snapshot()).toEqual(a.snapshot());
  });

  it('draws text cells and returns clipped bounds', () => {
    const { c } = surface(30, 20);
    expect(c.drawText(2, 1, 'AB', 0xffffff, 0x000080)).toEqual({ left: 2, top: 1, right: 26, bottom: 17 });
    // Background fills the whole cell, ink follows the glyph at scale 2.
    expect(c.pixel(2 + 10, 1)).toBe(0x000080);
    const A = 'A'.charCodeAt(0);
    for (let gy = 0; gy < FONT_GLYPH_HEIGHT; gy++)
      for (let gx = 0; gx < 5; gx++)
        for (const [dx, dy] of [[0, 0], [1, 1]])
          expect(c.pixel(2 + gx * 2 + dx!, 1 + gy * 2 + dy!)).toBe(glyphBit(A, gx, gy) ? 0xffffff : 0x000080);
    expect(c.drawText(20, 10, 'xyz', 1, 2)).toEqual({ left: 20, top: 10, right: 30, bottom: 20 });
    expect(c.drawText(40, 0, 'x', 1, 2)).toBeUndefined();
    expect(c.drawText(-12, 0, 'x', 1, 2)).toBeUndefined();
    expect(() => c.drawText(0, 0, 'x', 1, 2, 0)).toThrow(RangeError);
  });

  it('leaves the background alone when bg is undefined', () => {
    const { c } = surface(12, 16);
    c.clear(0x445566);
    c.drawText(0, 0, '.', 0xffffff, undefined);
    expect(c.pixel(0, 0)).toBe(0x445566);
    expect(c.pixel(2, 10)).toBe(0xffffff); // '.' ink at glyph (1,5)
  });

  it('scrolls a region up and down', () => {
    const { c } = surface(4, 6);
    for (let y = 0; y < 6; y++) c.fillRect(0, y, 4, 1, y + 1);
    expect(c.scroll(1, 1, 2, 4, 1, 0xee)).toEqual({ left: 1, top: 1, right: 3, bottom: 5 });
    expect([1, 2, 3, 4, 5, 6].map((_, y) => c.pixel(1, y))).toEqual([1, 3, 4, 5, 0xee, 6]);
    expect(c.pixel(0, 1)).toBe(2);
    c.scroll(1, 1, 2, 4, -2, 0xdd);
    expect([0, 1, 2, 3, 4, 5].map((y) => c.pixel(2, y))).toEqual([1, 0xdd, 0xdd, 3, 4, 6]);
    c.scroll(0, 0, 4, 6, 10, 0x77);
    expect(c.pixel(3, 5)).toBe(0x77);
  });

  it('rejects layouts that do not fit', () => {
    expect(() => new GuestCanvas(new Uint8Array(100), { width: 6, height: 5 })).toThrow(RangeError);
    expect(() => new GuestCanvas(new Uint8Array(100), { width: 5, height: 1, stride: 16 })).toThrow(RangeError);
    expect(() => new GuestCanvas(new Uint8Array(100), { width: 0, height: 1 })).toThrow(RangeError);
    expect(() => new GuestCanvas(new SharedArrayBuffer(100), { width: 5, height: 5, stride: 20 })).not.toThrow();
  });

  it('unions rects', () => {
    expect(unionRects(undefined, { left: 1, top: 2, right: 3, bottom: 4 }, { left: 0, top: 3, right: 2, bottom: 9 })).toEqual({
      left: 0,
      top: 2,
      right: 3,
      bottom: 9,
    });
    expect(unionRects()).toBeUndefined();
  });
});
