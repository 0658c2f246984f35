import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DirtyRegion, MAX_EXACT_RECTS, type Rect } from '../src/index.js';

const plain = (rs: readonly Rect[]) => rs.map(({ x, y, w, h }) => ({ x, y, w, h }));
const refined = (d: DirtyRegion): Rect[] => d.refine(d.toRects([]), []);

describe('DirtyRegion', () => {
  it('starts at tile precision (a new surface is all dirty) and is exact after clear', () => {
    const d = new DirtyRegion(40, 20);
    expect(d.isExact).toBe(false);
    expect(plain(refined(d))).toEqual([{ x: 0, y: 0, w: 40, h: 20 }]);
    d.clear();
    expect(d.isExact).toBe(true);
    d.markRect(3, 4, 5, 24);
    expect(plain(refined(d))).toEqual([{ x: 3, y: 4, w: 2, h: 16 }]);
  });

  it('sends the exact pieces of a tile rect when they cover clearly less than their box, else the box', () => {
    const d = new DirtyRegion(64, 32);
    d.clear();
    d.markRect(0, 0, 2, 2);
    d.markRect(30, 10, 32, 12);
    expect(plain(refined(d))).toEqual([
      { x: 0, y: 0, w: 2, h: 2 },
      { x: 30, y: 10, w: 2, h: 2 },
    ]);
    d.clear();
    d.markRect(0, 0, 10, 20);
    d.markRect(10, 0, 20, 20);
    expect(plain(refined(d))).toEqual([{ x: 0, y: 0, w: 20, h: 20 }]);
  });

  it('falls back to tiles past MAX_EXACT_RECTS rects and after markAll or setTile', () => {
    const d = new DirtyRegion(640, 480);
    d.clear();
    for (let i = 0; i <= MAX_EXACT_RECTS; i++) d.markRect(i * 9, 0, i * 9 + 1, 1);
    expect(d.isExact).toBe(false);
    d.clear();
    d.markRect(1, 1, 2, 2);
    d.setTile(5, 5);
    expect(d.isExact).toBe(false);
    expect(plain(refined(d))).toEqual([
      { x: 0, y: 0, w: 16, h: 16 },
      { x: 80, y: 80, w: 16, h: 16 },
    ]);
  });

  it('clearInside clears only the tiles wholly inside (the frame edge counts)', () => {
    const d = new DirtyRegion(40, 40);
    d.clearInside(8, 8, 40, 40);
    expect(d.isTileDirty(0, 0)).toBe(true); // 8..16 of it only
    expect(d.isTileDirty(0, 1)).toBe(true);
    expect(d.isTileDirty(1, 1)).toBe(false); // 16..32 wholly inside
    expect(d.isTileDirty(2, 2)).toBe(false); // 32..40, cut by the frame edge the rect reaches
    expect(d.isTileDirty(1, 0)).toBe(true);
  });

  it('property: refined rects cover every marked pixel and stay inside the dirty tiles', () => {
    const arb = fc.array(fc.record({ x: fc.integer({ min: -5, max: 100 }), y: fc.integer({ min: -5, max: 70 }), w: fc.integer({ min: 0, max: 40 }), h: fc.integer({ min: 0, max: 40 }) }), { maxLength: 80 });
    fc.assert(
      fc.property(arb, (marks) => {
        const d = new DirtyRegion(100, 70);
        d.clear();
        const want = new Uint8Array(100 * 70);
        for (const m of marks) {
          d.markRect(m.x, m.y, m.x + m.w, m.y + m.h);
          for (let y = Math.max(0, m.y); y < Math.min(70, m.y + m.h); y++) for (let x = Math.max(0, m.x); x < Math.min(100, m.x + m.w); x++) want[y * 100 + x] = 1;
        }
        const got = new Uint8Array(100 * 70);
        let outside = 0;
        for (const r of refined(d)) {
          for (let y = r.y; y < r.y + r.h; y++) for (let x = r.x; x < r.x + r.w; x++) {
            if (!d.isTileDirty(x >> 4, y >> 4)) outside++;
            got[y * 100 + x] = 1;
          }
        }
        let missed = 0;
        for (let i = 0; i < want.length; i++) if (want[i] && !got[i]) missed++;
        expect({ missed, outside }).toEqual({ missed: 0, outside: 0 });
      }),
      { numRuns: 200 },
    );
  });
});
