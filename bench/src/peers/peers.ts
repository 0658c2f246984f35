/**
 * `peers`: our VNC server next to TigerVNC's Xvnc and libvncserver, on the same frames, in the
 * same run, measured by the same client.
 *
 * Workloads (`bench/peers/workloads.h`, generated once by `gen_frames` at 1920x1080 and streamed
 * through a FIFO, nothing kept on disk): terminal (typing and scrolling), idle (a blinking caret
 * and a clock), video (full-screen plasma), drag (a window over a busy background). Each frame
 * carries its number in a 16x16 corner block, drawn after the frame's other pixels.
 *
 * Each server is fed through its own real path:
 * - ours: a replay guest thread writes VRAM and sends synthvid DIRT to a `SynthvidDevice`, whose
 *   dirt reaches the `VncWorker` thread (`our-server.ts`, `our-guest.ts`), in a process of its own;
 * - Xvnc (`Xtigervnc`): an X client (`xfeed.c`) draws the frames with XShmPutImage;
 * - libvncserver: `vncserve.c` copies the frames into its framebuffer and marks the rects.
 * Every feeder logs "k t_ns" (CLOCK_MONOTONIC) just before writing frame k.
 *
 * One measuring client for all (`rfbmeter.c`, libvncclient), offering the same encodings and
 * asking for the native pixel format, logs when it first decodes each frame number (same clock).
 * Encodings: Raw, Zlib (not Xvnc: it has none), ZRLE ("zrle raw"), lossless Tight ("tight
 * raw", no JPEG quality level sent: a lossy picture would fail the frame tags and the checksum)
 * and ZRLE with CopyRect ("copyrect zrle raw"), all at zlib level 1 (see {@link ZLIB_LEVEL};
 * Tight takes it as CompressLevel 1 on all three).
 * Per server, workload and encoding: RFB bytes per delivered frame, frames delivered per second,
 * latency (feeder write to client decode) median and p99, server CPU per delivered frame
 * (/proc, all threads), and server RSS with 1 and 16 clients (terminal, Raw).
 *
 * Sanity checks per run: every frame tag decodes, the client's final picture equals the
 * generator's final screen (checksum), and no latency is negative.
 *
 * Environment knobs (for development): PEERS_SECONDS (measured seconds per 30 fps workload,
 * default 6), PEERS_IDLE_SECONDS (default 9), PEERS_IDLE_WARM_SECONDS (idle warm-up with 1
 * client, default 1), PEERS_MANY_IDLE_WARM_SECONDS (with 16 clients, default 30), PEERS_WORKLOADS (comma list), PEERS_SERVERS
 * (comma list of ours,xvnc,libvnc), PEERS_ENCODINGS (comma list of raw,zlib,zrle,tight,copyrect),
 * PEERS_MANY=0 (skip the 16-client runs; PEERS_MANY_WORKLOADS picks their workloads among terminal
 * and idle, default both), PEERS_ZRLE_LEVEL (the peers' ZRLE zlib level, default
 * 1; `default` leaves each peer at its own default, 6 for both), PEERS_OURS_V8_DEFAULTS=1 (our
 * server without the CLI's V8 flags), PEERS_OURS_NODE_ARGS (more node options for our server, e.g.
 * `--cpu-prof --cpu-prof-dir=DIR`), PEERS_THREADS=1 (print each server thread's CPU per second
 * over the measured window: where a server's time goes).
 */

import { fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VNC_PROCESS_V8_FLAGS } from '@openvmm-vnc-ts/vnc-worker';
import { check, envNum, quantile, sleep } from '../harness.js';
import { type BenchResult, type Benchmark, type Row, fmtRatio } from '../report.js';
import { type PeerTools, buildPeerTools } from './build.js';
import type { OurServerMessage, OurServerRequest } from './our-server.js';
import { Proc, cpuMs, freePort, rssBytes, startProcess, statCpuMs, threadCpuMs, threadIdByName, threadsCpuMs, track, waitForPort } from './procs.js';
import { outputDir } from '../smoke.js';
import { renderSvg } from './svg.js';

/** Servers compared. */
export type ServerId = 'ours' | 'xvnc' | 'libvnc';
/** Workloads (names as gen_frames takes them). */
export type WorkloadId = 'terminal' | 'idle' | 'video' | 'drag';
/** Encodings offered (libvncclient names). */
export type EncodingId = 'raw' | 'zlib' | 'zrle' | 'tight' | 'copyrect';
const ENCODINGS: readonly EncodingId[] = ['raw', 'zlib', 'zrle', 'tight', 'copyrect'];

/** What the meter offers per variant (a libvncclient list: the first one the server has wins). */
const METER_ENCODINGS: Record<EncodingId, string> = { raw: 'raw', zlib: 'zlib', zrle: 'zrle raw', tight: 'tight raw', copyrect: 'copyrect zrle raw' };

const SERVER_LABEL: Record<ServerId, string> = { ours: 'ours (TS)', xvnc: 'TigerVNC Xvnc', libvnc: 'libvncserver' };
const SERVER_COLOUR: Record<ServerId, string> = { ours: '#2b6cb0', xvnc: '#c05621', libvnc: '#2f855a' };

interface WorkloadSpec {
  id: WorkloadId;
  /** Frames per second offered. */
  fps: number;
  /** Frames 1..warm are warm-up, not measured. */
  warm: number;
  /** Last frame number. */
  frames: number;
}

