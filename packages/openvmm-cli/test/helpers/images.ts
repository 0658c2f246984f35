/**
 * Pictures for end-to-end checks: decode PNGs written by real clients, render the expected test
 * card with the guest's own drawing code, and compare pixel by pixel.
 */

import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { GuestCanvas, drawTestCard } from '@openvmm-vnc-ts/video-core';

/** An RGB picture, 0x00RRGGBB per pixel. */
export interface Picture {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint32Array;
}

/** Reads a PNG (RGB or RGBA) into a {@link Picture}, dropping alpha. */
export function readPng(path: string): Picture {
  const png = PNG.sync.read(readFileSync(path));
  const pixels = new Uint32Array(png.width * png.height);
  for (let i = 0; i < pixels.length; i++) {
    const o = i * 4;
    pixels[i] = (png.data[o]! << 16) | (png.data[o + 1]! << 8) | png.data[o + 2]!;
  }
  return { width: png.width, height: png.height, pixels };
}

/** The test card as the test-card guest draws it at `width` x `height`. */
export function expectedTestCard(width: number, height: number): Picture {
  const bytes = new Uint8Array(width * height * 4);
  drawTestCard(new GuestCanvas(bytes, { width, height }));
  const pixels = new Uint32Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const o = i * 4;
    pixels[i] = (bytes[o + 2]! << 16) | (bytes[o + 1]! << 8) | bytes[o]!;
  }
  return { width, height, pixels };
}

/** Number of pixels that differ (or Infinity when the sizes differ). */
export function diffCount(a: Picture, b: Picture): number {
  if (a.width !== b.width || a.height !== b.height) return Number.POSITIVE_INFINITY;
  let n = 0;
  for (let i = 0; i < a.pixels.length; i++) if (a.pixels[i] !== b.pixels[i]) n++;
  return n;
}

/**
 * Peak signal-to-noise ratio of `a` against `b` over all three channels, in dB (Infinity when
 * they are equal): how close a lossy (JPEG) picture is to the original.
 */
export function psnr(a: Picture, b: Picture): number {
  if (a.width !== b.width || a.height !== b.height) return 0;
  let se = 0;
  for (let i = 0; i < a.pixels.length; i++) {
    const p = a.pixels[i]!;
    const q = b.pixels[i]!;
    for (let s = 0; s < 24; s += 8) {
      const d = ((p >>> s) & 0xff) - ((q >>> s) & 0xff);
      se += d * d;
    }
  }
  if (se === 0) return Number.POSITIVE_INFINITY;
  return 10 * Math.log10((255 * 255) / (se / (a.pixels.length * 3)));
}

/** The pixel at (x, y). */
export function pixelAt(p: Picture, x: number, y: number): number {
  return p.pixels[y * p.width + x]!;
}

/** `text` as the guest's font draws it (scale 2, 12x16 cells), in `fg` on `bg`. */
export function renderText(text: string, fg: number, bg: number): Picture {
  const probe = new GuestCanvas(new Uint8Array(4 * 4096 * 32), { width: 4096, height: 32 });
  const r = probe.drawText(0, 0, text, fg, bg);
  if (!r) throw new Error('nothing drawn');
  const w = r.right - r.left;
  const h = r.bottom - r.top;
  const pixels = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) pixels[y * w + x] = probe.pixel(r.left + x, r.top + y) ?? 0;
  return { width: w, height: h, pixels };
}

/** Every top-left position where `needle` appears exactly inside `hay`. */
export function findPicture(hay: Picture, needle: Picture): { x: number; y: number }[] {
  const found: { x: number; y: number }[] = [];
  const first = needle.pixels[0]!;
  for (let y = 0; y + needle.height <= hay.height; y++) {
    for (let x = 0; x + needle.width <= hay.width; x++) {
      if (hay.pixels[y * hay.width + x] !== first) continue;
      let ok = true;
      for (let ny = 0; ny < needle.height && ok; ny++) {
        const hr = (y + ny) * hay.width + x;
        const nr = ny * needle.width;
        for (let nx = 0; nx < needle.width; nx++) {
          if (hay.pixels[hr + nx] !== needle.pixels[nr + nx]) {
            ok = false;
            break;
          }
        }
      }
      if (ok) found.push({ x, y });
    }
  }
  return found;
}

/** Reads a binary PPM (P6, maxval 255, as `vncgrab` writes it) into a {@link Picture}. */
export function readPpm(path: string): Picture {
  const data = readFileSync(path);
  // Header: "P6", width, height, maxval, separated by whitespace, then one whitespace byte.
  const fields: string[] = [];
  let pos = 0;
  while (fields.length < 4) {
    while (pos < data.length && /\s/.test(String.fromCharCode(data[pos]!))) pos++;
    if (data[pos] === 0x23) {
      while (pos < data.length && data[pos] !== 0x0a) pos++; // comment line
      continue;
    }
    const start = pos;
    while (pos < data.length && !/\s/.test(String.fromCharCode(data[pos]!))) pos++;
    if (pos === start) throw new Error(`${path}: truncated PPM header`);
    fields.push(data.subarray(start, pos).toString('latin1'));
  }
  pos++;
  const [magic, w, h, max] = fields as [string, string, string, string];
  if (magic !== 'P6' || max !== '255') throw new Error(`${path}: not an 8-bit binary PPM (${magic}, maxval ${max})`);
  const width = Number(w);
  const height = Number(h);
  if (data.length - pos !== width * height * 3) throw new Error(`${path}: ${data.length - pos} pixel bytes, expected ${width * height * 3}`);
  const pixels = new Uint32Array(width * height);
  for (let i = 0; i < pixels.length; i++, pos += 3) pixels[i] = (data[pos]! << 16) | (data[pos + 1]! << 8) | data[pos + 2]!;
  return { width, height, pixels };
}

/**
 * `p` as a client sees it in a true-colour pixel format with `bits` bits per channel: each
 * 8-bit channel keeps its top N bits (the server's conversion for a 2^N-1 max, as TigerVNC and
 * QEMU do), and the client expands the N-bit value v back to 8 bits as `(v * 255 + m / 2) / m`
 * with m = 2^N-1 and integer division (`vncgrab`'s formula).
 */
export function reduceToFormat(p: Picture, bits: { readonly red: number; readonly green: number; readonly blue: number }): Picture {
  const table = (n: number): Uint8Array => {
    const t = new Uint8Array(256);
    const m = (1 << n) - 1;
    for (let v = 0; v < 256; v++) t[v] = Math.floor(((v >> (8 - n)) * 255 + (m >> 1)) / m);
    return t;
  };
  const r = table(bits.red);
  const g = table(bits.green);
  const b = table(bits.blue);
  const pixels = new Uint32Array(p.pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const v = p.pixels[i]!;
    pixels[i] = (r[(v >> 16) & 0xff]! << 16) | (g[(v >> 8) & 0xff]! << 8) | b[v & 0xff]!;
  }
  return { width: p.width, height: p.height, pixels };
}
