/**
 * Our server in the `peers` benchmark, in a process of its own (so that its CPU time and RSS
 * are measured from outside, through /proc, exactly as the peers' are). Wired as the CLI wires
 * a VM with `--vnc --gfx` (`packages/openvmm-cli/src/vm.ts`): 8 MiB shared VRAM, a guest on its
 * own thread (here the replay guest, `our-guest.ts`, fed by the stream-reader thread
 * `our-reader.ts`), the `SynthvidDevice` on the main thread
 * forwarding each DIRT message to the dirt channel, and the `VncWorker` thread serving RFB on
 * 127.0.0.1 (port 0, default parameters otherwise: 16 clients, share-all, 30 ms interval), with
 * the CLI's process-wide V8 flags (`applyVncProcessV8Flags`) set before any thread starts.
 *
 *   node our-server.js STREAM TIME_LOG      (forked with IPC by peers.ts)
 *
 * IPC: posts `{type:'ready', port, guestTid, readerTid}` (the OS thread ids of the replay guest
 * and of the stream reader) once the worker listens and frame 0 is in VRAM; `{op:'go'}`
 * starts the replay; posts `{type:'done', frames}` when the stream ends; `{op:'stop'}` stops
 * everything and exits.
 */

import { MessageChannel, Worker } from 'node:worker_threads';
import { FramebufferView, SynthvidDevice, Vram } from '@openvmm-vnc-ts/video-core';
import { VncWorker, applyVncProcessV8Flags, dirtChannel, formatChannel, pointerChannel } from '@openvmm-vnc-ts/vnc-worker';
import { defaultVncParameters } from '@openvmm-vnc-ts/vnc-worker-defs';
import { createFrameSlot } from './frame-slot.js';
import type { OurGuestData, OurGuestMessage } from './our-guest.js';
import type { OurReaderData, OurReaderMessage } from './our-reader.js';

/** Replies to the parent. */
export type OurServerMessage = { type: 'ready'; port: number; guestTid: number; readerTid: number } | { type: 'done'; frames: number } | { type: 'error'; message: string };
/** Requests from the parent. */
export type OurServerRequest = { op: 'go' } | { op: 'stop' };

const WIDTH = 1920;
const HEIGHT = 1080;

function send(m: OurServerMessage): void {
  process.send?.(m);
}

async function main(): Promise<void> {
  // As the CLI does first thing (packages/openvmm-cli/src/main.ts); PEERS_OURS_V8_DEFAULTS=1
  // leaves V8 as it is, to measure what the flags change.
  if (process.env.PEERS_OURS_V8_DEFAULTS !== '1') applyVncProcessV8Flags();
  const [stream, timeLog] = process.argv.slice(2);
  if (!stream || !timeLog) throw new Error('usage: our-server.js STREAM TIME_LOG');
  const vram = new Vram();
  const view = new FramebufferView(vram);
  const video = new MessageChannel();
  const input = new MessageChannel();
  input.port1.on('message', () => {}); // the guest ignores input, but the port drains
  const dirt = dirtChannel();
  const pointer = pointerChannel();
  const device = new SynthvidDevice({
    port: video.port1,
    view,
    onDirt: (rects) => dirt.sender.send(rects),
    onClose: () => dirt.sender.close(),
    onPointerShape: (shape) => pointer.sender.shape(shape),
    onPointerPosition: (p) => pointer.sender.visible(p.visible),
  });
  const slot = createFrameSlot(WIDTH, HEIGHT);
  const readerData: OurReaderData = { stream, slot };
  const reader = new Worker(new URL('./our-reader.js', import.meta.url), { workerData: readerData });
  const readerReady = new Promise<number>((resolve, reject) => {
    reader.on('message', (m: OurReaderMessage) => {
      if (m.type === 'ready') resolve(m.tid);
      else {
        reject(new Error(m.message));
        send({ type: 'error', message: m.message });
      }
    });
    reader.on('error', reject);
  });
  const guestData: OurGuestData = { vram: vram.buffer, video: video.port2, slot, timeLog, width: WIDTH, height: HEIGHT };
  const guest = new Worker(new URL('./our-guest.js', import.meta.url), { workerData: guestData, transferList: [video.port2] });
  const guestReady = new Promise<number>((resolve, reject) => {
    guest.on('message', (m: OurGuestMessage) => {
      if (m.type === 'ready') resolve(m.tid);
      else if (m.type === 'done') send({ type: 'done', frames: m.frames });
      else {
        reject(new Error(m.message));
        send({ type: 'error', message: m.message });
      }
    });
    guest.on('error', reject);
  });
  const [readerTid, guestTid] = await Promise.all([readerReady, guestReady]);
  const vnc = await VncWorker.start({
    params: defaultVncParameters({ listener: { host: '127.0.0.1', port: 0 } }),
    channels: {
      vram: vram.buffer,
      format: view.format,
      formatPort: formatChannel(view),
      input: input.port2,
      dirt: dirt.port,
      pointer: pointer.port,
    },
  });
  process.on('message', (m: OurServerRequest) => {
    if (m.op === 'go') guest.postMessage('go');
    else if (m.op === 'stop') {
      void (async () => {
        await vnc.stop();
        device.close();
        await guest.terminate();
        void reader.terminate(); // it may sit in a blocking read of the FIFO
        process.exit(0);
      })();
    }
  });
  send({ type: 'ready', port: vnc.port, guestTid, readerTid });
}

main().catch((e: unknown) => {
  send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exitCode = 1;
});