/**
 * zlib level for Zlib and ZRLE on every server. The meter asks for it (CompressLevel
 * pseudo-encoding, with Zlib and ZRLE). Our server always deflates at level 1 (as OpenVMM), Zlib
 * and ZRLE alike, and ignores the request; libvncserver's Zlib honours it. For ZRLE neither peer
 * honours CompressLevel, so the runner sets the level on their side: Xvnc 1.12 takes it from its
 * `ZlibLevel` parameter (default -1, zlib's default 6), and libvncserver 0.9.14 hard-codes
 * zlib's default, which `vncserve -z` overrides (see vncserve.c). PEERS_ZRLE_LEVEL changes the
 * peers' ZRLE level (`default`: leave them at 6); ours stays at 1 whatever it says.
 */
const ZLIB_LEVEL = 1;

/**
 * Node's command line for our server process: the CLI's V8 flags, as its executable and
 * `npm start` pass them (so the main thread's isolate has them too), then PEERS_OURS_NODE_ARGS
 * (space separated, for experiments such as `--cpu-prof` or `--perf-basic-prof`).
 */
function ourNodeArgs(): string[] {
  return [...oursV8Flags(), ...(process.env.PEERS_OURS_NODE_ARGS ?? '').split(' ').filter(Boolean)];
}

/** The V8 flags our server process runs with: the CLI's, unless PEERS_OURS_V8_DEFAULTS=1. */
function oursV8Flags(): readonly string[] {
  return process.env.PEERS_OURS_V8_DEFAULTS === '1' ? [] : VNC_PROCESS_V8_FLAGS;
}

/** The peers' ZRLE level: a number 0..9, or undefined for their own default (6). */
function peerZrleLevel(): number | undefined {
  const v = process.env.PEERS_ZRLE_LEVEL;
  if (v === undefined || v === '') return ZLIB_LEVEL;
  if (v === 'default') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 9) throw new Error(`PEERS_ZRLE_LEVEL must be 0..9 or "default", got ${v}`);
  return n;
}
/** Quiet time between the clients' first picture and the first frame (start-up work, GC of the first full frame). */
const SETTLE_MS = 1500;


function workloads(): WorkloadSpec[] {
  const secs = envNum('PEERS_SECONDS', 6);
  const idleSecs = envNum('PEERS_IDLE_SECONDS', 9);
  const idleWarm = Math.round(2 * envNum('PEERS_IDLE_WARM_SECONDS', 1));
  const all: WorkloadSpec[] = [
    { id: 'terminal', fps: 30, warm: 30, frames: 30 + Math.round(30 * secs) },
    { id: 'idle', fps: 2, warm: idleWarm, frames: idleWarm + Math.round(2 * idleSecs) },
    { id: 'video', fps: 30, warm: 30, frames: 30 + Math.round(30 * secs) },
    { id: 'drag', fps: 30, warm: 30, frames: 30 + Math.round(30 * secs) },
  ];
  const only = process.env.PEERS_WORKLOADS?.split(',').filter(Boolean);
  return only ? all.filter((w) => only.includes(w.id)) : all;
}

/** One measured run: a fresh server, its feeder, N clients. */
export interface PhaseSpec {
  server: ServerId;
  workload: WorkloadSpec;
  encoding: EncodingId;
  clients: number;
}

/** What one client measured over the measured frames. */
export interface ClientFigures {
  /** Distinct frame numbers decoded among the measured frames. */
  delivered: number;
  framesPerSec: number;
  bytesPerFrame: number;
  latencyMedianMs: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** The meter's JSON line. */
  meter: Record<string, unknown>;
  /** Final picture equals the generator's final screen. */
  pictureOk: boolean;
}

/** One run's result. */
export interface PhaseResult {
  server: ServerId;
  workload: WorkloadId;
  encoding: EncodingId;
  clients: number;
  ok: boolean;
  error?: string;
  offeredFps?: number;
  /** Frames per second the feeder actually wrote over the measured frames. */
  feederFps?: number;
  measuredFrames?: number;
  /** Warm-up frames before them. */
  warmFrames?: number;
  /** Checksum of the generator's final screen (the same for every run of a workload and length). */
  finalSum?: string;
  /**
   * Server CPU between the first client seeing the first measured frame and the last client
   * seeing the last one: every thread of the server process but the one reading the frame stream
   * (ours and libvncserver have one, see {@link PhaseResult.readerThreadCpuMs}; Xvnc's is the
   * separate xfeed process).
   */
  serverCpuMs?: number;
  /** All threads of the server process over the same window, the stream reader included. */
  processCpuMs?: number;
  /** The server process's stream-reader thread over the same window (what {@link PhaseResult.serverCpuMs} leaves out). */
  readerThreadCpuMs?: number;
  /** The process's CPU from /proc/PID/stat ticks (10 ms resolution, all threads), as a cross-check of {@link PhaseResult.processCpuMs}. */
  serverCpuStatMs?: number;
  cpuMsPerFrame?: number;
  /**
   * CPU of a feeder thread inside the server process over the same window: our replay guest,
   * which copies each frame from the stream reader's shared slot into VRAM and reports the DIRT
   * (a guest's job in a VM; Xvnc's own copy out of shared memory is Xvnc's CPU).
   */
  feederThreadCpuMs?: number;
  /** {@link PhaseResult.cpuMsPerFrame} without {@link PhaseResult.feederThreadCpuMs}. */
  cpuMsPerFrameWithoutFeeder?: number;
  /** {@link PhaseResult.cpuMsPerSec} without {@link PhaseResult.feederThreadCpuMs}. */
  cpuMsPerSecWithoutFeeder?: number;
  /** Server CPU per second of wall time over the same window (for idle: what an idle desktop costs). */
  cpuMsPerSec?: number;
  rssMaxBytes?: number;
  rssBeforeGoBytes?: number;
  clientFigures?: ClientFigures[];
  /** Client 0's figures (the one-client runs have only it); for 16 clients, medians over clients. */
  bytesPerFrame?: number;
  framesPerSec?: number;
  latencyMedianMs?: number;
  latencyP99Ms?: number;
  durationMs?: number;
}

