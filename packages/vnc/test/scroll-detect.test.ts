import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type FramebufferSource, type Move, MoveDetector } from '../src/index.js';

/** A plain in-memory framebuffer. */
class MemFb implements FramebufferSource {
  readonly px: Uint32Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.px = new Uint32Array(width * height);
  }
  readRow(y: number, x: number, w: number, dst: Uint8Array, dstOffset: number): void {
    dst.set(new Uint8Array(this.px.buffer, (y * this.width + x) * 4, w * 4), dstOffset);
  }
  /** Text-like rows: every row different. */
  texture(seed = 1): void {
    for (let i = 0; i < this.px.length; i++) this.px[i] = (Math.imul(i + seed * 7777, 2654435761) >>> 8) & 0xffffff;
  }
  random(rnd: () => number): void {
    for (let i = 0; i < this.px.length; i++) this.px[i] = (rnd() * 0x1000000) & 0xffffff;
  }
  fill(x: number, y: number, w: number, h: number, v: number): void {
    for (let yy = y; yy < y + h; yy++) this.px.fill(v, yy * this.width + x, yy * this.width + x + w);
  }
  /** Copies a block (overlap-safe). */
  blit(sx: number, sy: number, dx: number, dy: number, w: number, h: number): void {
    const tmp: Uint32Array[] = [];
    for (let y = 0; y < h; y++) tmp.push(this.px.slice((sy + y) * this.width + sx, (sy + y) * this.width + sx + w));
    for (let y = 0; y < h; y++) this.px.set(tmp[y]!, (dy + y) * this.width + dx);
  }
  snapshot(): Uint32Array {
    return this.px.slice();
  }
}

const rect = (x: number, y: number, w: number, h: number) => ({ left: x, top: y, right: x + w, bottom: y + h });

/** Primes a detector on `fb` (the first batch only copies the frame). */
function primed(fb: MemFb): MoveDetector {
  const d = new MoveDetector();
  expect(d.observe(fb, [rect(0, 0, fb.width, fb.height)], true)).toEqual([]);
  expect(d.shadow.active).toBe(true);
  return d;
}

/** Every reported move must be exact: new frame at dst equals old frame at src. */
function expectExact(old: Uint32Array, fb: MemFb, moves: readonly Move[]): void {
  for (const m of moves) {
    for (let y = 0; y < m.h; y++) {
      const a = old.subarray((m.srcY + y) * fb.width + m.srcX, (m.srcY + y) * fb.width + m.srcX + m.w);
      const b = fb.px.subarray((m.dstY + y) * fb.width + m.dstX, (m.dstY + y) * fb.width + m.dstX + m.w);
      expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(true);
    }
  }
}

