/**
 * The measuring core shared by every benchmark: a seeded PRNG, a timer that runs warm-up and
 * several timed rounds (interleaving the contenders of a comparison round by round), and the
 * statistics we report (median and p90 per operation).
 *
 * Principle: a benchmark never asserts an absolute target. It measures the code under test and
 * a baseline side by side in the same process, and reports both and their ratio.
 */

import { SMOKE } from './smoke.js';

/** A deterministic 32-bit PRNG (mulberry32); same seed, same sequence. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Fills `dst` with pseudo-random bytes. */
  fill(dst: Uint8Array): void {
    let i = 0;
    for (; i + 4 <= dst.length; i += 4) {
      const v = this.nextU32();
      dst[i] = v;
      dst[i + 1] = v >>> 8;
      dst[i + 2] = v >>> 16;
      dst[i + 3] = v >>> 24;
    }
    for (; i < dst.length; i++) dst[i] = this.nextU32();
  }
}

/** Statistics of one measurement, all times in milliseconds per operation. */
export interface Stats {
  /** Median over the timed rounds. */
  median: number;
  /** 90th percentile over the timed rounds (nearest rank). */
  p90: number;
  /** Fastest round. */
  min: number;
  /** Number of timed rounds. */
  rounds: number;
  /** Operations per timed round (the per-op time is the round time divided by this). */
  opsPerRound: number;
}

/** How to measure. */
export interface MeasureOptions {
  /** Untimed warm-up operations before calibration (default 3). */
  warmup?: number;
  /** Timed rounds (default 15). */
  rounds?: number;
  /** Each round runs enough operations to last at least this long (default 20 ms). */
  minRoundMs?: number;
  /**
   * Untimed preparation run before every operation (e.g. changing VRAM). When given, each
   * round times exactly one operation.
   */
  setup?: (op: number) => void;
}

/** Milliseconds from a monotonic high-resolution clock. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** The value at quantile `q` (0..1) of `sorted` (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/** Median, p90 and min of a list of samples (any unit). */
export function summarize(samples: readonly number[]): { median: number; p90: number; min: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p90: quantile(s, 0.9), min: s[0] ?? NaN };
}

/** The options with their defaults; in a smoke run (`BENCH_SMOKE=1`) cut to one warm-up and two 2 ms rounds. */
function effective(options: Omit<MeasureOptions, 'setup'>): { warmup: number; rounds: number; minRoundMs: number } {
  const warmup = options.warmup ?? 3;
  const rounds = options.rounds ?? 15;
  const minRoundMs = options.minRoundMs ?? 20;
  return SMOKE ? { warmup: Math.min(warmup, 1), rounds: Math.min(rounds, 2), minRoundMs: Math.min(minRoundMs, 2) } : { warmup, rounds, minRoundMs };
}

/**
 * Times `fn`: warm-up, then calibration (how many calls fill `minRoundMs`), then `rounds` timed
 * rounds. Returns per-operation statistics in milliseconds.
 */
export function measure(fn: () => void, options: MeasureOptions = {}): Stats {
  const { warmup, rounds, minRoundMs } = effective(options);
  const setup = options.setup;
  let op = 0;
  for (let i = 0; i < warmup; i++) {
    setup?.(op++);
    fn();
  }
  let opsPerRound = 1;
  if (!setup) {
    // Calibrate: double the batch until it lasts long enough to time reliably.
    for (;;) {
      const t0 = nowMs();
      for (let i = 0; i < opsPerRound; i++) fn();
      const dt = nowMs() - t0;
      if (dt >= minRoundMs || opsPerRound >= 1 << 24) break;
      opsPerRound = dt <= 0 ? opsPerRound * 16 : Math.max(opsPerRound * 2, Math.ceil((opsPerRound * minRoundMs) / dt));
    }
  }
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (setup) {
      setup(op++);
      const t0 = nowMs();
      fn();
      samples.push(nowMs() - t0);
    } else {
      const t0 = nowMs();
      for (let i = 0; i < opsPerRound; i++) fn();
      samples.push((nowMs() - t0) / opsPerRound);
    }
  }
  return { ...summarize(samples), rounds, opsPerRound };
}

/** One contender in {@link measureSideBySide}. */
export interface Contender {
  /** The operation; a returned promise is awaited (and then each round times one operation). */
  fn: () => unknown;
  /** Untimed preparation before every operation; forces one operation per round. */
  setup?: (op: number) => void;
  /** Set when `fn` returns a promise: one awaited operation per round. */
  async?: boolean;
}

/**
 * Measures several operations side by side: after warm-up and calibration of each, every round
 * times each contender in turn (A, B, A, B, ...), so drift in machine speed (other processes,
 * CPU frequency, GC) hits all of them alike and their ratio stays meaningful.
 */
export async function measureSideBySide(contenders: readonly Contender[], options: Omit<MeasureOptions, 'setup'> = {}): Promise<Stats[]> {
  const { warmup, rounds, minRoundMs } = effective(options);
  const ops: number[] = [];
  const counters = contenders.map(() => 0);
  const once = async (i: number): Promise<number> => {
    const c = contenders[i]!;
    c.setup?.(counters[i]!++);
    const t0 = nowMs();
    const r = c.fn();
    if (r instanceof Promise) await r;
    return nowMs() - t0;
  };
  for (let i = 0; i < contenders.length; i++) {
    for (let w = 0; w < warmup; w++) await once(i);
    const c = contenders[i]!;
    let n = 1;
    if (!c.setup && !c.async) {
      for (;;) {
        const t0 = nowMs();
        for (let k = 0; k < n; k++) c.fn();
        const dt = nowMs() - t0;
        if (dt >= minRoundMs || n >= 1 << 24) break;
        n = dt <= 0 ? n * 16 : Math.max(n * 2, Math.ceil((n * minRoundMs) / dt));
      }
    }
    ops.push(n);
  }
  const samples: number[][] = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[i]!;
      const n = ops[i]!;
      if (n === 1) {
        samples[i]!.push(await once(i));
        continue;
      }
      const t0 = nowMs();
      for (let k = 0; k < n; k++) c.fn();
      samples[i]!.push((nowMs() - t0) / n);
    }
  }
  return samples.map((s, i) => ({ ...summarize(s), rounds, opsPerRound: ops[i]! }));
}

/** The positive number in environment variable `name`, or `def` when it is unset or not one. */
export function envNum(name: string, def: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : def;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Throws when `cond` is false: benchmarks check that they measure what they claim. */
export function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Error(`benchmark sanity check failed: ${message}`);
}

/** Throughput in MB/s (10^6 bytes per second) for `bytes` processed in `ms`. */
export function mbPerSec(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1e3);
}
