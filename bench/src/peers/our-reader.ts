/**
 * Our server's stream reader in the `peers` benchmark: a worker thread that reads the frame
 * stream (`gen_frames` through a FIFO) and puts each frame into the shared {@link FrameSlot} (a
 * screen image, like xfeed's shared-memory image), one frame at a time, for the replay guest (`our-guest.ts`) to copy into VRAM. It does what Xvnc's feeder process
 * and libvncserver's reader thread do, and the runner counts its CPU apart from the server's
 * (see `frame-slot.ts`).
 *
 * Protocol with its parent (`our-server.ts`): posts `{type:'ready', tid}` (its OS thread id) at
 * once, `{type:'error', message}` if reading fails. It stays after the end of the stream, until
 * terminated.
 */

import { closeSync, openSync, readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { FrameSlot, type FrameSlotBuffers } from './frame-slot.js';
import { FrameStreamReader } from './stream.js';

/** What the reader thread is started with. */
export interface OurReaderData {
  /** The frame stream (a FIFO path). */
  readonly stream: string;
  readonly slot: FrameSlotBuffers;
}

/** Messages the reader thread posts. */
export type OurReaderMessage = { type: 'ready'; tid: number } | { type: 'error'; message: string };

const data = workerData as OurReaderData;
const port = parentPort!;
const slot = new FrameSlot(data.slot);
port.postMessage({ type: 'ready', tid: Number(readlinkSync('/proc/thread-self').split('/').pop()) } satisfies OurReaderMessage);
try {
  const fd = openSync(data.stream, 'r');
  const reader = new FrameStreamReader(fd);
  for (;;) {
    const f = reader.next(); // out of the pipe while the guest may still copy the previous frame
    if (!f) break;
    slot.waitEmpty();
    slot.publish(f);
  }
  closeSync(fd);
  slot.waitEmpty(); // the guest has the last frame
  slot.end();
  // Stay until terminated: the runner reads this thread's CPU time after the last frame.
  port.on('message', () => undefined);
} catch (e) {
  slot.fail();
  port.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies OurReaderMessage);
}
