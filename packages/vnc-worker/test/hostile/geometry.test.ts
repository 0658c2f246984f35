/**
 * Hostile geometry (the encoder / resize / copy-path classes: CVE-2020-14402..14404 OOB,
 * CVE-2017-2633 and CVE-2015-5225 surface refresh, CVE-2016-9603 device rects): device dirt
 * rectangles past the edge, negative, inverted or huge; resizes to 1x1 and back while updates
 * flow, a resize in the middle of encoding a frame; the surface refusing 0 sizes; pointer events
 * past the screen after a shrink; update requests past the edge or of 0 size.
 *
 * The witness's mirror is compared with the whole framebuffer after each case: every rect it
 * receives must lie inside its screen, and no region may stay wrong.
 */

import { type FramebufferView } from '@openvmm-vnc-ts/video-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pointerEventMsg, setEncodingsMsg, updateRequestMsg } from '../../../vnc/test/helpers/rfb-messages.js';
import type { CoordinatorFramebuffer } from '../../src/coordinator.js';
import { Hostile, Prng, type RawConn, until } from './harness.js';

const I32_MAX = 0x7fffffff;
const I32_MIN = -0x80000000;
const fmt = (width: number, height: number, offset = 0): { width: number; height: number; stride: number; offset: number } => ({ width, height, stride: width * 4, offset });

let h: Hostile;
beforeAll(async () => {
  h = await Hostile.start();
});
afterAll(async () => {
  await h.stop();
});

/** The witness's count of dirty tiles right now (synchronously after a dirt call). */
function witnessDirtyTiles(): number {
  return h.client(h.witnessId!)!.dirtyTiles as number;
}

describe('device dirt rectangles', () => {
  const reaching: [string, { left: number; top: number; right: number; bottom: number }, [number, number][]][] = [
    ['past the right and bottom edges (to i32 max)', { left: 60, top: 28, right: I32_MAX, bottom: I32_MAX }, [[63, 31], [60, 28]]],
    ['from i32 min', { left: I32_MIN, top: I32_MIN, right: 2, bottom: 2 }, [[0, 0], [1, 1]]],
    ['negative to past the edge (the whole screen)', { left: -5, top: -5, right: 1 << 30, bottom: 1 << 30 }, [[0, 0], [63, 31], [32, 16]]],
    ['one pixel at the last column and row', { left: 63, top: 31, right: 64, bottom: 32 }, [[63, 31]]],
  ];
  it.each(reaching)('%s: clamped, and the change inside reaches the witness', async (_name, rect, pixels) => {
    pixels.forEach(([x, y], i) => h.setPixel(x, y, 0x111111 * (i + 1) + 0x00a000));
    h.dirt(rect);
    await h.witness!.syncTo(h.view);
    for (const [x, y] of pixels) expect(h.witness!.pixel(x, y)).toBe(h.pixel(x, y));
    await h.checkWitness();
  });

  const empty: [string, { left: number; top: number; right: number; bottom: number }][] = [
    ['inverted', { left: 50, top: 20, right: 10, bottom: 5 }],
    ['inverted from i32 max to i32 min', { left: I32_MAX, top: I32_MAX, right: I32_MIN, bottom: I32_MIN }],
    ['zero width', { left: 10, top: 10, right: 10, bottom: 20 }],
    ['zero height', { left: 10, top: 10, right: 20, bottom: 10 }],
    ['entirely right of / below the screen', { left: 64, top: 32, right: I32_MAX, bottom: I32_MAX }],
    ['entirely negative', { left: I32_MIN, top: I32_MIN, right: 0, bottom: 0 }],
  ];
  it.each(empty)('%s: marks nothing', async (_name, rect) => {
    expect(witnessDirtyTiles()).toBe(0);
    h.dirt(rect);
    expect(witnessDirtyTiles()).toBe(0);
    await h.checkWitness();
  });

  it('100 000 seeded random i32 rects in one DIRT batch: bounded work, the witness stays exact', async () => {
    const rng = new Prng(0xd1a7);
    const i32 = (): number => rng.int(0, 0xffffffff) | 0;
    const small = (): number => rng.int(-100, 200);
    const rects = Array.from({ length: 100_000 }, (_, i) =>
      i % 2 ? { left: i32(), top: i32(), right: i32(), bottom: i32() } : { left: small(), top: small(), right: small(), bottom: small() },
    );
    for (let i = 0; i < 200; i++) h.setPixel(rng.int(0, 63), rng.int(0, 31), rng.int(0, 0xffffff));
    h.dirt(...rects, { left: 0, top: 0, right: 64, bottom: 32 });
    await h.witness!.syncTo(h.view);
    await h.checkWitness();
  });
});

