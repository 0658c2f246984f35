/**
 * SetPixelFormat with hostile values (the CVE-2014-7815 class, and CVE-2020-14401's scale-shift
 * overflow): every class of invalid format closes the connection with
 * VNC_UNSUPPORTED_PIXEL_FORMAT; the odd-but-valid ones (depth garbage, max 0, irregular max,
 * non-zero flag bytes other than 1) are served, and the pixels are checked against an independent
 * reference conversion; bpp changes mid-stream keep every frame right.
 */

import type { PixelFormat } from '@openvmm-vnc-ts/vnc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPixelFormatMsg, updateRequestMsg } from '../../../vnc/test/helpers/rfb-messages.js';
import { Hostile, Prng, type RawConn, expectCleanClientEnd, expectClosedWith, until } from './harness.js';

const NATIVE: PixelFormat = { bitsPerPixel: 32, depth: 24, bigEndian: false, trueColour: true, redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0 };
const pf = (o: Partial<PixelFormat>): PixelFormat => ({ ...NATIVE, ...o });
const BGR233: PixelFormat = { bitsPerPixel: 8, depth: 8, bigEndian: false, trueColour: true, redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6 };
const RGB565_BE: PixelFormat = { bitsPerPixel: 16, depth: 16, bigEndian: true, trueColour: true, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 };

let h: Hostile;
beforeAll(async () => {
  h = await Hostile.start();
});
afterAll(async () => {
  await h.stop();
});

/** The reference conversion (independent of pixel-convert.ts): top bits for 2^N-1, else floor(v*max/255). */
function refValue(f: PixelFormat, rgb: number): number {
  const ch = (v: number, max: number, shift: number): number => {
    if (max === 0) return 0;
    const bits = 32 - Math.clz32(max);
    const scaled = (max & (max + 1)) === 0 ? v >>> (8 - bits) : Math.floor((v * max) / 255);
    return (scaled << shift) >>> 0;
  };
  return (ch((rgb >>> 16) & 0xff, f.redMax, f.redShift) | ch((rgb >>> 8) & 0xff, f.greenMax, f.greenShift) | ch(rgb & 0xff, f.blueMax, f.blueShift)) >>> 0;
}

/** The whole current screen as a client in format `f` must receive it. */
function expectedFrame(f: PixelFormat): Buffer {
  const bpp = f.bitsPerPixel >> 3;
  const out = Buffer.alloc(64 * 32 * bpp);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 64; x++) {
      const v = refValue(f, h.pixel(x, y));
      const o = (y * 64 + x) * bpp;
      if (bpp === 1) out[o] = v;
      else if (bpp === 2) f.bigEndian ? out.writeUInt16BE(v, o) : out.writeUInt16LE(v, o);
      else f.bigEndian ? out.writeUInt32BE(v, o) : out.writeUInt32LE(v, o);
    }
  }
  return out;
}

/** Reads one update that must be the whole 64x32 frame in one Raw rect at `bpp` bytes per pixel. */
async function readFullFrame(c: RawConn, bpp: number): Promise<Buffer> {
  const head = await c.read(16);
  expect([head[0], head.readUInt16BE(2)]).toEqual([0, 1]);
  expect([head.readUInt16BE(4), head.readUInt16BE(6), head.readUInt16BE(8), head.readUInt16BE(10), head.readInt32BE(12)]).toEqual([0, 0, 64, 32, 0]);
  return c.read(64 * 32 * bpp);
}

describe('invalid pixel formats close the connection with VNC_UNSUPPORTED_PIXEL_FORMAT', () => {
  const invalid: [string, PixelFormat][] = [
    ...[0, 1, 4, 7, 12, 24, 33, 64, 255].map((bpp): [string, PixelFormat] => [`bits-per-pixel ${bpp}`, pf({ bitsPerPixel: bpp })]),
    ['true-colour 0 at 8 bpp (a colour map)', { ...BGR233, trueColour: false }],
    ['true-colour 0 at 32 bpp', pf({ trueColour: false })],
    ...(['redMax', 'greenMax', 'blueMax'] as const).flatMap((k) => [256, 511, 0x8000, 65535].map((m): [string, PixelFormat] => [`${k} ${m}`, pf({ [k]: m })])),
    ['red shift 25 with 8 bits at 32 bpp', pf({ redShift: 25 })],
    ['blue shift 255 at 32 bpp', pf({ blueShift: 255 })],
    ['green shift 32 with max 1 at 32 bpp', pf({ greenShift: 32, greenMax: 1 })],
    ['max 0 but shift 255 (past the pixel)', pf({ redMax: 0, redShift: 255 })],
    ['8 bpp with red 3 bits at shift 6', { ...BGR233, redShift: 6 }],
    ['8 bpp with 8-bit channels', pf({ bitsPerPixel: 8 })],
    ['16 bpp with the native 32-bit layout', pf({ bitsPerPixel: 16 })],
    ['16 bpp with green 6 bits at shift 11', { ...RGB565_BE, greenShift: 11 }],
  ];
  it.each(invalid)('%s', async (_name, format) => {
    const o = await h.run({ bytes: Buffer.concat([setPixelFormatMsg(format), updateRequestMsg(false, 0, 0, 64, 32)]) });
    expectClosedWith(o, 'VNC_UNSUPPORTED_PIXEL_FORMAT');
    expect(o.error).toMatch(/^unsupported pixel format: /);
    expect(o.back.length).toBe(0); // not even the update that was asked for
    await h.checkWitness();
  });

  it('every one of them, closed in parallel, leaves only the witness', async () => {
    expect(h.vnc.clientCount).toBe(1);
  });
});

