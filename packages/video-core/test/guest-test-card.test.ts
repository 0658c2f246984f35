import { describe, expect, it } from 'vitest';
import { GuestCanvas } from '../src/guest/canvas.js';
import {
  TEST_CARD_BACKGROUND,
  TEST_CARD_BARS,
  TEST_CARD_BORDER,
  TEST_CARD_TEXT,
  drawTestCard,
  testCardDetailPixel,
  testCardLayout,
  testCardRampValue,
} from '../src/guest/test-card.js';
import type { TestCardDetailKind } from '../src/guest/test-card.js';

function render(width: number, height: number): GuestCanvas {
  const c = new GuestCanvas(new SharedArrayBuffer(width * height * 4), { width, height });
  expect(drawTestCard(c)).toEqual({ left: 0, top: 0, right: width, bottom: height });
  return c;
}

describe('test card', () => {
  it('has the exact bar colours in order', () => {
    expect(TEST_CARD_BARS).toEqual([0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0x000000]);
  });

  it('puts the bars at documented coordinates (1024x768)', () => {
    const c = render(1024, 768);
    // innerW = 1008, bar width 126, bars y 32..296 (barH = floor(3*704/8) = 264).
    const L = testCardLayout(1024, 768);
    expect(L.bars[0]).toEqual({ left: 8, top: 32, right: 134, bottom: 296 });
    expect(L.bars[7]).toEqual({ left: 890, top: 32, right: 1016, bottom: 296 });
    TEST_CARD_BARS.forEach((colour, i) => {
      const x = 8 + 126 * i;
      expect(c.pixel(x, 32), `bar ${i} top-left`).toBe(colour);
      expect(c.pixel(x + 125, 295), `bar ${i} bottom-right`).toBe(colour);
      expect(c.pixel(x + 63, 160), `bar ${i} centre`).toBe(colour);
    });
    expect(c.pixel(7, 100)).toBe(TEST_CARD_BACKGROUND);
    expect(c.pixel(1016, 100)).toBe(TEST_CARD_BACKGROUND);
    expect(c.pixel(100, 31)).toBe(TEST_CARD_BACKGROUND);
  });

  it('fills every pixel of every region exactly, at several sizes', () => {
    for (const [w, h] of [[1024, 768], [320, 200], [333, 211], [1920, 1080]] as const) {
      const c = render(w, h);
      const L = testCardLayout(w, h);
      const check = (r: { left: number; top: number; right: number; bottom: number }, colourAt: (x: number, y: number) => number, what: string): void => {
        expect(r.right).toBeGreaterThan(r.left);
        expect(r.bottom).toBeGreaterThan(r.top);
        for (let y = r.top; y < r.bottom; y++)
          for (let x = r.left; x < r.right; x++) if (c.pixel(x, y) !== colourAt(x, y)) expect(c.pixel(x, y), `${what} at ${x},${y} (${w}x${h})`).toBe(colourAt(x, y));
      };
      L.bars.forEach((r, i) => check(r, () => TEST_CARD_BARS[i]!, `bar ${i}`));
      for (let k = 0; k < 16; k++) {
        const v = testCardRampValue(k);
        check(L.ramps.grey[k]!, () => v * 0x010101, `grey ${k}`);
        check(L.ramps.red[k]!, () => v << 16, `red ${k}`);
        check(L.ramps.green[k]!, () => v << 8, `green ${k}`);
        check(L.ramps.blue[k]!, () => v, `blue ${k}`);
      }
      for (const kind of Object.keys(L.detail) as TestCardDetailKind[]) check(L.detail[kind], (x, y) => testCardDetailPixel(kind, x, y), kind);
      // Bars and ramp steps tile the inner width without gaps.
      expect(L.bars[0]!.left).toBe(8);
      expect(L.bars[7]!.right).toBe(w - 8);
      for (let i = 1; i < 8; i++) expect(L.bars[i]!.left).toBe(L.bars[i - 1]!.right);
      expect(L.ramps.blue[15]!.right).toBe(w - 8);
      expect(L.ramps.grey[0]!.top).toBe(L.bars[0]!.bottom);
      expect(L.detail.checker2.bottom).toBe(h - 32);
    }
  });

  it('has exact ramp values 0, 17, ..., 255', () => {
    expect(Array.from({ length: 16 }, (_, k) => testCardRampValue(k))).toEqual([0, 17, 34, 51, 68, 85, 102, 119, 136, 153, 170, 187, 204, 221, 238, 255]);
  });

  it('draws a 1-px border on the outermost pixels only', () => {
    for (const [w, h] of [[1024, 768], [320, 200]] as const) {
      const c = render(w, h);
      for (let x = 0; x < w; x++) {
        expect(c.pixel(x, 0)).toBe(TEST_CARD_BORDER);
        expect(c.pixel(x, h - 1)).toBe(TEST_CARD_BORDER);
      }
      for (let y = 0; y < h; y++) {
        expect(c.pixel(0, y)).toBe(TEST_CARD_BORDER);
        expect(c.pixel(w - 1, y)).toBe(TEST_CARD_BORDER);
      }
      expect(c.pixel(1, 1)).toBe(TEST_CARD_BACKGROUND);
      expect(c.pixel(w - 2, h - 2)).toBe(TEST_CARD_BACKGROUND);
      expect(c.pixel(1, h >> 1)).toBe(TEST_CARD_BACKGROUND);
    }
  });

  it('draws the title and the resolution text', () => {
    const c = render(640, 480);
    const countText = (x0: number, y0: number, x1: number, y1: number): number => {
      let n = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (c.pixel(x, y) === TEST_CARD_TEXT) n++;
      return n;
    };
    // Title: 24 chars at (8, 8), 12x16 px each. 'o' of "openvmm" has ink at glyph (1,2) -> (10, 12).
    expect(c.pixel(10, 12)).toBe(TEST_CARD_TEXT);
    expect(countText(8, 8, 8 + 24 * 12, 24)).toBeGreaterThan(300);
    expect(countText(8 + 24 * 12, 8, 632, 24)).toBe(0);
    // Footer "640x480" at (8, 456).
    expect(testCardLayout(640, 480).footer).toEqual({ x: 8, y: 456, text: '640x480' });
    expect(countText(8, 456, 8 + 7 * 12, 472)).toBeGreaterThan(80);
  });

  it('is deterministic', () => {
    const a = render(800, 600).snapshot();
    const b = render(800, 600).snapshot();
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    // Drawing over a dirty surface gives the same bytes too.
    const c = new GuestCanvas(new SharedArrayBuffer(800 * 600 * 4), { width: 800, height: 600 });
    c.clear(0x123456);
    drawTestCard(c);
    expect(Buffer.from(c.snapshot()).equals(Buffer.from(a))).toBe(true);
  });

  it('rejects surfaces below 320x200', () => {
    expect(() => testCardLayout(319, 200)).toThrow(RangeError);
    expect(() => testCardLayout(320, 199)).toThrow(RangeError);
    const c = new GuestCanvas(new Uint8Array(300 * 200 * 4), { width: 300, height: 200 });
    expect(() => drawTestCard(c)).toThrow(RangeError);
  });
});
