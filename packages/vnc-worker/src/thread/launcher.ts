/**
 * Launcher-side helpers: build a worker's channels from the VM's objects. The VM keeps one end
 * of each channel; the worker gets the other.
 */

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { DirtyRect, FramebufferView, PointerShape } from '@openvmm-vnc-ts/video-core';
import { type PointerMessage, encodeDirtBatch } from '@openvmm-vnc-ts/vnc-worker-defs';

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

/** The device side of a pointer channel. */
export interface PointerSender {
  /** The guest set a new pointer shape. */
  shape(shape: PointerShape): void;
  /** The guest showed or hid the pointer (only changes are sent). */
  visible(visible: boolean): void;
}

/** Creates a pointer channel: the device reports on the sender, the worker gets `port`. */
export function pointerChannel(): { sender: PointerSender; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  port1.unref();
  let last: boolean | undefined;
  const post = (m: PointerMessage): void => port1.postMessage(m);
  return {
    port: port2,
    sender: {
      shape: (shape) => post({ type: 'shape', shape }),
      visible(visible) {
        if (visible === last) return;
        last = visible;
        post({ type: 'visible', visible });
      },
    },
  };
}