describe('resizes while updates flow', () => {
  it('to 1x1 and back: the witness gets DesktopSize and a full frame each time, exact', async () => {
    const resizes = h.witness!.resizes;
    h.view.setFormat(fmt(1, 1));
    await h.checkWitness();
    expect([h.witness!.width, h.witness!.height]).toEqual([1, 1]);
    h.view.setFormat(fmt(64, 32));
    await h.checkWitness();
    expect([h.witness!.width, h.witness!.height]).toEqual([64, 32]);
    expect(h.witness!.resizes).toBe(resizes + 2);
  });

  it('30 seeded resizes (odd sizes, 1xN, Nx1) interleaved with dirt and pixel changes: exact after each', async () => {
    const rng = new Prng(0x517e);
    const sizes = [fmt(1, 1), fmt(1, 40), fmt(40, 1), fmt(17, 9), fmt(33, 17), fmt(64, 32), fmt(100, 3), fmt(15, 15), fmt(16, 16)];
    for (let i = 0; i < 30; i++) {
      h.view.setFormat(sizes[rng.int(0, sizes.length - 1)]!);
      for (let k = 0; k < 5; k++) h.setPixel(rng.int(0, h.view.width - 1), rng.int(0, h.view.height - 1), rng.int(0, 0xffffff));
      h.dirt({ left: -1, top: -1, right: I32_MAX, bottom: I32_MAX });
      await h.checkWitness();
    }
    h.view.setFormat(fmt(64, 32));
    await h.checkWitness();
  });

  it('a burst of 50 resizes in one tick: the witness ends exact at the last size', async () => {
    for (let i = 0; i < 50; i++) h.view.setFormat(fmt(1 + ((i * 13) % 64), 1 + ((i * 7) % 32)));
    h.view.setFormat(fmt(48, 24));
    await h.checkWitness();
    expect([h.witness!.width, h.witness!.height]).toEqual([48, 24]);
    h.view.setFormat(fmt(64, 32));
    await h.checkWitness();
  });

  it('a client without DesktopSize is closed with VNC_RESIZE_UNSUPPORTED at its next request; the witness is not', async () => {
    const c = await h.open();
    await c.handshake38();
    const id = await h.idOf(c);
    c.write(Buffer.concat([setEncodingsMsg([0]), updateRequestMsg(false, 0, 0, 64, 32)]));
    await c.read(4 + 12 + 64 * 32 * 4);
    c.write(updateRequestMsg(true, 0, 0, 64, 32));
    h.view.setFormat(fmt(32, 16));
    expect(await c.waitServerEnd()).toBe(true);
    await until(() => h.disconnected(id), 'disconnect');
    expect(h.closeError(id)?.fields).toMatchObject({ code: 'VNC_RESIZE_UNSUPPORTED', error: 'screen resized to 32x16 and the client supports neither DesktopSize nor ExtendedDesktopSize' });
    await h.checkWitness();
    h.view.setFormat(fmt(64, 32));
    await h.checkWitness();
  });
});

describe('sizes the surface refuses', () => {
  it.each([
    ['width 0', fmt(0, 32)],
    ['height 0', fmt(64, 0)],
    ['0x0', fmt(0, 0)],
    ['width 65536', fmt(65536, 1)],
    ['stride below width*4', { width: 64, height: 32, stride: 255, offset: 0 }],
    ['past the end of VRAM', fmt(64, 32, 8 * 1024 * 1024 - 64 * 4 * 16)],
    ['negative offset', fmt(64, 32, -4)],
  ])('%s is refused by the view and changes nothing', async (_name, f) => {
    expect(h.view.setFormat(f)).toBe(false);
    expect([h.view.width, h.view.height]).toEqual([64, 32]);
    await h.checkWitness();
  });
});

