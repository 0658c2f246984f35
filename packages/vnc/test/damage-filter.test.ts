/**
 * Tests for the damage filter (compare DIRT with the last frame): unchanged rects vanish, a small
 * change inside a large DIRT comes out as its tile columns clipped to the rect, and, as a
 * property, a client that is passed only the filtered rects and reads pixels whenever it likes
 * ends with the guest's final picture however late the guest's DIRT messages come.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DamageFilter } from '../src/damage-filter.js';
import type { BatchRect } from '../src/move-tracker.js';
import { MemFramebuffer } from './helpers/mem-fb.js';

const rect = (left: number, top: number, right: number, bottom: number): BatchRect => ({ left, top, right, bottom });

describe('DamageFilter', () => {
  it('drops a DIRT rect whose pixels did not change, and passes a changed one on', () => {
    const fb = new MemFramebuffer(100, 60, (x, y) => (x * 7 + y) & 0xffffff);
    const f = new DamageFilter();
    f.prime(fb);
    expect(f.filter(fb, [rect(0, 0, 100, 60)])).toEqual([]);
    fb.setPixel(50, 30, 0xff00ff);
    expect(f.filter(fb, [rect(0, 0, 100, 60)])).toEqual([rect(48, 30, 64, 31)]);
    // The snapshot took the change: the same DIRT again is empty.
    expect(f.filter(fb, [rect(0, 0, 100, 60)])).toEqual([]);
  });

  it('keeps a small DIRT rect exact (a caret), and clips tile columns to the rect', () => {
    const fb = new MemFramebuffer(100, 60);
    const f = new DamageFilter();
    f.prime(fb);
    for (let y = 10; y < 30; y++) for (let x = 20; x < 22; x++) fb.setPixel(x, y, 0xffffff);
    expect(f.filter(fb, [rect(20, 10, 22, 30)])).toEqual([rect(20, 10, 22, 30)]);
    for (let y = 10; y < 30; y++) fb.setPixel(21, y, 0);
    // Reported with more around it: the changed tile column (16..32) clipped to the rect
    // (18..40), and the changed rows.
    expect(f.filter(fb, [rect(18, 5, 40, 35)])).toEqual([rect(18, 10, 32, 30)]);
  });

  it('merges changed columns downwards where they line up, and splits where they do not', () => {
    const fb = new MemFramebuffer(64, 64);
    const f = new DamageFilter();
    f.prime(fb);
    for (let y = 0; y < 40; y++) fb.setPixel(5, y, 1); // column tile 0, bands 0..2
    fb.setPixel(40, 50, 1); // column tile 2, band 3
    expect(f.filter(fb, [rect(0, 0, 64, 64)])).toEqual([rect(0, 0, 16, 40), rect(32, 50, 48, 51)]);
  });

  it('after a large batch that changed almost everywhere, passes the next 7 on whole without comparing', () => {
    const fb = new MemFramebuffer(640, 480);
    const f = new DamageFilter();
    f.prime(fb);
    const whole = rect(0, 0, 640, 480);
    const paint = (rgb: number): void => {
      for (let y = 0; y < 480; y++) for (let x = 0; x < 640; x++) fb.setPixel(x, y, rgb);
    };
    paint(1);
    expect(f.filter(fb, [whole])).toEqual([whole]);
    for (let i = 0; i < 7; i++) {
      if (i === 3) paint(2);
      expect(f.filter(fb, [rect(-5, -5, 700, 500)])).toEqual([whole]);
    }
    // Compared again: everything changed since (paint 2), so 7 more are passed on whole.
    expect(f.filter(fb, [whole])).toEqual([whole]);
    for (let i = 0; i < 7; i++) expect(f.filter(fb, [whole])).toEqual([whole]);
    // Compared again: the stale tiles go whole once more, but nothing really changed...
    expect(f.filter(fb, [whole])).toEqual([whole]);
    // ...so comparing goes on, and the snapshot is fresh everywhere.
    expect(f.filter(fb, [whole])).toEqual([]);
    fb.setPixel(100, 100, 3);
    expect(f.filter(fb, [whole])).toEqual([rect(96, 100, 112, 101)]);
  });

  it('a stale tile is passed on whole until a DIRT covers all of it', () => {
    const fb = new MemFramebuffer(640, 480);
    const f = new DamageFilter();
    f.prime(fb);
    for (let y = 0; y < 480; y++) for (let x = 0; x < 640; x++) fb.setPixel(x, y, 1);
    f.filter(fb, [rect(0, 0, 640, 480)]); // copy mode from now on
    for (let i = 0; i < 7; i++) f.filter(fb, [rect(0, 0, 640, 480)]);
    // Compared again, but only part of tile (0, 0) is reported: it stays stale.
    expect(f.filter(fb, [rect(0, 0, 8, 8)])).toEqual([rect(0, 0, 8, 8)]);
    expect(f.filter(fb, [rect(0, 0, 16, 16)])).toEqual([rect(0, 0, 16, 16)]);
    expect(f.filter(fb, [rect(0, 0, 16, 16)])).toEqual([]);
  });

  it('stops comparing when the size changes inside a row read, and passes the rects on as they are', () => {
    /** Runs `hook` once, inside the n-th row read from now. */
    class HookedFramebuffer extends MemFramebuffer {
      hook: { at: number; run: () => void } | undefined;
      override readRow(y: number, x: number, w: number, dst: Uint8Array, off: number): void {
        super.readRow(y, x, w, dst, off);
        if (this.hook && --this.hook.at === 0) {
          const run = this.hook.run;
          this.hook = undefined;
          run();
        }
      }
    }
    const fb = new HookedFramebuffer(64, 48, (x, y) => x + y);
    const f = new DamageFilter();
    f.prime(fb);
    fb.setPixel(1, 40, 0xffffff);
    // A resize half-way, nobody re-priming: the snapshot (of the old size) is dropped.
    fb.hook = { at: 20, run: () => fb.resize(32, 24) };
    expect(f.filter(fb, [rect(0, 0, 64, 48)])).toEqual([rect(0, 0, 64, 48)]);
    expect(f.isPrimedFor(fb)).toBe(false);
    // A resize half-way whose listener primes again (as the coordinator's does): that stands.
    f.prime(fb);
    fb.hook = { at: 10, run: () => (fb.resize(40, 30), f.prime(fb)) };
    expect(f.filter(fb, [rect(0, 0, 32, 24)])).toEqual([rect(0, 0, 32, 24)]);
    expect(f.isPrimedFor(fb)).toBe(true);
    expect(f.filter(fb, [rect(0, 0, 40, 30)])).toEqual([]);
    // And a resize inside prime's own reads leaves no snapshot of the wrong size.
    fb.hook = { at: 5, run: () => fb.resize(16, 16) };
    f.prime(fb);
    expect(f.isPrimedFor(fb)).toBe(false);
  });

  it('refuses to run without a snapshot of the current size', () => {
    const fb = new MemFramebuffer(32, 32);
    const f = new DamageFilter();
    expect(() => f.filter(fb, [rect(0, 0, 1, 1)])).toThrow(/without a snapshot/);
    f.prime(fb);
    fb.resize(48, 32);
    expect(f.isPrimedFor(fb)).toBe(false);
  });

  for (const copyOnlyMin of [undefined, 16]) {
    it(`never loses a change: a client passed only the filtered rects ends with the final picture${copyOnlyMin ? ' (passing on whole from 16-pixel batches)' : ''}`, () => {
      const W = 48;
      const H = 40;
      const write = fc.record({
        x: fc.integer({ min: 0, max: W - 1 }),
        y: fc.integer({ min: 0, max: H - 1 }),
        w: fc.integer({ min: 1, max: 20 }),
        h: fc.integer({ min: 1, max: 20 }),
        colour: fc.integer({ min: 0, max: 3 }), // few colours: writes often restore old pixels
        pad: fc.integer({ min: 0, max: 12 }), // DIRT reported larger than the write
      });
      // Steps: the guest writes (its DIRT queued), a queued DIRT is delivered (filtered), or the
      // client reads what it was told is dirty.
      const step = fc.oneof(
        write.map((w) => ({ kind: 'write' as const, ...w })),
        fc.constant({ kind: 'deliver' as const }),
        fc.constant({ kind: 'read' as const }),
      );
      fc.assert(
        fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
          const fb = new MemFramebuffer(W, H, (x, y) => (x + y) & 3);
          const f = new DamageFilter(copyOnlyMin);
          // The client starts with the whole frame, read when the snapshot is taken.
          const client = fb.data.slice();
          f.prime(fb);
          const queue: BatchRect[] = [];
          const dirty = new Uint8Array(W * H);
          const deliver = (): void => {
            const r = queue.shift();
            if (!r) return;
            for (const o of f.filter(fb, [r])) for (let y = o.top; y < o.bottom; y++) dirty.fill(1, y * W + o.left, y * W + o.right);
          };
          const read = (): void => {
            for (let i = 0; i < W * H; i++) {
              if (!dirty[i]) continue;
              client.set(fb.data.subarray(i * 4, i * 4 + 4), i * 4);
              dirty[i] = 0;
            }
          };
          for (const s of steps) {
            if (s.kind === 'write') {
              const x1 = Math.min(W, s.x + s.w);
              const y1 = Math.min(H, s.y + s.h);
              for (let y = s.y; y < y1; y++) for (let x = s.x; x < x1; x++) fb.setPixel(x, y, s.colour);
              queue.push(rect(s.x - s.pad, s.y - s.pad, x1 + s.pad, y1 + s.pad));
            } else if (s.kind === 'deliver') deliver();
            else read();
          }
          while (queue.length) deliver();
          read();
          expect(Buffer.from(client).equals(Buffer.from(fb.data))).toBe(true);
        }),
        { numRuns: 400 },
      );
    });
  }
});
