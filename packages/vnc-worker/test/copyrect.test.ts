/**
 * CopyRect end to end through the coordinator, case by case: what a scroll and a drag send,
 * a lagging client holding several moves, the late-report race (taint), a pixel format change
 * with a move pending, and clients that do not take CopyRect.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { ClientFramebuffer } from '../../vnc/test/helpers/client-fb.js';
import { ENC_COPY_RECT, type UpdateRect } from '../../vnc/test/helpers/rfb-client.js';
import { ENC_DESKTOP_SIZE, ENC_RAW, type Fixture, RfbTestClient, clients, startFixture, stopAll } from './helpers.js';

const W = 200;
const H = 120;

afterEach(stopAll);

function texture(f: Fixture, seed = 1): void {
  for (let y = 0; y < f.view.height; y++) for (let x = 0; x < f.view.width; x++) f.setPixel(x, y, (Math.imul(x * 131 + y * 7919 + seed, 2654435761) >>> 8) & 0xffffff);
}

function fill(f: Fixture, x: number, y: number, w: number, h: number, rgb: number): void {
  for (let yy = y; yy < y + h; yy++) for (let xx = x; xx < x + w; xx++) f.setPixel(xx, yy, rgb);
}

/** Scrolls rows `t..b` of the whole width up by `n` (the last `n` rows filled with `rgb`). */
function scrollUp(f: Fixture, t: number, b: number, n: number, rgb: number): void {
  const { stride, offset } = f.view.format;
  const bytes = f.vram.bytes;
  bytes.copyWithin(offset + t * stride, offset + (t + n) * stride, offset + b * stride);
  fill(f, 0, b - n, f.view.width, n, rgb);
}

function vramPixels(f: Fixture): Buffer {
  const { width, height } = f.view;
  const out = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) f.view.readRow(y, 0, width, out, y * width * 4);
  return out;
}

interface Session {
  f: Fixture;
  c: RfbTestClient;
  screen: ClientFramebuffer;
  /** Requests one incremental update and applies it; returns its rects. */
  next(): Promise<UpdateRect[]>;
  exact(): boolean;
}

async function session(encodings: number[] = [ENC_COPY_RECT, ENC_RAW, ENC_DESKTOP_SIZE], f?: Fixture): Promise<Session> {
  const fx = f ?? (await startFixture({}, W, H));
  if (!f) texture(fx);
  const c = await RfbTestClient.connect(fx.port);
  clients.push(c);
  await c.handshake('3.8');
  c.setEncodings(encodings);
  const screen = new ClientFramebuffer(fx.view.width, fx.view.height);
  c.requestUpdate(false, 0, 0, W, H);
  screen.apply(await c.readUpdate());
  const s: Session = {
    f: fx,
    c,
    screen,
    async next() {
      c.requestUpdate(true, 0, 0, 0xffff, 0xffff);
      const rects = await c.readUpdate();
      screen.apply(rects);
      return rects;
    },
    exact: () => Buffer.from(screen.data).equals(vramPixels(fx)),
  };
  // The first batch primes the shadow; what the client had before that is unknown to it (all
  // taint), so one full report and update brings the client in line with the shadow. (A client
  // without CopyRect gets nothing from it: the damage filter sees no pixel changed.)
  fx.vnc.dirt([{ left: 0, top: 0, right: fx.view.width, bottom: fx.view.height }]);
  if (encodings.includes(ENC_COPY_RECT)) await s.next();
  return s;
}

const shape = (rs: readonly UpdateRect[]) => rs.map(({ x, y, w, h, encoding, src }) => ({ x, y, w, h, encoding, ...(src ? { src } : {}) }));

