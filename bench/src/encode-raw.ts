/**
 * `encode-raw`: building a full-frame Raw FramebufferUpdate the way `VncConnection` does
 * (`ByteWriter` + `RawEncoder` + `PixelConverter`, rows read from a `FramebufferView` over
 * VRAM), against a plain `Uint8Array.set` copy of the same 8,294,400 bytes out of VRAM into a
 * preallocated buffer, measured interleaved with each case.
 *
 * Cases: native format; native plus `take()`, the hand-over the connection does before the
 * socket write; and the noVNC format (32 bpp, red at shift 0), which goes through conversion.
 */

import { FramebufferView } from '@openvmm-vnc-ts/video-core';
import { ByteWriter, PixelConverter, RawEncoder, SERVER_PIXEL_FORMAT, type PixelFormat, type Rect } from '@openvmm-vnc-ts/vnc';
import { FHD, FHD_BYTES, makeVram } from './frames.js';
import { check, mbPerSec, measureSideBySide, type Stats } from './harness.js';
import { CLIENT_FORMATS } from './pixel-convert.js';
import { type BenchResult, type Benchmark, type Row, fmtMbs, fmtRatio, fmtTime } from './report.js';

interface Case {
  readonly label: string;
  readonly format: PixelFormat;
  readonly take: boolean;
  /** First column of the rect (default 0). At 1 the rows are 1,919 pixels and half of them sit at a VRAM address the update disagrees with modulo 8. */
  readonly x?: number;
}

const NOVNC = CLIENT_FORMATS.find(([l]) => l.includes('noVNC'))![1];

const CASES: readonly Case[] = [
  { label: 'native', format: SERVER_PIXEL_FORMAT, take: false },
  { label: "native + take()", format: SERVER_PIXEL_FORMAT, take: true },
  { label: 'native, rect from x = 1', format: SERVER_PIXEL_FORMAT, take: false, x: 1 },
  { label: '32bpp red-shift 0 (noVNC)', format: NOVNC, take: false },
];

/** The `encode-raw` benchmark. */
export const encodeRawBenchmark: Benchmark = {
  name: 'encode-raw',
  async run(): Promise<BenchResult> {
    const format = { ...FHD, stride: FHD.width * 4, offset: 0 };
    const vram = makeVram('test-card', format);
    const view = new FramebufferView(vram, format);
    const copyDst = new Uint8Array(FHD_BYTES);
    const live = vram.bytes.subarray(0, FHD_BYTES);
    const rows: Row[] = [];
    for (const c of CASES) {
      const out = new ByteWriter();
      const encoder = new RawEncoder();
      const ctx = { framebuffer: view, converter: new PixelConverter(c.format), out };
      const x = c.x ?? 0;
      const rect: Rect = { x, y: 0, w: FHD.width - x, h: FHD.height };
      let sent = 0;
      const build = (): void => {
        out.reset();
        out.u8(0); // FramebufferUpdate
        out.u8(0);
        out.u16(1);
        encoder.encodeRect(rect, ctx);
        sent = c.take ? out.take().length : out.length;
      };
      const [s, copy] = (await measureSideBySide([{ fn: build }, { fn: () => copyDst.set(live) }])) as [Stats, Stats];
      check(sent === 16 + rect.w * rect.h * ctx.converter.bytesPerPixel, `${c.label}: update is ${sent} bytes`);
      rows.push({
        case: c.label,
        bytes: sent,
        medianMs: s.median,
        p90Ms: s.p90,
        mbs: mbPerSec(FHD_BYTES, s.median),
        copyMs: copy.median,
        ratio: s.median / copy.median,
      });
    }
    return {
      name: 'encode-raw',
      title: 'Full-frame Raw FramebufferUpdate (1920x1080) via RawEncoder vs a plain copy out of VRAM',
      columns: [
        { key: 'case', header: 'case' },
        { key: 'bytes', header: 'update bytes' },
        { key: 'medianMs', header: 'build median', format: fmtTime },
        { key: 'p90Ms', header: 'p90', format: fmtTime },
        { key: 'mbs', header: 'MB/s (frame)', format: fmtMbs },
        { key: 'copyMs', header: 'copy median', format: fmtTime },
        { key: 'ratio', header: 'time / copy', format: fmtRatio },
      ],
      rows,
      notes: [
        'Native: 1080 readRow calls straight into the ByteWriter; noVNC: readRow into a scratch row, then convert.',
        'From x = 1: 1,919-pixel rows, every other one at an address the update disagrees with modulo 8, which readRow brings over through an aligned staging row (V8 copies out of shared memory byte by byte otherwise).',
        'The ByteWriter is reused (as in VncConnection), so after warm-up no allocation happens except in take() (fresh storage, no copy).',
      ],
    };
  },
};
