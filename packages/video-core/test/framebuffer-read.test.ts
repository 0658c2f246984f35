/**
 * `FramebufferView.readRow`, which every encoder reads VRAM through: rows of every length and
 * destination alignment (64-pixel tile rows as ZRLE reads them, whole rows as Raw does) and
 * rows partly outside the surface (zero-filled) copy exactly the reference bytes, count what
 * they read, and never write outside the destination they were given.
 */

import { describe, expect, it } from 'vitest';
import { FramebufferView, Vram } from '../src/framebuffer.js';

function reference(vram: Uint8Array, fmt: { width: number; height: number; stride: number; offset: number }, y: number, x: number, w: number): Uint8Array {
  const out = new Uint8Array(w * 4);
  for (let i = 0; i < w; i++) {
    const px = x + i;
    if (y < 0 || y >= fmt.height || px < 0 || px >= fmt.width) continue;
    const s = fmt.offset + y * fmt.stride + px * 4;
    out.set(vram.subarray(s, s + 4), i * 4);
  }
  return out;
}

function filledVram(): Vram {
  const vram = new Vram();
  let v = 0x12345678;
  for (let i = 0; i < vram.bytes.length; i++) {
    v = (Math.imul(v, 1103515245) + 12345) >>> 0;
    vram.bytes[i] = v >>> 24;
  }
  return vram;
}

describe('FramebufferView.readRow', () => {
  const vram = filledVram();
  const formats = [
    { width: 1920, height: 1080, stride: 7680, offset: 0 },
    { width: 1000, height: 700, stride: 4100, offset: 8 }, // padded stride, offset rows
    { width: 333, height: 200, stride: 1336, offset: 4 },
  ];

  for (const fmt of formats) {
    it(`${fmt.width}x${fmt.height} stride ${fmt.stride}: rows of every length and alignment match the reference`, () => {
      const view = new FramebufferView(vram, fmt);
      let seed = 7;
      const rnd = (n: number): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed % n;
      };
      for (let t = 0; t < 400; t++) {
        // 127..129 px straddle ALIGNED_READ_MIN_BYTES (rows from 512 bytes up that VRAM and the
        // destination disagree on modulo 8 go through the aligned staging row).
        const w = [1, 3, 16, 64, 127, 128, 129, 255, 256, 257, fmt.width][rnd(11)]!;
        const x = rnd(Math.max(1, fmt.width - w + 1));
        const y = rnd(fmt.height);
        const pad = rnd(4) === 0 ? rnd(4) : 4 * rnd(3); // unaligned and aligned destination offsets
        const dst = new Uint8Array(pad + w * 4 + 8).fill(0xee);
        const before = view.bytesRead;
        view.readRow(y, x, w, dst, pad);
        expect(Buffer.from(dst.subarray(pad, pad + w * 4)).equals(Buffer.from(reference(vram.bytes, fmt, y, x, w))), `y ${y} x ${x} w ${w} at ${pad}`).toBe(true);
        expect(dst.subarray(0, pad).every((b) => b === 0xee)).toBe(true);
        expect(dst.subarray(pad + w * 4).every((b) => b === 0xee)).toBe(true);
        expect(view.bytesRead - before).toBe(w * 4);
      }
    });
  }

  it('long rows into a slice at every byte offset, and into shared memory: exact, nothing around them touched', () => {
    const view = new FramebufferView(vram);
    for (let at = 0; at < 16; at++) {
      for (const shared of [false, true]) {
        const backing = new Uint8Array(shared ? new SharedArrayBuffer(8192) : new ArrayBuffer(8192)).fill(0xaa);
        const dst = backing.subarray(at, at + 300 * 4);
        view.readRow(7, 3 + at, 300, dst, 0);
        expect(Buffer.from(dst).equals(Buffer.from(reference(vram.bytes, view.format, 7, 3 + at, 300))), `at ${at} shared ${shared}`).toBe(true);
        expect(backing.subarray(0, at).every((b) => b === 0xaa)).toBe(true);
        expect(backing.subarray(at + 1200).every((b) => b === 0xaa)).toBe(true);
      }
    }
  });

  it('a destination that is a slice of a larger buffer: the bytes around it stay untouched', () => {
    const view = new FramebufferView(vram);
    const backing = new Uint8Array(4096).fill(0xaa);
    const dst = backing.subarray(100, 100 + 256);
    view.readRow(5, 64, 64, dst, 0);
    expect(Buffer.from(dst).equals(Buffer.from(reference(vram.bytes, view.format, 5, 64, 64)))).toBe(true);
    expect(backing.subarray(0, 100).every((b) => b === 0xaa)).toBe(true);
    expect(backing.subarray(356).every((b) => b === 0xaa)).toBe(true);
  });

  it('a destination too small for the row throws and writes nothing past its end', () => {
    const view = new FramebufferView(vram);
    const backing = new Uint8Array(1024).fill(0xaa);
    const dst = backing.subarray(0, 200); // a 64-pixel row needs 256 bytes
    expect(() => view.readRow(0, 0, 64, dst, 0)).toThrow(RangeError);
    expect(backing.subarray(200).every((b) => b === 0xaa)).toBe(true);
  });

  it('reads into the same destination repeatedly, then into another one', () => {
    const view = new FramebufferView(vram);
    const a = new Uint8Array(256);
    const b = new Uint8Array(512);
    for (let y = 0; y < 10; y++) {
      view.readRow(y, 0, 64, a, 0);
      expect(Buffer.from(a).equals(Buffer.from(reference(vram.bytes, view.format, y, 0, 64)))).toBe(true);
      view.readRow(y, 100, 64, b, 256);
      expect(Buffer.from(b.subarray(256)).equals(Buffer.from(reference(vram.bytes, view.format, y, 100, 64)))).toBe(true);
    }
  });

  it('parts outside the surface are zero-filled', () => {
    const fmt = { width: 100, height: 50, stride: 400, offset: 0 };
    const view = new FramebufferView(vram, fmt);
    const dst = new Uint8Array(40 * 4).fill(0xee);
    view.readRow(10, 80, 40, dst, 0);
    expect(Buffer.from(dst).equals(Buffer.from(reference(vram.bytes, fmt, 10, 80, 40)))).toBe(true);
    dst.fill(0xee);
    view.readRow(60, 0, 40, dst, 0);
    expect(dst.every((b) => b === 0)).toBe(true);
  });
});
