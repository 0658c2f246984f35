/**
 * Converting framebuffer pixels (32-bit LE 0x00RRGGBB, bytes B,G,R,X) to a client's format.
 *
 * A converter is built once per SetPixelFormat: three 256-entry tables map each 8-bit source
 * channel straight to its shifted, scaled contribution, so a pixel costs three lookups and two
 * ORs. For big-endian clients the tables hold byte-swapped values (a byte swap distributes over
 * OR), so every format writes whole 32- or 16-bit words when the buffers are aligned, and falls
 * back to byte writes when not. The native format copies rows untouched. A channel whose max is
 * 2^N-1 keeps the top N bits of the 8-bit value (what TigerVNC and QEMU do); an irregular max
 * scales `v * max / 255` rounded down.
 */

import { type PixelFormat, isNativeFormat } from './pixel-format.js';

/** Whether this host stores a u32 least significant byte first (typed arrays use host order). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

function fillChannelTable(table: Uint32Array, max: number, shift: number, swap: ((v: number) => number) | undefined): void {
  const bits = max === 0 ? 0 : 32 - Math.clz32(max);
  const regular = (max & (max + 1)) === 0;
  for (let v = 0; v < 256; v++) {
    const scaled = max === 0 ? 0 : regular ? v >>> (8 - bits) : Math.floor((v * max) / 255);
    const value = (scaled << shift) >>> 0;
    table[v] = swap ? swap(value) : value;
  }
}

/** Converts runs of framebuffer pixels into one client format. */
export class PixelConverter {
  /** Bytes per output pixel. */
  readonly bytesPerPixel: number;
  /** True when rows are copied without conversion. */
  readonly native: boolean;
  private readonly rTable = new Uint32Array(256);
  private readonly gTable = new Uint32Array(256);
  private readonly bTable = new Uint32Array(256);
  /** Tables hold values in wire byte order for this host (byte-swapped where needed). */
  private readonly wireTables: boolean;
  /** 32 bpp in host order with three 8-bit channels: a pure shuffle, no tables needed. */
  private readonly shuffle32: boolean;

  constructor(readonly format: PixelFormat) {
    this.bytesPerPixel = format.bitsPerPixel >> 3;
    this.native = isNativeFormat(format);
    // Word writes store host order; pre-swap so the bytes land in the client's order.
    const needSwap = HOST_LITTLE_ENDIAN === format.bigEndian;
    const swap = this.bytesPerPixel === 4 ? swap32 : this.bytesPerPixel === 2 ? swap16 : undefined;
    this.wireTables = needSwap && swap !== undefined;
    const s = this.wireTables ? swap : undefined;
    fillChannelTable(this.rTable, format.redMax, format.redShift, s);
    fillChannelTable(this.gTable, format.greenMax, format.greenShift, s);
    fillChannelTable(this.bTable, format.blueMax, format.blueShift, s);
    this.shuffle32 =
      this.bytesPerPixel === 4 && !this.wireTables && format.redMax === 255 && format.greenMax === 255 && format.blueMax === 255;
  }

  /** The client value of one 0x00RRGGBB pixel. */
  pixelValue(rgb: number): number {
    const v = (this.rTable[(rgb >>> 16) & 0xff]! | this.gTable[(rgb >>> 8) & 0xff]! | this.bTable[rgb & 0xff]!) >>> 0;
    if (!this.wireTables) return v;
    return this.bytesPerPixel === 4 ? swap32(v) : swap16(v);
  }

  /**
   * Converts `count` pixels from `src` (4 bytes each, starting at `srcOff`) into `dst` at
   * `dstOff`; writes `count * bytesPerPixel` bytes.
   */
  convert(src: Uint8Array, srcOff: number, count: number, dst: Uint8Array, dstOff: number): void {
    if (this.native) {
      dst.set(src.subarray(srcOff, srcOff + count * 4), dstOff);
      return;
    }
    const bpp = this.bytesPerPixel;
    const srcAligned = ((src.byteOffset + srcOff) & 3) === 0;
    const dstAligned = ((dst.byteOffset + dstOff) & (bpp - 1)) === 0;
    if (HOST_LITTLE_ENDIAN && srcAligned && dstAligned) this.convertWords(src, srcOff, count, dst, dstOff);
    else this.convertBytes(src, srcOff, count, dst, dstOff);
  }

  /** Fast path: read source words, write destination words (or bytes at 8 bpp). */
  private convertWords(src: Uint8Array, srcOff: number, count: number, dst: Uint8Array, dstOff: number): void {
    const r = this.rTable;
    const g = this.gTable;
    const b = this.bTable;
    const s = new Uint32Array(src.buffer, src.byteOffset + srcOff, count);
    switch (this.bytesPerPixel) {
      case 4: {
        const d = new Uint32Array(dst.buffer, dst.byteOffset + dstOff, count);
        if (this.shuffle32) {
          const { redShift: rs, greenShift: gs, blueShift: bs } = this.format;
          for (let i = 0; i < count; i++) {
            const p = s[i]!;
            d[i] = (((p >>> 16) & 0xff) << rs) | (((p >>> 8) & 0xff) << gs) | ((p & 0xff) << bs);
          }
          return;
        }
        for (let i = 0; i < count; i++) {
          const p = s[i]!;
          d[i] = r[(p >>> 16) & 0xff]! | g[(p >>> 8) & 0xff]! | b[p & 0xff]!;
        }
        return;
      }
      case 2: {
        const d = new Uint16Array(dst.buffer, dst.byteOffset + dstOff, count);
        for (let i = 0; i < count; i++) {
          const p = s[i]!;
          d[i] = r[(p >>> 16) & 0xff]! | g[(p >>> 8) & 0xff]! | b[p & 0xff]!;
        }
        return;
      }
      default:
        for (let i = 0, o = dstOff; i < count; i++, o++) {
          const p = s[i]!;
          dst[o] = r[(p >>> 16) & 0xff]! | g[(p >>> 8) & 0xff]! | b[p & 0xff]!;
        }
    }
  }

  /** General path: byte reads and writes in the client's byte order. */
  private convertBytes(src: Uint8Array, srcOff: number, count: number, dst: Uint8Array, dstOff: number): void {
    const bpp = this.bytesPerPixel;
    const be = this.format.bigEndian;
    for (let i = 0, s = srcOff, d = dstOff; i < count; i++, s += 4, d += bpp) {
      const v = this.pixelValue(src[s]! | (src[s + 1]! << 8) | (src[s + 2]! << 16));
      if (bpp === 1) dst[d] = v;
      else if (bpp === 2) {
        dst[d] = be ? v >>> 8 : v;
        dst[d + 1] = be ? v : v >>> 8;
      } else if (be) {
        dst[d] = v >>> 24;
        dst[d + 1] = v >>> 16;
        dst[d + 2] = v >>> 8;
        dst[d + 3] = v;
      } else {
        dst[d] = v;
        dst[d + 1] = v >>> 8;
        dst[d + 2] = v >>> 16;
        dst[d + 3] = v >>> 24;
      }
    }
  }
}
