/**
 * The benchmark smoke run that CI does (issue #8: "a smoke run of the bench may run in CI to
 * keep it working"): the built runner (`dist/run.js`) runs every micro benchmark in token form
 * (`BENCH_SMOKE=1`, see `src/smoke.ts`) plus one short `peers` workload against our server only
 * (terminal over ZRLE, one client, 30 measured frames), writing into a temporary directory.
 *
 * The assertions are about shape and sense, never speed: every benchmark produced its rows,
 * the numbers that are exact by construction came out exact (an idle device-mode window reads
 * no VRAM, a full Raw frame is 8,294,416 bytes, deflate output is smaller than a compressible
 * input), and our server delivered frames with bytes and a final picture equal to the
 * generator's. The published figures in docs/performance/ must stay untouched.
 *
 * The peers part needs gcc and libvncserver-dev (for the C meter), which `npm test` installs.
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
const RUNNER = join(BENCH_DIR, 'dist', 'run.js');
const DOCS_DIR = fileURLToPath(new URL('../../docs/performance/', import.meta.url));
const PUBLISHED = ['results.json', 'peers.json', 'peers.svg'];
const MICRO = ['tile-diff', 'dirty-bitmap', 'idle-vram', 'pixel-convert', 'deflate', 'encode-raw', 'tight', 'multi-client', 'idle-floor'];

type Row = Record<string, number | string | boolean | null>;
interface Stored {
  name: string;
  rows: Row[];
  columns: { key: string; header: string }[];
  notes: string[];
  durationMs: number;
  environment: { node: string; cpuCount: number };
}

const hashOf = (file: string): string => (existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : 'absent');
const published = (): string[] => PUBLISHED.map((f) => hashOf(join(DOCS_DIR, f)));

function runBench(env: Record<string, string>, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [RUNNER, ...args], {
    cwd: BENCH_DIR,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

describe('bench smoke run (BENCH_SMOKE=1)', () => {
  let outDir: string;
  let before: string[];
  let run: { status: number | null; out: string };
  let results: Record<string, Stored>;

  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
    before = published();
    run = runBench(
      {
        BENCH_SMOKE: '1',
        BENCH_OUT_DIR: outDir,
        PEERS_SERVERS: 'ours',
        PEERS_WORKLOADS: 'terminal',
        PEERS_ENCODINGS: 'zrle',
        PEERS_MANY: '0',
        PEERS_SECONDS: '1',
      },
      [...MICRO, 'peers'],
    );
    const file = join(outDir, 'results.json');
    results = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { benchmarks: Record<string, Stored> }).benchmarks : {};
  }, 150_000);

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it('runs every benchmark to the end and writes their tables into the temporary directory only', () => {
    expect(run.status, run.out.slice(-3000)).toBe(0);
    expect(run.out).toContain('smoke run (BENCH_SMOKE=1)');
    expect(Object.keys(results).sort()).toEqual([...MICRO, 'peers'].sort());
    for (const name of [...MICRO, 'peers']) {
      const r = results[name]!;
      expect(r.name).toBe(name);
      expect(r.rows.length, name).toBeGreaterThan(0);
      expect(r.columns.length, name).toBeGreaterThan(1);
      expect(r.durationMs, name).toBeGreaterThan(0);
      expect(r.environment.node).toBe(process.version);
      for (const row of r.rows) for (const c of r.columns) expect(Object.hasOwn(row, c.key), `${name}: row without ${c.key}`).toBe(true);
    }
    expect(published()).toEqual(before);
  });

  it('measures what is exact by construction: idle VRAM reads, Raw frame size, deflate and Tight output', () => {
    const idle = results['idle-vram']!.rows;
    expect(idle.filter((r) => r.mode === 'device')).toHaveLength(3);
    for (const r of idle) {
      if (r.mode === 'device') expect(r.bytesRead).toBe(0);
      else {
        expect(r.bytesRead as number).toBeGreaterThan(0);
        expect(r.bytesPerCycle).toBe(r.expected);
      }
    }
    const raw = results['encode-raw']!.rows;
    expect(raw.map((r) => r.case)).toContain('native, rect from x = 1');
    for (const r of raw) expect(r.bytes, String(r.case)).toBe((r.case === 'native, rect from x = 1' ? 1919 : 1920) * 1080 * 4 + 16);
    for (const r of results.deflate!.rows) {
      expect(r.nodeOut as number, String(r.input)).toBeGreaterThan(0);
      expect(r.nodeOut as number, String(r.input)).toBeLessThan(r.inBytes as number);
      expect(r.pakoOut as number, String(r.input)).toBeLessThan(r.inBytes as number);
    }
    const tight = results.tight!.rows;
    expect(tight.length).toBeGreaterThan(1);
    for (const r of tight) {
      expect(r.bytes as number, String(r.variant)).toBeGreaterThan(0);
      expect(r.bytes as number, String(r.variant)).toBeLessThan(1920 * 1080 * 4);
    }
    const tiles = results['tile-diff']!.rows.filter((r) => r.change === 'unchanged');
    expect(tiles.length).toBeGreaterThan(0);
    for (const r of tiles) expect(r.tiles).toBe(0);
    // Each update reads its 400x300 region once per client, and each DIRT once more for the
    // damage filter (Raw clients are passed only pixels that changed), shared by all clients.
    const region = 400 * 300 * 4;
    const mc = results['multi-client']!.rows.find((r) => r.metric === 'VRAM bytes read/update delivered')!;
    expect(mc.few as number).toBeGreaterThanOrEqual(2 * region);
    expect(mc.many as number).toBeGreaterThanOrEqual(region + region / 16);
    expect(mc.many as number).toBeLessThan(mc.few as number);
    // The floor servers (C and both Node shapes) each delivered updates to their 16 clients.
    const floor = results['idle-floor']!.rows;
    expect(floor.map((r) => r.server)).toEqual(['C, epoll', 'Node, main thread', 'Node, worker thread']);
    for (const r of floor) {
      expect(r.clientsServed, String(r.server)).toBe(16);
      expect(r.updatesPerSec as number, String(r.server)).toBeGreaterThanOrEqual(16);
      // At least 0: on a kernel without per-thread sched files CPU comes in 10 ms ticks.
      expect(r.cpuMsPerSec as number, String(r.server)).toBeGreaterThanOrEqual(0);
    }
  });

  it('peers: our server delivered frames over ZRLE with bytes, latency and CPU, and the right final picture', () => {
    const detail = JSON.parse(readFileSync(join(outDir, 'peers.json'), 'utf8')) as {
      phases: {
        server: string;
        workload: string;
        encoding: string;
        clients: number;
        ok: boolean;
        error?: string;
        measuredFrames: number;
        bytesPerFrame: number;
        framesPerSec: number;
        latencyMedianMs: number;
        cpuMsPerFrame: number;
        rssMaxBytes: number;
        perClient: { delivered: number; pictureOk: boolean; meter: { status: number; badTags: number } }[];
      }[];
      table: Row[];
    };
    expect(detail.phases).toHaveLength(1);
    const p = detail.phases[0]!;
    expect(p.error).toBeUndefined();
    expect(p).toMatchObject({ server: 'ours', workload: 'terminal', encoding: 'zrle', clients: 1, ok: true, measuredFrames: 30 });
    expect(p.bytesPerFrame).toBeGreaterThan(0);
    expect(p.framesPerSec).toBeGreaterThan(0);
    expect(p.latencyMedianMs).toBeGreaterThan(0);
    expect(p.cpuMsPerFrame).toBeGreaterThan(0);
    expect(p.rssMaxBytes).toBeGreaterThan(0);
    expect(p.perClient).toHaveLength(1);
    const c = p.perClient[0]!;
    expect(c.delivered).toBeGreaterThan(0);
    expect(c.delivered).toBeLessThanOrEqual(30);
    expect(c.pictureOk).toBe(true);
    expect(c.meter).toMatchObject({ status: 0, badTags: 0 });
    expect(detail.table.find((r) => r.metric === 'RFB bytes / frame')?.ours).toBe(p.bytesPerFrame);
    expect(readFileSync(join(outDir, 'peers.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });

  it('refuses a smoke run that would write over the published figures', () => {
    const env: Record<string, string> = { BENCH_SMOKE: '1' };
    const r = spawnSync(process.execPath, [RUNNER, 'dirty-bitmap'], { cwd: BENCH_DIR, env: { ...process.env, ...env, BENCH_OUT_DIR: '' }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toContain('BENCH_SMOKE=1 needs BENCH_OUT_DIR');
    expect(published()).toEqual(before);
  });
});
