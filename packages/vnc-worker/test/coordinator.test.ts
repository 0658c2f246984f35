/**
 * The coordinator over real sockets and real shared VRAM: device dirt reaches every client,
 * input from every client reaches the guest, tile diff takes over without device dirt, and a
 * resolution change reaches clients as DesktopSize plus a full refresh.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { ENC_COPY_RECT } from '../../vnc/test/helpers/rfb-client.js';
import { ENC_DESKTOP_SIZE, ENC_RAW, type Fixture, RfbTestClient, startFixture, until, clients, stopAll } from './helpers.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await stopAll();
  fx = undefined;
});

async function client(port: number, shared = true): Promise<RfbTestClient> {
  const c = await RfbTestClient.connect(port);
  clients.push(c);
  await c.handshake('3.8', shared);
  return c;
}

/** Connects, takes the first full frame, and leaves an incremental request outstanding. */
async function settled(port: number, encodings: number[] = [ENC_RAW]): Promise<RfbTestClient> {
  const c = await client(port);
  c.setEncodings(encodings);
  c.requestUpdate(false, 0, 0, 0xffff, 0xffff);
  await c.readUpdate();
  c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
  return c;
}

describe('VncCoordinator', () => {
  it('broadcasts device dirt to every client and forwards input from each', async () => {
    fx = await startFixture();
    const a = await settled(fx.port);
    const b = await settled(fx.port);
    fx.setPixel(20, 20, 0xff0000);
    fx.vnc.dirt([{ left: 16, top: 16, right: 32, bottom: 32 }]);
    for (const c of [a, b]) {
      const rects = await c.readUpdate();
      // What changed inside the DIRT rect (the damage filter): its tile column, the one row.
      expect(rects.map(({ x, y, w, h }) => ({ x, y, w, h }))).toEqual([{ x: 16, y: 20, w: 16, h: 1 }]);
      const px = rects[0]!.data.subarray(4 * 4, 4 * 4 + 4);
      expect([...px]).toEqual([0, 0, 0xff, 0]);
    }
    a.pointer(1, 63, 31);
    b.pointer(0, 0, 0);
    await until(() => fx!.input.length >= 2, 3000, 'two pointer events');
    expect(fx.input).toEqual([
      { kind: 'mouse', buttons: 1, wheel: 0, x: 0x7fff, y: 0x7fff },
      { kind: 'mouse', buttons: 0, wheel: 0, x: 0, y: 0 },
    ]);
  });

  it('finds changes by tile diff when no device dirt was ever seen', async () => {
    fx = await startFixture();
    const c = await settled(fx.port);
    fx.setPixel(40, 5, 0x00ff00);
    const rects = await c.readUpdate();
    expect(rects.map(({ x, y, w, h }) => ({ x, y, w, h }))).toEqual([{ x: 32, y: 0, w: 16, h: 16 }]);
  });

  it('trusts device dirt once seen, then falls back to tile diff when the dirt channel closes', async () => {
    fx = await startFixture();
    const c = await settled(fx.port);
    fx.setPixel(3, 3, 0x0000ff);
    fx.vnc.dirt([{ left: 0, top: 0, right: 16, bottom: 16 }]);
    await c.readUpdate();
    c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
    // An unreported change is not found while the device is trusted (idle skip)...
    fx.setPixel(50, 20, 0x123456);
    expect(await c.bytesArrivingWithin(150)).toBe(0);
    // ...and is found by tile diff once the channel closes.
    fx.vnc.dirtClosed();
    const rects = await c.readUpdate();
    expect(rects.some((r) => r.x <= 50 && 50 < r.x + r.w && r.y <= 20 && 20 < r.y + r.h)).toBe(true);
    expect(fx.vnc.inspect().dirtSource).toBe('tile-diff');
  });

  it('clamps hostile device rects and never sends outside the screen', async () => {
    fx = await startFixture();
    const c = await settled(fx.port);
    for (let y = 0; y < 9; y++) for (let x = 0; x < 64; x++) fx.setPixel(x, y, 0x00ff00);
    fx.vnc.dirt([{ left: -1000, top: -5, right: 0x7fffffff, bottom: 9 }]);
    const rects = await c.readUpdate();
    for (const r of rects) {
      expect(r.x + r.w).toBeLessThanOrEqual(64);
      expect(r.y + r.h).toBeLessThanOrEqual(32);
    }
    // The exact damage (clamped), not the 16-pixel tile row around it.
    expect(rects.map(({ x, y, w, h }) => ({ x, y, w, h }))).toEqual([{ x: 0, y: 0, w: 64, h: 9 }]);
  });

  it('sends DesktopSize then the full new frame when the resolution changes', async () => {
    fx = await startFixture();
    const c = await settled(fx.port, [ENC_RAW, ENC_DESKTOP_SIZE]);
    fx.vnc.dirt([]);
    fx.view.setFormat({ width: 48, height: 24, stride: 48 * 4, offset: 0 });
    const first = await c.readUpdate();
    expect(first).toMatchObject([{ x: 0, y: 0, w: 48, h: 24, encoding: ENC_DESKTOP_SIZE }]);
    const second = await c.readUpdate();
    expect(second.map(({ x, y, w, h, encoding }) => ({ x, y, w, h, encoding }))).toEqual([{ x: 0, y: 0, w: 48, h: 24, encoding: ENC_RAW }]);
  });

  it('disconnects a client that cannot follow a resize, keeping the others', async () => {
    fx = await startFixture();
    const old = await settled(fx.port, [ENC_RAW]);
    const modern = await settled(fx.port, [ENC_RAW, ENC_DESKTOP_SIZE]);
    fx.view.setFormat({ width: 32, height: 32, stride: 128, offset: 0 });
    await old.closed;
    expect((await modern.readUpdate())[0]!.encoding).toBe(ENC_DESKTOP_SIZE);
    expect(fx.vnc.clientCount).toBe(1);
  });

  it('reads no VRAM at all on idle cycles once the device sends dirt, also after a resize', async () => {
    fx = await startFixture({}, 64, 32);
    const c = await settled(fx.port, [ENC_RAW, ENC_DESKTOP_SIZE]);
    fx.setPixel(0, 0, 0xabcdef);
    fx.vnc.dirt([{ left: 0, top: 0, right: 8, bottom: 8 }]);
    await c.readUpdate();
    c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
    const idle = async (): Promise<number> => {
      const before = fx!.view.bytesRead;
      await new Promise((r) => setTimeout(r, 100)); // 20 update intervals
      return fx!.view.bytesRead - before;
    };
    expect(await idle()).toBe(0);
    fx.view.setFormat({ width: 80, height: 40, stride: 320, offset: 0 });
    await c.readUpdate(); // DesktopSize
    const full = await c.readUpdate(); // full frame
    expect(full[0]!.data.length).toBe(80 * 40 * 4);
    c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
    expect(await idle()).toBe(0);
    expect(await idle()).toBe(0);
    // And a device rect after the resize reads only its own pixels (the exact rect, not its
    // tile): once to compare it with the last frame, once to send it.
    const before = fx.view.bytesRead;
    fx.setPixel(70, 30, 0x123456);
    fx.vnc.dirt([{ left: 70, top: 30, right: 71, bottom: 31 }]);
    const one = await c.readUpdate();
    expect(one.map(({ x, y, w, h }) => ({ x, y, w, h }))).toEqual([{ x: 70, y: 30, w: 1, h: 1 }]);
    expect(fx.view.bytesRead - before).toBe(8);
  });

  it('passes Raw clients only the changed pixels of a DIRT, and CopyRect clients the DIRT as it is', async () => {
    fx = await startFixture();
    const raw = await settled(fx.port);
    const copy = await settled(fx.port, [ENC_COPY_RECT, ENC_RAW]);
    fx.setPixel(3, 3, 0x0000ff);
    fx.vnc.dirt([{ left: 0, top: 0, right: 64, bottom: 32 }]);
    expect((await raw.readUpdate()).map(({ x, y, w, h }) => ({ x, y, w, h }))).toEqual([{ x: 0, y: 3, w: 16, h: 1 }]);
    const whole = await copy.readUpdate();
    expect(whole.reduce((a, r) => a + r.w * r.h, 0)).toBe(64 * 32);
    expect(fx.vnc.inspect()).toMatchObject({ damageFilter: { snapshot: true, pixelsIn: 64 * 32, pixelsOut: 16 } });
  });

  it('a pixel changed and changed back reaches a Raw client that joined while nobody compared', async () => {
    fx = await startFixture();
    fx.setPixel(10, 10, 0x111111);
    fx.vnc.dirt([]); // device dirt from the start
    // The first client takes the snapshot (0x111111 at 10,10), but takes CopyRect: DIRT is
    // passed on as it is, nothing is compared, and the snapshot must not be kept.
    const copy = await settled(fx.port, [ENC_COPY_RECT, ENC_RAW]);
    fx.setPixel(10, 10, 0x222222);
    fx.vnc.dirt([{ left: 10, top: 10, right: 11, bottom: 11 }]);
    await copy.readUpdate();
    expect((fx.vnc.inspect() as { damageFilter: { snapshot: boolean } }).damageFilter.snapshot).toBe(false);
    // A Raw client joins and holds 0x222222; then the pixel goes back to 0x111111.
    const raw = await settled(fx.port);
    fx.setPixel(10, 10, 0x111111);
    fx.vnc.dirt([{ left: 10, top: 10, right: 11, bottom: 11 }]);
    const rects = await raw.readUpdate();
    const at = rects.find((r) => r.x <= 10 && 10 < r.x + r.w && r.y <= 10 && 10 < r.y + r.h)!;
    const o = ((10 - at.y) * at.w + (10 - at.x)) * 4;
    expect([...at.data.subarray(o, o + 3)]).toEqual([0x11, 0x11, 0x11]);
  });

  it('a client that switches from CopyRect to Raw resends the whole screen, then gets compared dirt', async () => {
    fx = await startFixture();
    const c = await settled(fx.port, [ENC_COPY_RECT, ENC_RAW]);
    const area = (rs: readonly { w: number; h: number }[]): number => rs.reduce((a, r) => a + r.w * r.h, 0);
    fx.setPixel(5, 5, 0xff0000);
    fx.vnc.dirt([{ left: 5, top: 5, right: 6, bottom: 6 }]); // device dirt from now on
    await c.readUpdate();
    c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
    c.setEncodings([ENC_RAW]);
    expect(area(await c.readUpdate())).toBe(64 * 32); // the switch: everything once
    c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
    // Nobody compared until now, so the next DIRT takes the snapshot and (to be safe with it)
    // has the screen sent once more.
    fx.setPixel(1, 1, 0x00ff00);
    fx.vnc.dirt([{ left: 0, top: 0, right: 8, bottom: 8 }]);
    expect(area(await c.readUpdate())).toBe(64 * 32);
    c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
    fx.setPixel(2, 2, 0x00ff00);
    fx.vnc.dirt([{ left: 0, top: 0, right: 8, bottom: 8 }]);
    expect((await c.readUpdate()).map(({ x, y, w, h }) => ({ x, y, w, h }))).toEqual([{ x: 0, y: 2, w: 8, h: 1 }]);
  });

  it('reports live state through inspect()', async () => {
    fx = await startFixture();
    await settled(fx.port);
    const s = fx.vnc.inspect();
    expect(s).toMatchObject({ clientCount: 1, dirtSource: 'tile-diff', accepted: 1, rejected: 0 });
    expect((s.localAddr as { port: number }).port).toBe(fx.port);
  });
});