function parseFeedLog(text: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const line of text.split('\n')) {
    const [k, t] = line.trim().split(' ');
    if (k !== undefined && t !== undefined) m.set(Number(k), Number(t));
  }
  return m;
}

interface MeterRecord {
  k: number;
  t: number;
  bytes: number;
}

function parseMeterLog(text: string): MeterRecord[] {
  const out: MeterRecord[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(' ');
    if (f.length >= 3) out.push({ k: Number(f[0]), t: Number(f[1]), bytes: Number(f[2]) });
  }
  return out;
}

const median = (xs: readonly number[]): number => quantile([...xs].sort((a, b) => a - b), 0.5);

/** Client figures over frames warm+1..frames. */
function clientFigures(w: WorkloadSpec, feed: Map<number, number>, recs: MeterRecord[], meter: Record<string, unknown>, finalSum: string): ClientFigures {
  const inWindow = recs.filter((r) => r.k > w.warm && r.k <= w.frames);
  const before = recs.filter((r) => r.k <= w.warm);
  const bytes0 = before.length ? before[before.length - 1]!.bytes : 0;
  const bytes1 = inWindow.length ? inWindow[inWindow.length - 1]!.bytes : bytes0;
  const lat = inWindow.map((r) => (r.t - feed.get(r.k)!) / 1e6).sort((a, b) => a - b);
  check(
    inWindow.every((r) => feed.has(r.k)),
    'the client saw a frame number the feeder never wrote',
  );
  check(lat.length === 0 || lat[0]! > 0, `negative latency (${lat[0]} ms): the client saw a frame before it was written`);
  const t0 = feed.get(w.warm)!;
  const t1 = feed.get(w.frames)!;
  const secs = (t1 - t0) / 1e9;
  return {
    delivered: inWindow.length,
    framesPerSec: inWindow.length / secs,
    bytesPerFrame: inWindow.length ? (bytes1 - bytes0) / inWindow.length : NaN,
    latencyMedianMs: quantile(lat, 0.5),
    latencyP99Ms: quantile(lat, 0.99),
    latencyMaxMs: lat.length ? lat[lat.length - 1]! : NaN,
    meter,
    pictureOk: meter.checksum === finalSum,
  };
}

/** Display numbers that look free for Xvnc (no socket, no lock file). */
function freeDisplay(): number {
  for (let d = 60; d < 200; d++) {
    if (!existsSync(`/tmp/.X11-unix/X${d}`) && !existsSync(`/tmp/.X${d}-lock`)) return d;
  }
  throw new Error('no free X display number in 60..199');
}

/**
 * `p`, marked as handled: a run that fails before it awaits its feeder stops the feeder, which
 * then rejects this; the run's own error is what is reported, not an unhandled rejection.
 */
function settledLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** A started server with its feeder. */
interface Started {
  serverPid: number;
  /** A feeder thread inside the server process (our replay guest), if any. */
  feederTid?: number;
  /**
   * The server process's thread that reads the frame stream, if it has one (ours, libvncserver);
   * asked once the replay runs, since libvncserver's harness starts it then.
   */
  readerTid?: () => number | undefined;
  port: number;
  go(): void;
  /** Resolves when the feeder has written the whole stream. */
  fed: Promise<void>;
  stop(): Promise<void>;
}

async function startOurs(fifo: string, timeLog: string): Promise<Started> {
  const script = fileURLToPath(new URL('./our-server.js', import.meta.url));
  const child = track(fork(script, [fifo, timeLog], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ourNodeArgs() }));
  let fedResolve!: () => void;
  let fedReject!: (e: Error) => void;
  const fed = new Promise<void>((res, rej) => {
    fedResolve = res;
    fedReject = rej;
  });
  fed.catch(() => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { port, guestTid, readerTid } = await new Promise<{ port: number; guestTid: number; readerTid: number }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('our server: not ready in 20 s')), 20000);
    child.on('message', (m: OurServerMessage) => {
      if (m.type === 'ready') {
        clearTimeout(t);
        resolve(m);
      } else if (m.type === 'done') fedResolve();
      else {
        clearTimeout(t);
        const e = new Error(`our server: ${m.message}`);
        fedReject(e);
        reject(e);
      }
    });
    child.once('exit', (code) => reject(new Error(`our server exited (${code}) before ready`)));
  });
  return {
    serverPid: child.pid!,
    feederTid: guestTid,
    readerTid: () => readerTid,
    port,
    go: () => child.send({ op: 'go' } satisfies OurServerRequest),
    fed,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ op: 'stop' } satisfies OurServerRequest);
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

