/**
 * Starts the real CLI (`dist/bin.js`, the built package) as a child process and waits until it
 * says where the VNC server listens. Every process started is killed in `stop()`.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** Path of the built CLI entry. */
export const CLI_BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

/** A running CLI. */
export interface CliProcess {
  readonly proc: ChildProcess;
  readonly host: string;
  readonly port: number;
  /** Everything printed so far. */
  output(): string;
  /** Sends `signal` and resolves to the exit code (or the signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

const LISTENING = /VNC server listening on (?:\[([^\]]+)\]|([^\s:]+)):(\d+)/;

/** Waits for `proc` to print the listening line; rejects on exit or after `timeoutMs`. */
export function waitForListening(proc: ChildProcess, getOutput: () => string, timeoutMs = 30_000): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CLI did not start listening:\n${getOutput()}`)), timeoutMs);
    const check = (): void => {
      const m = LISTENING.exec(getOutput());
      if (m) {
        clearTimeout(timer);
        resolve({ host: (m[1] ?? m[2])!, port: Number(m[3]) });
      }
    };
    proc.stdout?.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`CLI exited (${code}) before listening:\n${getOutput()}`));
    });
  });
}

/** Collects a process's stdout and stderr. */
export function collectOutput(proc: ChildProcess): () => string {
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return () => out;
}

/** Resolves when `proc` exits, to its code or signal. */
export function exited(proc: ChildProcess): Promise<number | string> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  if (proc.signalCode !== null) return Promise.resolve(proc.signalCode);
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}

/**
 * Starts `node dist/bin.js ...args` and waits for the listening line. `addressSpaceKiB` runs it
 * under `ulimit -v` (the shell execs node, so the process and its signals are node's own).
 */
export async function startCli(args: readonly string[], options: { addressSpaceKiB?: number } = {}): Promise<CliProcess> {
  const proc =
    options.addressSpaceKiB === undefined
      ? spawn(process.execPath, [CLI_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `ulimit -v ${options.addressSpaceKiB} && exec "$0" "$@"`, process.execPath, CLI_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collectOutput(proc);
  try {
    const { host, port } = await waitForListening(proc, output);
    return {
      proc,
      host,
      port,
      output,
      async stop(signal: NodeJS.Signals = 'SIGINT') {
        const done = exited(proc);
        proc.kill(signal);
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        const r = await done;
        clearTimeout(t);
        return r;
      },
    };
  } catch (err) {
    proc.kill('SIGKILL');
    throw err;
  }
}

/** A TCP port that is free on 127.0.0.1 right now, at least `min` (gvnccapture needs >= 5900). */
export async function freePort(min = 5900): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = min + 100 + Math.floor(Math.random() * 20000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(candidate, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return candidate;
  }
  throw new Error('no free port found');
}

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

/** The command that runs the repository's pinned pnpm (`packageManager`), from PATH or through npx. */
export function pinnedPnpm(): [string, string[]] {
  const pinned = (JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { packageManager: string }).packageManager.split('@')[1]!;
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.trim() === pinned ? ['pnpm', []] : ['npx', ['--yes', `pnpm@${pinned}`]];
}

/** The server's per-client state (`inspect()`), which the CLI prints on SIGUSR2. */
export async function inspectClients(proc: CliProcess): Promise<Record<string, unknown>[]> {
  const mark = proc.output().length;
  proc.proc.kill('SIGUSR2');
  for (let i = 0; i < 100; i++) {
    const out = proc.output().slice(mark);
    const start = out.indexOf('{\n  "vnc"');
    const end = out.indexOf('\n}\n', start);
    if (start >= 0 && end > start) return (JSON.parse(out.slice(start, end + 2)) as { vnc: { clients: Record<string, unknown>[] } }).vnc.clients;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no inspect output:\n${proc.output().slice(mark)}`);
}
