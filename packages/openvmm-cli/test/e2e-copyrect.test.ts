/**
 * CopyRect end to end with two independent clients. A guest-like driver scrolls a text-like
 * screen and drags a window across it (writing VRAM and reporting device dirt as a synthvid
 * guest does, through the coordinator) while the client follows every update:
 *
 * - libvncclient (LibVNCServer 0.9.14) through `vncgrab -w`, offering "copyrect zrle raw": when
 *   the screen goes quiet it writes its picture; its GotCopyRect hook counts the CopyRects;
 * - noVNC 1.7 in headless Chromium (the built-in web console, over WebSocket), which lists
 *   CopyRect first: the test reads its canvas.
 *
 * Either way the picture must equal VRAM pixel for pixel, and the server must report the moves
 * it found and the CopyRects it sent to that client. libvncclient also follows the scenario over
 * Raw and over Zlib without CopyRect, where the server passes on only the pixels that changed
 * (its damage filter): the picture must be exact there too. The server runs in-process
 * (`VncCoordinator` over a real shared VRAM) so the test owns the pixels; the clients are the
 * independent implementations.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FramebufferView, Vram } from '@openvmm-vnc-ts/video-core';
import { VncCoordinator } from '@openvmm-vnc-ts/vnc-worker';
import { defaultVncParameters } from '@openvmm-vnc-ts/vnc-worker-defs';
import { type Browser, canvasPicture, launchChromium } from './helpers/browser.js';
import { scratchDir } from './helpers/clients.js';
import { type Picture, diffCount } from './helpers/images.js';
import { buildVncgrab, removeVncgrab, vncgrab } from './helpers/libvncclient.js';

const W = 640;
const H = 400;
const LINE = 16;

let dir: string;
let vnc: VncCoordinator | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  await buildVncgrab();
  dir = scratchDir();
}, 120_000);
afterAll(() => {
  removeVncgrab();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await browser?.close();
  await vnc?.stop();
  vnc = browser = undefined;
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A 0x00RRGGBB surface over VRAM with the few drawing operations the scenarios need. */
class Screen {
  readonly vram = new Vram();
  readonly view = new FramebufferView(this.vram, { width: W, height: H, stride: W * 4, offset: 0 });
  private readonly px = new Uint32Array(this.vram.bytes.buffer, this.vram.bytes.byteOffset, W * H);

  /** One "line of text": a row band of glyph-like strokes, different for every `seed`. */
  line(y: number, seed: number): void {
    for (let yy = y; yy < y + LINE; yy++) {
      for (let x = 0; x < W; x++) {
        const ink = (Math.imul((x >> 3) * 31 + seed * 977, 2654435761) >>> 27) & 1 && (x & 7) < 6 && yy - y > 2 && yy - y < 13 && ((x + yy + seed) % 5) !== 0;
        this.px[yy * W + x] = ink ? 0xc8c8c8 : 0x101418;
      }
    }
  }
  scrollUp(n: number): void {
    this.px.copyWithin(0, n * W, H * W);
  }
  /** Copies rows of a block (overlap-safe through a temporary). */
  blit(sx: number, sy: number, dx: number, dy: number, w: number, h: number): void {
    const tmp = new Uint32Array(w * h);
    for (let y = 0; y < h; y++) tmp.set(this.px.subarray((sy + y) * W + sx, (sy + y) * W + sx + w), y * w);
    for (let y = 0; y < h; y++) this.px.set(tmp.subarray(y * w, (y + 1) * w), (dy + y) * W + dx);
  }
  fill(x: number, y: number, w: number, h: number, v: number): void {
    for (let yy = y; yy < y + h; yy++) this.px.fill(v, yy * W + x, yy * W + x + w);
  }
  picture(): Picture {
    return { width: W, height: H, pixels: this.px.slice().map((v) => v & 0xffffff) };
  }
}

type Info = {
  clients: { updates: number; encodings: string[]; copyRect?: { copyRectsSent: number } }[];
  moveDetector: { moves: number };
  damageFilter: { pixelsIn: number; pixelsOut: number };
};

/** Starts the server over a screen of text lines. */
async function start(): Promise<{ s: Screen; info: () => Info }> {
  const s = new Screen();
  for (let y = 0; y < H; y += LINE) s.line(y, y);
  vnc = await VncCoordinator.start(defaultVncParameters({ listener: { host: '127.0.0.1', port: 0 } }), { framebuffer: s.view, input: { send: () => {} } });
  vnc.dirt([]);
  return { s, info: () => vnc!.inspect() as unknown as Info };
}

/** Waits for a client that took `encoding` (CopyRect unless said) and got its first update. */
async function clientReady(info: () => Info, encoding = 'COPY_RECT'): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(info().clients[0]?.updates ?? 0) || !info().clients[0]!.encodings.includes(encoding)) {
    if (Date.now() > deadline) throw new Error(`the client did not connect with ${encoding}`);
    await sleep(20);
  }
}

