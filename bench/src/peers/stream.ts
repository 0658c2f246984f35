/**
 * The frame stream of the `peers` benchmark (format: `bench/peers/framestream.h`), read
 * synchronously from a file descriptor (a FIFO fed by `gen_frames`). Used by our replay guest,
 * which runs on a worker thread where blocking reads are what a vCPU would do anyway.
 */

import { readSync } from 'node:fs';

/** 'PFRM' little-endian. */
export const FRAME_STREAM_MAGIC = 0x4d524650;
/** Most rects in one frame (as framestream.h). */
export const FRAME_STREAM_MAX_RECTS = 64;

/** One changed rect of a frame: position, size, and where its pixels start in {@link StreamFrame.pixels}. */
export interface StreamRect {
  x: number;
  y: number;
  w: number;
  h: number;
  /** Byte offset of the rect's first pixel in `pixels`. */
  offset: number;
  /** Bytes from one row of the rect to the next in `pixels`: `w * 4` as read from the stream. */
  pitch: number;
}

/**
 * Copies rect `r` of `frame` (rows `r.pitch` apart in `frame.pixels`) into `dst` at `dstOffset`,
 * rows `dstPitch` apart: one copy when both sides hold the rows back to back.
 */
export function copyRect(frame: StreamFrame, r: StreamRect, dst: Uint8Array, dstOffset: number, dstPitch: number): void {
  const rowBytes = r.w * 4;
  if (r.pitch === rowBytes && dstPitch === rowBytes) {
    dst.set(frame.pixels.subarray(r.offset, r.offset + r.h * rowBytes), dstOffset);
    return;
  }
  for (let y = 0; y < r.h; y++) {
    const src = r.offset + y * r.pitch;
    dst.set(frame.pixels.subarray(src, src + rowBytes), dstOffset + y * dstPitch);
  }
}

/** One frame: its number, its time (us after frame 1) and its rects, the tag rect last. */
export interface StreamFrame {
  k: number;
  tUs: number;
  rects: StreamRect[];
  /** All rects' pixels (B, G, R, 0), one rect after another, rows top down. Reused by the reader. */
  pixels: Uint8Array;
}

/** Reads frames one after another from `fd`, reusing one pixel buffer. */
export class FrameStreamReader {
  private buf = new Uint8Array(1 << 20);
  private readonly head = new Uint8Array(16);
  private readonly headView = new DataView(this.head.buffer);

  constructor(private readonly fd: number) {}

  /** The next frame, or `undefined` at the end of the stream. Throws on a malformed stream. */
  next(): StreamFrame | undefined {
    if (!this.readFull(this.head, 16, true)) return undefined;
    const v = this.headView;
    if (v.getUint32(0, true) !== FRAME_STREAM_MAGIC) throw new Error('frame stream: bad magic');
    const k = v.getUint32(4, true);
    const tUs = v.getUint32(8, true);
    const n = v.getUint32(12, true);
    if (n === 0 || n > FRAME_STREAM_MAX_RECTS) throw new Error(`frame stream: ${n} rects in frame ${k}`);
    const rects: StreamRect[] = [];
    let offset = 0;
    for (let i = 0; i < n; i++) {
      this.readFull(this.head, 8, false);
      const x = v.getUint16(0, true);
      const y = v.getUint16(2, true);
      const w = v.getUint16(4, true);
      const h = v.getUint16(6, true);
      const bytes = w * h * 4;
      if (offset + bytes > this.buf.length) {
        const grown = new Uint8Array(Math.max(offset + bytes, this.buf.length * 2));
        grown.set(this.buf.subarray(0, offset));
        this.buf = grown;
      }
      this.readInto(this.buf, offset, bytes);
      rects.push({ x, y, w, h, offset, pitch: w * 4 });
      offset += bytes;
    }
    return { k, tUs, rects, pixels: this.buf };
  }

  private readFull(dst: Uint8Array, n: number, eofOk: boolean): boolean {
    let got = 0;
    while (got < n) {
      const r = readSync(this.fd, dst, got, n - got, null);
      if (r === 0) {
        if (eofOk && got === 0) return false;
        throw new Error('frame stream: truncated');
      }
      got += r;
    }
    return true;
  }

  private readInto(dst: Uint8Array, offset: number, n: number): void {
    let got = 0;
    while (got < n) {
      const r = readSync(this.fd, dst, offset + got, n - got, null);
      if (r === 0) throw new Error('frame stream: truncated');
      got += r;
    }
  }
}
