/**
 * `@openvmm-vnc-ts/vnc-worker`: the VNC coordinator. It listens, serves many RFB clients from
 * one framebuffer, broadcasts the device's dirty rectangles, and enforces client limits.
 *
 * - {@link VncWorker}: the coordinator on its own thread, reached only through its channels.
 * - {@link VncCoordinator}: the same, in the calling thread (for embedding and tests).
 * - {@link formatChannel} / {@link dirtChannel}: build a worker's channels from VM objects.
 */
export * from './coordinator.js';
export * from './thread/host.js';
export * from './thread/launcher.js';
export type { ControlRequest, ControlMessage } from './thread/protocol.js';
export * from './auth-throttle.js';
export * from './web/index.js';
export * from './thread/v8-flags.js';