describe('pointer events past the screen', () => {
  async function pointerClient(): Promise<RawConn> {
    const c = await h.open();
    await c.handshake38();
    return c;
  }
  async function lastMouse(c: RawConn, x: number, y: number): Promise<{ x: number; y: number }> {
    const n = h.mouseEvents;
    c.write(pointerEventMsg(0, x, y));
    await until(() => h.mouseEvents > n, 'pointer event');
    const m = h.mouse[h.mouse.length - 1]!;
    return { x: m.x, y: m.y };
  }

  it('(65535, 65535) maps to the last pixel (0x7fff) at 64x32, to (0, 0) after a shrink to 1x1, and back', async () => {
    const c = await pointerClient();
    expect(await lastMouse(c, 65535, 65535)).toEqual({ x: 0x7fff, y: 0x7fff });
    h.view.setFormat(fmt(1, 1));
    expect(await lastMouse(c, 65535, 65535)).toEqual({ x: 0, y: 0 });
    expect(await lastMouse(c, 0, 0)).toEqual({ x: 0, y: 0 });
    h.view.setFormat(fmt(2, 2));
    expect(await lastMouse(c, 65535, 65535)).toEqual({ x: 0x7fff, y: 0x7fff });
    expect(await lastMouse(c, 1, 0)).toEqual({ x: 0x7fff, y: 0 });
    h.view.setFormat(fmt(64, 32));
    expect(await lastMouse(c, 64, 32)).toEqual({ x: 0x7fff, y: 0x7fff });
    expect(await lastMouse(c, 31, 0)).toEqual({ x: Math.floor((31 * 0x7fff) / 63), y: 0 });
    c.destroy();
    await h.checkWitness();
  });
});

describe('FramebufferUpdateRequest geometry', () => {
  /** A client past its first full frame, with no request outstanding. */
  async function settledClient(): Promise<RawConn> {
    const c = await h.open();
    await c.handshake38();
    c.write(Buffer.concat([setEncodingsMsg([0]), updateRequestMsg(false, 0, 0, 64, 32)]));
    await c.read(4 + 12 + 64 * 32 * 4);
    return c;
  }
  /** Reads one update: its rects' geometry, and checks every pixel against VRAM. */
  async function readRects(c: RawConn): Promise<number[][]> {
    const head = await c.read(4);
    const rects: number[][] = [];
    for (let i = 0; i < head.readUInt16BE(2); i++) {
      const r = await c.read(12);
      const [x, y, w, hh] = [r.readUInt16BE(0), r.readUInt16BE(2), r.readUInt16BE(4), r.readUInt16BE(6)];
      expect(r.readInt32BE(8)).toBe(0);
      expect(x + w <= 64 && y + hh <= 32).toBe(true);
      const data = await c.read(w * hh * 4);
      for (let yy = 0; yy < hh; yy++) for (let xx = 0; xx < w; xx++) expect(data.readUInt32LE((yy * w + xx) * 4) & 0xffffff).toBe(h.pixel(x + xx, y + yy));
      rects.push([x, y, w, hh]);
    }
    return rects;
  }

  it('past the edge (60, 28, 65535 x 65535): clamped to the screen', async () => {
    const c = await settledClient();
    c.write(updateRequestMsg(false, 60, 28, 65535, 65535));
    expect(await readRects(c)).toEqual([[60, 28, 4, 4]]);
    c.destroy();
    await h.checkWitness();
  });

  it('all 65535 (nothing on screen) and 0x0 requests mark nothing; the next change is sent alone', async () => {
    const c = await settledClient();
    c.write(Buffer.concat([updateRequestMsg(false, 65535, 65535, 65535, 65535), updateRequestMsg(false, 10, 10, 0, 0), updateRequestMsg(false, 0, 0, 0, 65535)]));
    const id = await h.idOf(c);
    await until(() => h.client(id)?.updateRequested === true, 'requests read');
    expect(h.client(id)).toMatchObject({ dirtyTiles: 0, updates: 1 });
    h.setPixel(40, 20, 0x123456);
    h.dirt({ left: 40, top: 20, right: 41, bottom: 21 });
    expect(await readRects(c)).toEqual([[40, 20, 1, 1]]);
    c.destroy();
    await h.checkWitness();
  });

  it('(0, 0, 65535 x 65535) is the whole screen', async () => {
    const c = await settledClient();
    c.write(updateRequestMsg(false, 0, 0, 65535, 65535));
    expect(await readRects(c)).toEqual([[0, 0, 64, 32]]);
    c.destroy();
  });

  it('requests for a region past the edge after a shrink to 1x1 are answered inside the 1x1 screen', async () => {
    const c = await h.open();
    await c.handshake38();
    c.write(Buffer.concat([setEncodingsMsg([0, -223]), updateRequestMsg(false, 0, 0, 64, 32)]));
    await c.read(4 + 12 + 64 * 32 * 4);
    h.view.setFormat(fmt(1, 1));
    c.write(updateRequestMsg(false, 100, 100, 65535, 65535));
    // The DesktopSize announcement, then the 1x1 frame.
    expect([...(await c.read(16))]).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0xff, 0xff, 0xff, 0x21]);
    const frame = await c.read(4 + 12 + 4);
    expect([frame.readUInt16BE(2), frame.readUInt16BE(8), frame.readUInt16BE(10)]).toEqual([1, 1, 1]);
    c.write(updateRequestMsg(false, 65535, 0, 1, 1));
    h.view.setFormat(fmt(64, 32));
    await h.checkWitness();
    c.destroy();
  });
});