async function startXvnc(tools: PeerTools, fifo: string, timeLog: string, zrleLevel: number | undefined): Promise<Started> {
  let xvnc: Proc | undefined;
  let display = 0;
  let port = 0;
  // A display number can be taken between the check and the start (other test runs use Xvnc
  // too): Xvnc then exits at once, and we try the next one.
  for (let attempt = 0; attempt < 3 && !xvnc; attempt++) {
    display = freeDisplay();
    port = await freePort();
    const p = startProcess('Xtigervnc', tools.xvnc!, [
      `:${display}`,
      '-geometry',
      '1920x1080',
      '-depth',
      '24',
      '-SecurityTypes',
      'None',
      '-AlwaysShared',
      '-rfbport',
      String(port),
      '-localhost',
      '-nolisten',
      'tcp',
      '-noreset',
      ...(zrleLevel === undefined ? [] : ['-ZlibLevel', String(zrleLevel)]),
    ]);
    try {
      await Promise.race([
        waitForPort(port, 15000),
        p.exited.then((code) => {
          throw new Error(`Xtigervnc :${display} exited (${code}): ${p.stderr.slice(-400)}`);
        }),
      ]);
      xvnc = p;
    } catch (e) {
      await p.stop();
      if (attempt === 2) throw e;
    }
  }
  const server = xvnc!;
  let feeder: Proc | undefined;
  try {
    for (let i = 0; i < 100 && !existsSync(`/tmp/.X11-unix/X${display}`); i++) await sleep(50);
    feeder = startProcess('xfeed', tools.xfeed!, ['-d', `:${display}`, '-i', fifo, '-l', timeLog]);
    await feeder.waitLine('READY', 20000);
  } catch (e) {
    await feeder?.stop();
    await server.stop();
    throw e;
  }
  const f = feeder;
  return {
    serverPid: server.pid,
    port,
    go: () => f.signal('SIGUSR1'),
    fed: settledLater(f.waitLine('DONE', 600000)),
    async stop() {
      await f.stop();
      await server.stop();
    },
  };
}

async function startLibvnc(tools: PeerTools, fifo: string, timeLog: string, zrleLevel: number | undefined): Promise<Started> {
  const port = await freePort();
  const p = startProcess('vncserve', tools.vncserve!, ['-p', String(port), '-i', fifo, '-l', timeLog, ...(zrleLevel === undefined ? [] : ['-z', String(zrleLevel)])]);
  try {
    await p.waitLine('READY', 20000);
  } catch (e) {
    await p.stop();
    throw e;
  }
  return {
    serverPid: p.pid,
    readerTid: () => threadIdByName(p.pid, 'fsreader'),
    port,
    go: () => p.signal('SIGUSR1'),
    fed: settledLater(p.waitLine('DONE', 600000)),
    stop: () => p.stop(),
  };
}

/** ", idle with 16 clients after N warm-up frames" when such a run differs from the 1-client idle runs. */
function idleManyNote(results: readonly PhaseResult[]): string {
  const many = results.find((r) => r.ok && r.workload === 'idle' && r.clients > 1);
  const one = results.find((r) => r.ok && r.workload === 'idle' && r.clients === 1);
  return many && many.warmFrames !== one?.warmFrames ? ` (idle with ${many.clients} clients: ${many.warmFrames} warm-up frames, the same for every server)` : '';
}

