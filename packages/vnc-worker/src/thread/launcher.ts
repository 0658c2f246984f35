/**
 * Launcher-side helpers: build a worker's channels from the VM's objects. The VM keeps one end
 * of each channel; the worker gets the other.
 */

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { DirtyRect, FramebufferView } from '@openvmm-vnc-ts/video-core';
import { encodeDirtBatch } from '@openvmm-vnc-ts/vnc-worker-defs';

/** Forwards every format change of `view` to a new port; returns the worker's end. */
export function formatChannel(view: FramebufferView): MessagePort {
  const { port1, port2 } = new MessageChannel();
  view.onFormat((f) => port1.postMessage({ ...f }));
  port1.unref();
  return port2;
}

/** The device side of a dirt channel. */
export interface DirtSender {
  /** Sends one DIRT message's rects. */
  send(rects: readonly DirtyRect[]): void;
  /** Closes the channel; the worker falls back to tile diff. */
  close(): void;
}

/** Creates a dirt channel: the device sends on the returned sender, the worker gets `port`. */
export function dirtChannel(): { sender: DirtSender; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  port1.unref();
  return {
    port: port2,
    sender: {
      send(rects) {
        const batch = encodeDirtBatch(rects);
        port1.postMessage(batch, [batch.buffer as ArrayBuffer]);
      },
      close() {
        port1.close();
      },
    },
  };
}