/** A source that runs `midFrame` once, in the middle of reading a frame (at row `atRow`). */
function midFrameSource(view: FramebufferView): CoordinatorFramebuffer & { arm(atRow: number, fn: () => void): void } {
  let armed: { row: number; fn: () => void } | undefined;
  return {
    get width() {
      return view.width;
    },
    get height() {
      return view.height;
    },
    readRow(y, x, w, dst, off) {
      if (armed && y === armed.row) {
        const fn = armed.fn;
        armed = undefined;
        fn();
      }
      view.readRow(y, x, w, dst, off);
    },
    onFormat: (listener) => view.onFormat(() => listener()),
    arm(row, fn) {
      armed = { row, fn };
    },
  };
}

describe('resize during encode', () => {
  // The source runs a hook in the middle of reading a frame. With device dirt the tile diff is
  // off, so every read is the encoder's: a format change from inside the read is a mode switch
  // landing half-way through building an update (in the real server formats arrive as messages
  // between turns, so this is harsher than production).
  it('device dirt: shrink and grow half-way through encoding a frame, the witness ends exact', async () => {
    let source: ReturnType<typeof midFrameSource> | undefined;
    const g = await Hostile.start({ width: 320, height: 200, framebuffer: (view) => (source = midFrameSource(view)) });
    try {
      await g.checkWitness();
      for (const [shrinkTo, growTo] of [
        [fmt(160, 100), fmt(320, 200)],
        [fmt(1, 1), fmt(333, 211)],
        [fmt(333, 211), fmt(320, 200)],
      ] as const) {
        source!.arm(Math.floor(g.view.height / 2), () => g.view.setFormat(shrinkTo));
        for (let i = 0; i < 20; i++) g.setPixel(i * 7, i * 3, 0xabcdef - i);
        g.dirt({ left: 0, top: 0, right: I32_MAX, bottom: I32_MAX });
        await g.witness!.syncTo(g.view);
        expect([g.witness!.width, g.witness!.height]).toEqual([shrinkTo.width, shrinkTo.height]);
        source!.arm(0, () => g.view.setFormat(growTo));
        g.dirt({ left: 0, top: 0, right: 1, bottom: 1 });
        await g.witness!.syncTo(g.view);
        expect([g.witness!.width, g.witness!.height]).toEqual([growTo.width, growTo.height]);
        await g.checkWitness();
      }
    } finally {
      await g.stop();
    }
  });

  // The guest writes VRAM from its own thread at any time, so pixels may change while a frame
  // is read (here: from inside the read). Device mode reports the write as dirt; tile-diff mode
  // must find it on its own.
  for (const mode of ['device', 'diff'] as const) {
    it(`${mode} dirt: pixels written half-way through reading a frame are not lost`, async () => {
      let source: ReturnType<typeof midFrameSource> | undefined;
      const g = await Hostile.start({ width: 320, height: 200, dirtMode: mode, framebuffer: (view) => (source = midFrameSource(view)) });
      try {
        for (let round = 0; round < 5; round++) {
          source!.arm(100, () => {
            for (let y = 0; y < 200; y += 9) g.setPixel((y * 5 + round) % 320, y, 0x00ff00 + round * 0x10 + y);
            if (mode === 'device') g.dirt({ left: 0, top: 0, right: 320, bottom: 200 });
          });
          await g.checkWitness();
          await g.witness!.syncTo(g.view, 0);
        }
      } finally {
        await g.stop();
      }
    });
  }

  it('resizes while a large update is still queued for a client that is not reading: exact once it reads again', async () => {
    const g = await Hostile.start({ width: 640, height: 400 });
    try {
      const w = g.witness!;
      w.client.socket.pause();
      g.dirt({ left: 0, top: 0, right: 640, bottom: 400 }); // a 1 MB update goes out and waits
      await new Promise((r) => setTimeout(r, 50));
      g.view.setFormat(fmt(100, 100));
      g.setPixel(5, 5, 0x0000ff);
      g.dirt({ left: 5, top: 5, right: 6, bottom: 6 });
      g.view.setFormat(fmt(640, 480));
      g.setPixel(600, 450, 0xff00ff);
      g.dirt({ left: 600, top: 450, right: 601, bottom: 451 });
      w.client.socket.resume();
      await w.syncTo(g.view, 0);
      expect([w.width, w.height]).toEqual([640, 480]);
      await g.checkWitness();
    } finally {
      await g.stop();
    }
  });
});