/** Runs one phase end to end. Never throws: failures come back as `ok: false`. */
async function runPhase(tools: PeerTools, spec: PhaseSpec, zrleLevel: number | undefined): Promise<PhaseResult> {
  const w = spec.workload;
  const base: PhaseResult = { server: spec.server, workload: w.id, encoding: spec.encoding, clients: spec.clients, ok: false };
  const dir = mkdtempSync(join(tmpdir(), 'peers-'));
  const fifo = join(dir, 'frames.fifo');
  const sumFile = join(dir, 'final.sum');
  const timeLog = join(dir, 'feed.log');
  const started = Date.now();
  let gen: Proc | undefined;
  let server: Started | undefined;
  const meters: Proc[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    const mk = spawnSync('mkfifo', [fifo]);
    if (mk.status !== 0) throw new Error(`mkfifo failed: ${mk.stderr}`);
    gen = startProcess('gen_frames', '/bin/sh', ['-c', 'exec "$0" "$@" > "$PEERS_FIFO"', tools.genFrames, w.id, String(w.frames), '-c', sumFile], {
      env: { ...process.env, PEERS_FIFO: fifo },
    });
    server =
      spec.server === 'ours'
        ? await startOurs(fifo, timeLog)
        : spec.server === 'xvnc'
          ? await startXvnc(tools, fifo, timeLog, zrleLevel)
          : await startLibvnc(tools, fifo, timeLog, zrleLevel);
    const srv = server;
    const timeoutS = Math.ceil(w.frames / w.fps) + 60;
    for (let i = 0; i < spec.clients; i++) {
      meters.push(
        startProcess(`rfbmeter#${i}`, tools.rfbmeter, [
          '-e',
          METER_ENCODINGS[spec.encoding],
          '-c',
          String(ZLIB_LEVEL),
          '-n',
          String(w.frames),
          '-w',
          String(w.warm + 1),
          '-t',
          String(timeoutS),
          '-o',
          join(dir, `meter${i}.log`),
          '127.0.0.1',
          String(srv.port),
        ]),
      );
    }
    await Promise.all(meters.map((m) => m.waitLine('READY', 20000)));
    await sleep(SETTLE_MS);
    const rssBeforeGo = rssBytes(srv.serverPid);
    let rssMax = rssBeforeGo;
    sampler = setInterval(() => {
      const r = rssBytes(srv.serverPid);
      if (r > rssMax) rssMax = r;
    }, 100);
    srv.go();
    const limit = (timeoutS + 10) * 1000;
    await Promise.race(meters.map((m) => m.waitLine('WARM', limit)));
    const cpu0 = cpuMs(srv.serverPid);
    const stat0 = statCpuMs(srv.serverPid);
    const wall0 = performance.now();
    const feeder0 = srv.feederTid === undefined ? NaN : threadCpuMs(srv.serverPid, srv.feederTid);
    const readerTid = srv.readerTid?.();
    check(srv.readerTid === undefined || readerTid !== undefined, 'the server\'s stream-reader thread was not found');
    const reader0 = readerTid === undefined ? 0 : threadCpuMs(srv.serverPid, readerTid);
    const threads0 = process.env.PEERS_THREADS === '1' ? threadsCpuMs(srv.serverPid) : undefined;
    await Promise.all(meters.map((m) => m.waitLine('LAST', limit)));
    const cpu1 = cpuMs(srv.serverPid);
    const stat1 = statCpuMs(srv.serverPid);
    const wall1 = performance.now();
    const feeder1 = srv.feederTid === undefined ? NaN : threadCpuMs(srv.serverPid, srv.feederTid);
    const readerMs = (readerTid === undefined ? 0 : threadCpuMs(srv.serverPid, readerTid)) - reader0;
    check(Number.isFinite(readerMs), 'the stream-reader thread\'s CPU time could not be read');
    const serverMs = cpu1 - cpu0 - readerMs;
    // The per-thread sum loses a thread that ends inside the window (its time moves to the
    // process's own counters): /proc/PID/stat, in 10 ms ticks, must tell the same story.
    check(
      Math.abs(cpu1 - cpu0 - (stat1 - stat0)) <= 30 + 0.05 * (stat1 - stat0),
      `the server's threads account for ${(cpu1 - cpu0).toFixed(0)} ms, /proc/PID/stat for ${stat1 - stat0} ms (did a thread end inside the window?)`,
    );
    if (threads0) {
      const secs = (performance.now() - wall0) / 1000;
      const spent = [...threadsCpuMs(srv.serverPid)].map(([k, v]) => [k, (v - (threads0.get(k) ?? 0)) / secs] as const).filter(([, v]) => v >= 0.05);
      console.log(`  threads (${spec.server}, ms/s): ${spent.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
    }
    clearInterval(sampler);
    sampler = undefined;
    await Promise.all(meters.map((m) => m.exited));
    await srv.fed;
    const feed = parseFeedLog(readFileSync(timeLog, 'utf8'));
    check(feed.size === w.frames, `the feeder logged ${feed.size} frames, expected ${w.frames}`);
    const finalSum = readFileSync(sumFile, 'utf8').trim();
    const figs = meters.map((m, i) => {
      const json = JSON.parse(m.lines[m.lines.length - 1] ?? '{}') as Record<string, unknown>;
      return clientFigures(w, feed, parseMeterLog(readFileSync(join(dir, `meter${i}.log`), 'utf8')), json, finalSum);
    });
    for (const f of figs) {
      check(f.meter.status === 0, `rfbmeter exited with status ${String(f.meter.status)}`);
      check(f.meter.badTags === 0, `${String(f.meter.badTags)} updates had an unreadable frame tag`);
    }
    const delivered = figs.reduce((s, f) => s + f.delivered, 0);
    const t0 = feed.get(w.warm)!;
    const t1 = feed.get(w.frames)!;
    const summary = (pick: (f: ClientFigures) => number): number => (figs.length === 1 ? pick(figs[0]!) : median(figs.map(pick)));
    return {
      ...base,
      ok: true,
      offeredFps: w.fps,
      feederFps: (w.frames - w.warm) / ((t1 - t0) / 1e9),
      measuredFrames: w.frames - w.warm,
      warmFrames: w.warm,
      finalSum,
      serverCpuMs: serverMs,
      processCpuMs: cpu1 - cpu0,
      ...(readerTid === undefined ? {} : { readerThreadCpuMs: readerMs }),
      serverCpuStatMs: stat1 - stat0,
      cpuMsPerFrame: serverMs / delivered,
      cpuMsPerSec: (serverMs * 1000) / (wall1 - wall0),
      ...(Number.isFinite(feeder1 - feeder0)
        ? {
            feederThreadCpuMs: feeder1 - feeder0,
            cpuMsPerFrameWithoutFeeder: (serverMs - (feeder1 - feeder0)) / delivered,
            cpuMsPerSecWithoutFeeder: ((serverMs - (feeder1 - feeder0)) * 1000) / (wall1 - wall0),
          }
        : {}),
      rssMaxBytes: rssMax,
      rssBeforeGoBytes: rssBeforeGo,
      clientFigures: figs,
      bytesPerFrame: summary((f) => f.bytesPerFrame),
      framesPerSec: summary((f) => f.framesPerSec),
      latencyMedianMs: summary((f) => f.latencyMedianMs),
      latencyP99Ms: summary((f) => f.latencyP99Ms),
      durationMs: Date.now() - started,
    };
  } catch (e) {
    return { ...base, error: e instanceof Error ? e.message : String(e), durationMs: Date.now() - started };
  } finally {
    if (sampler) clearInterval(sampler);
    await Promise.all(meters.map((m) => m.stop()));
    await server?.stop();
    await gen?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The table: one row per workload, encoding and metric; ours and each peer side by side with ours/peer. */
function buildRows(results: readonly PhaseResult[], wls: readonly WorkloadSpec[]): Row[] {
  const rows: Row[] = [];
  const get = (s: ServerId, w: WorkloadId, e: EncodingId, clients: number): PhaseResult | undefined =>
    results.find((r) => r.server === s && r.workload === w && r.encoding === e && r.clients === clients && r.ok);
  const metric = (
    label: string,
    better: 'lower' | 'higher',
    w: WorkloadId,
    e: EncodingId,
    clients: number,
    pick: (r: PhaseResult) => number | undefined,
  ): void => {
    const v = (s: ServerId): number | null => {
      const r = get(s, w, e, clients);
      const x = r ? pick(r) : undefined;
      return x === undefined || !Number.isFinite(x) ? null : x;
    };
    const ours = v('ours');
    const xvnc = v('xvnc');
    const libvnc = v('libvnc');
    const ratio = (p: number | null): string | null => (ours === null || p === null || p === 0 ? null : fmtRatio(ours / p));
    const xvncNote = e === 'zlib' ? 'no Zlib' : null;
    rows.push({
      workload: w,
      encoding: e,
      metric: label,
      better,
      ours,
      xvnc: xvnc ?? xvncNote,
      oursXvnc: ratio(xvnc),
      libvnc,
      oursLibvnc: ratio(libvnc),
    });
  };
  for (const wl of wls) {
    for (const e of ENCODINGS) {
      if (!results.some((r) => r.workload === wl.id && r.encoding === e && r.clients === 1)) continue;
      metric('RFB bytes / frame', 'lower', wl.id, e, 1, (r) => r.bytesPerFrame);
      metric(`frames/s (of ${wl.fps})`, 'higher', wl.id, e, 1, (r) => r.framesPerSec);
      metric('latency median, ms', 'lower', wl.id, e, 1, (r) => r.latencyMedianMs);
      metric('latency p99, ms', 'lower', wl.id, e, 1, (r) => r.latencyP99Ms);
      metric('server CPU ms / frame', 'lower', wl.id, e, 1, (r) => r.cpuMsPerFrame);
      metric('  same, ours without its replay-guest thread', 'lower', wl.id, e, 1, (r) => r.cpuMsPerFrameWithoutFeeder ?? r.cpuMsPerFrame);
      if (wl.id === 'idle') {
        metric('server CPU ms / s', 'lower', wl.id, e, 1, (r) => r.cpuMsPerSec);
        metric('  same, ours without its replay-guest thread', 'lower', wl.id, e, 1, (r) => r.cpuMsPerSecWithoutFeeder ?? r.cpuMsPerSec);
      }
    }
  }
  const manyRuns = results.filter((r) => r.clients > 1);
  for (const w of [...new Set(manyRuns.map((r) => r.workload))]) {
    const n = manyRuns.find((r) => r.workload === w)!.clients;
    if (w === 'terminal') {
      metric('server RSS max, 1 client, MB', 'lower', w, 'raw', 1, (r) => (r.rssMaxBytes ?? NaN) / 1048576);
      metric(`server RSS max, ${n} clients, MB`, 'lower', w, 'raw', n, (r) => (r.rssMaxBytes ?? NaN) / 1048576);
    }
    metric(`frames/s per client, ${n} clients (median)`, 'higher', w, 'raw', n, (r) => r.framesPerSec);
    metric(`latency median, ${n} clients, ms`, 'lower', w, 'raw', n, (r) => r.latencyMedianMs);
    metric(`server CPU ms / frame / client, ${n} clients`, 'lower', w, 'raw', n, (r) => r.cpuMsPerFrame);
    if (w === 'idle') {
      metric(`server CPU ms / s, ${n} clients`, 'lower', w, 'raw', n, (r) => r.cpuMsPerSec);
      metric('  same, ours without its replay-guest thread', 'lower', w, 'raw', n, (r) => r.cpuMsPerSecWithoutFeeder ?? r.cpuMsPerSec);
    }
  }
  return rows;
}

function fmtMetric(v: number): string {
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function svgFor(results: readonly PhaseResult[], servers: readonly ServerId[], subtitle: string): string {
  const one = results.filter((r) => r.clients === 1 && r.ok);
  const groups = [...new Set(one.map((r) => `${r.workload} ${r.encoding}`))];
  const find = (g: string, s: string): PhaseResult | undefined => one.find((r) => `${r.workload} ${r.encoding}` === g && r.server === s);
  const manyRuns = results.filter((r) => r.clients > 1 && r.ok && r.workload === 'terminal');
  const many = manyRuns.length ? manyRuns : undefined;
  const fmtBytes = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(v >= 1e7 ? 0 : 1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(v >= 1e4 ? 0 : 1)}k` : v.toFixed(0));
  const fmtMs = (v: number): string => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2));
  return renderSvg({
    title: 'Our VNC server next to TigerVNC Xvnc and libvncserver (same frames, same client, same run)',
    subtitle,
    groups,
    servers: servers.map((s) => ({ id: s, label: SERVER_LABEL[s], colour: SERVER_COLOUR[s] })),
    panels: [
      { title: 'RFB bytes per delivered frame (lower is better)', log: true, value: (g, s) => find(g, s)?.bytesPerFrame, format: fmtBytes },
      {
        title: 'frames delivered, % of offered (higher is better)',
        log: false,
        value: (g, s) => {
          const r = find(g, s);
          return r && r.framesPerSec !== undefined && r.offeredFps ? (100 * r.framesPerSec) / r.offeredFps : undefined;
        },
        format: (v) => v.toFixed(0),
      },
      { title: 'latency median, ms, feeder write to client decode (lower is better)', log: true, value: (g, s) => find(g, s)?.latencyMedianMs, format: fmtMs },
      { title: 'latency p99, ms (lower is better)', log: true, value: (g, s) => find(g, s)?.latencyP99Ms, format: fmtMs },
      { title: 'server CPU ms per delivered frame (lower is better)', log: true, value: (g, s) => find(g, s)?.cpuMsPerFrame, format: fmtMs },
      {
        title: `server RSS, MB, max during the run, terminal raw (lower is better)${many ? '' : ' (16-client run skipped)'}`,
        log: false,
        groups: ['1 client', `${many?.[0]?.clients ?? 16} clients`],
        value: (g, s) => {
          const r = g === '1 client' ? results.find((x) => x.ok && x.clients === 1 && x.workload === 'terminal' && x.encoding === 'raw' && x.server === s) : many?.find((x) => x.server === s);
          return r?.rssMaxBytes === undefined ? undefined : r.rssMaxBytes / 1048576;
        },
        format: (v) => v.toFixed(0),
      },
    ],
  });
}

