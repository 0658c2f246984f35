/**
 * Converting framebuffer pixels (32-bit LE 0x00RRGGBB, bytes B,G,R,X) to a client's format.
 *
 * A converter is built once per SetPixelFormat: three 256-entry tables map each 8-bit source
 * channel straight to its shifted, scaled contribution, so a pixel costs three lookups and two
 * ORs. The native format copies rows untouched. A channel whose max is 2^N-1 keeps the top N
 * bits of the 8-bit value (what TigerVNC and QEMU do); an irregular max scales `v * max / 255`
 * rounded down.
 */

import { type PixelFormat, isNativeFormat } from './pixel-format.js';

function fillChannelTable(table: Uint32Array, max: number, shift: number): void {
  const bits = max === 0 ? 0 : 32 - Math.clz32(max);
  const regular = (max & (max + 1)) === 0;
  for (let v = 0; v < 256; v++) {
    const scaled = max === 0 ? 0 : regular ? v >>> (8 - bits) : Math.floor((v * max) / 255);
    table[v] = (scaled << shift) >>> 0;
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

  constructor(readonly format: PixelFormat) {
    this.bytesPerPixel = format.bitsPerPixel >> 3;
    this.native = isNativeFormat(format);
    fillChannelTable(this.rTable, format.redMax, format.redShift);
    fillChannelTable(this.gTable, format.greenMax, format.greenShift);
    fillChannelTable(this.bTable, format.blueMax, format.blueShift);
  }

  /** The client value of one 0x00RRGGBB pixel. */
  pixelValue(rgb: number): number {
    return (this.rTable[(rgb >>> 16) & 0xff]! | this.gTable[(rgb >>> 8) & 0xff]! | this.bTable[rgb & 0xff]!) >>> 0;
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
    const r = this.rTable;
    const g = this.gTable;
    const b = this.bTable;
    const be = this.format.bigEndian;
    let s = srcOff;
    let d = dstOff;
    switch (this.bytesPerPixel) {
      case 4:
        for (let i = 0; i < count; i++, s += 4, d += 4) {
          const v = r[src[s + 2]!]! | g[src[s + 1]!]! | b[src[s]!]!;
          if (be) {
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
        break;
      case 2:
        for (let i = 0; i < count; i++, s += 4, d += 2) {
          const v = r[src[s + 2]!]! | g[src[s + 1]!]! | b[src[s]!]!;
          if (be) {
            dst[d] = v >>> 8;
            dst[d + 1] = v;
          } else {
            dst[d] = v;
            dst[d + 1] = v >>> 8;
          }
        }
        break;
      default:
        for (let i = 0; i < count; i++, s += 4, d += 1) {
          dst[d] = r[src[s + 2]!]! | g[src[s + 1]!]! | b[src[s]!]!;
        }
    }
  }
}
