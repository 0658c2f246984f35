/**
 * `idle-vram`: how many VRAM bytes the server reads while nothing changes on screen.
 *
 * A real `VncCoordinator` on 127.0.0.1 (port 0) serves a `FramebufferView` over 8 MiB of VRAM
 * holding a 1920x1080 test card to one raw-socket RFB client ({@link RfbBenchClient}: 3.8,
 * None, SetEncodings [Raw, DesktopSize], one non-incremental request read in full, then one
 * incremental request always outstanding). `FramebufferView.bytesRead` counts every byte the
 * server copies or compares. Two modes, each its own coordinator:
 *
 * - device: the coordinator gets device dirt once (`dirt([...])`), so it trusts the guest and
 *   never scans; an idle cycle should read 0 bytes;
 * - tile-diff: never any dirt, so every update interval compares the whole frame against the
 *   snapshot (w * h * 4 bytes per pass, by construction).
 *
 * Each mode is measured over ~1 s at 1920x1080, after `setFormat` to 1280x720, and after
 * going back to 1920x1080.
 */

import { FramebufferView, type FramebufferFormat } from '@openvmm-vnc-ts/video-core';
import { VncCoordinator } from '@openvmm-vnc-ts/vnc-worker';
import { defaultVncParameters } from '@openvmm-vnc-ts/vnc-worker-defs';
import { FHD, drawTestCardInto, makeVram } from './frames.js';
import { check, nowMs, sleep } from './harness.js';
import { type BenchResult, type Benchmark, type Row, fmtInt } from './report.js';
import { RfbBenchClient } from './rfb-client.js';
import { smokeOr } from './smoke.js';

/** Length of each idle measurement window. */
const WINDOW_MS = smokeOr(1000, 200);
/** Quiet time after the last update before a window starts. */
const SETTLE_MS = 150;
const ENCODINGS = [0, -223]; // Raw, DesktopSize (without DesktopSize a resize closes the client)

type Mode = 'device' | 'tile-diff';

const packed = (width: number, height: number): FramebufferFormat => ({ width, height, stride: width * 4, offset: 0 });

async function idleWindow(mode: Mode, phase: string, view: FramebufferView, coord: VncCoordinator, client: RfbBenchClient, intervalMs: number): Promise<Row> {
  await sleep(SETTLE_MS);
  const passes = (): number => coord.inspect()['diffPasses'] as number;
  const b0 = view.bytesRead;
  const p0 = passes();
  const u0 = client.counters.updates;
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  await sleep(WINDOW_MS);
  const elapsed = nowMs() - t0;
  const cpu = process.cpuUsage(cpu0);
  const bytes = view.bytesRead - b0;
  const diffPasses = passes() - p0;
  const nominal = elapsed / intervalMs;
  const cycles = mode === 'tile-diff' ? diffPasses : nominal;
  const frameBytes = view.width * view.height * 4;
  return {
    mode,
    phase,
    windowMs: elapsed,
    cycles,
    diffPasses,
    updates: client.counters.updates - u0,
    bytesRead: bytes,
    bytesPerCycle: cycles > 0 ? bytes / cycles : 0,
    cpuPct: ((cpu.user + cpu.system) / 1000 / elapsed) * 100,
    frameBytes,
    expected: mode === 'device' ? 0 : frameBytes,
  };
}

async function runMode(mode: Mode): Promise<Row[]> {
  const vram = makeVram('test-card', packed(FHD.width, FHD.height));
  const view = new FramebufferView(vram, packed(FHD.width, FHD.height));
  const params = defaultVncParameters({ listener: { host: '127.0.0.1', port: 0 } });
  const coord = await VncCoordinator.start(params, { framebuffer: view, input: { send: () => {} } });
  const client = await RfbBenchClient.connect(coord.address().port);
  const rows: Row[] = [];
  try {
    client.setEncodings(ENCODINGS);
    client.requestUpdate(false);
    await client.waitForUpdates(1);
    check(client.counters.bytes >= FHD.width * FHD.height * 4 + 16, `first update has ${client.counters.bytes} bytes`);
    if (mode === 'device') {
      // The guest draws a line of text, then reports it (an unchanged region would send nothing:
      // the Raw client is passed only pixels that changed).
      const px = new Uint32Array(vram.bytes.buffer, vram.bytes.byteOffset, FHD.width * FHD.height);
      for (let y = 100; y < 116; y++) px.fill(0x336699, y * FHD.width + 100, y * FHD.width + 228);
      coord.dirt([{ left: 100, top: 100, right: 228, bottom: 116 }]);
      await client.waitForUpdates(2);
    }
    rows.push(await idleWindow(mode, '1920x1080', view, coord, client, params.updateIntervalMs));
    for (const [w, h] of [[1280, 720], [FHD.width, FHD.height]] as const) {
      const before = client.counters.updates;
      // The guest redraws and announces the new mode in one turn, as a driver would.
      drawTestCardInto(vram.bytes, packed(w, h));
      check(view.setFormat(packed(w, h)), `setFormat ${w}x${h}`);
      await client.waitForUpdates(before + 2); // DesktopSize, then the whole new frame
      check(client.width === w && client.height === h, `client sees ${client.width}x${client.height}`);
      rows.push(await idleWindow(mode, `after resize to ${w}x${h}`, view, coord, client, params.updateIntervalMs));
    }
  } finally {
    client.close();
    await coord.stop();
  }
  return rows;
}

/** The `idle-vram` benchmark. */
export const idleVramBenchmark: Benchmark = {
  name: 'idle-vram',
  async run(): Promise<BenchResult> {
    const rows = [...(await runMode('device')), ...(await runMode('tile-diff'))];
    const deviceBytes = rows.filter((r) => r['mode'] === 'device').reduce((s, r) => s + (r['bytesRead'] as number), 0);
    return {
      name: 'idle-vram',
      title: 'VRAM bytes read per idle update cycle: VncCoordinator + 1 RFB client on 127.0.0.1',
      columns: [
        { key: 'mode', header: 'mode' },
        { key: 'phase', header: 'phase' },
        { key: 'windowMs', header: 'window ms', format: (v) => v.toFixed(0) },
        { key: 'cycles', header: 'cycles', format: (v) => v.toFixed(1) },
        { key: 'updates', header: 'updates sent', format: fmtInt },
        { key: 'bytesRead', header: 'bytes read', format: fmtInt },
        { key: 'bytesPerCycle', header: 'bytes/cycle', format: fmtInt },
        { key: 'expected', header: 'expected/cycle', format: fmtInt },
        { key: 'cpuPct', header: 'process CPU %', format: (v) => v.toFixed(1) },
      ],
      rows,
      notes: [
        `Expectation: device mode 0 bytes/cycle (this run: ${fmtInt(deviceBytes)} bytes in all device windows); tile-diff mode one full compare, w*h*4 bytes, per cycle.`,
        `Cycle = one update interval (${defaultVncParameters().updateIntervalMs} ms). Device mode counts nominal cycles (window / interval); tile-diff mode counts actual diff passes.`,
        'process CPU % = user+system CPU time of this process (server and client) over the window, in % of one core.',
        'The client sends SetEncodings [Raw, DesktopSize]: with [Raw] alone the server (correctly) closes it on resize.',
      ],
    };
  },
};
