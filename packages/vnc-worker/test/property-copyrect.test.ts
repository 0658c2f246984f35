/**
 * Property tests (fast-check) for CopyRect: for any sequence of scrolls, window moves, paints,
 * hostile dirt, resizes, guest writes reported late (the race the taint bookkeeping covers) and
 * client round trips at random points (a lagging client holds several moves), a client that
 * takes CopyRect and applies every update in order ends pixel-identical to VRAM, with device
 * dirt and with tile diff (where late reports and hostile rects do not apply). The last test
 * checks that the sequences really made the server send CopyRects, so the property is not
 * vacuously about Raw.
 */

import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClientFramebuffer } from '../../vnc/test/helpers/client-fb.js';
import { ENC_COPY_RECT } from '../../vnc/test/helpers/rfb-client.js';
import { ENC_DESKTOP_SIZE, ENC_RAW, type Fixture, RfbTestClient, clients, startFixture, stopAll } from './helpers.js';

const W = 160;
const H = 120;

type Op =
  | { kind: 'paint'; x: number; y: number; w: number; h: number; rgb: number }
  | { kind: 'scroll'; x: number; y: number; w: number; h: number; dy: number; rgb: number; full: boolean }
  | { kind: 'move'; x: number; y: number; w: number; h: number; nx: number; ny: number; rgb: number }
  | { kind: 'unreported'; x: number; y: number; w: number; h: number; rgb: number }
  | { kind: 'revert' }
  | { kind: 'late' }
  | { kind: 'hostile'; left: number; top: number; right: number; bottom: number }
  | { kind: 'resize'; width: number; height: number }
  | { kind: 'sync' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('paint' as const), x: fc.nat(W - 1), y: fc.nat(H - 1), w: fc.integer({ min: 1, max: 40 }), h: fc.integer({ min: 1, max: 30 }), rgb: fc.nat(0xffffff) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('scroll' as const), x: fc.nat(96), y: fc.nat(56), w: fc.integer({ min: 64, max: W }), h: fc.integer({ min: 64, max: H }), dy: fc.integer({ min: -40, max: 40 }), rgb: fc.nat(0xffffff), full: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('move' as const), x: fc.nat(W - 64), y: fc.nat(H - 64), w: fc.integer({ min: 64, max: 90 }), h: fc.integer({ min: 64, max: 90 }), nx: fc.nat(W - 64), ny: fc.nat(H - 64), rgb: fc.nat(0xffffff) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unreported' as const), x: fc.nat(W - 1), y: fc.nat(H - 1), w: fc.integer({ min: 1, max: 60 }), h: fc.integer({ min: 1, max: 60 }), rgb: fc.nat(0xffffff) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'revert' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'late' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hostile' as const), left: fc.integer(), top: fc.integer(), right: fc.integer(), bottom: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resize' as const), width: fc.integer({ min: 70, max: W }), height: fc.integer({ min: 70, max: H }) }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'sync' as const }) },
);

let fx: Fixture | undefined;
afterEach(async () => {
  await stopAll();
  fx = undefined;
});

let copyRectsSeen = 0;
let diffCopyRects = 0;

