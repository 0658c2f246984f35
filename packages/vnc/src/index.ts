/**
 * `@openvmm-vnc-ts/vnc`: an RFB (VNC) server for one connection.
 *
 * {@link VncConnection} speaks RFB to one client over a socket, reading pixels from any
 * {@link FramebufferSource} and sending input to an `InputSink`. Serving many clients from one
 * framebuffer, listening and limits belong to `@openvmm-vnc-ts/vnc-worker`.
 */
export * from './rfb.js';
export * from './errors.js';
export * from './receive-buffer.js';
export * from './client-parser.js';
export * from './pixel-format.js';
export * from './pixel-convert.js';
export * from './dirty-bitmap.js';
export * from './byte-writer.js';
export * from './framebuffer-source.js';
export * from './encodings/encoder.js';
export * from './encodings/raw.js';
export * from './keysym-table.js';
export * from './keyboard.js';
export * from './pointer.js';
export * from './server-messages.js';
export * from './connection.js';
export * from './tile-diff.js';
export * from './damage-filter.js';
export * from './deflate.js';
export * from './encodings/read-pixels.js';
export * from './encodings/zlib.js';
export * from './encodings/cursor.js';
export * from './paste.js';
export * from './led-state.js';
export * from './desktop-size.js';
export * from './update-builder.js';
export * from './vnc-auth.js';
export * from './vencrypt.js';
export * from './encodings/zrle.js';
export * from './encodings/tight.js';
export * from './encodings/tight-palette.js';
export * from './encodings/tight-levels.js';
export * from './encodings/tight-plan.js';
export * from './dirty-region.js';
export * from './encodings/copy-rect.js';
export * from './shadow-frame.js';
export * from './scroll-detect.js';
export * from './move-tracker.js';
