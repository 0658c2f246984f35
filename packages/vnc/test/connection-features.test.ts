/**
 * End-to-end tests over real loopback TCP for the VncConnection / UpdateBuilder features added
 * on top of the basic server: Zlib (one persistent deflate stream per connection, a sync flush
 * per rect), rect-encoding choice by the client's preference order, the Cursor pseudo-encoding,
 * Ctrl+Alt+P clipboard paste on both key paths (OpenVMM's e2e_*_paste_releases_both_modifier_sides),
 * key release on disconnect, ExtendedDesktopSize / DesktopSize / refused SetDesktopSize,
 * DesktopName, slow-client pacing and limits, and oversized ClientCutText.
 *
 * The client side is `RfbTestClient`, which decodes Zlib with ONE persistent inflater per client
 * (as real viewers do); some tests cross-check the compressed bytes with node's own zlib.
 */
import { describe, it, expect, afterEach } from 'vitest';
import zlib from 'node:zlib';
import type { InputEvent, InputSink, KeyboardInput } from '@openvmm-vnc-ts/video-core';
import { VncError, VncErrorCode } from '../src/errors.js';
import type { CursorImage } from '../src/encodings/cursor.js';
import { PixelConverter } from '../src/pixel-convert.js';
import type { PixelFormat } from '../src/pixel-format.js';
import { MemFramebuffer } from './helpers/mem-fb.js';
import { type Fixture, closeAll, connect, delay, ready, startServer } from './helpers/server-fixture.js';
import { ClientFramebuffer } from './helpers/client-fb.js';
import {
  ENC_CURSOR,
  ENC_DESKTOP_NAME,
  ENC_DESKTOP_SIZE,
  ENC_EXT_DESKTOP_SIZE,
  ENC_QEMU_EXT_KEY,
  ENC_RAW,
  ENC_ZLIB,
  type UpdateRect,
} from './helpers/rfb-client.js';
import { concat, cutTextMsg, hex, keyEventMsg, setDesktopSizeMsg } from './helpers/rfb-messages.js';
import { Prng } from './helpers/prng.js';

// ---------------------------------------------------------------------------------------------
// Fixture


afterEach(closeAll);

/** Polls `cond` every few ms until it holds; throws after `timeoutMs`. */
async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

function pattern(x: number, y: number): number {
  return ((x * 37 + y * 11) & 0xff) | (((x ^ y) & 0xff) << 8) | (((x + y * 3) & 0xff) << 16);
}

function noiseFb(w: number, h: number, seed: number): MemFramebuffer {
  const rng = new Prng(seed);
  return new MemFramebuffer(w, h, () => rng.int(0, 0xffffff));
}

function expectVncClose(f: Fixture, code: string): VncError {
  expect(f.closeErrors).toHaveLength(1);
  const err = f.closeErrors[0];
  expect(err).toBeInstanceOf(VncError);
  expect((err as VncError).code).toBe(code);
  return err as VncError;
}

/** The queue size a VNC_SLOW_CLIENT close reported ("... N bytes queued"). */
function queuedAtClose(err: Error): number {
  const m = /(\d+) bytes queued/.exec(err.message);
  expect(m, `no queue size in ${JSON.stringify(err.message)}`).not.toBeNull();
  return Number(m![1]);
}

/** x, y, w, h, encoding of each rect. */
function shape(rects: readonly UpdateRect[]): number[][] {
  return rects.map((r) => [r.x, r.y, r.w, r.h, r.encoding]);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const RGB565: PixelFormat = {
  bitsPerPixel: 16,
  depth: 16,
  bigEndian: false,
  trueColour: true,
  redMax: 31,
  greenMax: 63,
  blueMax: 31,
  redShift: 11,
  greenShift: 5,
  blueShift: 0,
};

const BGR233: PixelFormat = { ...RGB565, bitsPerPixel: 8, depth: 8, redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6 };

/** RGB565 LE of a 0x00RRGGBB pixel, computed here independently of PixelConverter. */
function rgb565Bytes(rgb: number): [number, number] {
  const v = ((((rgb >>> 16) & 0xff) >> 3) << 11) | ((((rgb >>> 8) & 0xff) >> 2) << 5) | ((rgb & 0xff) >> 3);
  return [v & 0xff, v >>> 8];
}

/** A rect of `fb` in RGB565 LE, computed pixel by pixel. */
function rgb565Rect(fb: MemFramebuffer, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 2);
  for (let r = 0; r < h; r++) {
    for (let col = 0; col < w; col++) {
      const [lo, hi] = rgb565Bytes(fb.pixel(x + col, y + r));
      out[(r * w + col) * 2] = lo;
      out[(r * w + col) * 2 + 1] = hi;
    }
  }
  return out;
}