describe('MoveDetector', () => {
  it('finds a full-width scroll up by 20 rows (a terminal printing a line)', () => {
    const fb = new MemFb(320, 200);
    fb.texture();
    const d = primed(fb);
    fb.blit(0, 20, 0, 0, 320, 180);
    fb.fill(0, 180, 320, 20, 0x101418);
    expect(d.observe(fb, [rect(0, 0, 320, 200)], true)).toEqual([{ srcX: 0, srcY: 20, dstX: 0, dstY: 0, w: 320, h: 180 }]);
  });

  it('finds a scroll down inside a pane, and only the rows that really moved', () => {
    const fb = new MemFb(320, 200);
    fb.texture(3);
    const d = primed(fb);
    const old = fb.snapshot();
    fb.blit(40, 30, 40, 37, 200, 150); // rows 30..180 move down by 7 inside x 40..240
    fb.fill(40, 30, 200, 7, 0);
    fb.fill(40, 150, 200, 3, 0xabcdef); // and three rows painted over afterwards
    const moves = d.observe(fb, [rect(40, 30, 200, 157)], true);
    expect(moves).toEqual([{ srcX: 40, srcY: 30, dstX: 40, dstY: 37, w: 200, h: 113 }]);
    expectExact(old, fb, moves);
  });

  it('finds a dragged window from its old and new rects', () => {
    const fb = new MemFb(400, 300);
    fb.texture(5);
    fb.fill(50, 60, 120, 90, 0xfafafa);
    for (let y = 60; y < 150; y += 9) fb.fill(60, y, 80, 2, y * 1000); // some "text"
    const d = primed(fb);
    const old = fb.snapshot();
    const bg = new MemFb(400, 300);
    bg.texture(5);
    const win = fb.px.slice();
    // The window moves by (+13, +7): background back at the old place, window at the new.
    for (let y = 60; y < 150; y++) fb.px.set(bg.px.subarray(y * 400 + 50, y * 400 + 170), y * 400 + 50);
    for (let y = 0; y < 90; y++) fb.px.set(win.subarray((60 + y) * 400 + 50, (60 + y) * 400 + 170), (67 + y) * 400 + 63);
    const moves = d.observe(fb, [rect(50, 60, 120, 90), rect(63, 67, 120, 90)], true);
    expect(moves).toEqual([{ srcX: 50, srcY: 60, dstX: 63, dstY: 67, w: 120, h: 90 }]);
    expectExact(old, fb, moves);
  });

  it('reports nothing for new random content (video), for small rects, and while disabled', () => {
    const fb = new MemFb(256, 160);
    let s = 1;
    const rnd = (): number => ((s = Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    fb.random(rnd);
    const d = primed(fb);
    for (let i = 0; i < 5; i++) {
      fb.random(rnd);
      expect(d.observe(fb, [rect(0, 0, 256, 160)], true)).toEqual([]);
    }
    fb.blit(0, 10, 0, 0, 40, 40); // a scroll, but under the size threshold
    expect(d.observe(fb, [rect(0, 0, 40, 50)], true)).toEqual([]);
    expect(d.observe(fb, [rect(0, 0, 256, 160)], false)).toEqual([]);
    expect(d.shadow.active).toBe(false);
    expect(d.shadow.bytes.length).toBe(0);
    expect(d.counters.moves).toBe(0);
  });

  it('a batch repeating the same rect many times is searched once', () => {
    const fb = new MemFb(320, 200);
    fb.texture();
    const d = primed(fb);
    fb.blit(0, 20, 0, 0, 320, 180);
    const moves = d.observe(fb, Array.from({ length: 500 }, () => rect(0, 0, 320, 200)), true);
    expect(moves).toEqual([{ srcX: 0, srcY: 20, dstX: 0, dstY: 0, w: 320, h: 180 }]);
  });

  it('re-primes (no moves) after a size change', () => {
    const fb = new MemFb(200, 100);
    fb.texture();
    const d = primed(fb);
    const big = new MemFb(240, 100);
    big.texture();
    expect(d.observe(big, [rect(0, 0, 240, 100)], true)).toEqual([]);
    expect(d.shadow.width).toBe(240);
  });

  it('property: every move reported is exact, whatever was drawn (fingerprints are only hints), and the shadow follows the frame', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ dy: fc.integer({ min: -60, max: 60 }), x: fc.nat(100), w: fc.integer({ min: 64, max: 200 }), noise: fc.nat(5), seed: fc.nat(1000) }),
          { minLength: 1, maxLength: 6 },
        ),
        (steps) => {
          const fb = new MemFb(300, 160);
          // Few distinct rows: fingerprints collide a lot (repeated rows, stripes).
          for (let y = 0; y < 160; y++) fb.fill(0, y, 300, 1, (y % 7) * 0x111111);
          const d = primed(fb);
          for (const st of steps) {
            const old = fb.snapshot();
            const w = Math.min(st.w, 300 - st.x);
            const n = Math.abs(st.dy);
            if (st.dy > 0) fb.blit(st.x, n, st.x, 0, w, 160 - n);
            else if (st.dy < 0) fb.blit(st.x, 0, st.x, n, w, 160 - n);
            for (let i = 0; i < st.noise; i++) fb.fill(st.x + ((st.seed * (i + 1)) % w), (st.seed * 31 * (i + 1)) % 160, 1, 1, st.seed);
            expectExact(old, fb, d.observe(fb, [rect(st.x, 0, w, 160)], true));
            // The shadow (moves applied, the rest refreshed) equals the frame again.
            expect(Buffer.from(fb.px.buffer).equals(d.shadow.bytes)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