describe('odd but valid pixel formats are served correctly', () => {
  const valid: [string, PixelFormat][] = [
    ['depth 0 with a valid 32 bpp layout', pf({ depth: 0 })],
    ['depth 255 with a valid 32 bpp layout', pf({ depth: 255 })],
    ['depth 1 with BGR233', { ...BGR233, depth: 1 }],
    ['every max 0 at 8 bpp (all black)', { ...BGR233, redMax: 0, greenMax: 0, blueMax: 0 }],
    ['red max 0 at 32 bpp', pf({ redMax: 0 })],
    ['irregular maxes 5, 100, 200 at 32 bpp', pf({ redMax: 5, greenMax: 100, blueMax: 200 })],
    ['overlapping channels (all at shift 0)', pf({ redShift: 0, greenShift: 0, blueShift: 0 })],
    ['red max 1 at shift 31', pf({ redMax: 1, redShift: 31 })],
    ['big-endian 32 bpp', pf({ bigEndian: true })],
    ['big-endian RGB565', RGB565_BE],
    ['little-endian RGB565', { ...RGB565_BE, bigEndian: false }],
  ];
  it.each(valid)('%s', async (_name, format) => {
    const c = await h.open();
    await c.handshake38();
    c.write(Buffer.concat([setPixelFormatMsg(format), updateRequestMsg(false, 0, 0, 64, 32)]));
    const got = await readFullFrame(c, format.bitsPerPixel >> 3);
    expect(got.equals(expectedFrame(format))).toBe(true);
    expect(c.serverEnded).toBe(false);
    c.destroy();
    await h.checkWitness();
  });

  it('flag bytes other than 0/1 count as true (big-endian 0xff, true-colour 0x80)', async () => {
    const c = await h.open();
    await c.handshake38();
    const msg = setPixelFormatMsg(NATIVE);
    msg[6] = 0xff; // big-endian flag
    msg[7] = 0x80; // true-colour flag
    c.write(Buffer.concat([msg, updateRequestMsg(false, 0, 0, 64, 32)]));
    expect((await readFullFrame(c, 4)).equals(expectedFrame(pf({ bigEndian: true })))).toBe(true);
    c.destroy();
    await h.checkWitness();
  });

  it('an irregular max is logged at debug level', async () => {
    const o = await h.run({ bytes: setPixelFormatMsg(pf({ redMax: 5 })), then: 'end' });
    expect(h.recordsFor(o.id!).map((r) => r.message)).toContain('pixel format has a channel max that is not 2^N-1');
    expectCleanClientEnd(o);
  });

  it('a truncated SetPixelFormat waits and closes cleanly when the client leaves', async () => {
    const o = await h.run({ bytes: setPixelFormatMsg(pf({ bitsPerPixel: 33 })).subarray(0, 19), then: 'end' });
    expect(o.openAfterBytes).toBe(true);
    expectCleanClientEnd(o);
  });
});

describe('pixel format changes mid-stream', () => {
  it('40 seeded switches between 8, 16 and 32 bpp formats: every full frame is right', async () => {
    const rng = new Prng(0x5eed01);
    const formats = [NATIVE, BGR233, RGB565_BE, { ...RGB565_BE, bigEndian: false }, pf({ bigEndian: true }), pf({ redMax: 100, greenMax: 3, blueMax: 0 })];
    const c = await h.open();
    await c.handshake38();
    for (let i = 0; i < 40; i++) {
      const f = formats[rng.int(0, formats.length - 1)]!;
      c.write(Buffer.concat([setPixelFormatMsg(f), updateRequestMsg(false, 0, 0, 64, 32)]));
      expect((await readFullFrame(c, f.bitsPerPixel >> 3)).equals(expectedFrame(f)), `switch ${i}`).toBe(true);
      if (i % 10 === 9) await h.checkWitness();
    }
    c.destroy();
  });

  it('1000 switches with update requests, not waiting for the answers: bounded (connection kept, everything read), then an invalid one closes it', async () => {
    const rng = new Prng(0x5eed02);
    const formats = [NATIVE, BGR233, RGB565_BE, pf({ redMax: 0 })];
    const c = await h.open();
    await c.handshake38();
    const id = await h.idOf(c);
    const burst = Buffer.concat(Array.from({ length: 1000 }, () => Buffer.concat([setPixelFormatMsg(formats[rng.int(0, 3)]!), updateRequestMsg(rng.int(0, 1) === 1, 0, 0, 64, 32)])));
    await c.writeAndDrain(burst);
    await until(() => ((h.client(id)?.bytesReceived as number | undefined) ?? 0) >= 14 + burst.length, 'the burst read');
    await h.checkWitness();
    expect(h.client(id)).toMatchObject({ state: 'normal', bytesReceived: 14 + burst.length });
    c.write(setPixelFormatMsg(pf({ bitsPerPixel: 24 })));
    await c.waitServerEnd();
    expect(h.closeError(id)?.fields.code).toBe('VNC_UNSUPPORTED_PIXEL_FORMAT');
    await h.checkWitness();
  });
});
