/**
 * Process plumbing for the `peers` benchmark: children we start (and only those are ever
 * killed, by their own PID), their output lines, free loopback ports, and CPU time and RSS read
 * from /proc for any PID.
 */

import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { sleep } from '../harness.js';

/** Every child started through {@link startProcess} or {@link track} and not yet exited. */
const running = new Set<ChildProcess>();

process.on('exit', () => {
  // Last resort (e.g. an exception): end exactly the processes this benchmark started.
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Registers a child so that it is killed if the runner exits first. */
export function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** A started program, with its stdout read as lines. */
export class Proc {
  readonly lines: string[] = [];
  stderr = '';
  private waiters: { text: string; resolve: () => void }[] = [];
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    track(child);
    let partial = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => {
      partial += d;
      let i: number;
      while ((i = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, i);
        partial = partial.slice(i + 1);
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => {
          if (line !== w.text) return true;
          w.resolve();
          return false;
        });
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (this.stderr.length < 20000) this.stderr += d;
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the program prints `text` as a whole line; rejects on exit or after `timeoutMs`. */
  waitLine(text: string, timeoutMs: number): Promise<void> {
    if (this.lines.includes(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no "${text}" within ${timeoutMs} ms; stderr: ${this.stderr.slice(-800)}`)), timeoutMs);
      const w = {
        text,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(w);
      void this.exited.then((code) => {
        if (!this.waiters.includes(w)) return;
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code}) before "${text}"; stderr: ${this.stderr.slice(-800)}`));
      });
    });
  }

  /** Sends `signal` to this process only, if it still runs. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

/** Starts `cmd` with stdout/stderr piped. */
export function startProcess(name: string, cmd: string, args: readonly string[], opts: SpawnOptions = {}): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  return new Proc(name, child);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Waits until something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host: '127.0.0.1', port }, () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * CPU time of a process in ms, all its threads: the sum of `se.sum_exec_runtime` over
 * /proc/PID/task/x/sched (microsecond resolution) when the kernel provides it, otherwise
 * utime + stime from /proc/PID/stat (10 ms ticks). Threads that already ended are not in the
 * sched sum; the servers here keep theirs for the whole run.
 */
export function cpuMs(pid: number): number {
  try {
    let sum = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const m = /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8'));
      if (!m) throw new Error('no sum_exec_runtime');
      sum += Number(m[1]);
    }
    return sum;
  } catch {
    return statCpuMs(pid);
  }
}

/**
 * CPU time of one thread in ms: `se.sum_exec_runtime` of /proc/PID/task/TID/sched, or, on a
 * kernel without that file, utime + stime of /proc/PID/task/TID/stat (10 ms ticks); NaN if the
 * thread is gone.
 */
export function threadCpuMs(pid: number, tid: number): number {
  try {
    const m = /se\.sum_exec_runtime\s*:\s*([\d.]+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/sched`, 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // no sched file (or no thread): try stat
  }
  try {
    return statTicksMs(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
  } catch {
    return NaN;
  }
}

/** utime + stime in ms from the text of a /proc stat file (CLK_TCK is 100 on Linux). */
function statTicksMs(s: string): number {
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

/**
 * CPU time of each thread of a process in ms (`se.sum_exec_runtime`), keyed "TID name" (the
 * name from /proc/PID/task/TID/comm): where a process's CPU goes, thread by thread.
 */
export function threadsCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out.set(`${tid} ${name}`, threadCpuMs(pid, Number(tid)));
    }
  } catch {
    // the process ended: what was read so far
  }
  return out;
}

/** The id of the process's thread named `name` (/proc/PID/task/TID/comm), if there is one. */
export function threadIdByName(pid: number, name: string): number | undefined {
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() === name) return Number(tid);
    }
  } catch {
    // the process ended
  }
  return undefined;
}

/** utime + stime of a process (all threads, including ended ones) in ms, from /proc/PID/stat. */
export function statCpuMs(pid: number): number {
  return statTicksMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** Resident set size of a process in bytes (VmRSS), or NaN if it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}
