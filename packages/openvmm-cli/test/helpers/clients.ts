/**
 * Drivers for the real VNC clients the end-to-end tests use (installed from Debian by the test
 * command). Each runs with a timeout so a hung client fails the test instead of hanging it.
 */

import { fileURLToPath } from 'node:url';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** A fresh temporary directory for pictures. */
export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'openvmm-vnc-e2e-'));
}

/**
 * Takes a screenshot with gtk-vnc's `gvnccapture` (which addresses servers as HOST:DISPLAY, port
 * 5900 + DISPLAY) into `out` (PNG).
 */
export async function gvnccapture(host: string, port: number, out: string): Promise<void> {
  if (port < 5900) throw new RangeError(`gvnccapture cannot reach port ${port} (< 5900)`);
  await execFileP('gvnccapture', ['-q', `${host}:${port - 5900}`, out], { timeout: 20_000 });
}

/** A headless X display (Xvfb) for GUI viewers. */
export interface XDisplay {
  readonly display: string;
  stop(): Promise<void>;
}

/**
 * Starts Xvfb on a display number it picks itself (`-displayfd`): Xvfb writes the number only
 * once it accepts clients, so there is no race with stale sockets or another server.
 */
export async function startXvfb(): Promise<XDisplay> {
  const { spawn } = await import('node:child_process');
  const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let errors = '';
  proc.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
  const fd3 = proc.stdio[3] as NodeJS.ReadableStream;
  const n = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb did not start:\n${errors}`)), 15_000);
    fd3.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(out.trim());
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}):\n${errors}`));
    });
  });
  return {
    display: `:${n}`,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
    },
  };
}

/** Runs an X client command on `display` (e.g. xdotool) and returns its stdout. */
export async function xrun(display: string, cmd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await execFileP(cmd, [...args], { timeout: 20_000, env: { ...process.env, DISPLAY: display } });
  return stdout;
}

/** A cursor image as the X server holds it: pre-multiplied ARGB, one value per pixel. */
export interface XCursorImage {
  readonly width: number;
  readonly height: number;
  readonly hotX: number;
  readonly hotY: number;
  readonly pixels: number[];
}

/** The X server's current cursor image on `display` (XFixesGetCursorImage, via python3 ctypes). */
export async function xCursorImage(display: string): Promise<XCursorImage> {
  const script = fileURLToPath(new URL('./xfixes-cursor.py', import.meta.url));
  return JSON.parse(await xrun(display, 'python3', [script])) as XCursorImage;
}

/** A running TigerVNC viewer (`xtigervncviewer`) and what it printed. */
export interface TigerViewer {
  readonly proc: ChildProcess;
  /** Everything the viewer printed so far (for failure messages). */
  log(): string;
  /** Kills the viewer if it still runs, and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts TigerVNC's viewer on X `display` against 127.0.0.1:`port`, shared, with no remote resize
 * or reconnect dialogs; `security` are the options choosing its security types (e.g.
 * `['-SecurityTypes', 'None']`).
 */
export function startTigerViewer(display: string, port: number, security: readonly string[]): TigerViewer {
  const proc = spawn('xtigervncviewer', [...security, '-RemoteResize=0', '-AlertOnFatalError=0', '-ReconnectOnError=0', '-Shared', `127.0.0.1::${port}`], {
    env: { ...process.env, DISPLAY: display },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const done = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    log: () => log,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await done;
    },
  };
}
