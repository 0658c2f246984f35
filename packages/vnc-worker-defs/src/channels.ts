/**
 * The channels between the VM and the VNC worker thread, and the wire format of what crosses
 * them. Like OpenVMM's `VncParameters`, the worker gets everything it talks to at start: the
 * VRAM (a `SharedArrayBuffer`, mapped by both sides), the current framebuffer format and a port
 * for format changes, the guest's input port, and optionally the device's dirt port. The worker
 * reaches the VM through nothing else.
 *
 * Dirty rectangles travel as one `Int32Array` per DIRT message (left, top, right, bottom per
 * rect), transferred rather than copied.
 */

import type { MessagePort } from 'node:worker_threads';
import type { DirtyRect, FramebufferFormat, PointerShape } from '@openvmm-vnc-ts/video-core';
import { VncParametersError } from './errors.js';
import { type VncParameters, validateVncParameters } from './params.js';

/** What the worker is connected to. */
export interface VncWorkerChannels {
  /** The VRAM, shared with the guest and the device. */
  vram: SharedArrayBuffer;
  /** The framebuffer format at start. */
  format: FramebufferFormat;
  /** Receives each new {@link FramebufferFormat} (plain objects). */
  formatPort: MessagePort;
  /** Where the worker posts `InputEvent`s for the guest's keyboard and mouse. */
  input: MessagePort;
  /** Receives dirt batches ({@link encodeDirtBatch}); absent without a synthetic video device. */
  dirt?: MessagePort;
  /** Receives {@link PointerMessage}s (the guest's cursor shape and visibility); optional. */
  pointer?: MessagePort;
}

/** The guest's pointer, as the synthetic video device reports it. */
export type PointerMessage =
  | { readonly type: 'shape'; readonly shape: PointerShape }
  | { readonly type: 'visible'; readonly visible: boolean };

/** Everything a VNC worker thread starts from. */
export interface VncWorkerInit {
  params: VncParameters;
  channels: VncWorkerChannels;
}

/** Encodes rects for the dirt port: 4 int32 per rect. */
export function encodeDirtBatch(rects: readonly DirtyRect[]): Int32Array {
  const out = new Int32Array(rects.length * 4);
  rects.forEach((r, i) => {
    out[i * 4] = r.left;
    out[i * 4 + 1] = r.top;
    out[i * 4 + 2] = r.right;
    out[i * 4 + 3] = r.bottom;
  });
  return out;
}

/** Decodes a dirt batch; anything that is not an Int32Array of whole rects yields `undefined`. */
export function decodeDirtBatch(data: unknown): DirtyRect[] | undefined {
  if (!(data instanceof Int32Array) || data.length % 4 !== 0) return undefined;
  const rects: DirtyRect[] = new Array(data.length / 4);
  for (let i = 0; i < rects.length; i++) {
    rects[i] = { left: data[i * 4]!, top: data[i * 4 + 1]!, right: data[i * 4 + 2]!, bottom: data[i * 4 + 3]! };
  }
  return rects;
}

function isPort(v: unknown): v is MessagePort {
  return typeof v === 'object' && v !== null && typeof (v as MessagePort).postMessage === 'function' && typeof (v as MessagePort).on === 'function';
}

/** Validates a {@link VncWorkerInit}; throws {@link VncParametersError} naming the field. */
export function validateVncWorkerInit(input: unknown): VncWorkerInit {
  if (typeof input !== 'object' || input === null) throw new VncParametersError('', 'worker init must be an object');
  const { params, channels } = input as Partial<VncWorkerInit>;
  const validParams = validateVncParameters(params);
  if (typeof channels !== 'object' || channels === null) throw new VncParametersError('channels', 'must be an object');
  if (!(channels.vram instanceof SharedArrayBuffer)) throw new VncParametersError('channels.vram', 'must be a SharedArrayBuffer');
  const f = channels.format;
  if (typeof f !== 'object' || f === null || ![f.width, f.height, f.stride, f.offset].every((v) => Number.isSafeInteger(v) && v >= 0)) {
    throw new VncParametersError('channels.format', 'must be {width, height, stride, offset} of non-negative integers');
  }
  if (!isPort(channels.formatPort)) throw new VncParametersError('channels.formatPort', 'must be a MessagePort');
  if (!isPort(channels.input)) throw new VncParametersError('channels.input', 'must be a MessagePort');
  if (channels.dirt !== undefined && !isPort(channels.dirt)) throw new VncParametersError('channels.dirt', 'must be a MessagePort when present');
  if (channels.pointer !== undefined && !isPort(channels.pointer)) throw new VncParametersError('channels.pointer', 'must be a MessagePort when present');
  return { params: validParams, channels: channels as VncWorkerChannels };
}
