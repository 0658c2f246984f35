/**
 * Smoke mode and output location, read from the environment once.
 *
 * `BENCH_SMOKE=1` shrinks every benchmark to a token run (one warm-up, a couple of short
 * rounds, short windows, fewer server processes) so that CI can prove the benchmarks still
 * run and produce well-formed results in seconds. Figures from a smoke run mean nothing: they
 * are never written over the published ones, because a smoke run must also name another
 * output directory (`BENCH_OUT_DIR`), and the test that runs it (`test/smoke.test.ts`) checks
 * shapes and counts only, never a speed.
 */

import { fileURLToPath } from 'node:url';

/** True when `BENCH_SMOKE=1`: every benchmark runs as briefly as it can while still measuring. */
export const SMOKE = process.env.BENCH_SMOKE === '1';

/** `normal` in a real run, `smoke` in a smoke run. */
export function smokeOr<T>(normal: T, smoke: T): T {
  return SMOKE ? smoke : normal;
}

/** `docs/performance/` at the repository root (from bench/dist/). */
const DOCS_DIR = fileURLToPath(new URL('../../docs/performance/', import.meta.url));

/**
 * Where results (`results.json`, `peers.json`, `peers.svg`) go: `BENCH_OUT_DIR` if set,
 * otherwise `docs/performance/`. A smoke run without `BENCH_OUT_DIR` is refused, so that token
 * figures never replace the published ones.
 */
export function outputDir(): string {
  const dir = process.env.BENCH_OUT_DIR;
  if (dir) return dir;
  if (SMOKE) throw new Error('BENCH_SMOKE=1 needs BENCH_OUT_DIR (smoke figures must not overwrite docs/performance/)');
  return DOCS_DIR;
}
