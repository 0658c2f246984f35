/**
 * What every built-in guest takes and returns.
 *
 * A guest is handed the same three things a VM's video driver has: the VRAM (shared memory it
 * draws into), the synthvid channel to the host device, and the synthetic keyboard/mouse
 * channel. Keeping the shape common lets `worker-entry.ts` start any guest the same way, on
 * its own thread or (in tests) on the caller's.
 */

import type { MessagePort } from 'node:worker_threads';
import { BYTES_PER_PIXEL } from '../framebuffer.js';
import type { InputEvent } from '../input.js';
import type { Logger } from '../log.js';

/** Default surface width of the built-in guests. */
export const GUEST_DEFAULT_WIDTH = 1024;
/** Default surface height of the built-in guests. */
export const GUEST_DEFAULT_HEIGHT = 768;

/** Inputs of a built-in guest. */
export interface GuestOptions {
  /** The VRAM (8 MiB shared memory); the guest's surface starts at byte 0. */
  readonly vram: SharedArrayBuffer;
  /** Synthvid channel to the host device (packets are `Uint8Array`s). */
  readonly video: MessagePort;
  /** Input channel: the host posts {@link InputEvent} objects here. */
  readonly input: MessagePort;
  /** Surface width; default {@link GUEST_DEFAULT_WIDTH}. */
  readonly width?: number;
  /** Surface height; default {@link GUEST_DEFAULT_HEIGHT}. */
  readonly height?: number;
  /** Where to log; default silent. */
  readonly logger?: Logger;
  /** Timeout for each host reply during bring-up; default 5 s. */
  readonly timeoutMs?: number;
}

/** A running guest. */
export interface GuestHandle {
  /** Resolves once the device is up and the first full frame is drawn and reported (DIRT sent); rejects if bring-up failed. */
  readonly ready: Promise<void>;
  /** Stops the guest: clears its timers, detaches from and closes both ports. Idempotent. */
  stop(): void;
}

/** The surface size from `opts`, checked to be integers that fit the VRAM at pitch `width*4`. */
export function guestSurfaceSize(opts: GuestOptions): { width: number; height: number } {
  const width = opts.width ?? GUEST_DEFAULT_WIDTH;
  const height = opts.height ?? GUEST_DEFAULT_HEIGHT;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0xffff || height > 0xffff) {
    throw new RangeError(`invalid guest surface size ${width}x${height}`);
  }
  if (width * height * BYTES_PER_PIXEL > opts.vram.byteLength) {
    throw new RangeError(`guest surface ${width}x${height} does not fit in ${opts.vram.byteLength} bytes of VRAM`);
  }
  return { width, height };
}

/** Validates a structured-cloned input message; `undefined` when it is not an {@link InputEvent}. */
export function parseInputEvent(data: unknown): InputEvent | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Record<string, unknown>;
  if (d.kind === 'keyboard' && typeof d.code === 'number' && typeof d.make === 'boolean') {
    return { kind: 'keyboard', code: d.code, make: d.make };
  }
  if (d.kind === 'mouse' && typeof d.buttons === 'number' && typeof d.x === 'number' && typeof d.y === 'number') {
    return { kind: 'mouse', buttons: d.buttons, wheel: typeof d.wheel === 'number' ? d.wheel : 0, x: d.x, y: d.y };
  }
  return undefined;
}

/** Swallows a rejection on a promise we hand out, so nobody awaiting it is not an unhandled rejection. */
export function quietly<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}
