/**
 * Drivers for the real VNC clients the end-to-end tests use (installed from Debian by the test
 * command). Each runs with a timeout so a hung client fails the test instead of hanging it.
 */

import { execFile } from 'node:child_process';
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

/** Starts Xvfb on a free display number and waits until it accepts clients. */
export async function startXvfb(): Promise<XDisplay> {
  const { spawn } = await import('node:child_process');
  const { existsSync } = await import('node:fs');
  for (let attempt = 0; attempt < 20; attempt++) {
    const n = 100 + Math.floor(Math.random() * 800);
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    const proc = spawn('Xvfb', [`:${n}`, '-screen', '0', '1280x900x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    const display = `:${n}`;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && proc.exitCode === null) {
      if (existsSync(`/tmp/.X11-unix/X${n}`)) {
        return {
          display,
          async stop() {
            proc.kill('SIGTERM');
            await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
          },
        };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.kill('SIGKILL');
  }
  throw new Error('could not start Xvfb');
}

/** Runs an X client command on `display` (e.g. xdotool) and returns its stdout. */
export async function xrun(display: string, cmd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await execFileP(cmd, [...args], { timeout: 20_000, env: { ...process.env, DISPLAY: display } });
  return stdout;
}