/** A small pixel-addressable painter over the fixture's VRAM at its current format. */
function painter(f: Fixture) {
  const at = (x: number, y: number): number => f.view.format.offset + y * f.view.format.stride + x * 4;
  const bytes = f.vram.bytes;
  const clip = (x: number, y: number, w: number, h: number): [number, number, number, number] => {
    const { width, height } = f.view;
    return [Math.max(0, x), Math.max(0, y), Math.min(width, x + w), Math.min(height, y + h)];
  };
  return {
    fill(x: number, y: number, w: number, h: number, rgb: number): void {
      const [l, t, r, b] = clip(x, y, w, h);
      for (let yy = t; yy < b; yy++) for (let xx = l; xx < r; xx++) f.setPixel(xx, yy, rgb ^ ((xx * 7 + yy * 13) & 0xff));
    },
    /** A busy picture: every row distinct (so scrolls and moves are detectable). */
    texture(): void {
      const { width, height } = f.view;
      for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) f.setPixel(x, y, (Math.imul(x * 131 + y * 7919, 2654435761) >>> 8) & 0xffffff);
    },
    /** Copies the w x h block at (sx, sy) to (dx, dy), both clipped to the screen by the caller. */
    blit(sx: number, sy: number, dx: number, dy: number, w: number, h: number): void {
      const tmp: Uint8Array[] = [];
      for (let y = 0; y < h; y++) tmp.push(bytes.slice(at(sx, sy + y), at(sx, sy + y) + w * 4));
      for (let y = 0; y < h; y++) bytes.set(tmp[y]!, at(dx, dy + y));
    },
    clip,
    /** Remembers the rect's pixels; the returned function writes them back (unreported) and returns the rect, or nothing after a resize. */
    save(x: number, y: number, w: number, h: number): () => { left: number; top: number; right: number; bottom: number } | undefined {
      const [l, t, r, b] = clip(x, y, w, h);
      const fmt = { ...f.view.format };
      const rows: Uint8Array[] = [];
      for (let yy = t; yy < b; yy++) rows.push(bytes.slice(at(l, yy), at(r, yy)));
      return () => {
        if (f.view.format.width !== fmt.width || f.view.format.height !== fmt.height) return undefined;
        rows.forEach((row, i) => bytes.set(row, at(l, t + i)));
        return { left: l, top: t, right: r, bottom: b };
      };
    },
  };
}

function vramPixels(f: Fixture): Uint8Array {
  const { width, height } = f.view;
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) f.view.readRow(y, 0, width, out, y * width * 4);
  return out;
}

