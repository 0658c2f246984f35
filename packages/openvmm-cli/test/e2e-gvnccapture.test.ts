/**
 * End to end with a client nobody here wrote: the CLI starts the test-card guest with VNC, and
 * gtk-vnc's gvnccapture (Debian `gvncviewer`) connects over TCP and saves what it received. The
 * picture must equal the test card pixel for pixel.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { TEST_CARD_BARS, testCardLayout } from '@openvmm-vnc-ts/video-core';
import { type CliProcess, freePort, startCli } from './helpers/cli-process.js';
import { gvnccapture, scratchDir } from './helpers/clients.js';
import { diffCount, expectedTestCard, pixelAt, readPng, type Picture } from './helpers/images.js';

let cli: CliProcess | undefined;
afterEach(async () => {
  await cli?.stop('SIGKILL');
  cli = undefined;
});

/** Captures until the picture matches (the guest draws shortly after boot) or attempts run out. */
async function captureUntil(host: string, port: number, expected: Picture, attempts = 20): Promise<Picture> {
  const dir = scratchDir();
  let last: Picture | undefined;
  for (let i = 0; i < attempts; i++) {
    const file = join(dir, `shot-${i}.png`);
    await gvnccapture(host, port, file);
    last = readPng(file);
    if (diffCount(last, expected) === 0) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last!;
}

describe('gvnccapture against the CLI', () => {
  it('receives the test card pixel for pixel', async () => {
    const port = await freePort();
    cli = await startCli(['--gfx', '--guest', 'test-card', '--vnc-port', String(port)]);
    expect(cli.port).toBe(port);
    const expected = expectedTestCard(1024, 768);
    const shot = await captureUntil('127.0.0.1', port, expected);
    expect([shot.width, shot.height]).toEqual([1024, 768]);
    expect(diffCount(shot, expected)).toBe(0);
    // Independent of the drawing code: the bars hold the pure colours at their centres.
    const layout = testCardLayout(1024, 768);
    layout.bars.forEach((bar, i) => {
      const cx = (bar.left + bar.right) >> 1;
      const cy = (bar.top + bar.bottom) >> 1;
      expect(pixelAt(shot, cx, cy)).toBe(TEST_CARD_BARS[i]);
    });
  });

  it('serves the test card under an 8 GiB address-space limit (ulimit -v), where WebAssembly memory cannot be had', async () => {
    // The damage filter's WebAssembly memory cannot be reserved under this limit (V8 reserves
    // guard regions of several GiB); the worker used to fail on the first client. Now the
    // filter compares in JavaScript and says so once.
    const port = await freePort();
    cli = await startCli(['--gfx', '--guest', 'test-card', '--vnc-port', String(port)], { addressSpaceKiB: 8 * 1024 * 1024 });
    const expected = expectedTestCard(1024, 768);
    const shot = await captureUntil('127.0.0.1', port, expected);
    expect(diffCount(shot, expected)).toBe(0);
    expect(cli.output()).toContain('the damage filter compares in JavaScript');
    expect(cli.output()).not.toContain('thread failed');
  });

  it('serves the same picture when the screen is found by tile diff (--vnc without --gfx)', async () => {
    const port = await freePort();
    cli = await startCli(['--vnc', '--guest', 'test-card', '--vnc-port', String(port)]);
    const expected = expectedTestCard(1024, 768);
    const shot = await captureUntil('127.0.0.1', port, expected);
    expect(diffCount(shot, expected)).toBe(0);
  });
});
