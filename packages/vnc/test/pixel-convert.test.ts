/**
 * Tests for pixel formats and conversion: OpenVMM's pixel.rs cases, the formats real clients
 * ask for (RGB565/555, RGB332/BGR233, noVNC's R0 G8 B16, big-endian), exhaustive per-channel
 * checks against an independent formula, and the validation rules with their messages.
 */
import { describe, it, expect } from 'vitest';
import { PixelConverter } from '../src/pixel-convert.js';
import {
  SERVER_PIXEL_FORMAT,
  channelBits,
  hasIrregularMax,
  isNativeFormat,
  parsePixelFormat,
  pixelFormatProblem,
  writePixelFormat,
  type PixelFormat,
} from '../src/pixel-format.js';
import { Prng } from './helpers/prng.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Framebuffer pixels (LE 0x00RRGGBB, bytes B,G,R,X) from [r,g,b] triples. */
function fbPixels(...rgb: [number, number, number][]): Uint8Array {
  const out = new Uint8Array(rgb.length * 4);
  rgb.forEach(([r, g, b], i) => out.set([b, g, r, 0], i * 4));
  return out;
}

function fmt(p: Partial<PixelFormat>): PixelFormat {
  return { ...SERVER_PIXEL_FORMAT, ...p };
}

function convert(pf: PixelFormat, src: Uint8Array): Uint8Array {
  const c = new PixelConverter(pf);
  const n = src.length / 4;
  const dst = new Uint8Array(n * c.bytesPerPixel);
  c.convert(src, 0, n, dst, 0);
  return dst;
}

const RED: [number, number, number] = [255, 0, 0];
const GREEN: [number, number, number] = [0, 255, 0];
const BLUE: [number, number, number] = [0, 0, 255];
const WHITE: [number, number, number] = [255, 255, 255];
const BLACK: [number, number, number] = [0, 0, 0];

const RGB565_LE = fmt({ bitsPerPixel: 16, depth: 16, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 });
const RGB565_BE = { ...RGB565_LE, bigEndian: true };
const RGB555_LE = fmt({ bitsPerPixel: 16, depth: 15, redMax: 31, greenMax: 31, blueMax: 31, redShift: 10, greenShift: 5, blueShift: 0 });
const RGB332 = fmt({ bitsPerPixel: 8, depth: 8, redMax: 7, greenMax: 7, blueMax: 3, redShift: 5, greenShift: 2, blueShift: 0 });
const BGR233 = fmt({ bitsPerPixel: 8, depth: 8, redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6 });
const NOVNC = fmt({ bitsPerPixel: 32, depth: 24, redShift: 0, greenShift: 8, blueShift: 16 });

