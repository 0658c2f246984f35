/**
 * The server side of the `multi-client` benchmark, run in its own process
 * (`child_process.fork(..., { execArgv: ['--expose-gc'] })`) so that its RSS and CPU time are
 * measured apart from the RFB clients, which live in the parent.
 *
 * It starts a `VncCoordinator` on 127.0.0.1, port 0, over a real 8 MiB `Vram` holding the
 * 1920x1080 test card (a `FramebufferView`), posts `{ type: 'ready', port }`, then answers the
 * parent's {@link ServerRequest}s over IPC, one at a time, each with a {@link ServerReply}.
 * Not a benchmark itself and not registered in `run.ts`; `multi-client.ts` forks it.
 */

import { FramebufferView, type FramebufferFormat } from '@openvmm-vnc-ts/video-core';
import { VncCoordinator } from '@openvmm-vnc-ts/vnc-worker';
import { defaultVncParameters } from '@openvmm-vnc-ts/vnc-worker-defs';
import { FHD, makeVram } from './frames.js';
import { Prng, nowMs, sleep } from './harness.js';

/** A rectangle in framebuffer pixels, right/bottom exclusive (the shape of `DirtyRect`). */
export interface Region {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** What the parent asks. */
export type ServerRequest =
  | { id: number; op: 'memory' }
  | { id: number; op: 'inspect' }
  | { id: number; op: 'dirt'; region: Region }
  | { id: number; op: 'idle'; ms: number; samples: number }
  | { id: number; op: 'busy'; ms: number; samples: number; intervalMs: number; region: Region; seed: number }
  | { id: number; op: 'stop' };

/** `process.memoryUsage()` after a forced full GC, in bytes. */
export interface MemoryReading {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** One measurement window split into equal samples: wall and CPU time (user + system) per sample, ms. */
export interface WindowReading {
  wallMs: number[];
  cpuMs: number[];
  /** The kernel's part of `cpuMs` (system time), per sample. */
  sysMs: number[];
  /** Tile-diff passes the coordinator made during the window. */
  diffPasses: number;
  /** VRAM bytes the server read (`FramebufferView.bytesRead`) during the window. */
  bytesRead: number;
}

/** A busy window: the idle fields, plus what the "guest" did. */
export interface BusyReading extends WindowReading {
  /** Region changes (each followed by one `dirt` call). */
  frames: number;
  /** Wall time spent drawing those changes (included in `cpuMs`; a guest would pay it elsewhere). */
  drawMs: number;
}

/** What the child says. */
export type ServerReply =
  | { type: 'ready'; port: number }
  | { type: 'reply'; id: number; result?: unknown; error?: string };

const packed = (width: number, height: number): FramebufferFormat => ({ width, height, stride: width * 4, offset: 0 });


async function fullGc(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('multi-client-server needs --expose-gc');
  // Twice, with a turn in between: Buffers freed by the first pass release their (malloc'd or
  // mmap'd) backing stores asynchronously.
  gc();
  await sleep(30);
  gc();
  await sleep(20);
}

async function main(): Promise<void> {
  const send = (m: ServerReply): void => {
    process.send?.(m);
  };
  const vram = makeVram('test-card', packed(FHD.width, FHD.height));
  const view = new FramebufferView(vram, packed(FHD.width, FHD.height));
  const params = defaultVncParameters({ listener: { host: '127.0.0.1', port: 0 } });
  const coord = await VncCoordinator.start(params, { framebuffer: view, input: { send: () => {} } });
  const passes = (): number => coord.inspect()['diffPasses'] as number;

  /** Runs `ms` of wall time in `samples` equal slices, recording this process's CPU time per slice. */
  async function window(ms: number, samples: number): Promise<WindowReading> {
    const p0 = passes();
    const b0 = view.bytesRead;
    const wallMs: number[] = [];
    const cpuMs: number[] = [];
    const sysMs: number[] = [];
    for (let i = 0; i < samples; i++) {
      const c0 = process.cpuUsage();
      const t0 = nowMs();
      await sleep(ms / samples);
      const d = process.cpuUsage(c0);
      cpuMs.push((d.user + d.system) / 1000);
      sysMs.push(d.system / 1000);
      wallMs.push(nowMs() - t0);
    }
    return { wallMs, cpuMs, sysMs, diffPasses: passes() - p0, bytesRead: view.bytesRead - b0 };
  }

  const px = new Uint32Array(vram.buffer);
  /** Paints region `r` in one colour, as a guest's drawing. */
  function paint(r: Region, colour: number): void {
    for (let y = r.top; y < r.bottom; y++) px.fill(colour, y * FHD.width + r.left, y * FHD.width + r.right);
  }

  async function busy(ms: number, samples: number, intervalMs: number, r: Region, seed: number): Promise<BusyReading> {
    const rng = new Prng(seed);
    let frames = 0;
    let drawMs = 0;
    // The "guest": every interval, repaint the region in a new seeded colour and announce it.
    const timer = setInterval(() => {
      const t0 = nowMs();
      paint(r, rng.nextU32() & 0xffffff);
      drawMs += nowMs() - t0;
      coord.dirt([r]);
      frames++;
    }, intervalMs);
    try {
      const win = await window(ms, samples);
      return { ...win, frames, drawMs };
    } finally {
      clearInterval(timer);
    }
  }

  let dirtCount = 0;

  async function handle(req: ServerRequest): Promise<unknown> {
    switch (req.op) {
      case 'memory': {
        await fullGc();
        const m = process.memoryUsage();
        return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers } satisfies MemoryReading;
      }
      case 'inspect': {
        const s = coord.inspect();
        return { clientCount: s['clientCount'], dirtSource: s['dirtSource'], diffTimer: s['diffTimer'], diffPasses: s['diffPasses'] };
      }
      case 'dirt': {
        // The guest draws, then reports: the region gets a new colour (Raw clients are passed
        // only pixels that changed, so an unchanged region would send nothing).
        paint(req.region, 0x336699 ^ (dirtCount++ & 0xff));
        coord.dirt([req.region]);
        return null;
      }
      case 'idle':
        return window(req.ms, req.samples);
      case 'busy':
        return busy(req.ms, req.samples, req.intervalMs, req.region, req.seed);
      case 'stop':
        await coord.stop();
        return null;
    }
  }

  process.on('message', (req: ServerRequest) => {
    handle(req).then(
      (result) => {
        send({ type: 'reply', id: req.id, result });
        if (req.op === 'stop') process.disconnect?.();
      },
      (err: unknown) => send({ type: 'reply', id: req.id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  // The parent went away: do not linger.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port: coord.address().port });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
