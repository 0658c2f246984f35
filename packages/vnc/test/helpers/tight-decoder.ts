/**
 * A client-side Tight (7) decoder for tests, written from the rfbproto description rather than
 * from the encoder: four persistent inflaters (replaced when a control byte's reset bit says
 * so), fill, JPEG, and basic compression with the copy, palette and gradient filters, drawn into
 * a framebuffer kept in the client's pixel format. A rect's bytes must be consumed exactly.
 */
import jpeg from 'jpeg-js';
import type { PixelFormat } from '../../src/pixel-format.js';
import { PersistentInflater } from './inflater.js';

/** One decoded Tight rect, for checks on how it was sent. */
export interface TightRectInfo {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  /** 'fill' | 'jpeg' | 'copy' | 'palette' | 'gradient'. */
  readonly kind: string;
  /** Palette size for 'palette'. */
  readonly colours: number;
  /** Reset bits of the control byte. */
  readonly resets: number;
  /** True when the data went through a zlib stream (false: sent as is, under 12 bytes). */
  readonly compressed: boolean;
  /** The zlib stream the data went through (basic compression). */
  readonly stream: number;
}

/** Decodes Tight rects into a framebuffer in one client pixel format. */
export class TightTestDecoder {
  /** The client's framebuffer: pixels in its format, rows back to back. */
  readonly fb: Uint8Array;
  readonly bpp: number;
  private readonly inflaters: (PersistentInflater | undefined)[] = [undefined, undefined, undefined, undefined];
  private readonly tpixel24: boolean;
  /** When false, reset bits are ignored (to show that honouring them matters). */
  honourResets = true;

  constructor(
    readonly pf: PixelFormat,
    readonly width: number,
    readonly height: number,
  ) {
    this.bpp = pf.bitsPerPixel / 8;
    this.fb = new Uint8Array(width * height * this.bpp);
    this.tpixel24 = pf.bitsPerPixel === 32 && pf.depth === 24 && pf.redMax === 255 && pf.greenMax === 255 && pf.blueMax === 255;
  }

  /**
   * Decodes consecutive rect headers + bodies in `data` (all must be Tight) and returns what
   * each one was. Throws on anything malformed or left over.
   */
  decodeRects(data: Uint8Array): TightRectInfo[] {
    const infos: TightRectInfo[] = [];
    let o = 0;
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    while (o < data.length) {
      const x = view.getUint16(o);
      const y = view.getUint16(o + 2);
      const w = view.getUint16(o + 4);
      const h = view.getUint16(o + 6);
      const enc = view.getInt32(o + 8);
      if (enc !== 7) throw new Error(`rect encoding ${enc} is not Tight`);
      if (w > 2048) throw new Error(`Tight rect ${w} wide (max 2048)`);
      if (x + w > this.width || y + h > this.height) throw new Error('rect outside the framebuffer');
      const r = this.decodeBody(data, o + 12, x, y, w, h);
      infos.push(r.info);
      o = r.end;
    }
    return infos;
  }

