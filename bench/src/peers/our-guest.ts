/**
 * Our server's feeder in the `peers` benchmark: a replay guest on its own worker thread (as a
 * vCPU runs apart from the devices). It brings the synthvid device up with the real guest
 * driver (`SynthvidGuestDriver`: version, VRAM location, a 1920x1080x32 situation), then replays
 * a frame stream: for each frame it copies the changed rects into the shared VRAM and reports
 * them with one synthvid DIRT message, exactly what a guest video driver does. The frames come
 * from the stream-reader thread (`our-reader.ts`) through a shared {@link FrameSlot}, as Xvnc's
 * come from its feeder's shared memory; the pipe reading is not this thread's work.
 *
 * Protocol with its parent (`our-server.ts`): posts `{type:'ready', tid}` (its OS thread id) once frame 0 is in VRAM
 * and reported; on `'go'` replays frames 1.. at their times (`tUs` after the go), blocking
 * between frames (Atomics.wait), and logs "k t_ns" per frame (`process.hrtime.bigint()`, i.e.
 * CLOCK_MONOTONIC, just before the frame's first pixel is written) to the time log; then posts
 * `{type:'done', frames}`.
 */

import { readlinkSync, writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { type DirtyRect, SynthvidGuestDriver } from '@openvmm-vnc-ts/video-core';
import { FrameSlot, type FrameSlotBuffers } from './frame-slot.js';
import { copyRect, type StreamFrame } from './stream.js';

/** What the guest thread is started with. */
export interface OurGuestData {
  readonly vram: SharedArrayBuffer;
  /** Guest end of the synthvid channel. */
  readonly video: MessagePort;
  /** The slot the stream reader fills. */
  readonly slot: FrameSlotBuffers;
  /** Where to write "k t_ns" lines. */
  readonly timeLog: string;
  readonly width: number;
  readonly height: number;
}

/** Messages the guest thread posts. */
export type OurGuestMessage = { type: 'ready'; tid: number } | { type: 'done'; frames: number } | { type: 'error'; message: string };

const data = workerData as OurGuestData;
const port = parentPort!;
const post = (m: OurGuestMessage): void => port.postMessage(m);
const vram = new Uint8Array(data.vram);
const stride = data.width * 4;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function write(f: StreamFrame): DirtyRect[] {
  const rects: DirtyRect[] = [];
  for (const r of f.rects) {
    copyRect(f, r, vram, r.y * stride + r.x * 4, stride);
    rects.push({ left: r.x, top: r.y, right: r.x + r.w, bottom: r.y + r.h });
  }
  return rects;
}

async function main(): Promise<void> {
  const driver = new SynthvidGuestDriver(data.video);
  await driver.connect({ width: data.width, height: data.height });
  const slot = new FrameSlot(data.slot);
  const first = slot.take();
  if (!first || first.k !== 0) throw new Error('no frame 0 in the stream');
  const firstRects = write(first);
  slot.release();
  driver.sendDirt(firstRects);
  // Our OS thread id (/proc/thread-self -> PID/task/TID), so the runner can tell this thread's
  // CPU time from the server's.
  post({ type: 'ready', tid: Number(readlinkSync('/proc/thread-self').split('/').pop()) });
  await new Promise<void>((resolve) => port.once('message', () => resolve()));
  const t0 = process.hrtime.bigint();
  const lines: string[] = [];
  let frames = 0;
  for (let f = slot.take(); f; f = slot.take()) {
    const due = t0 + BigInt(f.tUs) * 1000n;
    let now = process.hrtime.bigint();
    if (now < due) {
      Atomics.wait(sleeper, 0, 0, Number(due - now) / 1e6);
      now = process.hrtime.bigint();
    }
    lines.push(`${f.k} ${now}`);
    const rects = write(f);
    slot.release();
    driver.sendDirt(rects);
    frames++;
  }
  writeFileSync(data.timeLog, `${lines.join('\n')}\n`);
  post({ type: 'done', frames });
}

main().catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
