/**
 * Driver for `vncgrab` (test/libvncclient/vncgrab.c), our small libvncclient program: it is
 * compiled once per test run with gcc against Debian's libvncserver-dev, then run once per
 * capture. A missing compiler or library is an error, never a skip.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Picture, readPpm } from './images.js';

const execFileP = promisify(execFile);

/** The C source. */
export const VNCGRAB_SOURCE = fileURLToPath(new URL('../libvncclient/vncgrab.c', import.meta.url));

/** Pixel format presets `vncgrab -s` knows, with their bits per pixel and channel widths. */
export const VNCGRAB_FORMATS = {
  rgb888: { bpp: 32, red: 8, green: 8, blue: 8 },
  bgr888: { bpp: 32, red: 8, green: 8, blue: 8 },
  rgb565: { bpp: 16, red: 5, green: 6, blue: 5 },
  rgb555: { bpp: 16, red: 5, green: 5, blue: 5 },
  bgr233: { bpp: 8, red: 3, green: 3, blue: 2 },
} as const;

export type VncgrabFormat = keyof typeof VNCGRAB_FORMATS;

/** What `vncgrab` reports on stdout: rect counts by the encoding libvncclient decoded. */
export interface VncgrabReport {
  readonly width: number;
  readonly height: number;
  readonly bpp: number;
  readonly updates: number;
  readonly rects: { readonly raw: number; readonly zlib: number; readonly other: number; readonly pseudo: number; readonly copyrect: number };
}

let built: Promise<string> | undefined;
let buildDir: string | undefined;

/** Compiles vncgrab (once; later calls share the result) and resolves to the binary's path. */
export function buildVncgrab(): Promise<string> {
  built ??= (async () => {
    buildDir = mkdtempSync(join(tmpdir(), 'openvmm-vncgrab-'));
    const bin = join(buildDir, 'vncgrab');
    try {
      await execFileP('gcc', ['-O2', '-Wall', '-o', bin, VNCGRAB_SOURCE, '-lvncclient'], { timeout: 60_000 });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new Error('gcc not found: install gcc (scripts/test-deps.mjs does it) to build the libvncclient test client');
      const stderr = e.stderr ?? String(err);
      if (/rfb\/rfbclient\.h|-lvncclient|cannot find.*vncclient/.test(stderr)) {
        throw new Error(`libvncclient is missing: install Debian's libvncserver-dev (scripts/test-deps.mjs does it).\n${stderr}`);
      }
      throw new Error(`compiling ${VNCGRAB_SOURCE} failed:\n${stderr}`);
    }
    return bin;
  })();
  return built;
}

/** Removes the compiled binary (call from afterAll). */
export function removeVncgrab(): void {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  buildDir = undefined;
  built = undefined;
}

/** Options for one capture. */
export interface VncgrabOptions {
  /** Encodings to advertise in preference order, e.g. `'zlib raw'` (default `'raw'`). */
  readonly encodings?: string;
  /** Pixel format preset (default rgb888). */
  readonly format?: VncgrabFormat;
  /** Big-endian pixels. */
  readonly bigEndian?: boolean;
  /** vncgrab's own time limit in seconds (default 10). */
  readonly timeoutSecs?: number;
  /** JPEG quality level 0..9 sent with Tight, or 'none' for no quality level (lossless Tight). */
  readonly quality?: number | 'none';
  /** Compression level 0..9 sent with Tight. */
  readonly compress?: number;
  /** Password for VNC Authentication, when the server asks for one. */
  readonly password?: string;
  /** CA certificate file (PEM) that lets libvncclient take VeNCrypt's X509 subtypes. */
  readonly caFile?: string;
  /** After the first full frame, follow updates until the server is quiet this long (ms). */
  readonly quietMs?: number;
}

/**
 * Connects with vncgrab, waits for one complete frame, and returns it (converted to 8-bit RGB
 * by vncgrab) with vncgrab's report. Rejects with vncgrab's stderr when it fails.
 */
export async function vncgrab(host: string, port: number, out: string, opts: VncgrabOptions = {}): Promise<{ picture: Picture; report: VncgrabReport }> {
  const bin = await buildVncgrab();
  const secs = opts.timeoutSecs ?? 10;
  const args = ['-e', opts.encodings ?? 'raw', '-s', opts.format ?? 'rgb888', '-t', String(secs), '-o', out];
  if (opts.bigEndian) args.push('-B');
  if (opts.quality !== undefined) args.push('-q', String(opts.quality));
  if (opts.compress !== undefined) args.push('-z', String(opts.compress));
  if (opts.password !== undefined) args.push('-p', opts.password);
  if (opts.caFile !== undefined) args.push('-c', opts.caFile);
  if (opts.quietMs !== undefined) args.push('-w', String(opts.quietMs));
  args.push(host, String(port));
  let stdout: string;
  try {
    ({ stdout } = await execFileP(bin, args, { timeout: (secs + 10) * 1000 }));
  } catch (err) {
    const e = err as { code?: number | string; signal?: string; stderr?: string };
    throw new Error(`vncgrab ${args.join(' ')} failed (exit ${e.code ?? e.signal}):\n${e.stderr ?? String(err)}`);
  }
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as VncgrabReport;
  return { picture: readPpm(out), report };
}
