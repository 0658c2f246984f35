/**
 * End to end with libvncclient (LibVNCServer 0.9.14, Debian's libvncserver-dev) through our small
 * C program `vncgrab` (test/libvncclient/vncgrab.c): the CLI runs the test-card guest, and for
 * every pixel format x encoding below vncgrab asks for that format (SetPixelFormat) and encoding
 * order (SetEncodings), waits for one complete frame and writes it back as 8-bit RGB.
 *
 * The picture must equal the test card reduced to the format, pixel for pixel: each channel
 * keeps its top N bits and is expanded back with vncgrab's formula (see `reduceToFormat`).
 * The encoding is checked twice: by vncgrab (which libvncclient decoder delivered the pixels;
 * ZRLE tiles are written straight into the framebuffer, so they count as `other`) and by the
 * server's debug log (`encodings ... using=ZLIB`).
 *
 * ZRLE leaves out 32 bpp big-endian on purpose: there the CPIXEL is the pixel's last three wire
 * bytes (RFC 6143 7.7.6; TigerVNC's server sends the same), and libvncclient 0.9.14 rebuilds such
 * a pixel by shifting a host-order 32-bit load (its `HandleZRLE24Down`), which only comes out
 * right on a big-endian host. packages/vnc/test/zrle.test.ts covers that format with its own
 * decoder.
 *
 * Tight leaves out the same format for a similar reason: there the TPIXEL is three bytes, red,
 * green, blue, whatever the client's byte order (rfbproto; QEMU fixed its server to do exactly
 * this), and libvncclient 0.9.14 builds the pixel from them in host order, so a little-endian
 * host gets the channels in the wrong bytes. packages/vnc/test/tight.test.ts covers it.
 *
 * Tight runs lossless (vncgrab -q none: no quality level, so no JPEG) in the pixel-exact loop,
 * and once more with a JPEG quality level and compression level 1 (palettes of at most 24
 * colours, so the ramps go as JPEG): that picture must differ from the card (JPEG was used) and
 * still be close to it (PSNR). A client that keeps following updates ends with the exact card:
 * the server resends JPEG areas losslessly once the picture has settled.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type CliProcess, freePort, startCli } from './helpers/cli-process.js';
import { scratchDir } from './helpers/clients.js';
import { diffCount, expectedTestCard, psnr, reduceToFormat, type Picture } from './helpers/images.js';
import { VNCGRAB_FORMATS, type VncgrabFormat, buildVncgrab, removeVncgrab, vncgrab } from './helpers/libvncclient.js';

const WIDTH = 1024;
const HEIGHT = 768;

interface FormatCase {
  readonly label: string;
  readonly format: VncgrabFormat;
  readonly bigEndian: boolean;
}

const FORMATS: readonly FormatCase[] = [
  { label: 'rgb888 32 bpp (native)', format: 'rgb888', bigEndian: false },
  { label: 'bgr888 32 bpp (red shift 0, as noVNC asks)', format: 'bgr888', bigEndian: false },
  { label: 'rgb888 32 bpp big-endian', format: 'rgb888', bigEndian: true },
  { label: 'rgb565 16 bpp', format: 'rgb565', bigEndian: false },
  { label: 'rgb565 16 bpp big-endian', format: 'rgb565', bigEndian: true },
  { label: 'rgb555 16 bpp', format: 'rgb555', bigEndian: false },
  { label: 'bgr233 8 bpp', format: 'bgr233', bigEndian: false },
];

/** Each case also offers another encoding second: the server must take the client's first. */
const ENCODINGS = [
  { name: 'raw', offer: 'raw zlib', serverName: 'RAW' },
  { name: 'zlib', offer: 'zlib raw', serverName: 'ZLIB' },
  { name: 'other', offer: 'zrle raw', serverName: 'ZRLE' },
  // JPEG off (no quality level sent): Tight is lossless. libvncclient's Tight decoder writes
  // into the framebuffer itself, so its rects count as `other`.
  { name: 'other', offer: 'tight raw', serverName: 'TIGHT' },
] as const;

const DECODERS = ['raw', 'zlib', 'other'] as const;

