/**
 * `deflate`: pako against node:zlib on the same inputs, at level 1 (what OpenVMM uses for RFB
 * Zlib) and level 6 (zlib's default), each push ending with Z_SYNC_FLUSH in one continuous
 * stream, as the RFB Zlib encoding does.
 *
 * Inputs, all 32-bpp 1920x1080 frames generated on the fly: the video-core test card (large flat
 * areas, fine patterns), a text console (mostly black, small glyphs), and seeded noise
 * (incompressible). Then a typing-like workload: 100 small rectangles (64x16 px, 4 KiB each) of
 * the console frame pushed one after another into one fresh stream.
 *
 * Reported: per-frame (or per-100-rects) time for each backend, output bytes, and the ratio
 * pako time / node time. Every configuration is first checked by inflating its output.
 */

import { FHD, makeFrame, type FrameKind } from './frames.js';
import { type Contender, Prng, check, measureSideBySide, type Stats } from './harness.js';
import { type Backend, type Deflater, inflateAll, resolveDeflaters } from './deflate-backends.js';
import { type BenchResult, type Benchmark, type Row, fmtInt, fmtRatio, fmtTime } from './report.js';
import { smokeOr } from './smoke.js';

// A smoke run (smoke.ts) keeps level 1 and the two compressible frames: noise through pako alone takes seconds.
const LEVELS: readonly number[] = smokeOr([1, 6], [1]);
const FRAME_KINDS: readonly FrameKind[] = smokeOr<FrameKind[]>(['test-card', 'console', 'noise'], ['test-card', 'console']);
const RECT_W = 64;
const RECT_H = 16;
const RECT_COUNT = 100;

/** Copies a push result (it may alias the stream's buffer until the next push). */
async function pushCopy(d: Deflater, input: Uint8Array): Promise<Uint8Array> {
  return Uint8Array.from(await d.push(input));
}

/** Pushes every input into a fresh stream; returns the outputs after checking they inflate back. */
async function verify(make: () => Deflater, inputs: readonly Uint8Array[], label: string): Promise<number> {
  const d = make();
  const outs: Uint8Array[] = [];
  try {
    for (const input of inputs) outs.push(await pushCopy(d, input));
  } finally {
    d.close();
  }
  const back = inflateAll(outs);
  check(Buffer.compare(back, Buffer.concat(inputs)) === 0, `${label}: output does not inflate back to the input`);
  return outs.reduce((s, o) => s + o.length, 0);
}

/** One full frame per operation, into one continuous stream per backend, interleaved. */
async function measureFrame(make: (b: Backend) => Deflater, frame: Uint8Array, rounds: number): Promise<Record<Backend, Stats>> {
  const node = make('node');
  const pako = make('pako');
  try {
    const contenders = [node, pako].map((d) => ({ fn: () => d.push(frame), async: true }));
    const [n, p] = (await measureSideBySide(contenders, { warmup: 1, rounds })) as [Stats, Stats];
    return { node: n, pako: p };
  } finally {
    node.close();
    pako.close();
  }
}

/** All rects per operation, into a fresh stream created (untimed) before each operation. */
async function measureRects(make: (b: Backend) => Deflater, rects: readonly Uint8Array[]): Promise<Record<Backend, Stats>> {
  const streams: Partial<Record<Backend, Deflater>> = {};
  const contender = (b: Backend): Contender => ({
    async: true,
    setup: () => {
      streams[b]?.close();
      streams[b] = make(b);
    },
    fn: async () => {
      const d = streams[b]!;
      for (const r of rects) {
        const out = d.push(r);
        if (out instanceof Promise) await out;
      }
    },
  });
  const [n, p] = (await measureSideBySide([contender('node'), contender('pako')], { rounds: 21 })) as [Stats, Stats];
  streams.node?.close();
  streams.pako?.close();
  return { node: n, pako: p };
}

