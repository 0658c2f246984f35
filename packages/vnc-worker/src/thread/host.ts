/**
 * `VncWorker`: the host-side handle of a VNC worker thread. It starts the thread with a
 * {@link VncWorkerInit} (parameters plus channels, the ports transferred), waits until the
 * worker listens, and offers `inspect()`, `restart()` and `stop()` over a control port.
 */

import { MessageChannel, Worker } from 'node:worker_threads';
import type { LogLevel } from '@openvmm-vnc-ts/video-core';
import type { VncParameters, VncWorkerInit } from '@openvmm-vnc-ts/vnc-worker-defs';
import type { ControlMessage, ControlRequest, WorkerBoot } from './protocol.js';

/** Where the worker thread's entry file is (next to this module once built). */
export const VNC_WORKER_URL: URL = new URL('./worker-main.js', import.meta.url);

/** The error a failed start rejects with; `code` is the listener's errno code (e.g. `EADDRINUSE`). */
export class VncWorkerStartError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'VncWorkerStartError';
  }
}

/** A running VNC worker thread. */
export class VncWorker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stopped: Promise<void> | undefined;
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    private readonly control: import('node:worker_threads').MessagePort,
    /** The bound address. */
    readonly host: string,
    /** The bound port (useful with port 0). */
    readonly port: number,
  ) {
    control.on('message', (m: ControlMessage) => {
      if (m.type !== 'reply') return;
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error !== undefined) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
    worker.on('exit', (code) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`VNC worker exited (${code})`));
      this.pending.clear();
    });
    // After start-up a crash is reported, not swallowed.
    worker.on('error', (err) => process.stderr.write(`vnc-worker: thread failed: ${err.stack ?? err.message}\n`));
  }

  /**
   * Starts a worker thread. The ports in `init.channels` are transferred to it (they become
   * unusable here). Rejects with {@link VncWorkerStartError} if it cannot listen.
   */
  static start(init: VncWorkerInit, options: { logLevel?: LogLevel } = {}): Promise<VncWorker> {
    const { port1: control, port2: remoteControl } = new MessageChannel();
    const ch = init.channels;
    const transfer = [remoteControl, ch.formatPort, ch.input, ...(ch.dirt ? [ch.dirt] : []), ...(ch.pointer ? [ch.pointer] : [])];
    const boot: WorkerBoot = { init, control: remoteControl, logLevel: options.logLevel ?? 'warn' };
    const worker = new Worker(VNC_WORKER_URL, { workerData: boot, transferList: transfer });
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      const onMessage = (m: ControlMessage): void => {
        if (m.type === 'listening') {
          control.off('message', onMessage);
          worker.off('exit', onExit);
          worker.off('error', onError);
          resolve(new VncWorker(worker, control, m.host, m.port));
        } else if (m.type === 'start-failed') {
          control.off('message', onMessage);
          void worker.terminate();
          reject(new VncWorkerStartError(m.message, m.code));
        }
      };
      const onExit = (code: number): void => reject(new VncWorkerStartError(`VNC worker exited (${code}) before listening`, undefined));
      control.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
  }

  /** Live state of the coordinator and every connection. */
  inspect(): Promise<Record<string, unknown>> {
    return this.request('inspect') as Promise<Record<string, unknown>>;
  }

  /** Disconnects every client, keeps listening; resolves to the parameters it runs with. */
  restart(): Promise<VncParameters> {
    return this.request('restart') as Promise<VncParameters>;
  }

  /** Closes every client and the listener, then ends the thread. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await this.request('stop').catch(() => undefined);
      if (!this.exited) await this.worker.terminate();
    })();
    return this.stopped;
  }

  private request(op: ControlRequest['op']): Promise<unknown> {
    if (this.exited) return Promise.reject(new Error('VNC worker exited'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.control.postMessage({ id, op } satisfies ControlRequest);
    });
  }
}
