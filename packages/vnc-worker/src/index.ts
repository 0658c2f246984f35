/**
 * `@openvmm-vnc-ts/vnc-worker`: the VNC coordinator. It listens, serves many RFB clients from
 * one framebuffer, broadcasts the device's dirty rectangles, and enforces client limits.
 */
export * from './coordinator.js';
