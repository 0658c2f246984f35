/**
 * `pixel-convert`: `PixelConverter.convert` of a whole 1920x1080 frame into each client pixel
 * format a viewer may ask for, against a plain `Uint8Array.set` copy of the same 8,294,400
 * source bytes measured interleaved with it. Throughput is source bytes per second (MB = 10^6).
 *
 * Formats: native (the converter's copy path), 32 bpp with red at shift 0 (what noVNC sends),
 * 32 bpp big-endian, RGB565, RGB555 and BGR233.
 */

import { PixelConverter, SERVER_PIXEL_FORMAT, type PixelFormat } from '@openvmm-vnc-ts/vnc';
import { FHD, FHD_BYTES, makeFrame } from './frames.js';
import { check, mbPerSec, measureSideBySide, type Stats } from './harness.js';
import { type BenchResult, type Benchmark, type Row, fmtMbs, fmtRatio, fmtTime } from './report.js';

const tc = { trueColour: true } as const;

/** The client formats benchmarked, by label. */
export const CLIENT_FORMATS: readonly (readonly [string, PixelFormat])[] = [
  ['native (copy path)', SERVER_PIXEL_FORMAT],
  ['32bpp red-shift 0 (noVNC)', { ...tc, bitsPerPixel: 32, depth: 24, bigEndian: false, redMax: 255, greenMax: 255, blueMax: 255, redShift: 0, greenShift: 8, blueShift: 16 }],
  ['32bpp big-endian', { ...tc, bitsPerPixel: 32, depth: 24, bigEndian: true, redMax: 255, greenMax: 255, blueMax: 255, redShift: 16, greenShift: 8, blueShift: 0 }],
  ['RGB565', { ...tc, bitsPerPixel: 16, depth: 16, bigEndian: false, redMax: 31, greenMax: 63, blueMax: 31, redShift: 11, greenShift: 5, blueShift: 0 }],
  ['RGB555', { ...tc, bitsPerPixel: 16, depth: 15, bigEndian: false, redMax: 31, greenMax: 31, blueMax: 31, redShift: 10, greenShift: 5, blueShift: 0 }],
  ['BGR233', { ...tc, bitsPerPixel: 8, depth: 8, bigEndian: false, redMax: 7, greenMax: 7, blueMax: 3, redShift: 0, greenShift: 3, blueShift: 6 }],
];

/** The `pixel-convert` benchmark. */
export const pixelConvertBenchmark: Benchmark = {
  name: 'pixel-convert',
  async run(): Promise<BenchResult> {
    const src = makeFrame('test-card');
    const pixels = FHD.width * FHD.height;
    const copyDst = new Uint8Array(FHD_BYTES);
    const rows: Row[] = [];
    for (const [label, format] of CLIENT_FORMATS) {
      const conv = new PixelConverter(format);
      const dst = new Uint8Array(pixels * conv.bytesPerPixel);
      const [s, copy] = (await measureSideBySide([{ fn: () => conv.convert(src, 0, pixels, dst, 0) }, { fn: () => copyDst.set(src) }], { rounds: 11 })) as [Stats, Stats];
      // Spot check: the converted first pixel matches pixelValue().
      const rgb = src[0]! | (src[1]! << 8) | (src[2]! << 16);
      const v = conv.pixelValue(rgb);
      const first = conv.bytesPerPixel === 4 ? (format.bigEndian ? (dst[0]! << 24) | (dst[1]! << 16) | (dst[2]! << 8) | dst[3]! : dst[0]! | (dst[1]! << 8) | (dst[2]! << 16) | (dst[3]! << 24))
        : conv.bytesPerPixel === 2 ? (format.bigEndian ? (dst[0]! << 8) | dst[1]! : dst[0]! | (dst[1]! << 8)) : dst[0]!;
      check(first >>> 0 === v, `${label}: first pixel ${first >>> 0} != ${v}`);
      rows.push({
        format: label,
        outBytes: dst.length,
        medianMs: s.median,
        p90Ms: s.p90,
        mbs: mbPerSec(FHD_BYTES, s.median),
        copyMs: copy.median,
        copyMbs: mbPerSec(FHD_BYTES, copy.median),
        ratio: s.median / copy.median,
      });
    }
    return {
      name: 'pixel-convert',
      title: 'PixelConverter.convert of a 1920x1080 frame vs Uint8Array.set of the same 8,294,400 bytes',
      columns: [
        { key: 'format', header: 'client format' },
        { key: 'outBytes', header: 'out bytes' },
        { key: 'medianMs', header: 'convert median', format: fmtTime },
        { key: 'p90Ms', header: 'p90', format: fmtTime },
        { key: 'mbs', header: 'MB/s', format: fmtMbs },
        { key: 'copyMs', header: 'copy median', format: fmtTime },
        { key: 'copyMbs', header: 'copy MB/s', format: fmtMbs },
        { key: 'ratio', header: 'time / copy', format: fmtRatio },
      ],
      rows,
      notes: [
        'MB/s counts source bytes (4 per pixel) in 10^6 bytes; the copy is measured interleaved with each format, round by round.',
        'Frame content: the video-core test card (conversion cost does not depend on content: table lookups per pixel).',
      ],
    };
  },
};
