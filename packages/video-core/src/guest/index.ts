/**
 * Built-in guests: code that plays the part of a VM's video driver, so the device and the VNC
 * server can be run and tested without a VM.
 *
 * - {@link SynthvidGuestDriver}: the guest side of the synthvid protocol.
 * - {@link GuestCanvas} and the bitmap font: drawing into VRAM.
 * - {@link drawTestCard}: a deterministic test card; {@link startTestCardGuest} shows it.
 * - {@link startDemoGuest}: a console with a clock, key echo and mouse status.
 * - {@link KeyboardDecoder}: set-1 scancodes back to US-layout characters.
 * - {@link spawnGuestThread}: runs a guest on its own worker thread.
 */
export * from './canvas.js';
export * from './demo-guest.js';
export * from './driver.js';
export * from './font.js';
export * from './keyboard-decoder.js';
export * from './options.js';
export * from './pointer.js';
export * from './test-card.js';
export * from './test-card-guest.js';
export * from './thread.js';