/** The guest's part: 30 scrolls of a terminal, then a window dragged 20 times. */
async function scrollAndDrag(s: Screen): Promise<void> {
  const v = vnc!;
  v.dirt([{ left: 0, top: 0, right: W, bottom: H }]); // the first batch with a CopyRect client primes the shadow
  await sleep(50);
  for (let i = 0; i < 30; i++) {
    s.scrollUp(LINE);
    s.line(H - LINE, 1000 + i);
    v.dirt([{ left: 0, top: 0, right: W, bottom: H }]);
    await sleep(15);
  }
  // A window dragged: old and new rect reported, as a guest reports a move.
  s.fill(100, 100, 200, 150, 0xfafafa);
  s.fill(100, 100, 200, 24, 0x2a5db0);
  for (let y = 130; y < 240; y += 12) s.fill(110, y, 150 - ((y * 7) % 60), 6, 0x202020);
  v.dirt([{ left: 100, top: 100, right: 300, bottom: 250 }]);
  const under = new Screen();
  for (let y = 0; y < H; y += LINE) under.line(y, y + 5000);
  const below = under.picture().pixels;
  let x = 100;
  let y = 100;
  for (let i = 0; i < 20; i++) {
    const nx = x + 9;
    const ny = y + (i % 2 ? 5 : -3);
    s.blit(x, y, nx, ny, 200, 150); // the window moves...
    // ...and what it uncovers is redrawn (here: another text picture).
    for (let yy = y; yy < y + 150; yy++) {
      for (let xx = x; xx < x + 200; xx++) {
        if (xx >= nx && xx < nx + 200 && yy >= ny && yy < ny + 150) continue;
        s.fill(xx, yy, 1, 1, below[yy * W + xx]!);
      }
    }
    v.dirt([
      { left: x, top: y, right: x + 200, bottom: y + 150 },
      { left: nx, top: ny, right: nx + 200, bottom: ny + 150 },
    ]);
    x = nx;
    y = ny;
    await sleep(15);
  }
}

describe('CopyRect decoded pixel-exact by real clients', () => {
  it('libvncclient: a scrolling terminal and a dragged window', async () => {
    const { s, info } = await start();
    const grab = vncgrab('127.0.0.1', vnc!.address().port, join(dir, 'copyrect.ppm'), { encodings: 'copyrect zrle raw', quietMs: 1500, timeoutSecs: 30 });
    await clientReady(info);
    await scrollAndDrag(s);
    await sleep(500); // caught up, still connected (vncgrab waits for 1.5 s of quiet)
    const stats = info();
    const { picture, report } = await grab;
    expect(report.width).toBe(W);
    expect(diffCount(picture, s.picture())).toBe(0);
    expect(report.rects.copyrect).toBeGreaterThan(10);
    expect(stats.moveDetector.moves).toBeGreaterThanOrEqual(40);
    expect(stats.clients[0]!.copyRect!.copyRectsSent).toBe(report.rects.copyrect);
  }, 60_000);

  // Without CopyRect, Raw and Zlib clients get only the pixels that changed (the damage
  // filter); the picture must still be exact.
  for (const [encodings, name] of [
    ['raw', 'RAW'],
    ['zlib raw', 'ZLIB'],
  ] as const) {
    it(`libvncclient over ${name} without CopyRect: the same scenario, compared dirt only`, async () => {
      const { s, info } = await start();
      const grab = vncgrab('127.0.0.1', vnc!.address().port, join(dir, `compared-${name}.ppm`), { encodings, quietMs: 1500, timeoutSecs: 30 });
      await clientReady(info, name);
      await scrollAndDrag(s);
      await sleep(500);
      const stats = info();
      const { picture } = await grab;
      expect(diffCount(picture, s.picture())).toBe(0);
      expect(stats.damageFilter.pixelsOut).toBeGreaterThan(0);
      expect(stats.damageFilter.pixelsOut).toBeLessThan(stats.damageFilter.pixelsIn * 0.9);
    }, 60_000);
  }

  it('noVNC in Chromium: the same scenario over WebSocket', async () => {
    const { s, info } = await start();
    browser = await launchChromium();
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${vnc!.address().port}/`, { timeout: 15_000 });
    await page.waitForSelector('#status[data-state="connected"]', { timeout: 15_000 });
    await clientReady(info);
    await scrollAndDrag(s);
    const want = s.picture();
    let diff = Number.POSITIVE_INFINITY;
    for (const deadline = Date.now() + 10_000; diff !== 0 && Date.now() < deadline; await sleep(200)) {
      diff = diffCount(await canvasPicture(page), want);
    }
    expect(diff).toBe(0);
    const stats = info();
    expect(stats.moveDetector.moves).toBeGreaterThanOrEqual(40);
    expect(stats.clients[0]!.copyRect!.copyRectsSent).toBeGreaterThan(10);
  }, 90_000);
});
