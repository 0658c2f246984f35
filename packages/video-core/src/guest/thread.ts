/**
 * Runs a built-in guest on its own thread, the way a VM's vCPU runs apart from its devices.
 *
 * {@link spawnGuestThread} starts a `worker_threads` Worker on `worker-entry.js`, sharing the
 * VRAM `SharedArrayBuffer` with it and handing it the guest ends of two `MessageChannel`s: the
 * synthvid channel and the input channel. The caller keeps the host ends: it attaches the
 * synthvid device to `video` and posts `InputEvent`s to `input`. The guest then draws
 * into VRAM concurrently with the host reading it, exactly the situation the VNC server must
 * cope with.
 *
 * The worker file is the compiled `dist/guest/worker-entry.js`; from TypeScript sources (e.g.
 * under vitest) it only exists after `tsc -b`.
 */

import { MessageChannel, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { Vram } from '../framebuffer.js';
import { silentLogger } from '../log.js';
import type { Logger, LogLevel } from '../log.js';

/** The built-in guests. */
export type GuestKind = 'demo' | 'test-card';

/** Every {@link GuestKind}, e.g. for CLI validation. */
export const GUEST_KINDS: readonly GuestKind[] = Object.freeze(['demo', 'test-card'] as const);

/** True when `s` names a built-in guest. */
export function isGuestKind(s: string): s is GuestKind {
  return (GUEST_KINDS as readonly string[]).includes(s);
}

/** Options for {@link spawnGuestThread}. */
export interface GuestThreadOptions {
  /** Surface width; default 1024. */
  readonly width?: number;
  /** Surface height; default 768. */
  readonly height?: number;
  /** Log level inside the worker (which logs to stderr); default `warn`. */
  readonly logLevel?: LogLevel;
  /** Host-side logger for worker errors and exits; default silent. */
  readonly logger?: Logger;
}

/** What the worker receives as `workerData`. */
export interface GuestWorkerData {
  /** Which guest to run. */
  readonly kind: GuestKind;
  /** The shared VRAM. */
  readonly vram: SharedArrayBuffer;
  /** Surface width, or the guest's default. */
  readonly width: number | undefined;
  /** Surface height, or the guest's default. */
  readonly height: number | undefined;
  /** Guest end of the synthvid channel. */
  readonly video: MessagePort;
  /** Guest end of the input channel. */
  readonly input: MessagePort;
  /** Log level inside the worker, or `warn`. */
  readonly logLevel: LogLevel | undefined;
}

/** A guest running on its own thread (host side). */
export interface GuestThread {
  /** Host end of the synthvid channel: attach the device here (packets are `Uint8Array`s). */
  readonly video: MessagePort;
  /** Host end of the input channel: post `InputEvent`s here. */
  readonly input: MessagePort;
  /** The worker itself. */
  readonly worker: Worker;
  /** Stops the worker and closes the host ends of both channels. Idempotent. */
  terminate(): Promise<void>;
}

/** URL of the compiled worker entry next to this module. */
export const GUEST_WORKER_URL: URL = new URL('./worker-entry.js', import.meta.url);

/**
 * Starts guest `kind` on a new worker thread drawing into `vram`. Resolves once the worker is
 * online; rejects if it fails to start (e.g. the worker file is not built).
 */
export function spawnGuestThread(kind: GuestKind, vram: Vram, opts: GuestThreadOptions = {}): Promise<GuestThread> {
  if (!isGuestKind(kind)) return Promise.reject(new TypeError(`unknown guest kind ${String(kind)}`));
  const log = (opts.logger ?? silentLogger).child('guest-thread', { kind });
  const video = new MessageChannel();
  const input = new MessageChannel();
  const data: GuestWorkerData = {
    kind,
    vram: vram.buffer,
    width: opts.width,
    height: opts.height,
    video: video.port2,
    input: input.port2,
    logLevel: opts.logLevel,
  };
  let worker: Worker;
  try {
    worker = new Worker(GUEST_WORKER_URL, { workerData: data, transferList: [video.port2, input.port2] });
  } catch (e) {
    video.port1.close();
    input.port1.close();
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  let terminated: Promise<void> | undefined;
  const terminate = (): Promise<void> => {
    terminated ??= (async () => {
      video.port1.close();
      input.port1.close();
      await worker.terminate();
    })();
    return terminated;
  };
  return new Promise<GuestThread>((resolve, reject) => {
    let online = false;
    worker.once('online', () => {
      online = true;
      resolve({ video: video.port1, input: input.port1, worker, terminate });
    });
    worker.on('error', (e) => {
      log.error('guest thread failed', { error: String(e) });
      if (!online) {
        void terminate();
        reject(e);
      }
    });
    worker.once('exit', (code) => {
      log.debug('guest thread exited', { code });
      if (!online) {
        void terminate();
        reject(new Error(`guest thread exited with code ${code} before starting`));
      }
    });
  });
}