describe('CopyRect through the coordinator', () => {
  it('a scroll goes as one CopyRect first, then only the new rows', async () => {
    const s = await session();
    s.f.vnc.dirt([]); // primes the shadow (first batch with a CopyRect client)
    scrollUp(s.f, 0, H, 20, 0x101418);
    s.f.vnc.dirt([{ left: 0, top: 0, right: W, bottom: H }]);
    const rects = await s.next();
    expect(shape(rects)).toEqual([
      { x: 0, y: 0, w: W, h: H - 20, encoding: ENC_COPY_RECT, src: { x: 0, y: 20 } },
      { x: 0, y: H - 20, w: W, h: 20, encoding: ENC_RAW },
    ]);
    expect(s.exact()).toBe(true);
    const info = s.f.vnc.inspect() as { moveDetector: { moves: number; shadow: boolean }; clients: { copyRect: { copyRectsSent: number } }[] };
    expect(info.moveDetector).toMatchObject({ moves: 1, shadow: true });
    expect(info.clients[0]!.copyRect.copyRectsSent).toBe(1);
  });

  it('a lagging client gets several moves in order, repaired where its dirt was copied', async () => {
    const s = await session();
    s.f.vnc.dirt([]);
    fill(s.f, 10, 70, 30, 10, 0xff0000); // painted, not yet sent: the next scroll copies it stale
    s.f.vnc.dirt([{ left: 10, top: 70, right: 40, bottom: 80 }]);
    scrollUp(s.f, 0, H, 20, 0x101418);
    s.f.vnc.dirt([{ left: 0, top: 0, right: W, bottom: H }]);
    scrollUp(s.f, 0, H, 20, 0x202428);
    s.f.vnc.dirt([{ left: 0, top: 0, right: W, bottom: H }]);
    const rects = await s.next();
    expect(rects.filter((r) => r.encoding === ENC_COPY_RECT)).toHaveLength(2);
    expect(rects[0]!.encoding).toBe(ENC_COPY_RECT);
    expect(rects[1]!.encoding).toBe(ENC_COPY_RECT);
    expect(s.exact()).toBe(true);
  });

  it('pixels the client read before the guest reported them (then put back) are repaired after a copy', async () => {
    const s = await session();
    s.f.vnc.dirt([]);
    // The guest reports a rect, then draws a caret inside it without reporting it yet...
    fill(s.f, 50, 60, 40, 20, 0x00ff00);
    s.f.vnc.dirt([{ left: 50, top: 60, right: 90, bottom: 80 }]);
    const { stride, offset } = s.f.view.format;
    const saved = s.f.vram.bytes.slice(offset + 62 * stride, offset + 70 * stride);
    fill(s.f, 60, 62, 4, 8, 0xffffff);
    await s.next(); // ...the client reads the caret with the rect...
    s.f.vram.bytes.set(saved, offset + 62 * stride); // ...the caret blinks off (VRAM = shadow again)...
    scrollUp(s.f, 0, H, 20, 0x101418); // ...and the screen scrolls: the client's copy carries the caret.
    s.f.vnc.dirt([{ left: 0, top: 0, right: W, bottom: H }]);
    const rects = await s.next();
    expect(rects[0]!.encoding).toBe(ENC_COPY_RECT);
    s.f.vnc.dirt([{ left: 60, top: 62, right: 64, bottom: 70 }]); // the late report of the caret
    await s.next();
    expect(s.exact()).toBe(true);
  });

  it('a pixel format change drops a pending move (everything is resent)', async () => {
    const s = await session();
    s.f.vnc.dirt([]);
    scrollUp(s.f, 0, H, 20, 0x101418);
    s.f.vnc.dirt([{ left: 0, top: 0, right: W, bottom: H }]);
    s.c.setPixelFormat({ bitsPerPixel: 32, depth: 24, bigEndian: false, trueColour: true, redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0 });
    const rects = await s.next();
    expect(rects.some((r) => r.encoding === ENC_COPY_RECT)).toBe(false);
    expect(s.exact()).toBe(true);
  });

  it('clients without CopyRect get pixels; with none connected there is no shadow', async () => {
    const f = await startFixture({}, W, H);
    texture(f);
    const plain = await session([ENC_RAW, ENC_DESKTOP_SIZE], f);
    scrollUp(f, 0, H, 20, 0x101418);
    f.vnc.dirt([{ left: 0, top: 0, right: W, bottom: H }]);
    expect((f.vnc.inspect() as { moveDetector: { shadow: boolean } }).moveDetector.shadow).toBe(false);
    const copy = await session(undefined, f);
    f.vnc.dirt([]);
    expect((f.vnc.inspect() as { moveDetector: { shadow: boolean } }).moveDetector.shadow).toBe(true);
    scrollUp(f, 0, H, 20, 0x202428);
    f.vnc.dirt([{ left: 0, top: 0, right: W, bottom: H }]);
    const a = await plain.next();
    const b = await copy.next();
    expect(a.some((r) => r.encoding === ENC_COPY_RECT)).toBe(false);
    expect(b[0]!.encoding).toBe(ENC_COPY_RECT);
    expect(plain.exact() && copy.exact()).toBe(true);
  });
});
