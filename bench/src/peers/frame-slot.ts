/**
 * A one-frame mailbox in shared memory between our server's stream-reader thread and its replay
 * guest, in the `peers` benchmark. The slot is a whole screen image, as the MIT-SHM image of
 * Xvnc's feeder (`xfeed.c`) is: the reader puts each rect of a frame at its place on the screen;
 * the guest waits for the frame's time, copies the rects from there into VRAM (the same offsets,
 * so the copy out of shared memory runs word by word), reports the DIRT and empties the slot,
 * while the reader already reads the next frame out of the pipe.
 *
 * Why a thread of its own: reading the frame stream out of the pipe is the benchmark's delivery,
 * not the server's work. Xvnc gets its frames from a separate X client process (`xfeed`, which
 * reads the pipe and hands Xvnc the pixels in shared memory) and libvncserver's harness from a
 * reader thread; our reader thread stands in the same place, so the runner can count the three
 * servers' CPU alike: everything but the stream reading.
 *
 * Control words (Int32): state, then k, t_us, rect count, then 4 per rect (x, y, w, h).
 */

import { FRAME_STREAM_MAX_RECTS, copyRect, type StreamFrame, type StreamRect } from './stream.js';

const STATE = 0;
const K = 1;
const T_US = 2;
const COUNT = 3;
const RECTS = 4;
const PER_RECT = 4;
const CONTROL_WORDS = RECTS + PER_RECT * FRAME_STREAM_MAX_RECTS;

/** Slot states. */
const EMPTY = 0;
const FULL = 1;
const END = 2;
const FAILED = 3;

/** The shared memory of one slot, as passed to both threads in `workerData`. */
export interface FrameSlotBuffers {
  readonly control: SharedArrayBuffer;
  readonly pixels: SharedArrayBuffer;
  readonly width: number;
  readonly height: number;
}

/** Allocates a slot for a `width` x `height` screen (32 bpp, rows `width * 4` bytes apart). */
export function createFrameSlot(width: number, height: number): FrameSlotBuffers {
  return { control: new SharedArrayBuffer(CONTROL_WORDS * 4), pixels: new SharedArrayBuffer(width * height * 4), width, height };
}

/** One thread's view of a slot: the reader calls `waitEmpty`/`publish`/`end`/`fail`, the guest `take`/`release`. */
export class FrameSlot {
  private readonly ctl: Int32Array;
  /** The screen image the rects are put into (B, G, R, 0; rows {@link stride} bytes apart). */
  readonly pixels: Uint8Array;
  readonly stride: number;

  constructor(private readonly buffers: FrameSlotBuffers) {
    this.ctl = new Int32Array(buffers.control);
    this.pixels = new Uint8Array(buffers.pixels);
    this.stride = buffers.width * 4;
  }

  /** Reader: blocks until the guest has emptied the slot. */
  waitEmpty(): void {
    while (Atomics.load(this.ctl, STATE) === FULL) Atomics.wait(this.ctl, STATE, FULL);
  }

  /** Reader: puts `frame`'s rects at their places in the screen image and hands the frame over. */
  publish(frame: StreamFrame): void {
    const c = this.ctl;
    c[K] = frame.k;
    c[T_US] = frame.tUs;
    c[COUNT] = frame.rects.length;
    frame.rects.forEach((r, i) => {
      if (r.x + r.w > this.buffers.width || r.y + r.h > this.buffers.height) throw new Error(`frame slot: rect ${r.w}x${r.h}+${r.x}+${r.y} is off the screen`);
      copyRect(frame, r, this.pixels, r.y * this.stride + r.x * 4, this.stride);
      const at = RECTS + PER_RECT * i;
      c[at] = r.x;
      c[at + 1] = r.y;
      c[at + 2] = r.w;
      c[at + 3] = r.h;
    });
    this.setState(FULL);
  }

  /** Reader: the stream ended (call it once the slot is empty, or the last frame is lost). */
  end(): void {
    this.setState(END);
  }

  /** Reader: reading failed; the guest's `take` throws. */
  fail(): void {
    this.setState(FAILED);
  }

  /** Guest: blocks until the next frame is in the slot (its rects located in the screen image); `undefined` at the end of the stream. */
  take(): StreamFrame | undefined {
    let s: number;
    while ((s = Atomics.load(this.ctl, STATE)) === EMPTY) Atomics.wait(this.ctl, STATE, EMPTY);
    if (s === END) return undefined;
    if (s === FAILED) throw new Error('frame slot: the stream reader failed');
    const c = this.ctl;
    const rects: StreamRect[] = [];
    for (let i = 0; i < c[COUNT]!; i++) {
      const at = RECTS + PER_RECT * i;
      const x = c[at]!;
      const y = c[at + 1]!;
      rects.push({ x, y, w: c[at + 2]!, h: c[at + 3]!, offset: y * this.stride + x * 4, pitch: this.stride });
    }
    return { k: c[K]!, tUs: c[T_US]!, rects, pixels: this.pixels };
  }

  /**
   * Guest: done with the frame taken last; the reader may overwrite the slot. Only a full slot
   * is emptied: a reader that failed meanwhile (FAILED) stays failed, so the next `take` throws
   * instead of waiting for ever.
   */
  release(): void {
    Atomics.compareExchange(this.ctl, STATE, FULL, EMPTY);
    Atomics.notify(this.ctl, STATE);
  }

  private setState(s: number): void {
    Atomics.store(this.ctl, STATE, s);
    Atomics.notify(this.ctl, STATE);
  }
}
