/**
 * Entry point of a guest worker thread (see `thread.ts`).
 *
 * Loaded only as a `worker_threads` Worker: it reads {@link GuestWorkerData} and runs the chosen
 * built-in guest with the shared VRAM and the two transferred ports, logging to stderr. The
 * guest keeps the thread alive until the host terminates the worker or closes the ports.
 */

import { isMainThread, workerData } from 'node:worker_threads';
import { createLogger, isLogLevel } from '../log.js';
import { startDemoGuest } from './demo-guest.js';
import { startTestCardGuest } from './test-card-guest.js';
import type { GuestWorkerData } from './thread.js';
import { isGuestKind } from './thread.js';

if (isMainThread) throw new Error('worker-entry.js must be run as a worker thread (use spawnGuestThread)');

const data = workerData as GuestWorkerData;
if (!data || !isGuestKind(String(data.kind)) || !(data.vram instanceof SharedArrayBuffer)) {
  throw new TypeError('guest worker started without valid workerData');
}
const logger = createLogger(`guest-${data.kind}`, { level: data.logLevel && isLogLevel(data.logLevel) ? data.logLevel : 'warn' });
const opts = {
  vram: data.vram,
  video: data.video,
  input: data.input,
  logger,
  ...(data.width !== undefined ? { width: data.width } : {}),
  ...(data.height !== undefined ? { height: data.height } : {}),
};
const guest = data.kind === 'demo' ? startDemoGuest(opts) : startTestCardGuest(opts);
guest.ready.then(
  () => logger.debug('guest ready'),
  (e: unknown) => logger.error('guest failed', { error: String(e) }),
);
