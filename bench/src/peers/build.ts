/**
 * Builds the C programs of the `peers` benchmark (sources in `bench/peers/`) with gcc into
 * `bench/dist/peers-bin/`, again only when a source or flag changed, and finds the
 * peer servers. What is missing is reported, not guessed: the caller decides what can run.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `bench/peers/` (sources), from `bench/dist/peers/build.js`. */
export const PEERS_SRC = fileURLToPath(new URL('../../peers/', import.meta.url));
/** `bench/dist/peers-bin/` (binaries). */
export const PEERS_BIN = fileURLToPath(new URL('../peers-bin/', import.meta.url));

/** The C programs and what each links. */
const PROGRAMS: Record<string, { src: string; libs: string[]; needs: string }> = {
  gen_frames: { src: 'gen_frames.c', libs: [], needs: 'gcc' },
  rfbmeter: { src: 'rfbmeter.c', libs: ['-lvncclient', '-ldl'], needs: 'libvncserver-dev' },
  vncserve: { src: 'vncserve.c', libs: ['-lvncserver', '-lpthread', '-ldl'], needs: 'libvncserver-dev' },
  xfeed: { src: 'xfeed.c', libs: ['-lX11', '-lXext'], needs: 'libx11-dev libxext-dev' },
  // The `idle-floor` benchmark's C server (not a peers tool).
  floor: { src: 'floor.c', libs: [], needs: 'gcc' },
};
const HEADERS = ['workloads.h', 'framestream.h'];

/** Paths of the built programs; `undefined` for one that could not be built. */
export interface PeerTools {
  genFrames: string;
  rfbmeter: string;
  vncserve: string | undefined;
  xfeed: string | undefined;
  /** Path of Xtigervnc, if installed. */
  xvnc: string | undefined;
  /** Why a peer cannot run, per peer. */
  missing: string[];
  versions: { gcc: string; tigervnc: string; libvncserver: string };
}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

/**
 * Compiles one program unless `NAME.hash` next to the binary records the same sources and flags
 * (a content hash, not mtimes: turbo may restore an old `dist/` with fresh times).
 */
function build(name: string): string {
  const p = PROGRAMS[name]!;
  const out = `${PEERS_BIN}${name}`;
  const args = ['-O2', '-Wall', '-Wextra', '-Wno-unused-function', '-o', out, `${PEERS_SRC}${p.src}`, ...p.libs];
  const h = createHash('sha256').update(args.join(' '));
  for (const s of [p.src, ...HEADERS]) h.update(readFileSync(`${PEERS_SRC}${s}`));
  const hash = h.digest('hex');
  const stamp = `${out}.hash`;
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return out;
  const r = spawnSync('gcc', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gcc ${p.src} failed (needs ${p.needs}):\n${r.stderr || r.error?.message}`);
  writeFileSync(stamp, hash);
  return out;
}

function version(cmd: string, args: string[], re: RegExp): string {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return re.exec(`${r.stdout}\n${r.stderr}`)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Builds one of this folder's C programs by name (as `buildPeerTools` does); returns its path. */
export function buildPeerProgram(name: string): string {
  mkdirSync(PEERS_BIN, { recursive: true });
  return build(name);
}

/** Builds what can be built. Throws if the generator or the meter cannot be (nothing can run then). */
export function buildPeerTools(): PeerTools {
  if (!which('gcc')) throw new Error('peers: gcc not found (apt-get install gcc)');
  mkdirSync(PEERS_BIN, { recursive: true });
  const missing: string[] = [];
  const genFrames = build('gen_frames');
  const rfbmeter = build('rfbmeter');
  let vncserve: string | undefined;
  try {
    vncserve = build('vncserve');
  } catch (e) {
    missing.push(`libvncserver: ${(e as Error).message.split('\n')[0]}`);
  }
  let xfeed: string | undefined;
  try {
    xfeed = build('xfeed');
  } catch (e) {
    missing.push(`Xvnc feeder: ${(e as Error).message.split('\n')[0]}`);
  }
  const xvnc = which('Xtigervnc');
  if (!xvnc) missing.push('Xvnc: Xtigervnc not found (apt-get install tigervnc-standalone-server)');
  let gcc = 'unknown';
  try {
    gcc = execFileSync('gcc', ['-dumpfullversion'], { encoding: 'utf8' }).trim();
  } catch {
    // keep 'unknown'
  }
  return {
    genFrames,
    rfbmeter,
    vncserve,
    xfeed: xvnc ? xfeed : undefined,
    xvnc,
    missing,
    versions: {
      gcc,
      tigervnc: xvnc ? version(xvnc, ['-version'], /TigerVNC\s+([\d.]+)/) : 'not installed',
      libvncserver: version('dpkg-query', ['-W', '-f=${Version}', 'libvncserver1'], /(\S+)/),
    },
  };
}
