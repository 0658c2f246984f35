/**
 * A one-frame mailbox in shared memory between our server's stream-reader thread and its replay
 * guest, in the `peers` benchmark. The reader fills it from the frame stream (the pixels go
 * straight from the FIFO into the slot); the guest waits for the frame's time, copies it into
 * VRAM, reports the DIRT and empties the slot, while the reader already waits to read the next.
 *
 * Why a thread of its own: reading the frame stream out of the pipe is the benchmark's delivery,
 * not the server's work. Xvnc gets its frames from a separate X client process (`xfeed`, which
 * reads the pipe and hands Xvnc the pixels in shared memory) and libvncserver's harness from a
 * reader thread; our reader thread stands in the same place, so the runner can count the three
 * servers' CPU alike: everything but the stream reading.
 *
 * Control words (Int32): state, then k, t_us, rect count, then 5 per rect (x, y, w, h, offset).
 */

import { FRAME_STREAM_MAX_RECTS, type StreamFrame, type StreamRect } from './stream.js';

const STATE = 0;
const K = 1;
const T_US = 2;
const COUNT = 3;
const RECTS = 4;
const PER_RECT = 5;
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
}

/** Allocates a slot that holds frames of up to `pixelBytes` bytes of pixels. */
export function createFrameSlot(pixelBytes: number): FrameSlotBuffers {
  return { control: new SharedArrayBuffer(CONTROL_WORDS * 4), pixels: new SharedArrayBuffer(pixelBytes) };
}

/** One thread's view of a slot: the reader calls `waitEmpty`/`publish`/`end`/`fail`, the guest `take`/`release`. */
export class FrameSlot {
  private readonly ctl: Int32Array;
  /** Where the reader puts a frame's pixels (B, G, R, 0), one rect after another. */
  readonly pixels: Uint8Array;

  constructor(buffers: FrameSlotBuffers) {
    this.ctl = new Int32Array(buffers.control);
    this.pixels = new Uint8Array(buffers.pixels);
  }

  /** Reader: blocks until the guest has emptied the slot. */
  waitEmpty(): void {
    while (Atomics.load(this.ctl, STATE) === FULL) Atomics.wait(this.ctl, STATE, FULL);
  }

  /** Reader: hands over `frame`, whose pixels are already in {@link pixels}. */
  publish(frame: StreamFrame): void {
    if (frame.pixels.buffer !== this.pixels.buffer) throw new Error('frame slot: the frame was not read into the slot');
    const c = this.ctl;
    c[K] = frame.k;
    c[T_US] = frame.tUs;
    c[COUNT] = frame.rects.length;
    frame.rects.forEach((r, i) => {
      const at = RECTS + PER_RECT * i;
      c[at] = r.x;
      c[at + 1] = r.y;
      c[at + 2] = r.w;
      c[at + 3] = r.h;
      c[at + 4] = r.offset;
    });
    this.setState(FULL);
  }

  /** Reader: the stream ended. */
  end(): void {
    this.setState(END);
  }

  /** Reader: reading failed; the guest's `take` throws. */
  fail(): void {
    this.setState(FAILED);
  }

  /** Guest: blocks until the next frame is in the slot; `undefined` at the end of the stream. */
  take(): StreamFrame | undefined {
    let s: number;
    while ((s = Atomics.load(this.ctl, STATE)) === EMPTY) Atomics.wait(this.ctl, STATE, EMPTY);
    if (s === END) return undefined;
    if (s === FAILED) throw new Error('frame slot: the stream reader failed');
    const c = this.ctl;
    const rects: StreamRect[] = [];
    for (let i = 0; i < c[COUNT]!; i++) {
      const at = RECTS + PER_RECT * i;
      rects.push({ x: c[at]!, y: c[at + 1]!, w: c[at + 2]!, h: c[at + 3]!, offset: c[at + 4]! });
    }
    return { k: c[K]!, tUs: c[T_US]!, rects, pixels: this.pixels };
  }

  /** Guest: done with the frame taken last; the reader may overwrite the slot. */
  release(): void {
    this.setState(EMPTY);
  }

  private setState(s: number): void {
    Atomics.store(this.ctl, STATE, s);
    Atomics.notify(this.ctl, STATE);
  }
}
