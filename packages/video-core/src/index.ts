/**
 * `@openvmm-vnc-ts/video-core`: what the video device and its consumers share.
 *
 * - {@link DirtyRect}: the rectangle type of the DIRT channel.
 * - {@link Vram} / {@link FramebufferView}: 8 MiB of shared VRAM and the reader view over it.
 * - The synthvid protocol: message shapes, codec, and the device-side handler.
 * - Input events for the guest's synthetic keyboard and mouse.
 * - Built-in guests (a demo console and a test card) that drive the device like a real driver.
 * - A small structured logger used by every package.
 */
export * from './dirty-rect.js';
export * from './framebuffer.js';
export * from './input.js';
export * from './log.js';
export * from './synthvid/protocol.js';
export * from './synthvid/errors.js';
export * from './synthvid/codec.js';
export * from './synthvid/device.js';
export * from './guest/index.js';