/** Inflates `chunks` with ONE node:zlib inflater, sync-flushing after each (independent of pako). */
async function nodeInflateEach(chunks: readonly Uint8Array[]): Promise<Buffer[]> {
  const inf = zlib.createInflate();
  let cur: Buffer[] = [];
  inf.on('data', (d: Buffer) => cur.push(d));
  const res: Buffer[] = [];
  for (const c of chunks) {
    inf.write(c);
    await new Promise<void>((r) => inf.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    res.push(Buffer.concat(cur));
    cur = [];
  }
  inf.close();
  return res;
}

const SYNC_FLUSH_MARKER = '0000ffff';

const key = (code: number, make: boolean): KeyboardInput => ({ kind: 'keyboard', code, make });

/** QEMU extended-key keycode for a set-1 scancode: E0 xx -> 0x80 | xx (keyboard.ts: (code & 0xFF80) == 0x80 is E0). */
function qemuKeycode(scancode: number): number {
  return (scancode & 0xff00) === 0xe000 ? 0x80 | (scancode & 0x7f) : scancode;
}

// ---------------------------------------------------------------------------------------------
// 1. Zlib

describe('Zlib encoding over a connection', () => {
  it('[Zlib, Raw]: the full frame arrives as Zlib equal to the framebuffer; later rects continue the same stream, one sync flush per rect', async () => {
    const fb = new MemFramebuffer(100, 70, pattern);
    const { c, conn } = await ready(fb);
    c.setEncodings([ENC_ZLIB, ENC_RAW]);
    c.requestUpdate(false, 0, 0, 100, 70);
    const first = await c.readUpdate();
    expect(shape(first)).toEqual([[0, 0, 100, 70, ENC_ZLIB]]);
    expect(sameBytes(first[0]!.data, fb.data)).toBe(true);
    expect(conn.inspect()['rectEncoding']).toBe('ZLIB');

    // Second update: one dirty pixel (the exact damage, not its tile).
    fb.setPixel(5, 5, 0x123456);
    conn.markDirty(5, 5, 6, 6);
    c.requestUpdate(true, 0, 0, 100, 70);
    const second = await c.readUpdate();
    expect(shape(second)).toEqual([[5, 5, 1, 1, ENC_ZLIB]]);
    expect(sameBytes(second[0]!.data, fb.rectBytes(5, 5, 1, 1))).toBe(true);

    // Third update: two separate regions, two rects in one message, same stream.
    fb.setPixel(40, 20, 0xabcdef);
    fb.setPixel(90, 65, 0x010203);
    conn.markDirty(40, 20, 41, 21);
    conn.markDirty(90, 65, 91, 66);
    c.requestUpdate(true, 0, 0, 100, 70);
    const third = await c.readUpdate();
    expect(shape(third)).toEqual([
      [40, 20, 1, 1, ENC_ZLIB],
      [90, 65, 1, 1, ENC_ZLIB],
    ]);
    expect(sameBytes(third[0]!.data, fb.rectBytes(40, 20, 1, 1))).toBe(true);
    expect(sameBytes(third[1]!.data, fb.rectBytes(90, 65, 1, 1))).toBe(true);

    const chunks = [...first, ...second, ...third].map((r) => r.compressed!);
    // The zlib header (level 1: 78 01) starts the session's stream once; every rect ends with
    // an empty stored block (sync flush), so later rects start byte-aligned with a block header,
    // never with a new zlib header.
    expect(hex(chunks[0]!.subarray(0, 2))).toBe('7801');
    for (const ch of chunks) expect(hex(ch.subarray(ch.length - 4))).toBe(SYNC_FLUSH_MARKER);
    for (const ch of chunks.slice(1)) expect(ch[0]).not.toBe(0x78);
    expect(c.zlibInflater!.chunks).toBe(4);

    // An independent inflater (node:zlib, one stream for all chunks) agrees.
    const viaNode = await nodeInflateEach(chunks);
    expect(viaNode.map((b) => b.length)).toEqual([100 * 70 * 4, 4, 4, 4]);
    expect(viaNode.every((b, i) => sameBytes(b, [...first, ...second, ...third][i]!.data))).toBe(true);
  });

  it('with RGB565 the inflated bytes equal the RGB565 conversion (a frame larger than one inflate buffer)', async () => {
    const fb = noiseFb(300, 200, 11);
    const { c } = await ready(fb);
    c.setPixelFormat(RGB565);
    c.setEncodings([ENC_ZLIB]);
    c.requestUpdate(false, 0, 0, 300, 200);
    const rects = await c.readUpdate();
    expect(shape(rects)).toEqual([[0, 0, 300, 200, ENC_ZLIB]]);
    expect(rects[0]!.data.length).toBe(300 * 200 * 2);
    expect(hex(rects[0]!.data)).toBe(hex(rgb565Rect(fb, 0, 0, 300, 200)));
    const viaConverter = new Uint8Array(300 * 200 * 2);
    new PixelConverter(RGB565).convert(fb.data, 0, 300 * 200, viaConverter, 0);
    expect(sameBytes(rects[0]!.data, viaConverter)).toBe(true);
  });

  it('SetPixelFormat mid-session: the full frame in RGB565 continues the same deflate stream', async () => {
    const fb = new MemFramebuffer(48, 40, pattern);
    const { c } = await ready(fb);
    c.setEncodings([ENC_ZLIB]);
    c.requestUpdate(false, 0, 0, 48, 40);
    const native = await c.readUpdate();
    expect(sameBytes(native[0]!.data, fb.data)).toBe(true);
    c.setPixelFormat(RGB565);
    c.requestUpdate(true, 0, 0, 48, 40);
    const converted = await c.readUpdate();
    expect(shape(converted)).toEqual([[0, 0, 48, 40, ENC_ZLIB]]);
    expect(converted[0]!.compressed![0]).not.toBe(0x78);
    expect(hex(converted[0]!.data)).toBe(hex(rgb565Rect(fb, 0, 0, 48, 40)));
    c.setPixelFormat(BGR233);
    fb.setPixel(47, 39, 0xffffff);
    c.requestUpdate(true, 0, 0, 48, 40);
    const eight = await c.readUpdate();
    expect(eight[0]!.data.length).toBe(48 * 40);
    // BGR233: blue in the top 2 bits, green 3 bits at 3, red 3 bits at 0: white is 0xFF.
    expect(eight[0]!.data[48 * 40 - 1]).toBe(0xff);
  });

  it('[Zlib, Cursor] (OpenVMM e2e_cursor_and_zlib_updates_are_parsed_by_test_helper): the update is [cursor 18x18, zlib rect]', async () => {
    const fb = new MemFramebuffer(32, 32, pattern);
    const { c } = await ready(fb);
    c.setEncodings([ENC_ZLIB, ENC_CURSOR]);
    c.requestUpdate(false, 0, 0, 32, 32);
    const rects = await c.readUpdate();
    expect(shape(rects)).toEqual([
      [0, 0, 18, 18, ENC_CURSOR],
      [0, 0, 32, 32, ENC_ZLIB],
    ]);
    expect(sameBytes(rects[1]!.data, fb.data)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Preference order

const ENC_HEXTILE = 5;
const ENC_RRE = 2;

describe('rect encoding follows the client preference order', () => {
  it.each([
    ['[Raw, Zlib]', [ENC_RAW, ENC_ZLIB], ENC_RAW, 'RAW'],
    ['[Zlib, Raw]', [ENC_ZLIB, ENC_RAW], ENC_ZLIB, 'ZLIB'],
    ['[Hextile, Zlib]', [ENC_HEXTILE, ENC_ZLIB], ENC_ZLIB, 'ZLIB'],
    ['[Hextile, RRE] (nothing supported: Raw fallback)', [ENC_HEXTILE, ENC_RRE], ENC_RAW, 'RAW'],
    ['[Cursor, DesktopSize, Zlib] (pseudo-encodings first)', [ENC_CURSOR, ENC_DESKTOP_SIZE, ENC_ZLIB], ENC_ZLIB, 'ZLIB'],
  ] as const)('%s -> rects in %i', async (_label, list, expected, name) => {
    const fb = new MemFramebuffer(24, 20, pattern);
    const { c, conn } = await ready(fb);
    c.setEncodings(list);
    c.requestUpdate(false, 0, 0, 24, 20);
    const rects = (await c.readUpdate()).filter((r) => r.encoding !== ENC_CURSOR);
    expect(shape(rects)).toEqual([[0, 0, 24, 20, expected]]);
    expect(sameBytes(rects[0]!.data, fb.data)).toBe(true);
    expect(conn.inspect()['rectEncoding']).toBe(name);
  });

  it('without SetEncodings rects are Raw', async () => {
    const fb = new MemFramebuffer(8, 8, pattern);
    const { c } = await ready(fb);
    c.requestUpdate(false, 0, 0, 8, 8);
    expect(shape(await c.readUpdate())).toEqual([[0, 0, 8, 8, ENC_RAW]]);
  });

  it('switching Zlib -> Raw -> Zlib keeps the one deflate stream (no second zlib header)', async () => {
    const fb = new MemFramebuffer(40, 40, pattern);
    const { c, conn } = await ready(fb);
    c.setEncodings([ENC_ZLIB]);
    c.requestUpdate(false, 0, 0, 40, 40);
    const a = await c.readUpdate();
    expect(a[0]!.encoding).toBe(ENC_ZLIB);
    c.setEncodings([ENC_RAW, ENC_ZLIB]);
    fb.setPixel(1, 1, 0xff0000);
    conn.markDirty(1, 1, 2, 2);
    c.requestUpdate(true, 0, 0, 40, 40);
    const b = await c.readUpdate();
    expect(shape(b)).toEqual([[1, 1, 1, 1, ENC_RAW]]);
    c.setEncodings([ENC_ZLIB, ENC_RAW]);
    fb.setPixel(39, 39, 0x00ff00);
    conn.markDirty(39, 39, 40, 40);
    c.requestUpdate(true, 0, 0, 40, 40);
    const d = await c.readUpdate();
    expect(shape(d)).toEqual([[39, 39, 1, 1, ENC_ZLIB]]);
    expect(d[0]!.compressed![0]).not.toBe(0x78);
    expect(sameBytes(d[0]!.data, fb.rectBytes(39, 39, 1, 1))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Cursor

/** OpenVMM's default arrow, from the research notes (section c): 3 bytes per row, MSB leftmost. */
const ARROW_MASK = [
  0xc00000, 0xe00000, 0xf00000, 0xf80000, 0xfc0000, 0xfe0000, 0xff0000, 0xff8000, 0xffc000, 0xffe000, 0xfff000, 0xff0000, 0xff0000, 0xe78000,
  0xc78000, 0x83c000, 0x03c000, 0x018000,
];
const ARROW_FILL = [
  0x000000, 0x000000, 0x600000, 0x700000, 0x780000, 0x7c0000, 0x7e0000, 0x7f0000, 0x7f8000, 0x7fc000, 0x7c0000, 0x7c0000, 0x660000, 0x030000,
  0x030000, 0x018000, 0x018000, 0x000000,
];

/** The arrow's pixels in the native format: white (FF FF FF 00) where mask and fill are set, else black. */
function arrowNativePixels(): Uint8Array {
  const out = new Uint8Array(18 * 18 * 4);
  for (let y = 0; y < 18; y++) {
    for (let x = 0; x < 18; x++) {
      const bit = 0x800000 >>> x;
      if (ARROW_MASK[y]! & ARROW_FILL[y]! & bit) out.set([0xff, 0xff, 0xff, 0x00], (y * 18 + x) * 4);
    }
  }
  return out;
}

function arrowMaskBytes(): Uint8Array {
  return new Uint8Array(ARROW_MASK.flatMap((m) => [m >>> 16, (m >>> 8) & 0xff, m & 0xff]));
}

/** A 10x3 test cursor (two mask bytes per row), alpha alternating opaque / translucent. */
function testCursor(hotX = 7, hotY = 2): CursorImage {
  const w = 10;
  const h = 3;
  const pixels = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const alpha = (x + y) % 3 === 0 ? 0x40 : (x + y) % 3 === 1 ? 0x80 : 0xff;
      pixels[y * w + x] = ((alpha << 24) | ((x * 25) << 16) | ((y * 90 + 10) << 8) | (250 - x * 20)) >>> 0;
    }
  }
  return { width: w, height: h, hotX, hotY, pixels };
}

/** Expected pixel bytes and mask of `img` (native or RGB565), computed independently of cursor.ts. */
function expectedCursor(img: CursorImage, format: 'native' | 'rgb565'): { data: Uint8Array; mask: Uint8Array } {
  const bpp = format === 'native' ? 4 : 2;
  const data = new Uint8Array(img.width * img.height * bpp);
  const rowBytes = Math.ceil(img.width / 8);
  const mask = new Uint8Array(rowBytes * img.height);
  for (let i = 0; i < img.width * img.height; i++) {
    const p = img.pixels[i]!;
    const rgb = p & 0xffffff;
    if (format === 'native') data.set([rgb & 0xff, (rgb >>> 8) & 0xff, rgb >>> 16, 0], i * 4);
    else data.set(rgb565Bytes(rgb), i * 2);
    const x = i % img.width;
    const y = Math.floor(i / img.width);
    if (p >>> 24 >= 0x80) mask[y * rowBytes + (x >> 3)]! |= 0x80 >> (x & 7);
  }
  return { data, mask };
}

describe('Cursor pseudo-encoding (-239)', () => {
  it('the first update after SetEncodings with -239 starts with the 18x18 default arrow, hotspot 0,0, with its mask', async () => {
    const fb = new MemFramebuffer(30, 20, pattern);
    const { c, f } = await ready(fb);
    c.setEncodings([ENC_RAW, ENC_CURSOR]);
    c.requestUpdate(false, 0, 0, 30, 20);
    const rects = await c.readUpdate();
    expect(shape(rects)).toEqual([
      [0, 0, 18, 18, ENC_CURSOR],
      [0, 0, 30, 20, ENC_RAW],
    ]);
    const cur = rects[0]!;
    expect(cur.data.length).toBe(18 * 18 * 4);
    expect(hex(cur.mask!)).toBe(hex(arrowMaskBytes()));
    expect(hex(cur.data)).toBe(hex(arrowNativePixels()));
    // Sent once: the next update has no cursor.
    fb.setPixel(20, 3, 0xffffff);
    f.conns[0]!.markDirty(20, 3, 21, 4);
    c.requestUpdate(true, 0, 0, 30, 20);
    expect(shape(await c.readUpdate())).toEqual([[20, 3, 1, 1, ENC_RAW]]);
  });

  it('setCursor later: the next update carries the new shape (size, hotspot as x/y, pixels and mask in the client format)', async () => {
    const fb = new MemFramebuffer(30, 20, pattern);
    const { c, conn } = await ready(fb);
    c.setEncodings([ENC_RAW, ENC_CURSOR]);
    c.requestUpdate(false, 0, 0, 30, 20);
    await c.readUpdate();
    // Nothing pending: an incremental request waits.
    c.requestUpdate(true, 0, 0, 30, 20);
    expect(await c.bytesArrivingWithin(60)).toBe(0);
    const img = testCursor(7, 2);
    conn.setCursor(img);
    const rects = await c.readUpdate();
    expect(shape(rects)).toEqual([[7, 2, 10, 3, ENC_CURSOR]]);
    const want = expectedCursor(img, 'native');
    expect(hex(rects[0]!.data)).toBe(hex(want.data));
    expect(hex(rects[0]!.mask!)).toBe(hex(want.mask));
    // Row 0 of the test cursor: alphas 40 80 FF 40 80 FF 40 80 FF 40 -> 0110 1101 10.. -> 6D 80.
    expect(hex(rects[0]!.mask!.subarray(0, 2))).toBe('6d80');

    // After SetPixelFormat RGB565 the (current) cursor is re-sent in 2-byte pixels, before the full frame.
    c.setPixelFormat(RGB565);
    c.requestUpdate(true, 0, 0, 30, 20);
    const again = await c.readUpdate();
    expect(shape(again)).toEqual([
      [7, 2, 10, 3, ENC_CURSOR],
      [0, 0, 30, 20, ENC_RAW],
    ]);
    const want565 = expectedCursor(img, 'rgb565');
    expect(again[0]!.data.length).toBe(10 * 3 * 2);
    expect(hex(again[0]!.data)).toBe(hex(want565.data));
    expect(hex(again[0]!.mask!)).toBe(hex(want565.mask));
    expect(hex(again[1]!.data)).toBe(hex(rgb565Rect(fb, 0, 0, 30, 20)));
  });

  it('a hotspot outside the image is clamped into it', async () => {
    const { c, conn } = await ready(new MemFramebuffer(8, 8));
    c.setEncodings([ENC_RAW, ENC_CURSOR]);
    c.requestUpdate(false, 0, 0, 8, 8);
    await c.readUpdate();
    c.requestUpdate(true, 0, 0, 8, 8);
    conn.setCursor(testCursor(50, 9));
    expect(shape(await c.readUpdate())).toEqual([[9, 2, 10, 3, ENC_CURSOR]]);
  });

  it('a client without -239 never gets a cursor rect (initial, setCursor, SetPixelFormat)', async () => {
    const fb = new MemFramebuffer(20, 20, pattern);
    const { c, conn } = await ready(fb);
    c.setEncodings([ENC_ZLIB, ENC_RAW, ENC_DESKTOP_SIZE]);
    c.requestUpdate(false, 0, 0, 20, 20);
    const seen: UpdateRect[] = [...(await c.readUpdate())];
    c.requestUpdate(true, 0, 0, 20, 20);
    conn.setCursor(testCursor());
    // A new cursor alone is nothing to send to this client.
    expect(await c.bytesArrivingWithin(80)).toBe(0);
    fb.setPixel(3, 3, 0xffffff);
    conn.markDirty(3, 3, 4, 4);
    seen.push(...(await c.readUpdate()));
    c.setPixelFormat(RGB565);
    c.requestUpdate(true, 0, 0, 20, 20);
    seen.push(...(await c.readUpdate()));
    expect(seen.filter((r) => r.encoding === ENC_CURSOR)).toEqual([]);
    expect(shape(seen)).toEqual([
      [0, 0, 20, 20, ENC_ZLIB],
      [3, 3, 1, 1, ENC_ZLIB],
      [0, 0, 20, 20, ENC_ZLIB],
    ]);
  });

  it('a client that adds -239 later gets the latest shape, once', async () => {
    const fb = new MemFramebuffer(20, 20, pattern);
    const { c, conn } = await ready(fb);
    c.setEncodings([ENC_RAW]);
    c.requestUpdate(false, 0, 0, 20, 20);
    await c.readUpdate();
    const img = testCursor(1, 1);
    conn.setCursor(img);
    c.requestUpdate(true, 0, 0, 20, 20);
    c.setEncodings([ENC_RAW, ENC_CURSOR]);
    const rects = await c.readUpdate();
    expect(shape(rects)).toEqual([[1, 1, 10, 3, ENC_CURSOR]]);
    expect(hex(rects[0]!.data)).toBe(hex(expectedCursor(img, 'native').data));
    // Repeating the same SetEncodings does not resend it.
    c.setEncodings([ENC_RAW, ENC_CURSOR]);
    c.requestUpdate(true, 0, 0, 20, 20);
    expect(await c.bytesArrivingWithin(80)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Paste (Ctrl+Alt+P)

/** "A" then ö (246): 2A↓ 1E↓ 2A↑ 1E↑, then Alt+Numpad 0 2 4 6: 38↓ 52↓↑ 50↓↑ 4B↓↑ 4D↓↑ 38↑. */
const PASTE_A_OUML: KeyboardInput[] = [
  key(0x2a, true),
  key(0x1e, true),
  key(0x2a, false),
  key(0x1e, false),
  key(0x38, true),
  key(0x52, true),
  key(0x52, false),
  key(0x50, true),
  key(0x50, false),
  key(0x4b, true),
  key(0x4b, false),
  key(0x4d, true),
  key(0x4d, false),
  key(0x38, false),
];

/** OpenVMM's expected sequence: E01D↓ E038↓, the four modifier releases 1D↑ E01D↑ 38↑ E038↑, then the paste. */
const EXPECTED_PASTE: KeyboardInput[] = [key(0xe01d, true), key(0xe038, true), key(0x1d, false), key(0xe01d, false), key(0x38, false), key(0xe038, false), ...PASTE_A_OUML];

describe('clipboard paste on Ctrl+Alt+P', () => {
  it('keysym path (e2e_keysym_paste_releases_both_modifier_sides): Control_R, Alt_R, p gives the exact sequence; P is never forwarded', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.cutText(new Uint8Array([0x41, 0xf6]));
    c.key(true, 0xffe4);
    c.key(true, 0xffea);
    c.key(true, 0x70);
    await f.sink.waitFor(EXPECTED_PASTE.length);
    await delay(30);
    expect(f.sink.events).toEqual(EXPECTED_PASTE);
    // Releasing p is swallowed too; the modifiers' releases go through; a later key works.
    c.key(false, 0x70);
    c.key(false, 0xffea);
    c.key(false, 0xffe4);
    c.key(true, 0x20);
    const all = await f.sink.waitFor(EXPECTED_PASTE.length + 3);
    await delay(30);
    expect(all.slice(EXPECTED_PASTE.length)).toEqual([key(0xe038, false), key(0xe01d, false), key(0x39, true)]);
    expect(all.filter((e) => e.kind === 'keyboard' && e.code === 0x19)).toEqual([]);
    expect(f.conns[0]!.inspect()['pastes']).toBe(1);
  });

  it('QEMU extended-key path (e2e_qemu_paste_releases_both_modifier_sides): scancodes E01D, E038, 19 give the same sequence', async () => {
    expect([qemuKeycode(0xe01d), qemuKeycode(0xe038), qemuKeycode(0x19)]).toEqual([0x9d, 0xb8, 0x19]);
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.setEncodings([ENC_RAW, ENC_QEMU_EXT_KEY]);
    expect(shape(await c.readUpdate())).toEqual([[0, 0, 0, 0, ENC_QEMU_EXT_KEY]]);
    c.cutText(new Uint8Array([0x41, 0xf6]));
    c.qemuKey(true, 0xffe4, qemuKeycode(0xe01d));
    c.qemuKey(true, 0xffea, qemuKeycode(0xe038));
    c.qemuKey(true, 0x70, qemuKeycode(0x19));
    await f.sink.waitFor(EXPECTED_PASTE.length);
    await delay(30);
    expect(f.sink.events).toEqual(EXPECTED_PASTE);
    c.qemuKey(false, 0x70, 0x19);
    c.qemuKey(false, 0xffea, 0xb8);
    c.qemuKey(false, 0xffe4, 0x9d);
    c.qemuKey(true, 0x20, 0x39);
    const all = await f.sink.waitFor(EXPECTED_PASTE.length + 3);
    await delay(30);
    expect(all.slice(EXPECTED_PASTE.length)).toEqual([key(0xe038, false), key(0xe01d, false), key(0x39, true)]);
    expect(all.filter((e) => e.kind === 'keyboard' && e.code === 0x19)).toEqual([]);
  });

  it('the clipboard is the last ClientCutText (replaced, not appended)', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.cutText(new TextEncoder().encode('zzz'));
    c.cutText(new Uint8Array([0x41, 0xf6]));
    c.key(true, 0xffe3);
    c.key(true, 0xffe9);
    c.key(true, 0x50);
    // Control_L 1D↓, Alt_L 38↓, the releases, the paste.
    const expected = [key(0x1d, true), key(0x38, true), key(0x1d, false), key(0xe01d, false), key(0x38, false), key(0xe038, false), ...PASTE_A_OUML];
    await f.sink.waitFor(expected.length);
    await delay(30);
    expect(f.sink.events).toEqual(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// 9. Oversized ClientCutText

/** Counts keyboard events instead of storing millions of them. */
class CountingSink implements InputSink {
  total = 0;
  readonly counts = new Map<string, number>();
  /** Events after the first `keepFrom` (so the tail can be checked). */
  readonly tail: InputEvent[] = [];

  constructor(private readonly keepFrom = Infinity) {}

  send(event: InputEvent): void {
    this.total++;
    if (event.kind === 'keyboard') {
      const k = `${event.code.toString(16)}${event.make ? 'v' : '^'}`;
      this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    }
    if (this.total > this.keepFrom) this.tail.push(event);
  }

  count(code: number, make: boolean): number {
    return this.counts.get(`${code.toString(16)}${make ? 'v' : '^'}`) ?? 0;
  }
}

describe('ClientCutText over 1 MiB', () => {
  it('the stream stays in sync (a KeyEvent after it is forwarded) and exactly the first 1 MiB is kept as the clipboard', async () => {
    const MAX = 1024 * 1024;
    const sink = new CountingSink(0);
    const fb = new MemFramebuffer(8, 8);
    const f = await startServer(fb, { input: sink });
    const c = await connect(f);
    await c.handshake('3.8');
    // 1 MiB - 1 'a', one 'z' as the last kept byte, then 300 000 'q' past the cap.
    const text = new Uint8Array(MAX + 300_000).fill(0x71);
    text.fill(0x61, 0, MAX - 1);
    text[MAX - 1] = 0x7a;
    c.write(concat(cutTextMsg(text), keyEventMsg(true, 0x62), keyEventMsg(false, 0x62)));
    await until(() => sink.total >= 2, 'the KeyEvent after the cut text');
    expect(sink.tail).toEqual([key(0x30, true), key(0x30, false)]);
    expect(f.conns[0]!.state).toBe('normal');
    // Paste it: Control_L + Alt_L + p.
    c.write(concat(keyEventMsg(true, 0xffe3), keyEventMsg(true, 0xffe9), keyEventMsg(true, 0x70)));
    const expectedTotal = 2 + 2 + 4 + 2 * MAX;
    await until(() => sink.total >= expectedTotal, 'the pasted key events', 20_000);
    await delay(50);
    expect(sink.total).toBe(expectedTotal);
    expect(sink.count(0x1e, true)).toBe(MAX - 1);
    expect(sink.count(0x1e, false)).toBe(MAX - 1);
    expect([sink.count(0x2c, true), sink.count(0x2c, false)]).toEqual([1, 1]);
    expect(sink.count(0x10, true)).toBe(0);
    expect(sink.tail.slice(-2)).toEqual([key(0x2c, true), key(0x2c, false)]);
    expect(f.conns[0]!.inspect()['bytesReceived']).toBe(12 + 1 + 1 + 8 + text.length + 16 + 24);
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// 5. Keys held at disconnect

describe('keys held when the client disconnects', () => {
  it('are released in the guest (most recent first); keys already released are not released again', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.key(true, 0x62); // b down
    c.key(false, 0x62); // b up
    c.key(true, 0xffe1); // Shift_L
    c.key(true, 0x61); // 'a' with Shift held: 2A↑ 1E↓ 2A↓
    c.qemuKey(true, 0x73, 0x1f); // s
    c.qemuKey(true, 0xff52, 0xc8); // Up: E048
    const pressed = [key(0x30, true), key(0x30, false), key(0x2a, true), key(0x2a, false), key(0x1e, true), key(0x2a, true), key(0x1f, true), key(0xe048, true)];
    await f.sink.waitFor(pressed.length);
    expect(f.sink.events).toEqual(pressed);
    c.destroy();
    await f.sink.waitFor(pressed.length + 4);
    await delay(30);
    expect(f.sink.events.slice(pressed.length)).toEqual([key(0xe048, false), key(0x1f, false), key(0x2a, false), key(0x1e, false)]);
    expect(f.closeErrors).toEqual([undefined]);
  });

  it('a client that released everything leaves nothing to release', async () => {
    const { f, c } = await ready(new MemFramebuffer(8, 8));
    c.key(true, 0x61);
    c.key(false, 0x61);
    await f.sink.waitFor(2);
    c.destroy();
    await until(() => f.closeErrors.length === 1, 'close');
    await delay(20);
    expect(f.sink.events).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------
// 6. ExtendedDesktopSize / DesktopSize / SetDesktopSize

describe('ExtendedDesktopSize (-308), DesktopSize (-223) and SetDesktopSize (251)', () => {
  it.each([
    ['[Raw, -308]', [ENC_RAW, ENC_EXT_DESKTOP_SIZE]],
    ['[-223, -308, Raw] (-308 wins over -223)', [ENC_DESKTOP_SIZE, ENC_EXT_DESKTOP_SIZE, ENC_RAW]],
  ] as const)('%s: a resize is announced by ONE -308 rect (reason 0, status 0, one screen), then a full raw frame in the new size', async (_l, list) => {
    const fb = new MemFramebuffer(40, 30, pattern);
    const { c, f } = await ready(fb);
    c.setEncodings(list);
    c.requestUpdate(false, 0, 0, 40, 30);
    await c.readUpdate();
    fb.resize(50, 20, (x, y) => pattern(x + 3, y + 7));
    c.requestUpdate(true, 0, 0, 40, 30);
    const announce = await c.readUpdate();
    expect(shape(announce)).toEqual([[0, 0, 50, 20, ENC_EXT_DESKTOP_SIZE]]);
    expect(announce[0]!.screens).toEqual([{ id: 0, x: 0, y: 0, width: 50, height: 20, flags: 0 }]);
    expect(hex(announce[0]!.data)).toBe('01000000' + '00000000' + '0000' + '0000' + '0032' + '0014' + '00000000');
    const full = await c.readUpdate();
    expect(shape(full)).toEqual([[0, 0, 50, 20, ENC_RAW]]);
    expect(sameBytes(full[0]!.data, fb.data)).toBe(true);
    expect(f.closeErrors).toEqual([]);
  });

  it('a client advertising only -223 gets a DesktopSize rect, then the full frame', async () => {
    const fb = new MemFramebuffer(40, 30, pattern);
    const { c } = await ready(fb);
    c.setEncodings([ENC_ZLIB, ENC_DESKTOP_SIZE]);
    c.requestUpdate(false, 0, 0, 40, 30);
    await c.readUpdate();
    fb.resize(64, 16, pattern);
    c.requestUpdate(true, 0, 0, 40, 30);
    expect(shape(await c.readUpdate())).toEqual([[0, 0, 64, 16, ENC_DESKTOP_SIZE]]);
    const full = await c.readUpdate();
    expect(shape(full)).toEqual([[0, 0, 64, 16, ENC_ZLIB]]);
    expect(sameBytes(full[0]!.data, fb.data)).toBe(true);
  });

  it('SetDesktopSize is refused: an -308 rect with reason 1 (this client), status 1 (prohibited), the unchanged size; the connection stays usable', async () => {
    const fb = new MemFramebuffer(40, 30, pattern);
    const { c, f, conn } = await ready(fb);
    c.setEncodings([ENC_RAW, ENC_EXT_DESKTOP_SIZE]);
    c.requestUpdate(false, 0, 0, 40, 30);
    await c.readUpdate();
    c.setDesktopSize(800, 600, [{ id: 7, x: 0, y: 0, width: 800, height: 600, flags: 0 }]);
    const reply = await c.readUpdate();
    expect(shape(reply)).toEqual([[1, 1, 40, 30, ENC_EXT_DESKTOP_SIZE]]);
    expect(reply[0]!.screens).toEqual([{ id: 0, x: 0, y: 0, width: 40, height: 30, flags: 0 }]);
    expect(await c.bytesArrivingWithin(50)).toBe(0);
    expect([fb.width, fb.height]).toEqual([40, 30]);
    // Two screens, sent a byte at a time, with an update request right behind: still in sync.
    await c.writeSlowly(
      concat(
        setDesktopSizeMsg(100, 50, [
          { id: 1, x: 0, y: 0, width: 50, height: 50, flags: 0 },
          { id: 2, x: 50, y: 0, width: 50, height: 50, flags: 0 },
        ]),
      ),
      0,
    );
    expect(shape(await c.readUpdate())).toEqual([[1, 1, 40, 30, ENC_EXT_DESKTOP_SIZE]]);
    fb.setPixel(39, 29, 0x00ffff);
    conn.markDirty(39, 29, 40, 30);
    c.requestUpdate(true, 0, 0, 40, 30);
    const next = await c.readUpdate();
    expect(shape(next)).toEqual([[39, 29, 1, 1, ENC_RAW]]);
    expect(sameBytes(next[0]!.data, fb.rectBytes(39, 29, 1, 1))).toBe(true);
    expect(f.closeErrors).toEqual([]);
    expect(conn.state).toBe('normal');
  });
});

// ---------------------------------------------------------------------------------------------
// 7. DesktopName

describe('DesktopName (-307)', () => {
  const NAME = 'Prüf-VM ✓';

  it('SetEncodings with -307: the next update carries a -307 rect with the name from the options (UTF-8), once', async () => {
    const fb = new MemFramebuffer(16, 16, pattern);
    const { c } = await ready(fb, { name: NAME });
    c.setEncodings([ENC_RAW, ENC_DESKTOP_NAME]);
    c.requestUpdate(false, 0, 0, 16, 16);
    const rects = await c.readUpdate();
    expect(shape(rects)).toEqual([
      [0, 0, 0, 0, ENC_DESKTOP_NAME],
      [0, 0, 16, 16, ENC_RAW],
    ]);
    expect(rects[0]!.name).toBe(NAME);
    expect(rects[0]!.data.length).toBe(Buffer.byteLength(NAME, 'utf8'));
    c.setEncodings([ENC_RAW, ENC_DESKTOP_NAME]);
    c.requestUpdate(true, 0, 0, 16, 16);
    expect(await c.bytesArrivingWithin(80)).toBe(0);
  });

  it('a pending name alone answers an outstanding request; with the cursor the order is [cursor, name, pixels]', async () => {
    const fb = new MemFramebuffer(16, 16, pattern);
    const { c } = await ready(fb, { name: NAME });
    c.setEncodings([ENC_RAW]);
    c.requestUpdate(false, 0, 0, 16, 16);
    await c.readUpdate();
    c.requestUpdate(true, 0, 0, 16, 16);
    c.setEncodings([ENC_RAW, ENC_DESKTOP_NAME]);
    const alone = await c.readUpdate();
    expect(shape(alone)).toEqual([[0, 0, 0, 0, ENC_DESKTOP_NAME]]);
    expect(alone[0]!.name).toBe(NAME);

    const { c: c2 } = await ready(fb, { name: 'other' });
    c2.setEncodings([ENC_ZLIB, ENC_CURSOR, ENC_DESKTOP_NAME]);
    c2.requestUpdate(false, 0, 0, 16, 16);
    const both = await c2.readUpdate();
    expect(shape(both)).toEqual([
      [0, 0, 18, 18, ENC_CURSOR],
      [0, 0, 0, 0, ENC_DESKTOP_NAME],
      [0, 0, 16, 16, ENC_ZLIB],
    ]);
    expect(both[1]!.name).toBe('other');
  });
});

// ---------------------------------------------------------------------------------------------
// 8. Slow clients

/**
 * What can exceed the hard limit, from connection.ts: updates are only written while the
 * socket's `writableLength` is at most the soft limit, so updates alone leave at most
 * soft + one update queued. Node counts a large write in `writableLength` in full until its last
 * byte reaches the kernel, so one full-frame update queues frame + 16 header bytes. Hence:
 * - with `hardQueueMultiple` 1 the hard limit is max(soft, frame): one full frame already
 *   exceeds it (by its 16 header bytes), and the next due update closes the client;
 * - with a multiple of 2 or more, updates alone stay within it (soft + one frame <= 2 x max(soft,
 *   frame)); only a queue sitting right at the soft limit plus a full frame's header and
 *   pseudo-rect bytes could pass it;
 * - replies written outside the soft gate (the -258 acknowledgement, SetDesktopSize refusals)
 *   can grow the queue without bound; it is only checked when an update is due;
 * - the limit is computed from the CURRENT frame size, so a shrink (resize, smaller pixel
 *   format) can put an old, larger frame above it.
 */
describe('slow clients', () => {
  const W = 2048;
  const H = 2048;
  const FRAME = W * H * 4;
  const SOFT = 64 * 1024;

  it('hardQueueMultiple 1, 2048x2048: a client that pipelines requests without reading while dirt keeps coming is closed with VNC_SLOW_CLIENT, its queue really above the limit', async () => {
    const fb = new MemFramebuffer(W, H);
    const { f, c, conn } = await ready(fb, { maxQueuedBytes: SOFT, hardQueueMultiple: 1 });
    c.socket.pause();
    c.requestUpdate(false, 0, 0, W, H);
    await until(() => conn.inspect()['updates'] === 1, 'the first frame');
    const hard = Math.max(SOFT, FRAME) * 1;
    for (let i = 0; i < 100 && f.closeErrors.length === 0; i++) {
      c.requestUpdate(true, 0, 0, W, H);
      fb.setPixel(i, i, 0xffffff);
      conn.markDirty(i, i, i + 1, i + 1);
      await delay(10);
    }
    const err = expectVncClose(f, VncErrorCode.SLOW_CLIENT);
    const queued = queuedAtClose(err);
    expect(queued).toBeGreaterThan(hard);
    // The gate let at most one update past the soft limit; here that was the first frame.
    expect(queued).toBeLessThanOrEqual(SOFT + FRAME + 16);
    expect(conn.state).toBe('closed');
  }, 30_000);

  it('hardQueueMultiple 2, 2048x2048: the same client is never closed, its queue stays within max(soft, frame) * 2 over many dirty cycles, and it catches up exactly', async () => {
    const fb = new MemFramebuffer(W, H, pattern);
    const { f, c, conn } = await ready(fb, { maxQueuedBytes: SOFT, hardQueueMultiple: 2 });
    c.socket.pause();
    c.requestUpdate(false, 0, 0, W, H);
    await until(() => conn.inspect()['updates'] === 1, 'the first frame');
    const hard = Math.max(SOFT, FRAME) * 2;
    const rng = new Prng(3);
    let maxQueued = 0;
    for (let i = 0; i < 60; i++) {
      c.requestUpdate(true, 0, 0, W, H);
      const x = rng.int(0, W - 100);
      const y = rng.int(0, H - 100);
      for (let k = 0; k < 20; k++) fb.setPixel(x + k * 3, y + k * 4, rng.int(0, 0xffffff));
      conn.markDirty(x, y, x + 60, y + 80);
      await delay(5);
      maxQueued = Math.max(maxQueued, conn.inspect()['queuedBytes'] as number);
    }
    expect(f.closeErrors).toEqual([]);
    expect(maxQueued).toBeGreaterThan(SOFT);
    expect(maxQueued).toBeLessThanOrEqual(hard);
    // Catch up: read, request again, until nothing more comes.
    c.socket.resume();
    const local = new ClientFramebuffer(W, H);
    let updates = 0;
    for (;;) {
      local.apply(await c.readUpdate(20_000));
      updates++;
      c.requestUpdate(true, 0, 0, W, H);
      if ((await c.bytesArrivingWithin(150)) === 0) break;
    }
    expect(updates).toBeLessThan(60); // the dirt of 60 cycles coalesced
    expect(sameBytes(local.data, fb.data)).toBe(true);
    expect(f.closeErrors).toEqual([]);
  }, 60_000);

  it.each([
    ['Raw', ENC_RAW],
    ['Zlib', ENC_ZLIB],
  ] as const)('%s: a paused client coalesces dirt; after resume the screen it assembled equals the framebuffer pixel for pixel', async (_l, enc) => {
    const w = 1600;
    const h = 1200;
    const fb = noiseFb(w, h, 21);
    const { f, c, conn } = await ready(fb, { maxQueuedBytes: SOFT });
    c.setEncodings([enc]);
    c.socket.pause();
    c.requestUpdate(false, 0, 0, w, h);
    const rng = new Prng(99);
    const cycles = 80;
    for (let i = 0; i < cycles; i++) {
      c.requestUpdate(true, 0, 0, w, h);
      const rw = rng.int(1, 200);
      const rh = rng.int(1, 200);
      const x = rng.int(0, w - rw);
      const y = rng.int(0, h - rh);
      for (let yy = y; yy < y + rh; yy++) for (let xx = x; xx < x + rw; xx++) fb.setPixel(xx, yy, rng.int(0, 0xffffff));
      conn.markDirty(x, y, x + rw, y + rh);
      await delay(2);
    }
    const sentWhilePaused = conn.inspect()['updates'] as number;
    expect(sentWhilePaused).toBeLessThan(cycles);
    c.socket.resume();
    const local = new ClientFramebuffer(w, h);
    let received = 0;
    for (;;) {
      local.apply(await c.readUpdate(20_000));
      received++;
      c.requestUpdate(true, 0, 0, w, h);
      if ((await c.bytesArrivingWithin(150)) === 0) break;
    }
    expect(received).toBeLessThan(cycles);
    expect(sameBytes(local.data, fb.data)).toBe(true);
    expect(f.closeErrors).toEqual([]);
  }, 60_000);

  it('replies written outside the soft gate (SetDesktopSize refusals) pile up past the hard limit; the next due update closes the client with VNC_SLOW_CLIENT', async () => {
    const fb = new MemFramebuffer(64, 64, pattern);
    const { f, c, conn } = await ready(fb); // defaults: soft 256 KiB, hard 1 MiB
    const hard = 256 * 1024 * 4;
    c.setEncodings([ENC_RAW, ENC_EXT_DESKTOP_SIZE]);
    c.requestUpdate(false, 0, 0, 64, 64);
    await c.readUpdate();
    c.socket.pause();
    const before = conn.inspect()['bytesReceived'] as number;
    const n = 300_000;
    const one = setDesktopSizeMsg(64, 64, []);
    const burst = new Uint8Array(one.length * 10_000);
    for (let i = 0; i < 10_000; i++) burst.set(one, i * one.length);
    for (let i = 0; i < n / 10_000; i++) c.write(burst);
    await until(() => f.closeErrors.length > 0 || (conn.inspect()['bytesReceived'] as number) >= before + n * one.length, 'the server to read the flood', 30_000);
    if (f.closeErrors.length === 0) {
      // Today the queue is only checked when an update is due (see the BUG test below).
      expect(conn.inspect()['queuedBytes'] as number).toBeGreaterThan(hard);
      c.requestUpdate(true, 0, 0, 64, 64);
      conn.markDirty(0, 0, 1, 1);
      await until(() => f.closeErrors.length === 1, 'the slow-client close');
    }
    const err = expectVncClose(f, VncErrorCode.SLOW_CLIENT);
    expect(queuedAtClose(err)).toBeGreaterThan(hard);
  }, 60_000);

  // Regression: the hard limit was once checked only when an update was due, so replies the
  // client causes (SetDesktopSize refusals, -258 acknowledgements) grew the queue without bound
  // for a client that never reads and never asks for an update.
  it('a non-reading client flooding SetDesktopSize without update requests is held to the hard limit', async () => {
    const fb = new MemFramebuffer(64, 64, pattern);
    const { f, c, conn } = await ready(fb);
    const hard = 256 * 1024 * 4;
    c.setEncodings([ENC_RAW, ENC_EXT_DESKTOP_SIZE]);
    c.requestUpdate(false, 0, 0, 64, 64);
    await c.readUpdate();
    c.socket.pause();
    const before = conn.inspect()['bytesReceived'] as number;
    const n = 300_000;
    const one = setDesktopSizeMsg(64, 64, []);
    const burst = new Uint8Array(one.length * 10_000);
    for (let i = 0; i < 10_000; i++) burst.set(one, i * one.length);
    for (let i = 0; i < n / 10_000; i++) c.write(burst);
    await until(() => f.closeErrors.length > 0 || (conn.inspect()['bytesReceived'] as number) >= before + n * one.length, 'the flood', 30_000);
    await delay(50);
    // Either it was disconnected as slow, or its queue stayed within the hard limit.
    if (f.closeErrors.length > 0) expectVncClose(f, VncErrorCode.SLOW_CLIENT);
    else expect(conn.inspect()['queuedBytes'] as number).toBeLessThanOrEqual(hard);
  }, 60_000);

  // Regression: the limits once came only from the CURRENT frame size while the queue could hold
  // a frame of the previous, larger size, so a client one frame behind was disconnected when the
  // guest lowered its resolution.
  it('a client one 2048x2048 frame behind is not closed as slow when the screen shrinks to 512x512 (default limits)', async () => {
    const fb = new MemFramebuffer(W, H);
    const { f, c, conn } = await ready(fb);
    c.setEncodings([ENC_RAW, ENC_DESKTOP_SIZE]);
    c.socket.pause();
    c.requestUpdate(false, 0, 0, W, H);
    await until(() => conn.inspect()['updates'] === 1, 'the first frame');
    c.requestUpdate(true, 0, 0, W, H);
    conn.markDirty(0, 0, 1, 1);
    await delay(50);
    expect(f.closeErrors.map((e) => e?.message)).toEqual([]); // one frame behind at a constant size is fine
    fb.resize(512, 512);
    conn.scheduleFlush(); // what the coordinator does on a mode change
    await delay(100);
    expect(f.closeErrors.map((e) => e?.message)).toEqual([]); // today: VNC_SLOW_CLIENT, "16777232 bytes queued"
    c.socket.resume();
    expect((await c.readUpdate(20_000))[0]!.data.length).toBe(FRAME);
    expect(shape(await c.readUpdate(5000))).toEqual([[0, 0, 512, 512, ENC_DESKTOP_SIZE]]);
    expect(shape(await c.readUpdate(5000))).toEqual([[0, 0, 512, 512, ENC_RAW]]);
  }, 30_000);

  // Same root cause, client-driven: a client on a slow link that lowers its colour depth to cope
  // (TigerVNC's automatic selection switches to 8 bpp) is disconnected for doing so.
  it('a client one 32 bpp frame behind is not closed as slow when it switches to 8 bpp (default limits)', async () => {
    const fb = new MemFramebuffer(W, H);
    const { f, c, conn } = await ready(fb);
    c.socket.pause();
    c.requestUpdate(false, 0, 0, W, H);
    await until(() => conn.inspect()['updates'] === 1, 'the first frame');
    c.requestUpdate(true, 0, 0, W, H);
    conn.markDirty(0, 0, 1, 1);
    await delay(50);
    expect(f.closeErrors).toEqual([]);
    c.setPixelFormat(BGR233);
    await delay(100);
    expect(f.closeErrors.map((e) => e?.message)).toEqual([]); // today: VNC_SLOW_CLIENT (hard limit 4 x 4 MiB < 16 MiB + 16 queued)
    c.bytesPerPixel = 4;
    c.socket.resume();
    expect((await c.readUpdate(20_000))[0]!.data.length).toBe(FRAME);
    c.bytesPerPixel = 1;
    expect((await c.readUpdate(5000))[0]!.data.length).toBe(W * H);
  }, 30_000);
});
