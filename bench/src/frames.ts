/**
 * Deterministic frames, generated on the fly (nothing large on disk): the video-core test
 * card, a text console, and random noise. Pixels are the framebuffer's own format, 32-bit
 * little-endian `0x00RRGGBB`, packed (stride = width * 4) unless a layout says otherwise.
 */

import { GuestCanvas, Vram, drawTestCard, type CanvasLayout } from '@openvmm-vnc-ts/video-core';
import { Prng } from './harness.js';

/** Full HD, the size most benchmarks use. */
export const FHD = Object.freeze({ width: 1920, height: 1080 });

/** Bytes of a packed 1920x1080 frame: 8,294,400. */
export const FHD_BYTES = FHD.width * FHD.height * 4;

/** The kinds of frame content the benchmarks use. */
export type FrameKind = 'test-card' | 'console' | 'noise';

/** Draws the video-core test card into `bytes` (a VRAM or any buffer) at `layout`. */
export function drawTestCardInto(bytes: Uint8Array, layout: CanvasLayout): void {
  drawTestCard(new GuestCanvas(bytes, layout));
}

const CONSOLE_WORDS = ['root@vm:~#', 'ls', '-la', 'drwxr-xr-x', '2', 'cargo', 'build', '--release', 'Compiling', 'openvmm', 'v0.1.0',
  'warning:', 'unused', 'variable', 'error[E0308]:', 'mismatched', 'types', '/var/log/syslog', 'kernel:', '[', '12.345678]', 'eth0:', 'link', 'up',
  'systemd[1]:', 'Started', 'Session', 'of', 'user', 'tail', '-f', 'grep', 'vnc', 'Finished', 'dev', 'target(s)', 'in', '42.17s', '{', '}', '=>'];

/**
 * Draws a text console: light grey 12x16-px text on black, lines of seeded pseudo-words of
 * varying length (about half the screen inked rows, like a busy terminal), a green prompt line.
 */
export function drawConsoleInto(bytes: Uint8Array, layout: CanvasLayout, seed = 1): void {
  const canvas = new GuestCanvas(bytes, layout);
  const rng = new Prng(seed);
  canvas.clear(0x000000);
  const cols = Math.floor(canvas.width / 12);
  const rows = Math.floor(canvas.height / 16);
  for (let row = 0; row < rows; row++) {
    const target = rng.int(cols);
    let line = '';
    while (line.length < target) line += `${CONSOLE_WORDS[rng.int(CONSOLE_WORDS.length)]!} `;
    const prompt = row === rows - 1;
    canvas.drawText(0, row * 16, prompt ? 'root@vm:~# _' : line.slice(0, cols), prompt ? 0x33ff33 : 0xc0c0c0, undefined);
  }
}

/** Fills the visible pixels at `layout` with seeded noise (the top byte of each pixel stays 0). */
export function drawNoiseInto(bytes: Uint8Array, layout: CanvasLayout, seed = 7): void {
  const rng = new Prng(seed);
  const stride = layout.stride ?? layout.width * 4;
  const offset = layout.offset ?? 0;
  for (let y = 0; y < layout.height; y++) {
    const row = bytes.subarray(offset + y * stride, offset + y * stride + layout.width * 4);
    rng.fill(row);
    for (let i = 3; i < row.length; i += 4) row[i] = 0;
  }
}

/** Draws a frame of `kind` into `bytes`. */
export function drawFrameInto(kind: FrameKind, bytes: Uint8Array, layout: CanvasLayout): void {
  switch (kind) {
    case 'test-card':
      return drawTestCardInto(bytes, layout);
    case 'console':
      return drawConsoleInto(bytes, layout);
    case 'noise':
      return drawNoiseInto(bytes, layout);
  }
}

/** A packed `width` x `height` frame of `kind` in ordinary memory. */
export function makeFrame(kind: FrameKind, width = FHD.width, height = FHD.height): Uint8Array {
  const bytes = new Uint8Array(width * height * 4);
  drawFrameInto(kind, bytes, { width, height });
  return bytes;
}

/** Fresh 8 MiB VRAM with a frame of `kind` drawn at `layout`. */
export function makeVram(kind: FrameKind, layout: CanvasLayout): Vram {
  const vram = new Vram();
  drawFrameInto(kind, vram.bytes, layout);
  return vram;
}
