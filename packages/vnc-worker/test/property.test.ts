/**
 * Property tests (fast-check): for any sequence of drawing, dirt reports and resizes, a client
 * that applies every update it receives ends pixel-identical to VRAM, in device-dirt mode (the
 * guest reports what it drew, plus arbitrary hostile rects) and in tile-diff mode (it reports
 * nothing).
 */

import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ENC_DESKTOP_SIZE, ENC_RAW, type Fixture, RfbTestClient, startFixture, clients, stopAll } from './helpers.js';

type Op =
  | { kind: 'draw'; x: number; y: number; w: number; h: number; rgb: number; report: boolean }
  | { kind: 'hostile'; left: number; top: number; right: number; bottom: number }
  | { kind: 'resize'; width: number; height: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('draw' as const), x: fc.nat(99), y: fc.nat(59), w: fc.integer({ min: 1, max: 40 }), h: fc.integer({ min: 1, max: 30 }), rgb: fc.nat(0xffffff), report: fc.constant(true) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hostile' as const), left: fc.integer(), top: fc.integer(), right: fc.integer(), bottom: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resize' as const), width: fc.integer({ min: 8, max: 100 }), height: fc.integer({ min: 8, max: 60 }) }) },
);

let fx: Fixture | undefined;
afterEach(async () => {
  await stopAll();
  fx = undefined;
});

interface Screen {
  width: number;
  height: number;
  bytes: Uint8Array;
}

/** Reads one update and applies it to `screen` (resizing it on DesktopSize). */
async function readAndApply(c: RfbTestClient, screen: Screen): Promise<void> {
  for (const r of await c.readUpdate()) {
    if (r.encoding === ENC_DESKTOP_SIZE) {
      screen.width = r.w;
      screen.height = r.h;
      screen.bytes = new Uint8Array(r.w * r.h * 4);
      continue;
    }
    for (let row = 0; row < r.h; row++) screen.bytes.set(r.data.subarray(row * r.w * 4, (row + 1) * r.w * 4), ((r.y + row) * screen.width + r.x) * 4);
  }
}

function vramPixels(f: Fixture): Uint8Array {
  const { width, height } = f.view;
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) f.view.readRow(y, 0, width, out, y * width * 4);
  return out;
}

async function run(ops: Op[], device: boolean): Promise<void> {
  fx = await startFixture({}, 100, 60);
  const f = fx;
  const c = await RfbTestClient.connect(f.port);
  clients.push(c);
  await c.handshake('3.8');
  c.setEncodings([ENC_RAW, ENC_DESKTOP_SIZE]);
  const screen: Screen = { width: 100, height: 60, bytes: new Uint8Array(100 * 60 * 4) };
  c.requestUpdate(false, 0, 0, 100, 60);
  await readAndApply(c, screen);
  if (device) f.vnc.dirt([]);
  for (const op of ops) {
    if (op.kind === 'resize') {
      f.view.setFormat({ width: op.width, height: op.height, stride: op.width * 4, offset: 0 });
      continue;
    }
    if (op.kind === 'hostile') {
      if (device) f.vnc.dirt([op]);
      continue;
    }
    const { width, height } = f.view;
    for (let y = op.y; y < Math.min(height, op.y + op.h); y++) for (let x = op.x; x < Math.min(width, op.x + op.w); x++) f.setPixel(x, y, op.rgb);
    if (device) f.vnc.dirt([{ left: op.x, top: op.y, right: op.x + op.w, bottom: op.y + op.h }]);
  }
  // Ask until the client's picture equals VRAM (each round answers only when something is pending).
  const target = (): boolean => screen.width === f.view.width && screen.height === f.view.height && Buffer.from(screen.bytes).equals(Buffer.from(vramPixels(f)));
  for (let round = 0; round < 10 && !target(); round++) {
    c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
    await readAndApply(c, screen);
    if (screen.width !== f.view.width || screen.height !== f.view.height) await readAndApply(c, screen); // the full frame after a resize
  }
  expect(target()).toBe(true);
  c.destroy();
  await f.vnc.stop();
  fx = undefined;
}

describe('property: a client ends pixel-identical to VRAM', () => {
  it('with device dirt (plus hostile rects)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => run(ops, true)), { numRuns: 30 });
  });

  it('with tile diff only', async () => {
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), (ops) => run(ops, false)), { numRuns: 30 });
  });
});
