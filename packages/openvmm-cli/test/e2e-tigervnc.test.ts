/**
 * End to end with TigerVNC's viewer (Debian `tigervnc-viewer`) on a headless X display: a person
 * types into the viewer window (xdotool, through the X server's XTEST), TigerVNC sends QEMU
 * extended key events, the server forwards scancodes to the demo guest, and the guest echoes the
 * text in its console. A second, independent client (gvnccapture) then sees the typed text
 * rendered in the guest's font, so the whole loop viewer -> guest -> VRAM -> viewer is checked.
 *
 * The viewer also draws the guest's pointer from our Cursor With Alpha pseudo-rect: the X
 * server's cursor image (XFixes) must be the demo arrow with its half-transparent shadow intact,
 * pre-multiplied exactly, and the viewer must be running on continuous updates paced by fences.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ARROW_POINTER, DEMO_CONSOLE_BG, DEMO_CONSOLE_FG, demoLayout } from '@openvmm-vnc-ts/video-core';
import { type CliProcess, freePort, inspectClients, startCli } from './helpers/cli-process.js';
import { type TigerViewer, type XDisplay, gvnccapture, scratchDir, startTigerViewer, startXvfb, xCursorImage, xrun } from './helpers/clients.js';
import { type Picture, findPicture, readPng, renderText } from './helpers/images.js';

let cli: CliProcess | undefined;
let x: XDisplay | undefined;
let viewer: TigerViewer | undefined;

afterEach(async () => {
  await viewer?.stop();
  await cli?.stop('SIGKILL');
  await x?.stop();
  cli = x = viewer = undefined;
});

async function capture(port: number): Promise<Picture> {
  const file = join(scratchDir(), 'shot.png');
  await gvnccapture('127.0.0.1', port, file);
  return readPng(file);
}

/** Polls until `check` passes on a fresh capture, or returns the last capture. */
async function captureUntil(port: number, check: (p: Picture) => boolean, attempts = 30): Promise<Picture> {
  let shot = await capture(port);
  for (let i = 1; i < attempts && !check(shot); i++) {
    await new Promise((r) => setTimeout(r, 300));
    shot = await capture(port);
  }
  return shot;
}

/**
 * Starts the CLI (demo guest), Xvfb and the viewer; waits for the viewer window, focuses it and
 * puts the pointer inside it. Returns the port.
 */
async function demoInViewer(): Promise<number> {
  const port = await freePort();
  cli = await startCli(['--gfx', '--guest', 'demo', '--vnc-port', String(port)]);
  x = await startXvfb();
  viewer = startTigerViewer(x.display, port, ['-SecurityTypes', 'None']);
  let win = '';
  for (let i = 0; i < 300 && !win && viewer.proc.exitCode === null; i++) {
    win = (await xrun(x.display, 'xdotool', ['search', '--name', 'TigerVNC']).catch(() => '')).trim().split('\n')[0] ?? '';
    if (!win) await new Promise((r) => setTimeout(r, 100));
  }
  expect(win, `TigerVNC viewer window appeared (viewer log:\n${viewer.log()})`).not.toBe('');
  await xrun(x.display, 'xdotool', ['windowfocus', '--sync', win]);
  await xrun(x.display, 'xdotool', ['mousemove', '--window', win, '200', '150']);
  return port;
}

/** The demo arrow as pre-multiplied ARGB words (what X keeps for an ARGB cursor). */
function premultipliedArrow(): number[] {
  const { argb } = ARROW_POINTER;
  const out: number[] = [];
  for (let i = 0; i < argb.length; i += 4) {
    const a = argb[i + 3]!;
    const pm = (c: number): number => Math.round((c * a) / 255);
    out.push(((a << 24) | (pm(argb[i + 2]!) << 16) | (pm(argb[i + 1]!) << 8) | pm(argb[i]!)) >>> 0);
  }
  return out;
}

describe('TigerVNC viewer with the demo guest', () => {
  it('echoes what is typed in the viewer', async () => {
    const port = await demoInViewer();

    const typed = 'Hello, VNC 42!';
    const needle = renderText(typed, DEMO_CONSOLE_FG, DEMO_CONSOLE_BG);
    const before = await capture(port);
    expect(findPicture(before, needle)).toEqual([]);

    await xrun(x!.display, 'xdotool', ['type', '--delay', '40', typed]);
    const after = await captureUntil(port, (p) => findPicture(p, needle).length > 0);
    const hits = findPicture(after, needle);
    expect(hits.length).toBe(1);
    const c = demoLayout(1024, 768).console;
    expect(hits[0]!.x).toBeGreaterThanOrEqual(c.left);
    expect(hits[0]!.y).toBeGreaterThanOrEqual(c.top);
    expect(hits[0]!.x + needle.width).toBeLessThanOrEqual(c.right);
    expect(hits[0]!.y + needle.height).toBeLessThanOrEqual(c.bottom);
  });

  it('draws the guest pointer with its alpha channel (Cursor With Alpha) and runs on fence-paced continuous updates', async () => {
    await demoInViewer();
    const expected = premultipliedArrow();
    expect(expected.some((p) => p >>> 24 > 0 && p >>> 24 < 255)).toBe(true); // the arrow has a soft shadow
    let image = await xCursorImage(x!.display);
    for (let i = 0; i < 50 && (image.width !== ARROW_POINTER.width || image.pixels.join() !== expected.join()); i++) {
      await new Promise((r) => setTimeout(r, 200));
      image = await xCursorImage(x!.display);
    }
    expect([image.width, image.height, image.hotX, image.hotY]).toEqual([ARROW_POINTER.width, ARROW_POINTER.height, ARROW_POINTER.hotX, ARROW_POINTER.hotY]);
    expect(image.pixels.map((p) => p.toString(16))).toEqual(expected.map((p) => p.toString(16)));

    type Extensions = { negotiated: Record<string, boolean>; continuousUpdates: Record<string, unknown> };
    const extensions = async (): Promise<Extensions> => (await inspectClients(cli!))[0]!['extensions'] as Extensions;
    // Fences are answered as updates flow (the demo guest keeps drawing); the cursor can match
    // before the second answer is in, so wait for it (bounded) rather than race it.
    let ext = await extensions();
    for (let i = 0; i < 50 && !((ext.continuousUpdates['lastAnsweredFence'] as number) > 1); i++) {
      await new Promise((r) => setTimeout(r, 200));
      ext = await extensions();
    }
    expect(ext.negotiated['fence']).toBe(true);
    expect(ext.negotiated['continuousUpdates']).toBe(true);
    expect(ext.negotiated['extendedClipboard']).toBe(true);
    expect(ext.continuousUpdates['enabled']).toBe(true);
    expect(ext.continuousUpdates['lastAnsweredFence'] as number).toBeGreaterThan(1);
  });
});