describe('PixelConverter', () => {
  it('copies bytes unchanged for the native format (including the padding byte)', () => {
    const src = new Prng(1).bytes(4 * 37);
    const c = new PixelConverter(SERVER_PIXEL_FORMAT);
    expect(c.native).toBe(true);
    expect(c.bytesPerPixel).toBe(4);
    const dst = new Uint8Array(src.length);
    c.convert(src, 0, 37, dst, 0);
    expect(dst).toEqual(src);
  });

  it('converts at the given source and destination offsets', () => {
    const src = fbPixels(BLACK, RED, BLUE);
    const c = new PixelConverter(RGB565_LE);
    const dst = new Uint8Array(8).fill(0xaa);
    c.convert(src, 4, 2, dst, 3);
    expect(hex(dst)).toBe('aaaaaa' + '00f8' + '1f00' + 'aa');
    const n = new PixelConverter(SERVER_PIXEL_FORMAT);
    const dst2 = new Uint8Array(6).fill(0xaa);
    n.convert(src, 4, 1, dst2, 1);
    expect(hex(dst2)).toBe('aa' + '0000ff00' + 'aa');
  });

  it('converts an empty run to nothing', () => {
    const dst = new Uint8Array(0);
    expect(() => new PixelConverter(RGB565_LE).convert(new Uint8Array(0), 0, 0, dst, 0)).not.toThrow();
    expect(() => new PixelConverter(SERVER_PIXEL_FORMAT).convert(new Uint8Array(0), 0, 0, dst, 0)).not.toThrow();
  });

  it('RGB565 little-endian: red is 0xF800 (bytes 00 F8), green 0x07E0, blue 0x001F', () => {
    expect(hex(convert(RGB565_LE, fbPixels(RED, GREEN, BLUE, WHITE, BLACK)))).toBe('00f8' + 'e007' + '1f00' + 'ffff' + '0000');
  });

  it('RGB565 big-endian: red is bytes F8 00, blue 00 1F', () => {
    expect(hex(convert(RGB565_BE, fbPixels(RED, GREEN, BLUE)))).toBe('f800' + '07e0' + '001f');
  });

  it('RGB555: red 0x7C00, green 0x03E0, blue 0x001F, white 0x7FFF', () => {
    expect(hex(convert(RGB555_LE, fbPixels(RED, GREEN, BLUE, WHITE)))).toBe('007c' + 'e003' + '1f00' + 'ff7f');
    expect(hex(convert({ ...RGB555_LE, bigEndian: true }, fbPixels(RED, BLUE)))).toBe('7c00' + '001f');
  });

  it('RGB332: white 0xFF, blue 0x03, red 0xE0, green 0x1C', () => {
    expect(hex(convert(RGB332, fbPixels(WHITE, BLUE, RED, GREEN, BLACK)))).toBe('ff' + '03' + 'e0' + '1c' + '00');
  });

  it('BGR233: red 0x07, green 0x38, blue 0xC0; endianness is irrelevant at 8 bpp', () => {
    expect(hex(convert(BGR233, fbPixels(RED, GREEN, BLUE, WHITE)))).toBe('07' + '38' + 'c0' + 'ff');
    expect(hex(convert({ ...BGR233, bigEndian: true }, fbPixels(RED, GREEN, BLUE)))).toBe('07' + '38' + 'c0');
  });

  it('32 bpp big-endian with shifts 16/8/0 writes 00 RR GG BB', () => {
    const pf = fmt({ bigEndian: true });
    const c = new PixelConverter(pf);
    expect(c.native).toBe(false);
    expect(hex(convert(pf, fbPixels([0x12, 0x34, 0x56], RED)))).toBe('00123456' + '00ff0000');
  });

  it('32 bpp little-endian with red shift 0 (noVNC, vncsnapshot) writes RR GG BB 00', () => {
    const c = new PixelConverter(NOVNC);
    expect(c.native).toBe(false);
    expect(hex(convert(NOVNC, fbPixels([0x12, 0x34, 0x56], RED, BLUE)))).toBe('12345600' + 'ff000000' + '0000ff00');
  });

  it('32 bpp with a channel in the top byte (shift 24) stays unsigned and correct', () => {
    const pf = fmt({ redShift: 24, greenShift: 16, blueShift: 8 });
    expect(hex(convert(pf, fbPixels([0xff, 0x80, 0x01])))).toBe('000180ff');
    expect(new PixelConverter(pf).pixelValue(0xff8001)).toBe(0xff800100);
    expect(hex(convert({ ...pf, bigEndian: true }, fbPixels([0xff, 0x80, 0x01])))).toBe('ff800100');
  });

  it('a channel with max 0 converts to 0 without throwing', () => {
    const pf = fmt({ redMax: 0 });
    const out = convert(pf, fbPixels(WHITE));
    expect(out).toHaveLength(4);
    expect(hex(out)).toBe('ffff0000');
    const all0 = fmt({ redMax: 0, greenMax: 0, blueMax: 0 });
    expect(hex(convert(all0, fbPixels(WHITE)))).toBe('00000000');
  });

  it('an irregular max (100) scales floor(v * 100 / 255) for every value', () => {
    const pf = fmt({ redMax: 100, greenMax: 255, blueMax: 255 });
    const c = new PixelConverter(pf);
    for (let v = 0; v < 256; v++) {
      expect(c.pixelValue(v << 16) >>> 16, `v=${v}`).toBe(Math.floor((v * 100) / 255));
    }
    expect(c.pixelValue(0xff0000)).toBe(100 << 16);
  });

  it('RGB565 matches an independent formula for all 256 values of each channel', () => {
    const c = new PixelConverter(RGB565_LE);
    const cb = new PixelConverter(RGB565_BE);
    const src = new Uint8Array(256 * 4);
    for (const channel of ['r', 'g', 'b'] as const) {
      for (let v = 0; v < 256; v++) {
        const r = channel === 'r' ? v : 0;
        const g = channel === 'g' ? v : 0;
        const b = channel === 'b' ? v : 0;
        src.set([b, g, r, 0], v * 4);
      }
      const le = new Uint8Array(512);
      const be = new Uint8Array(512);
      c.convert(src, 0, 256, le, 0);
      cb.convert(src, 0, 256, be, 0);
      for (let v = 0; v < 256; v++) {
        // Keep the top bits: 5 for red/blue, 6 for green, computed by division (not shifts).
        const expected =
          channel === 'r' ? Math.floor((v * 32) / 256) * 2048 : channel === 'g' ? Math.floor((v * 64) / 256) * 32 : Math.floor((v * 32) / 256);
        expect(le[v * 2]! + le[v * 2 + 1]! * 256, `${channel}=${v} LE`).toBe(expected);
        expect(be[v * 2]! * 256 + be[v * 2 + 1]!, `${channel}=${v} BE`).toBe(expected);
      }
    }
  });

  it('pixelValue agrees with convert on random pixels for several formats', () => {
    const rng = new Prng(99);
    const src = rng.bytes(4 * 200);
    for (const pf of [RGB565_LE, RGB565_BE, RGB555_LE, RGB332, BGR233, NOVNC, fmt({ bigEndian: true })]) {
      const c = new PixelConverter(pf);
      const out = convert(pf, src);
      for (let i = 0; i < 200; i++) {
        const rgb = src[i * 4]! | (src[i * 4 + 1]! << 8) | (src[i * 4 + 2]! << 16);
        const v = c.pixelValue(rgb);
        let got = 0;
        for (let k = 0; k < c.bytesPerPixel; k++) {
          const byte = out[i * c.bytesPerPixel + k]!;
          got = pf.bigEndian || c.bytesPerPixel === 1 ? got * 256 + byte : got + byte * 256 ** k;
        }
        expect(got).toBe(v);
      }
    }
  });
});

