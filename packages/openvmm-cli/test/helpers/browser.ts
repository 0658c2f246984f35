/**
 * Headless Chromium (Debian's `chromium`) driven by playwright-core, with the flags that work on
 * a machine without network or GPU, and a fresh profile per launch.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** A launched browser with one persistent context. */
export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches /usr/bin/chromium headless; `ignoreHttpsErrors` accepts a self-signed certificate (https:// and wss://). */
export async function launchChromium(options: { ignoreHttpsErrors?: boolean } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'openvmm-vnc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ...(options.ignoreHttpsErrors ? ['--ignore-certificate-errors'] : []),
    ],
    ...(options.ignoreHttpsErrors ? { ignoreHTTPSErrors: true } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
