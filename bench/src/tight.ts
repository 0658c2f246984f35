/**
 * `tight`: full-frame (1920x1080) FramebufferUpdates in Tight, next to ZRLE on the same frames:
 * update bytes and build time, lossless at compression levels 1 and 2 and with JPEG at quality
 * levels 2, 6 and 9 (libjpeg quality 41, 79, 100 through jpeg-js).
 *
 * Frames: the test card, a text console, random noise (the worst case for every encoding) and a
 * smooth "photo" (gradients with a little noise: many colours, what JPEG is for). Each case runs
 * on its own encoder instance, so its zlib streams are warm after the first round, as on a
 * connection that keeps sending the same kind of content.
 */

import { FramebufferView, Vram } from '@openvmm-vnc-ts/video-core';
import { ByteWriter, PixelConverter, SERVER_PIXEL_FORMAT, type Rect, type RectEncoder, TightEncoder, ZrleEncoder } from '@openvmm-vnc-ts/vnc';
import { FHD, type FrameKind, drawFrameInto } from './frames.js';
import { measure } from './harness.js';
import { smokeOr } from './smoke.js';
import { type BenchResult, type Benchmark, type Row, fmtInt, fmtTime } from './report.js';

type Kind = FrameKind | 'photo';

interface Variant {
  readonly label: string;
  readonly make: () => RectEncoder & { close(): void };
}

const tight = (compress: number, quality?: number) => (): TightEncoder => {
  const e = new TightEncoder();
  e.setLevels(compress, quality);
  return e;
};

const VARIANTS: readonly Variant[] = [
  { label: 'ZRLE (zlib 1)', make: () => new ZrleEncoder() },
  { label: 'Tight lossless, compress 1', make: tight(1) },
  { label: 'Tight lossless, compress 2', make: tight(2) },
  { label: 'Tight JPEG quality 2 (41)', make: tight(1, 2) },
  { label: 'Tight JPEG quality 6 (79)', make: tight(1, 6) },
  { label: 'Tight JPEG quality 9 (100)', make: tight(1, 9) },
];

/** Smooth gradients with a little noise, in the native 0x00RRGGBB little-endian layout. */
function drawPhoto(bytes: Uint8Array, width: number, height: number): void {
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const o = (y * width + x) * 4;
      const n = (seed >>> 24) & 7;
      bytes[o] = (((x + y) >> 2) & 0xff) ^ n;
      bytes[o + 1] = (128 + 100 * Math.sin(x / 97 + y / 143)) & 0xff;
      bytes[o + 2] = ((x * 255) / width + n) & 0xff;
      bytes[o + 3] = 0;
    }
  }
}

/** The `tight` benchmark. */
export const tightBenchmark: Benchmark = {
  name: 'tight',
  run(): BenchResult {
    const format = { ...FHD, stride: FHD.width * 4, offset: 0 };
    const rect: Rect = { x: 0, y: 0, w: FHD.width, h: FHD.height };
    const rows: Row[] = [];
    // A smoke run (smoke.ts) encodes the test card only: every frame through every variant takes ~20 s.
    for (const kind of smokeOr<readonly Kind[]>(['test-card', 'console', 'photo', 'noise'], ['test-card'])) {
      const vram = new Vram();
      if (kind === 'photo') drawPhoto(vram.bytes, FHD.width, FHD.height);
      else drawFrameInto(kind, vram.bytes, format);
      const ctx = { framebuffer: new FramebufferView(vram, format), converter: new PixelConverter(SERVER_PIXEL_FORMAT), out: new ByteWriter() };
      for (const v of VARIANTS) {
        const encoder = v.make();
        let bytes = 0;
        let calls = 0;
        const s = measure(
          () => {
            calls++;
            ctx.out.reset();
            encoder.encodeRect(rect, ctx);
            bytes = ctx.out.length;
          },
          { warmup: 1, rounds: 5, minRoundMs: 0 },
        );
        const stats = encoder instanceof TightEncoder ? encoder.stats : undefined;
        encoder.close();
        rows.push({
          frame: kind,
          variant: v.label,
          bytes,
          medianMs: s.median,
          rects: stats ? [stats.fill, stats.mono, stats.indexed, stats.copy, stats.jpeg].map((k) => Math.round(k / calls)).join('/') : '-',
        });
      }
    }
    return {
      name: 'tight',
      title: 'Full-frame (1920x1080) update: Tight lossless and with JPEG next to ZRLE',
      columns: [
        { key: 'frame', header: 'frame' },
        { key: 'variant', header: 'encoding' },
        { key: 'bytes', header: 'bytes', format: fmtInt },
        { key: 'medianMs', header: 'build median', format: fmtTime },
        { key: 'rects', header: 'Tight sub-rects per frame: fill/mono/indexed/copy/jpeg' },
      ],
      rows,
      notes: [
        'Tight cuts the frame along 64x64 tiles into pieces of at most 65536 px (262144 px when JPEG is on): one- and two-colour tiles apart; each piece is fill, mono or indexed palette, copy (zlib) or JPEG.',
        'JPEG is jpeg-js (pure JavaScript); most of its time per sub-rect is its per-call table set-up (see docs/performance.md).',
        'Bytes are what one full-frame update costs after warm-up; times are CPU-load dependent (shared machine).',
      ],
    };
  },
};
