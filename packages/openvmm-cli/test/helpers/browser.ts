/**
 * Headless Chromium (Debian's `chromium`) driven by playwright-core, with the flags that work on
 * a machine without network or GPU, and a fresh profile per launch.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import type { Picture } from './images.js';

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

/** The web console's noVNC canvas as a Picture (full framebuffer resolution, whatever the CSS scaling). */
export async function canvasPicture(page: Page): Promise<Picture> {
  const url = (await page.evaluate('document.querySelector("#screen canvas").toDataURL("image/png")')) as string;
  const png = PNG.sync.read(Buffer.from(url.split(',')[1]!, 'base64'));
  const pixels = new Uint32Array(png.width * png.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (png.data[i * 4]! << 16) | (png.data[i * 4 + 1]! << 8) | png.data[i * 4 + 2]!;
  return { width: png.width, height: png.height, pixels };
}