let cli: CliProcess | undefined;
let card: Picture;
let dir: string | undefined;
let shots = 0;

/** The server's `using=` from the `encodings` debug lines printed after `from` (waits a little for the log). */
async function serverEncodingsAfter(from: number): Promise<string[]> {
  const deadline = Date.now() + 10_000; // a guard only: returns as soon as the line is there
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

describe('libvncclient (vncgrab) against the CLI', () => {
  beforeAll(async () => {
    await buildVncgrab();
    dir = scratchDir();
    card = expectedTestCard(WIDTH, HEIGHT);
    const port = await freePort();
    cli = await startCli(['--gfx', '--guest', 'test-card', '--vnc-port', String(port), '--log-level', 'debug']);
    // The guest draws shortly after boot: wait until a native capture shows the whole card, so
    // every case below is a single capture of a settled screen.
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
    for (const enc of ENCODINGS) {
      if ((enc.serverName === 'ZRLE' || enc.serverName === 'TIGHT') && f.bigEndian && VNCGRAB_FORMATS[f.format].bpp === 32) continue; // see the top of the file
      it(`${f.label}, ${enc.serverName}: the test card reduced to the format, pixel for pixel`, async () => {
        const spec = VNCGRAB_FORMATS[f.format];
        const from = cli!.output().length;
        const { picture, report } = await vncgrab(cli!.host, cli!.port, join(dir!, `shot-${shots++}.ppm`), {
          encodings: enc.offer,
          format: f.format,
          bigEndian: f.bigEndian,
          ...(enc.serverName === 'TIGHT' ? { quality: 'none' as const } : {}),
        });

        expect([report.width, report.height, report.bpp]).toEqual([WIDTH, HEIGHT, spec.bpp]);
        // Client side: which libvncclient decoder delivered the pixels, and no other.
        expect(report.rects[enc.name], JSON.stringify(report)).toBeGreaterThan(0);
        for (const d of DECODERS) if (d !== enc.name) expect(report.rects[d], JSON.stringify(report)).toBe(0);
        // Server side: the encoding it chose for this client's SetEncodings.
        expect(await serverEncodingsAfter(from)).toEqual([enc.serverName]);

        const expected = reduceToFormat(card, spec);
        const diff = diffCount(picture, expected);
        expect(diff, describeDiff(picture, expected)).toBe(0);
      });
    }
  }

  for (const format of ['rgb888', 'bgr888'] as const) {
    it(`${format} 32 bpp, TIGHT with JPEG (quality level 6): close to the test card, not exact`, async () => {
      const from = cli!.output().length;
      const { picture, report } = await vncgrab(cli!.host, cli!.port, join(dir!, `shot-${shots++}.ppm`), {
        encodings: 'tight raw',
        format,
        quality: 6,
        compress: 1,
      });
      expect([report.width, report.height, report.bpp]).toEqual([WIDTH, HEIGHT, 32]);
      expect(report.rects.other, JSON.stringify(report)).toBeGreaterThan(0);
      expect(await serverEncodingsAfter(from)).toEqual(['TIGHT']);
      const diff = diffCount(picture, card);
      const quality = psnr(picture, card);
      expect(diff, 'no pixel differs: JPEG was not used').toBeGreaterThan(0);
      expect(quality, `PSNR ${quality.toFixed(1)} dB, ${diff} pixels differ`).toBeGreaterThanOrEqual(40);
    });

    it(`${format} 32 bpp, TIGHT with JPEG, following updates: the lossless refresh leaves the card exact`, async () => {
      // The same JPEG'd first frame, but the client keeps asking for updates until the server
      // has been quiet for 1 s: once the picture settles, the server resends the JPEG areas
      // without JPEG (LOSSLESS_REFRESH_MS), so libvncclient ends with the exact card.
      const { picture, report } = await vncgrab(cli!.host, cli!.port, join(dir!, `shot-${shots++}.ppm`), {
        encodings: 'tight raw',
        format,
        quality: 6,
        compress: 1,
        quietMs: 1000,
      });
      expect(report.updates, JSON.stringify(report)).toBeGreaterThan(1);
      expect(diffCount(picture, card), describeDiff(picture, card)).toBe(0);
    });
  }
});