describe('pixel format parsing and validation', () => {
  it('parses the 16-byte PIXEL_FORMAT and writes it back identically', () => {
    const bytes = new Uint8Array(Buffer.from('10100101001f003f001f0b0500000000', 'hex'));
    const pf = parsePixelFormat(bytes);
    expect(pf).toEqual(RGB565_BE);
    const out = new Uint8Array(18).fill(0xee);
    writePixelFormat(pf, out, 1);
    expect(hex(out)).toBe('ee' + '10100101001f003f001f0b0500000000' + 'ee');
  });

  it('writes the server format as 32/24 LE true colour 255/255/255 16/8/0', () => {
    const out = new Uint8Array(16);
    writePixelFormat(SERVER_PIXEL_FORMAT, out, 0);
    expect(hex(out)).toBe('20180001' + '00ff00ff00ff' + '100800' + '000000');
  });

  it('channelBits is the position of the highest set bit', () => {
    expect(channelBits(0)).toBe(0);
    expect(channelBits(1)).toBe(1);
    expect(channelBits(3)).toBe(2);
    expect(channelBits(100)).toBe(7);
    expect(channelBits(255)).toBe(8);
    expect(channelBits(256)).toBe(9);
    expect(channelBits(511)).toBe(9);
  });

  it('isNativeFormat is true only for 32 bpp LE 255/255/255 at 16/8/0', () => {
    expect(isNativeFormat(SERVER_PIXEL_FORMAT)).toBe(true);
    expect(isNativeFormat(fmt({ depth: 32 }))).toBe(true);
    expect(isNativeFormat(fmt({ bigEndian: true }))).toBe(false);
    expect(isNativeFormat(NOVNC)).toBe(false);
    expect(isNativeFormat(fmt({ redMax: 127 }))).toBe(false);
    expect(isNativeFormat(RGB565_LE)).toBe(false);
  });

  it('hasIrregularMax flags maxima that are not 2^N-1', () => {
    expect(hasIrregularMax(SERVER_PIXEL_FORMAT)).toBe(false);
    expect(hasIrregularMax(RGB565_LE)).toBe(false);
    expect(hasIrregularMax(fmt({ redMax: 0 }))).toBe(false);
    expect(hasIrregularMax(fmt({ greenMax: 100 }))).toBe(true);
  });

  it('accepts 8, 16 and 32 bpp formats', () => {
    for (const pf of [SERVER_PIXEL_FORMAT, RGB565_LE, RGB565_BE, RGB555_LE, RGB332, BGR233, NOVNC]) expect(pixelFormatProblem(pf)).toBeUndefined();
  });

  it('accepts max 0 and irregular maxima', () => {
    expect(pixelFormatProblem(fmt({ redMax: 0, greenMax: 0, blueMax: 0 }))).toBeUndefined();
    expect(pixelFormatProblem(fmt({ redMax: 100 }))).toBeUndefined();
  });

  it('rejects 24 and 0 bits per pixel, naming the value', () => {
    expect(pixelFormatProblem(fmt({ bitsPerPixel: 24 }))).toMatch(/bits-per-pixel 24/);
    expect(pixelFormatProblem(fmt({ bitsPerPixel: 0 }))).toMatch(/bits-per-pixel 0/);
    expect(pixelFormatProblem(fmt({ bitsPerPixel: 64 }))).toMatch(/bits-per-pixel 64/);
  });

  it('rejects colour-map formats (true-colour 0)', () => {
    expect(pixelFormatProblem(fmt({ trueColour: false }))).toMatch(/true-colour/);
  });

  it('rejects a max needing more than 8 bits, naming the channel and the max', () => {
    const p = pixelFormatProblem(fmt({ greenMax: 511 }));
    expect(p).toMatch(/green/);
    expect(p).toMatch(/511/);
    expect(pixelFormatProblem(fmt({ blueMax: 256 }))).toMatch(/blue-max 256/);
  });

  it('rejects a channel whose shift + bits exceeds bpp, naming the channel and shift', () => {
    const p = pixelFormatProblem(fmt({ bitsPerPixel: 16, redMax: 31, greenMax: 63, blueMax: 31, redShift: 12, greenShift: 5, blueShift: 0 }));
    expect(p).toMatch(/red/);
    expect(p).toMatch(/shift 12/);
    expect(p).toMatch(/16 bits per pixel/);
    expect(pixelFormatProblem(fmt({ redShift: 25 }))).toMatch(/red channel \(shift 25, 8 bits\)/);
    expect(pixelFormatProblem({ ...RGB332, blueShift: 7 })).toMatch(/blue/);
    expect(pixelFormatProblem(fmt({ redShift: 24 }))).toBeUndefined();
  });

  it('ignores depth and endianness when validating', () => {
    expect(pixelFormatProblem(fmt({ depth: 0 }))).toBeUndefined();
    expect(pixelFormatProblem({ ...RGB332, bigEndian: true })).toBeUndefined();
  });
});