/** Runs `ops`; with `device` false the guest reports nothing and the tile diff finds the changes. */
async function run(ops: Op[], device = true): Promise<void> {
  fx = await startFixture({}, W, H);
  const f = fx;
  const p = painter(f);
  p.texture();
  const c = await RfbTestClient.connect(f.port);
  clients.push(c);
  await c.handshake('3.8');
  c.setEncodings([ENC_COPY_RECT, ENC_RAW, ENC_DESKTOP_SIZE]);
  const screen = new ClientFramebuffer(W, H);
  const apply = async (): Promise<void> => {
    const rects = await c.readUpdate();
    copyRectsSeen += rects.filter((r) => r.encoding === ENC_COPY_RECT).length;
    screen.apply(rects);
  };
  c.requestUpdate(false, 0, 0, W, H);
  await apply();
  if (device) f.vnc.dirt([]);
  const late: { left: number; top: number; right: number; bottom: number }[] = [];
  let pending = false;
  let saved: (() => { left: number; top: number; right: number; bottom: number } | undefined) | undefined;
  let last = { left: 0, top: 0, right: W, bottom: H };
  const target = (): boolean => screen.width === f.view.width && screen.height === f.view.height && Buffer.from(screen.data).equals(Buffer.from(vramPixels(f)));
  const dirt = (rects: { left: number; top: number; right: number; bottom: number }[]): void => {
    last = rects[rects.length - 1]!;
    if (!device) return; // the tile diff finds it
    f.vnc.dirt(rects);
    // Only on-screen dirt gives the server something to send (after a resize a paint can fall
    // outside the screen, and waiting for its update would time out).
    const { width, height } = f.view;
    if (rects.some((r) => Math.max(0, r.left) < Math.min(width, r.right) && Math.max(0, r.top) < Math.min(height, r.bottom))) pending = true;
  };
  for (const op of ops) {
    const { width, height } = f.view;
    switch (op.kind) {
      case 'paint':
        p.fill(op.x, op.y, op.w, op.h, op.rgb);
        dirt([{ left: op.x, top: op.y, right: op.x + op.w, bottom: op.y + op.h }]);
        break;
      case 'scroll': {
        // Half of them full-width (a terminal), which tile diff's tile-aligned rects can show too.
        const [l, t, r, b] = op.full ? p.clip(0, op.y, width, op.h) : p.clip(op.x, op.y, op.w, op.h);
        const n = Math.abs(op.dy);
        if (r <= l || b - t <= n) break;
        if (op.dy > 0) p.blit(l, t + n, l, t, r - l, b - t - n);
        else p.blit(l, t, l, t + n, r - l, b - t - n);
        p.fill(l, op.dy > 0 ? b - n : t, r - l, n, op.rgb);
        dirt([{ left: l, top: t, right: r, bottom: b }]);
        break;
      }
      case 'move': {
        const w = Math.min(op.w, width - op.x, width - op.nx);
        const h = Math.min(op.h, height - op.y, height - op.ny);
        if (w <= 0 || h <= 0) break;
        const [l, t, r, b] = p.clip(op.x, op.y, w, h);
        const block = { sx: l, sy: t, w: r - l, h: b - t };
        const saved: Uint8Array[] = [];
        const at = (x: number, y: number): number => f.view.format.offset + y * f.view.format.stride + x * 4;
        for (let y = 0; y < block.h; y++) saved.push(f.vram.bytes.slice(at(block.sx, block.sy + y), at(block.sx, block.sy + y) + block.w * 4));
        p.fill(block.sx, block.sy, block.w, block.h, op.rgb); // what the window uncovers
        for (let y = 0; y < block.h; y++) f.vram.bytes.set(saved[y]!, at(op.nx, op.ny + y));
        dirt([
          { left: block.sx, top: block.sy, right: block.sx + block.w, bottom: block.sy + block.h },
          { left: op.nx, top: op.ny, right: op.nx + block.w, bottom: op.ny + block.h },
        ]);
        break;
      }
      case 'unreported': {
        // Inside the last reported rect (still dirty for a lagging client, which then reads the
        // new pixels before they are reported): what a guest drawing its next frame does.
        const x = last.left + (op.x % Math.max(1, last.right - last.left));
        const y = last.top + (op.y % Math.max(1, last.bottom - last.top));
        saved = p.save(x, y, op.w, op.h);
        p.fill(x, y, op.w, op.h, op.rgb);
        late.push({ left: x, top: y, right: x + op.w, bottom: y + op.h });
        break;
      }
      case 'revert': {
        // The guest puts back what it drew unreported (a caret blinking off): VRAM equals the
        // shadow there again, while a client that read the drawn pixels still shows them. That
        // is a drawing too, and a guest reports what it draws: late, like the first one (if the
        // first one was reported already, nothing else would ever report this one).
        const reverted = saved?.();
        if (reverted) late.push(reverted);
        saved = undefined;
        break;
      }
      case 'late':
        if (late.length) dirt(late.splice(0));
        break;
      case 'hostile':
        if (device) f.vnc.dirt([op]);
        break;
      case 'resize':
        f.view.setFormat({ width: op.width, height: op.height, stride: op.width * 4, offset: 0 });
        p.texture();
        pending = true;
        break;
      case 'sync':
        // With tile diff, something is on its way exactly when the picture differs from VRAM.
        if (device ? !pending : target()) break;
        c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
        await apply();
        if (screen.width !== f.view.width || screen.height !== f.view.height) await apply(); // the full frame after a resize
        pending = false;
        break;
    }
    // With tile diff, let a pass run after each step, as a guest's frames come a pass apart.
    if (!device && op.kind !== 'sync') await new Promise((r) => setTimeout(r, 8));
  }
  if (late.length) dirt(late.splice(0));
  // Ask until the picture matches; a server that thinks nothing is pending while it differs
  // sends nothing, and readUpdate's timeout fails the run.
  for (let round = 0; round < 10 && !target(); round++) {
    c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
    await apply();
    if (screen.width !== f.view.width || screen.height !== f.view.height) await apply();
  }
  expect(target()).toBe(true);
  c.destroy();
  await f.vnc.stop();
  fx = undefined;
}

describe('property: a CopyRect client ends pixel-identical to VRAM', () => {
  it('scrolls, moves, paints, late reports, hostile rects and resizes with random client lag', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => run(ops)), { numRuns: 100 });
  });

  it('the same with tile diff (no device dirt): moves are found in what each pass found', async () => {
    const before = copyRectsSeen;
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => run(ops, false)), { numRuns: 40 });
    diffCopyRects = copyRectsSeen - before;
  });

  it('the sequences made the server send CopyRects, in both modes', () => {
    expect(copyRectsSeen - diffCopyRects).toBeGreaterThan(20);
    expect(diffCopyRects).toBeGreaterThan(5);
  });
});
