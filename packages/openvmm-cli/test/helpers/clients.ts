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