describe('format changes the clients never see as a size change (tile diff, no device dirt)', () => {
  // Regression: the format-change handler once re-primed the shared tile-diff snapshot but only
  // scheduled a flush, and a client resent the whole frame only on a size change, so a change
  // that keeps the size (a new VRAM offset or stride: page flipping), or a change and back before
  // the next update, lost the new picture for good. Every client now resends everything.
  it('a same-size change of the VRAM offset reaches the witness', async () => {
    const g = await Hostile.start({ dirtMode: 'diff' });
    try {
      await g.checkWitness();
      // A second buffer at 1 MiB with different content, then flip to it.
      const offset = 1024 * 1024;
      for (let i = 0; i < 64 * 32 * 4; i++) g.vram.bytes[offset + i] = (i * 31 + 7) & 0xff;
      expect(g.view.setFormat(fmt(64, 32, offset))).toBe(true);
      await g.witness!.syncTo(g.view, 0, 2000);
    } finally {
      await g.stop();
    }
  });

  it('a resize and back before the next update (content changed between) reaches the witness', async () => {
    const g = await Hostile.start({ dirtMode: 'diff' });
    try {
      await g.checkWitness();
      g.view.setFormat(fmt(32, 16));
      for (let y = 0; y < 16; y++) for (let x = 0; x < 32; x++) g.setPixel(x, y, 0xff0000 | (x << 8) | y);
      g.view.setFormat(fmt(64, 32));
      await g.witness!.syncTo(g.view, 0, 2000);
    } finally {
      await g.stop();
    }
  });

  it('the same changes with device dirt for the new picture do reach the witness', async () => {
    const g = await Hostile.start();
    try {
      await g.checkWitness();
      const offset = 1024 * 1024;
      for (let i = 0; i < 64 * 32 * 4; i++) g.vram.bytes[offset + i] = (i * 31 + 7) & 0xff;
      g.view.setFormat(fmt(64, 32, offset));
      g.dirt({ left: 0, top: 0, right: 64, bottom: 32 });
      await g.witness!.syncTo(g.view, 0);
      await g.checkWitness();
    } finally {
      await g.stop();
    }
  });
});
