/** An in-memory, resizable FramebufferSource and a recording InputSink for tests. */
import type { InputEvent, InputSink } from '@openvmm-vnc-ts/video-core';
import type { FramebufferSource } from '../../src/framebuffer-source.js';

/** Pixels are 4 bytes each, little-endian 0x00RRGGBB (bytes B, G, R, X). */
export class MemFramebuffer implements FramebufferSource {
  width: number;
  height: number;
  data: Uint8Array;
  /** Every readRow call, for checking that reads stay in bounds. */
  reads = 0;

  constructor(width: number, height: number, fill?: (x: number, y: number) => number) {
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 4);
    if (fill) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) this.setPixel(x, y, fill(x, y));
  }

  setPixel(x: number, y: number, rgb: number): void {
    const o = (y * this.width + x) * 4;
    this.data[o] = rgb & 0xff;
    this.data[o + 1] = (rgb >>> 8) & 0xff;
    this.data[o + 2] = (rgb >>> 16) & 0xff;
    this.data[o + 3] = 0;
  }

  pixel(x: number, y: number): number {
    const o = (y * this.width + x) * 4;
    return this.data[o]! | (this.data[o + 1]! << 8) | (this.data[o + 2]! << 16);
  }

  /** Replaces the surface with a new size (contents from `fill`, or black). */
  resize(width: number, height: number, fill?: (x: number, y: number) => number): void {
    this.width = width;
    this.height = height;
    this.data = new Uint8Array(width * height * 4);
    if (fill) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) this.setPixel(x, y, fill(x, y));
  }

  /** The raw bytes of a rectangle, row by row. */
  rectBytes(x: number, y: number, w: number, h: number): Uint8Array {
    const out = new Uint8Array(w * h * 4);
    for (let r = 0; r < h; r++) out.set(this.data.subarray(((y + r) * this.width + x) * 4, ((y + r) * this.width + x + w) * 4), r * w * 4);
    return out;
  }

  readRow(y: number, x: number, w: number, dst: Uint8Array, dstOffset: number): void {
    if (y < 0 || y >= this.height || x < 0 || w < 0 || x + w > this.width) {
      throw new RangeError(`readRow out of bounds: y=${y} x=${x} w=${w} on ${this.width}x${this.height}`);
    }
    this.reads++;
    const o = (y * this.width + x) * 4;
    dst.set(this.data.subarray(o, o + w * 4), dstOffset);
  }
}

/** An InputSink that records what it is sent. */
export class RecordingSink implements InputSink {
  readonly events: InputEvent[] = [];
  private waiters: { n: number; resolve: () => void }[] = [];

  send(event: InputEvent): void {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => {
      if (this.events.length >= w.n) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  /** Resolves once at least `n` events have been recorded (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs = 2000): Promise<InputEvent[]> {
    if (this.events.length >= n) return Promise.resolve(this.events);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${n} input events (have ${this.events.length})`)), timeoutMs);
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.events);
        },
      });
    });
  }
}