  private decodeBody(data: Uint8Array, start: number, x: number, y: number, w: number, h: number): { info: TightRectInfo; end: number } {
    let o = start;
    const byte = (): number => {
      if (o >= data.length) throw new Error('Tight data truncated');
      return data[o++]!;
    };
    const take = (n: number): Uint8Array => {
      if (o + n > data.length) throw new Error(`Tight data truncated (${n} bytes wanted)`);
      const s = data.subarray(o, o + n);
      o += n;
      return s;
    };
    const compact = (): number => {
      let b = byte();
      let n = b & 0x7f;
      if (b & 0x80) {
        b = byte();
        n |= (b & 0x7f) << 7;
        if (b & 0x80) n |= byte() << 14;
      }
      return n;
    };
    const tpixelSize = this.tpixel24 ? 3 : this.bpp;
    const control = byte();
    const resets = control & 0x0f;
    if (this.honourResets) for (let i = 0; i < 4; i++) if (resets & (1 << i)) this.inflaters[i] = undefined;
    const type = control >> 4;
    const base = { x, y, w, h, resets, colours: 0, compressed: false, stream: -1 };
    if (type === 8) {
      const px = this.tpixelToPixel(take(tpixelSize), 0);
      for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) this.fb.set(px, ((y + j) * this.width + x + i) * this.bpp);
      return { info: { ...base, kind: 'fill' }, end: o };
    }
    if (type === 9) {
      const len = compact();
      const img = jpeg.decode(take(len), { useTArray: true, formatAsRGBA: true });
      if (img.width !== w || img.height !== h) throw new Error(`JPEG is ${img.width}x${img.height}, rect ${w}x${h}`);
      for (let j = 0; j < h; j++) {
        for (let i = 0; i < w; i++) {
          const s = (j * w + i) * 4;
          this.fb.set(this.rgbToPixel(img.data[s]!, img.data[s + 1]!, img.data[s + 2]!), ((y + j) * this.width + x + i) * this.bpp);
        }
      }
      return { info: { ...base, kind: 'jpeg' }, end: o };
    }
    if (type > 7) throw new Error(`bad Tight compression type ${type}`);
    const stream = type & 3;
    const filter = type & 4 ? byte() : 0;
    let palette: Uint8Array[] = [];
    let bitsPerPixel = tpixelSize * 8;
    if (filter === 1) {
      const n = byte() + 1;
      if (n < 2) throw new Error('palette of one colour');
      palette = Array.from({ length: n }, () => this.tpixelToPixel(take(tpixelSize), 0));
      bitsPerPixel = n === 2 ? 1 : 8;
    } else if (filter === 2) {
      if (!this.tpixel24 && this.bpp !== 2 && this.bpp !== 4) throw new Error('gradient needs 16 or 32 bpp');
    } else if (filter !== 0) {
      throw new Error(`bad Tight filter ${filter}`);
    }
    const rowBytes = Math.ceil((w * bitsPerPixel) / 8);
    const size = rowBytes * h;
    let body: Uint8Array;
    let compressed = false;
    if (size < 12) {
      body = take(size);
    } else {
      const len = compact();
      const inflater = (this.inflaters[stream] ??= new PersistentInflater());
      body = inflater.push(take(len));
      compressed = true;
      if (body.length !== size) throw new Error(`inflated ${body.length} bytes, expected ${size}`);
    }
    if (filter === 2) throw new Error('gradient filter decoding not implemented in the test decoder');
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        let px: Uint8Array;
        if (filter === 1) {
          const idx = bitsPerPixel === 1 ? (body[j * rowBytes + (i >> 3)]! >> (7 - (i & 7))) & 1 : body[j * rowBytes + i]!;
          if (idx >= palette.length) throw new Error(`palette index ${idx} outside ${palette.length}`);
          px = palette[idx]!;
        } else {
          px = this.tpixelToPixel(body, (j * w + i) * tpixelSize);
        }
        this.fb.set(px, ((y + j) * this.width + x + i) * this.bpp);
      }
    }
    return { info: { ...base, kind: filter === 1 ? 'palette' : 'copy', colours: palette.length, compressed, stream }, end: o };
  }

  /** A TPIXEL at `src[off]` as the client-format pixel bytes. */
  private tpixelToPixel(src: Uint8Array, off: number): Uint8Array {
    if (this.tpixel24) return this.rgbToPixel(src[off]!, src[off + 1]!, src[off + 2]!);
    return src.slice(off, off + this.bpp);
  }

  /** 8-bit red, green, blue as a client-format pixel (888 formats). */
  private rgbToPixel(r: number, g: number, b: number): Uint8Array {
    const pf = this.pf;
    const v = ((r << pf.redShift) | (g << pf.greenShift) | (b << pf.blueShift)) >>> 0;
    const out = new Uint8Array(this.bpp);
    for (let i = 0; i < this.bpp; i++) out[pf.bigEndian ? this.bpp - 1 - i : i] = (v >>> (8 * i)) & 0xff;
    return out;
  }
}
