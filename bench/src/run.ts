/**
 * The benchmark runner (`pnpm bench`, or `node dist/run.js [name...]` in `bench/`).
 *
 * Runs every benchmark, or only those named on the command line, prints one table per
 * benchmark (plus a Markdown copy with `--markdown`), and merges the results into `docs/performance/results.json` at the repository root
 * (found from this file's location; `BENCH_OUT_DIR` names another directory): each benchmark run
 * replaces its own entry, others stay. `BENCH_SMOKE=1` runs everything in token form (see `smoke.ts`).
 * No benchmark asserts an absolute speed; claims are ratios measured side by side in one run.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { deflateBenchmark } from './deflate.js';
import { dirtyBitmapBenchmark } from './dirty-bitmap.js';
import { encodeRawBenchmark } from './encode-raw.js';
import { nowMs } from './harness.js';
import { idleFloorBenchmark } from './idle-floor.js';
import { idleVramBenchmark } from './idle-vram.js';
import { multiClientBenchmark } from './multi-client.js';
import { peersBenchmark } from './peers/peers.js';
import { pixelConvertBenchmark } from './pixel-convert.js';
import { type BenchResult, type Benchmark, renderMarkdown, renderResult } from './report.js';
import { SMOKE, outputDir } from './smoke.js';
import { tileDiffBenchmark } from './tile-diff.js';
import { tightBenchmark } from './tight.js';

/** Every benchmark, in the order `pnpm bench` runs them. */
export const BENCHMARKS: readonly Benchmark[] = [
  tileDiffBenchmark,
  dirtyBitmapBenchmark,
  idleVramBenchmark,
  pixelConvertBenchmark,
  deflateBenchmark,
  encodeRawBenchmark,
  tightBenchmark,
  multiClientBenchmark,
  idleFloorBenchmark,
  peersBenchmark,
];

/** The machine a result was measured on. */
export interface Environment {
  date: string;
  node: string;
  platform: string;
  arch: string;
  cpuModel: string;
  cpuCount: number;
  /** 1-minute load average when the benchmark started (other processes share the cores). */
  loadAvg1: number;
}

/** One stored result: the table plus when, where and how long. */
export interface StoredResult extends BenchResult {
  environment: Environment;
  durationMs: number;
}

/** The JSON file's shape. */
export interface ResultsFile {
  /** Written by this runner; entries are merged by benchmark name. */
  generator: string;
  benchmarks: Record<string, StoredResult>;
}

/** `results.json` in the output directory: `docs/performance/` at the repository root, or `BENCH_OUT_DIR` (see `smoke.ts`). */
function resultsPath(): string {
  return join(outputDir(), 'results.json');
}

function environment(): Environment {
  const c = cpus();
  return { date: new Date().toISOString(), node: process.version, platform: platform(), arch: arch(), cpuModel: c[0]?.model ?? 'unknown', cpuCount: c.length, loadAvg1: loadavg()[0]! };
}

function loadResults(path: string): ResultsFile {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as ResultsFile;
    if (parsed && typeof parsed.benchmarks === 'object') return parsed;
  } catch {
    // Missing or unreadable: start fresh.
  }
  return { generator: '@openvmm-vnc-ts/bench (node dist/run.js)', benchmarks: {} };
}

async function main(argv: readonly string[]): Promise<number> {
  const markdown = argv.includes('--markdown');
  const names = argv.filter((a) => a !== '--' && a !== '--markdown');
  if (names.includes('--help') || names.includes('-h')) {
    console.log(`usage: node dist/run.js [--markdown] [${BENCHMARKS.map((b) => b.name).join(' | ')}]...`);
    return 0;
  }
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    return 2;
  }
  const selected = names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name));
  const env = environment();
  console.log(`node ${env.node}, ${env.platform}/${env.arch}, ${env.cpuCount} x ${env.cpuModel}, load ${env.loadAvg1.toFixed(2)}, ${env.date}`);
  const path = resultsPath();
  if (SMOKE) console.log(`smoke run (BENCH_SMOKE=1): token rounds, figures mean nothing; output in ${dirname(path)}`);
  const results = loadResults(path);
  const t0 = nowMs();
  for (const b of selected) {
    const benv = environment();
    const start = nowMs();
    const r = await b.run();
    const durationMs = nowMs() - start;
    console.log(`\n${renderResult(r)}\n  (${(durationMs / 1000).toFixed(1)} s)`);
    if (markdown) console.log(`\n${renderMarkdown(r)}`);
    results.benchmarks[b.name] = { ...r, environment: benv, durationMs };
    // Written after each benchmark, so a later failure keeps what was measured.
    // Column formatters are functions and drop out of JSON, leaving key and header.
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  }
  console.log(`\nall done in ${((nowMs() - t0) / 1000).toFixed(1)} s (load ${loadavg()[0]!.toFixed(2)}); results written to ${path}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);