async function run(): Promise<BenchResult> {
  const tools = buildPeerTools();
  const wanted = (process.env.PEERS_SERVERS?.split(',').filter(Boolean) ?? ['ours', 'xvnc', 'libvnc']) as ServerId[];
  const servers = wanted.filter((s) => s === 'ours' || (s === 'xvnc' ? !!tools.xvnc && !!tools.xfeed : !!tools.vncserve));
  const wls = workloads();
  const encs = process.env.PEERS_ENCODINGS ? ENCODINGS.filter((e) => process.env.PEERS_ENCODINGS!.split(',').includes(e)) : ENCODINGS;
  const zrleLevel = peerZrleLevel();
  const plan: PhaseSpec[] = [];
  for (const w of wls) {
    if (encs.includes('raw')) for (const s of servers) plan.push({ server: s, workload: w, encoding: 'raw', clients: 1 });
    // Xvnc has no Zlib (asking for it alone gets Raw), so Zlib is ours against libvncserver.
    if (encs.includes('zlib')) for (const s of [...servers].reverse()) if (s !== 'xvnc') plan.push({ server: s, workload: w, encoding: 'zlib', clients: 1 });
    if (encs.includes('zrle')) for (const s of servers) plan.push({ server: s, workload: w, encoding: 'zrle', clients: 1 });
    if (encs.includes('tight')) for (const s of servers) plan.push({ server: s, workload: w, encoding: 'tight', clients: 1 });
    // ZRLE with CopyRect first, on all servers. The peers send CopyRect only for copies they are
    // told about (X CopyArea, rfbDoCopyRect), and xfeed/vncserve draw with images only.
    if (encs.includes('copyrect')) for (const s of servers) plan.push({ server: s, workload: w, encoding: 'copyrect', clients: 1 });
  }
  // 16 clients over Raw: the terminal (memory and fan-out under load, at most 120 measured
  // frames) and the idle desktop (the issue's idle target is stated for 16 clients).
  const manyIds = (process.env.PEERS_MANY_WORKLOADS ?? 'terminal,idle').split(',');
  for (const manyWl of wls.filter((w) => (w.id === 'terminal' || w.id === 'idle') && manyIds.includes(w.id))) {
    if (!encs.includes('raw') || process.env.PEERS_MANY === '0') break;
    // The idle desktop with 16 clients is measured once the servers have settled: after
    // PEERS_MANY_IDLE_WARM_SECONDS (default 30) of the same idle frames for every server, so the
    // figure is what an idle desktop costs, not start-up work (our JIT compiling, see the docs).
    const idleWarm = Math.round(manyWl.fps * envNum('PEERS_MANY_IDLE_WARM_SECONDS', 30));
    const short: WorkloadSpec =
      manyWl.id === 'terminal'
        ? { ...manyWl, frames: manyWl.warm + Math.min(manyWl.frames - manyWl.warm, 120) }
        : { ...manyWl, warm: idleWarm, frames: idleWarm + manyWl.frames - manyWl.warm };
    for (const s of servers) plan.push({ server: s, workload: short, encoding: 'raw', clients: 16 });
  }
  const results: PhaseResult[] = [];
  const load0 = loadavg()[0]!;
  for (const [i, spec] of plan.entries()) {
    const r = await runPhase(tools, spec, zrleLevel);
    results.push(r);
    const what = `${spec.workload.id}/${spec.encoding}/${spec.server}/${spec.clients}c`;
    console.log(
      r.ok
        ? `  [${i + 1}/${plan.length}] ${what}: ${fmtMetric(r.bytesPerFrame!)} B/frame, ${r.framesPerSec!.toFixed(1)} fps, latency ${r.latencyMedianMs!.toFixed(1)}/${r.latencyP99Ms!.toFixed(1)} ms, CPU ${r.cpuMsPerFrame!.toFixed(2)} ms/frame (${r.cpuMsPerSec!.toFixed(1)} ms/s${r.cpuMsPerFrameWithoutFeeder === undefined ? '' : `; without guest ${r.cpuMsPerFrameWithoutFeeder.toFixed(2)} ms/frame, ${r.cpuMsPerSecWithoutFeeder!.toFixed(1)} ms/s`}${r.readerThreadCpuMs === undefined ? '' : `; stream reader apart: ${r.readerThreadCpuMs.toFixed(0)} ms`}), RSS ${((r.rssMaxBytes ?? 0) / 1048576).toFixed(0)} MB (${((r.durationMs ?? 0) / 1000).toFixed(1)} s)`
        : `  [${i + 1}/${plan.length}] ${what}: FAILED: ${r.error}`,
    );
  }
  const load1 = loadavg()[0]!;
  const rows = buildRows(results, wls);
  const failed = results.filter((r) => !r.ok);
  const badPictures = results.filter((r) => r.ok && r.clientFigures!.some((f) => !f.pictureOk));
  const sums = new Map<string, Set<string>>();
  for (const r of results) {
    const key = `${r.workload}/${r.warmFrames}/${r.measuredFrames}`;
    if (r.ok) sums.set(key, (sums.get(key) ?? new Set()).add(r.finalSum!));
  }
  const nondeterministic = [...sums].filter(([, v]) => v.size > 1).map(([k]) => k);
  const lateFeeds = results.filter((r) => r.ok && r.feederFps! < 0.95 * r.offeredFps!);
  const notes: string[] = [
    'ours/peer < 1 means ours is lower: better for bytes, latency, CPU and RSS; worse for frames/s. Every server ran fresh, fed the same frames, measured by the same rfbmeter binary.',
    `Frames: ${wls.map((w) => `${w.id} ${w.warm} warm-up + ${w.frames - w.warm} measured at ${w.fps}/s`).join(', ')}${idleManyNote(results)}. Latency = the client decoding frame k's corner tag minus the feeder starting to write frame k (one CLOCK_MONOTONIC).`,
    `zlib level ${ZLIB_LEVEL} for Zlib and ZRLE on ours (fixed). Meter offers: ${encs.map((e) => `${e} "${METER_ENCODINGS[e]}"`).join(', ')}, plus CompressLevel ${ZLIB_LEVEL} with zlib, zrle and tight (tight without a JPEG quality level: lossless). Peers' ZRLE level: ${zrleLevel === undefined ? 'their defaults (zlib default, 6)' : `${zrleLevel} (Xvnc -ZlibLevel ${zrleLevel}, vncserve -z ${zrleLevel})`}; libvncserver's Zlib takes CompressLevel ${ZLIB_LEVEL}. Xvnc has no Zlib.`,
    `Our server runs with the CLI's V8 flags: ${oursV8Flags().join(' ') || 'none (PEERS_OURS_V8_DEFAULTS=1)'}, on node's command line, as the CLI's executable and \`npm start\` start it.`,
    'Server CPU: the server process, every thread but the one reading the frame stream out of its pipe (the delivery, outside the server for all three: Xvnc gets its frames from the separate xfeed process through shared memory; our stream-reader thread and libvncserver\'s "fsreader" thread are measured and left out). Ours includes its replay-guest thread copying each frame into VRAM, Xvnc its copy out of shared memory, libvncserver its copy into its framebuffer. The frame generator is a separate process for all.',
    badPictures.length === 0
      ? 'Picture check: every client\'s final picture equals the generator\'s final screen (checksum), in every run.'
      : `PICTURE MISMATCH in ${badPictures.map((r) => `${r.workload}/${r.encoding}/${r.server}`).join(', ')}.`,
    nondeterministic.length === 0
      ? 'Same frames: every run of a workload ended on the same generator checksum.'
      : `GENERATOR NOT DETERMINISTIC for ${nondeterministic.join(', ')}.`,
    `Missing peers: ${tools.missing.length ? tools.missing.join('; ') : 'none'}. Versions: TigerVNC ${tools.versions.tigervnc}, libvncserver ${tools.versions.libvncserver}, gcc ${tools.versions.gcc}.`,
    `Load average ${load0.toFixed(2)} at the start, ${load1.toFixed(2)} at the end (2 cores shared by server, feeder, generator and client).`,
  ];
  if (lateFeeds.length) {
    notes.push(
      `Feeder fell behind (< 95% of the offered rate written) in: ${lateFeeds.map((r) => `${r.workload}/${r.encoding}/${r.server}/${r.clients}c ${r.feederFps!.toFixed(1)} fps`).join(', ')}.`,
    );
  }
  for (const r of failed) notes.push(`FAILED ${r.workload}/${r.encoding}/${r.server}/${r.clients} clients: ${r.error}`);

  // Detailed JSON and the chart next to results.json.
  const outDir = outputDir();
  mkdirSync(outDir, { recursive: true });
  const c = cpus();
  const detail = {
    generator: '@openvmm-vnc-ts/bench peers (node dist/run.js peers)',
    date: new Date().toISOString(),
    environment: { node: process.version, platform: platform(), arch: arch(), cpuModel: c[0]?.model ?? 'unknown', cpuCount: c.length, loadAvgStart: load0, loadAvgEnd: load1 },
    versions: tools.versions,
    missing: tools.missing,
    workloads: wls,
    encodings: encs.map((e) => ({ id: e, meterOffers: METER_ENCODINGS[e] })),
    oursV8Flags: oursV8Flags(),
    zlibLevel: { ours: ZLIB_LEVEL, meterCompressLevel: ZLIB_LEVEL, peersZrle: zrleLevel ?? 'default (6)', libvncZlib: ZLIB_LEVEL },
    phases: results.map(({ clientFigures: figs, ...r }) => ({
      ...r,
      clients: r.clients,
      perClient: figs?.map(({ meter, ...f }) => ({ ...f, meter })),
    })),
    table: rows,
  };
  writeFileSync(join(outDir, 'peers.json'), `${JSON.stringify(detail, null, 2)}\n`);
  const subtitle = `${detail.date.slice(0, 10)}, ${c.length} x ${c[0]?.model ?? 'cpu'}, Node ${process.version}, TigerVNC ${tools.versions.tigervnc}, libvncserver ${tools.versions.libvncserver}; 1920x1080, one client unless stated`;
  writeFileSync(join(outDir, 'peers.svg'), svgFor(results, servers, subtitle));
  notes.push('Details (every run, every client) in docs/performance/peers.json; chart in docs/performance/peers.svg.');

  const num = (v: number): string => fmtMetric(v);
  return {
    name: 'peers',
    title: 'ours vs TigerVNC Xvnc and libvncserver, same frames, same client (1920x1080)',
    columns: [
      { key: 'workload', header: 'workload' },
      { key: 'encoding', header: 'enc' },
      { key: 'metric', header: 'metric' },
      { key: 'better', header: 'better' },
      { key: 'ours', header: 'ours', format: num },
      { key: 'xvnc', header: 'Xvnc', format: num },
      { key: 'oursXvnc', header: 'ours/Xvnc' },
      { key: 'libvnc', header: 'libvncserver', format: num },
      { key: 'oursLibvnc', header: 'ours/libvnc' },
    ],
    rows,
    notes,
  };
}

/** The benchmark as `run.ts` registers it. */
export const peersBenchmark: Benchmark = { name: 'peers', run };