/** `count` seeded 64x16 rects cut from a packed frame, each as its own 4 KiB buffer. */
function cutRects(frame: Uint8Array, count: number): Uint8Array[] {
  const rng = new Prng(0x7e47);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const x = rng.int(FHD.width - RECT_W);
    const y = rng.int(Math.floor(FHD.height / RECT_H)) * RECT_H;
    const r = new Uint8Array(RECT_W * RECT_H * 4);
    for (let row = 0; row < RECT_H; row++) {
      const s = ((y + row) * FHD.width + x) * 4;
      r.set(frame.subarray(s, s + RECT_W * 4), row * RECT_W * 4);
    }
    out.push(r);
  }
  return out;
}

/** The `deflate` benchmark. */
export const deflateBenchmark: Benchmark = {
  name: 'deflate',
  async run(): Promise<BenchResult> {
    const source = resolveDeflaters();
    const rows: Row[] = [];
    const row = (input: string, level: number, inBytes: number, node: Stats, nodeOut: number, pako: Stats, pakoOut: number): Row => ({
      input, level, inBytes, nodeMs: node.median, nodeP90Ms: node.p90, nodeOut, pakoMs: pako.median, pakoP90Ms: pako.p90, pakoOut, ratio: pako.median / node.median,
    });
    const frames = new Map(FRAME_KINDS.map((k) => [k, makeFrame(k)] as const));
    for (const level of LEVELS) {
      for (const [kind, frame] of frames) {
        const make = (b: Backend): Deflater => source.create(b, level);
        const out: Record<Backend, number> = { node: 0, pako: 0 };
        for (const b of ['node', 'pako'] as const) out[b] = await verify(() => make(b), [frame], `${b} level ${level} ${kind}`);
        const stats = await measureFrame(make, frame, level === 1 ? 7 : 5);
        rows.push(row(`${kind} 1920x1080`, level, frame.length, stats.node, out.node, stats.pako, out.pako));
      }
    }
    const rects = cutRects(frames.get('console')!, RECT_COUNT);
    const rectBytes = rects.reduce((s, r) => s + r.length, 0);
    let perRect = '';
    for (const level of LEVELS) {
      const make = (b: Backend): Deflater => source.create(b, level);
      const out: Record<Backend, number> = { node: 0, pako: 0 };
      for (const b of ['node', 'pako'] as const) out[b] = await verify(() => make(b), rects, `${b} level ${level} rects`);
      const stats = await measureRects(make, rects);
      rows.push(row(`${RECT_COUNT} console rects ${RECT_W}x${RECT_H}, one stream`, level, rectBytes, stats.node, out.node, stats.pako, out.pako));
      perRect += ` level ${level}: node ${fmtTime(stats.node.median / RECT_COUNT)}, pako ${fmtTime(stats.pako.median / RECT_COUNT)};`;
    }
    return {
      name: 'deflate',
      title: 'pako vs node:zlib, one continuous stream, Z_SYNC_FLUSH after every push',
      columns: [
        { key: 'input', header: 'input' },
        { key: 'level', header: 'level' },
        { key: 'inBytes', header: 'in bytes', format: fmtInt },
        { key: 'nodeMs', header: 'node median', format: fmtTime },
        { key: 'nodeP90Ms', header: 'node p90', format: fmtTime },
        { key: 'nodeOut', header: 'node out', format: fmtInt },
        { key: 'pakoMs', header: 'pako median', format: fmtTime },
        { key: 'pakoP90Ms', header: 'pako p90', format: fmtTime },
        { key: 'pakoOut', header: 'pako out', format: fmtInt },
        { key: 'ratio', header: 'pako/node', format: fmtRatio },
      ],
      rows,
      notes: [
        `Streams: ${source.description}.`,
        ...(source.note ? [source.note] : []),
        'Frames: one push of the whole frame per operation into one long-lived stream per backend, node and pako interleaved round by round; out = bytes of one such push (fresh stream).',
        `Rects: all ${RECT_COUNT} pushes per operation into a fresh stream (created untimed); out = total of the ${RECT_COUNT} pushes. Per rect:${perRect}`,
        'Every configuration was inflated back and compared with its input before timing.',
      ],
    };
  },
};
