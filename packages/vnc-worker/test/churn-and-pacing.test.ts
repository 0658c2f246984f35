/**
 * Many clients over time: hundreds of rapid connects and disconnects keep the count exact and
 * leak nothing; a client that stops reading never holds back a fast one and converges pixel
 * for pixel once it reads again; with no clients the coordinator reads no VRAM and runs no timer.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { ENC_RAW, type Fixture, RfbTestClient, startFixture, until, clients, stopAll } from './helpers.js';

let fx: Fixture | undefined;
afterEach(async () => {
  await stopAll();
  fx = undefined;
});

/** Applies raw rects to a local copy of the screen, as a viewer does. */
function apply(screen: Uint8Array, width: number, rects: { x: number; y: number; w: number; h: number; encoding: number; data: Uint8Array }[]): void {
  for (const r of rects) {
    if (r.encoding !== ENC_RAW) continue;
    for (let row = 0; row < r.h; row++) {
      screen.set(r.data.subarray(row * r.w * 4, (row + 1) * r.w * 4), ((r.y + row) * width + r.x) * 4);
    }
  }
}

describe('churn', () => {
  it('300 rapid connects and disconnects over a limit of 8 keep the count exact', async () => {
    fx = await startFixture({ maxClients: 8 });
    let maxSeen = 0;
    const sample = setInterval(() => (maxSeen = Math.max(maxSeen, fx!.vnc.clientCount)), 1);
    for (let wave = 0; wave < 10; wave++) {
      const batch = await Promise.all(Array.from({ length: 30 }, () => RfbTestClient.connect(fx!.port)));
      // Half of them finish a handshake, the others vanish at once.
      await Promise.all(batch.slice(0, 15).map((c) => c.handshake('3.8').catch(() => undefined)));
      for (const c of batch) c.destroy();
    }
    clearInterval(sample);
    await until(() => fx!.vnc.clientCount === 0, 5000, 'every client gone');
    const s = fx.vnc.inspect();
    expect(maxSeen).toBeLessThanOrEqual(8);
    // Every connection was accepted, refused, or (gone before it said what it was) handled by the
    // port's first-byte detection.
    expect((s.accepted as number) + (s.rejected as number) + (s.handledWeb as number)).toBe(300);
    expect(s.diffTimer).toBe(false);
  });
});

describe('pacing', () => {
  it('a client that stops reading does not hold back a fast one, and converges once it reads', async () => {
    const W = 640;
    const H = 480;
    fx = await startFixture({}, W, H);
    const connect = async (): Promise<RfbTestClient> => {
      const c = await RfbTestClient.connect(fx!.port);
      clients.push(c);
      await c.handshake('3.8');
      c.setEncodings([ENC_RAW]);
      return c;
    };
    const fast = await connect();
    const slow = await connect();
    const slowScreen = new Uint8Array(W * H * 4);
    slow.requestUpdate(false, 0, 0, W, H);
    apply(slowScreen, W, await slow.readUpdate());
    slow.socket.pause(); // stops reading; keeps asking
    for (let i = 0; i < 40; i++) slow.requestUpdate(true, 0, 0, W, H);

    fast.requestUpdate(false, 0, 0, W, H);
    await fast.readUpdate();
    let seed = 1;
    for (let frame = 0; frame < 30; frame++) {
      // Change a band of rows and report it, like a guest scrolling text.
      const y = (frame * 16) % H;
      for (let x = 0; x < W; x++) for (let dy = 0; dy < 16; dy++) fx.setPixel(x, y + dy, (seed = (seed * 1103515245 + 12345) >>> 0) & 0xffffff);
      fx.vnc.dirt([{ left: 0, top: y, right: W, bottom: y + 16 }]);
      fast.requestUpdate(true, 0, 0, W, H);
      const rects = await fast.readUpdate();
      expect(rects.length).toBeGreaterThan(0);
    }
    // The slow client's queue stayed bounded (about a frame), however much changed meanwhile.
    const slowState = (fx.vnc.inspect().clients as { queuedBytes: number; updates: number }[])[1]!;
    expect(slowState.queuedBytes).toBeLessThanOrEqual(4 * (W * H * 4 + 4096));
    slow.socket.resume();
    // It now reads everything queued plus what coalesced, and ends pixel-identical to VRAM.
    const vramNow = (): Uint8Array => {
      const out = new Uint8Array(W * H * 4);
      for (let y = 0; y < H; y++) fx!.view.readRow(y, 0, W, out, y * W * 4);
      return out;
    };
    for (let i = 0; i < 200 && !Buffer.from(slowScreen).equals(Buffer.from(vramNow())); i++) {
      apply(slowScreen, W, await slow.readUpdate(5000));
      slow.requestUpdate(true, 0, 0, W, H);
    }
    expect(Buffer.from(slowScreen).equals(Buffer.from(vramNow()))).toBe(true);
  });
});

describe('zero clients', () => {
  it('reads no VRAM and runs no timer while nobody is connected', async () => {
    fx = await startFixture();
    const before = fx.view.bytesRead;
    await new Promise((r) => setTimeout(r, 100));
    expect(fx.view.bytesRead).toBe(before);
    expect(fx.vnc.inspect()).toMatchObject({ clientCount: 0, diffTimer: false, diffPasses: 0 });
    const c = await RfbTestClient.connect(fx.port);
    clients.push(c);
    await c.handshake('3.8');
    expect(fx.vnc.inspect().diffTimer).toBe(true);
    c.destroy();
    await until(() => fx!.vnc.clientCount === 0);
    expect(fx.vnc.inspect().diffTimer).toBe(false);
  });
});
