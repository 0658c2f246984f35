/**
 * End to end for the ZRLE encoding (16) with an independent decoder: libvncclient (LibVNCServer
 * 0.9.14) through `vncgrab` (test/libvncclient/vncgrab.c). The CLI runs the test-card guest;
 * for every pixel format below vncgrab offers `zrle raw`, waits for one complete frame and
 * writes it back as 8-bit RGB, which must equal the test card reduced to the format, pixel for
 * pixel (see `reduceToFormat`).
 *
 * The encoding is checked twice. Client side, vncgrab counts rects by the libvncclient buffer
 * their pixels came from: ZRLE tiles are written straight into the framebuffer (or, for raw
 * tiles, handed over from inside the inflate buffer), so a ZRLE rect counts as `other`, never
 * as `raw` or `zlib`. Server side, the debug log line `encodings ... using=ZRLE`.
 *
 * 32 bpp big-endian formats are left out on purpose: for them the CPIXEL is the pixel's last
 * three wire bytes (RFC 6143 7.7.6; TigerVNC's server sends the same), and libvncclient 0.9.14
 * rebuilds such a pixel by shifting a host-order 32-bit load (its `HandleZRLE24Down`), which
 * only comes out right on a big-endian host. The unit tests (packages/vnc/test/zrle.test.ts)
 * cover those formats with their own decoder.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type CliProcess, freePort, startCli } from './helpers/cli-process.js';
import { scratchDir } from './helpers/clients.js';
import { diffCount, expectedTestCard, reduceToFormat, type Picture } from './helpers/images.js';
import { VNCGRAB_FORMATS, type VncgrabFormat, buildVncgrab, removeVncgrab, vncgrab } from './helpers/libvncclient.js';

const WIDTH = 1024;
const HEIGHT = 768;

interface FormatCase {
  readonly label: string;
  readonly format: VncgrabFormat;
  readonly bigEndian: boolean;
}

const FORMATS: readonly FormatCase[] = [
  { label: 'rgb888 32 bpp (native; 3-byte CPIXEL)', format: 'rgb888', bigEndian: false },
  { label: 'bgr888 32 bpp (red shift 0, as noVNC asks; 3-byte CPIXEL)', format: 'bgr888', bigEndian: false },
  { label: 'rgb565 16 bpp', format: 'rgb565', bigEndian: false },
  { label: 'rgb565 16 bpp big-endian', format: 'rgb565', bigEndian: true },
  { label: 'rgb555 16 bpp', format: 'rgb555', bigEndian: false },
  { label: 'bgr233 8 bpp', format: 'bgr233', bigEndian: false },
];

let cli: CliProcess | undefined;
let card: Picture;
let dir: string | undefined;
let shots = 0;

/** The server's `using=` from the `encodings` debug lines printed after `from` (waits a little for the log). */
async function serverEncodingsAfter(from: number): Promise<string[]> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const found = [...cli!.output().slice(from).matchAll(/\bencodings\b[^\n]*\busing=(\w+)/g)].map((m) => m[1]!);
    if (found.length > 0 || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A short description of where two pictures differ, for failure messages. */
function describeDiff(actual: Picture, expected: Picture): string {
  if (actual.width !== expected.width || actual.height !== expected.height) {
    return `size ${actual.width}x${actual.height}, expected ${expected.width}x${expected.height}`;
  }
  const hex = (v: number): string => v.toString(16).padStart(6, '0');
  const samples: string[] = [];
  for (let i = 0; i < actual.pixels.length && samples.length < 8; i++) {
    if (actual.pixels[i] !== expected.pixels[i]) {
      samples.push(`(${i % actual.width},${Math.floor(i / actual.width)}) got ${hex(actual.pixels[i]!)} want ${hex(expected.pixels[i]!)}`);
    }
  }
  return `${diffCount(actual, expected)} pixels differ, first: ${samples.join('; ')}`;
}

describe('ZRLE: libvncclient (vncgrab) against the CLI', () => {
  beforeAll(async () => {
    await buildVncgrab();
    dir = scratchDir();
    card = expectedTestCard(WIDTH, HEIGHT);
    const port = await freePort();
    cli = await startCli(['--gfx', '--guest', 'test-card', '--vnc-port', String(port), '--log-level', 'debug']);
    // Wait until a native Raw capture shows the whole card, so each case below is a single
    // capture of a settled screen.
    for (let i = 0; i < 40; i++) {
      const { picture } = await vncgrab(cli.host, cli.port, join(dir!, `warmup-${i}.ppm`));
      if (diffCount(picture, card) === 0) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('the test card never appeared in a native Raw capture');
  });

  afterAll(async () => {
    await cli?.stop('SIGKILL');
    cli = undefined;
    removeVncgrab();
    if (dir) rmSync(dir, { recursive: true, force: true }); // 2.3 MB per PPM
  });

  for (const f of FORMATS) {
    it(`${f.label}: the test card reduced to the format, pixel for pixel`, async () => {
      const spec = VNCGRAB_FORMATS[f.format];
      const from = cli!.output().length;
      const { picture, report } = await vncgrab(cli!.host, cli!.port, join(dir!, `shot-${shots++}.ppm`), {
        encodings: 'zrle raw',
        format: f.format,
        bigEndian: f.bigEndian,
      });

      expect([report.width, report.height, report.bpp]).toEqual([WIDTH, HEIGHT, spec.bpp]);
      // Client side: no rect came through libvncclient's Raw or Zlib decoders.
      expect(report.rects.other, JSON.stringify(report)).toBeGreaterThan(0);
      expect(report.rects.raw, JSON.stringify(report)).toBe(0);
      expect(report.rects.zlib, JSON.stringify(report)).toBe(0);
      // Server side: the encoding it chose for this client's SetEncodings.
      expect(await serverEncodingsAfter(from)).toEqual(['ZRLE']);

      const expected = reduceToFormat(card, spec);
      expect(diffCount(picture, expected), describeDiff(picture, expected)).toBe(0);
    });
  }
});
