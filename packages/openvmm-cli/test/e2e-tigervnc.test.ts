/**
 * End to end with TigerVNC's viewer (Debian `tigervnc-viewer`) on a headless X display: a person
 * types into the viewer window (xdotool, through the X server's XTEST), TigerVNC sends QEMU
 * extended key events, the server forwards scancodes to the demo guest, and the guest echoes the
 * text in its console. A second, independent client (gvnccapture) then sees the typed text
 * rendered in the guest's font, so the whole loop viewer -> guest -> VRAM -> viewer is checked.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEMO_CONSOLE_BG, DEMO_CONSOLE_FG, demoLayout } from '@openvmm-vnc-ts/video-core';
import { type CliProcess, exited, freePort, startCli } from './helpers/cli-process.js';
import { type XDisplay, gvnccapture, scratchDir, startXvfb, xrun } from './helpers/clients.js';
import { type Picture, findPicture, readPng, renderText } from './helpers/images.js';

let cli: CliProcess | undefined;
let x: XDisplay | undefined;
let viewer: ChildProcess | undefined;

afterEach(async () => {
  if (viewer && viewer.exitCode === null) {
    const done = exited(viewer);
    viewer.kill('SIGKILL');
    await done;
  }
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

describe('TigerVNC viewer typing into the demo guest', () => {
  it('echoes what is typed in the viewer', async () => {
    const port = await freePort();
    cli = await startCli(['--gfx', '--guest', 'demo', '--vnc-port', String(port)]);
    x = await startXvfb();
    viewer = spawn(
      'xtigervncviewer',
      ['-SecurityTypes', 'None', '-RemoteResize=0', '-AlertOnFatalError=0', '-ReconnectOnError=0', '-Shared', `127.0.0.1::${port}`],
      { env: { ...process.env, DISPLAY: x.display }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let viewerLog = '';
    viewer.stdout?.on('data', (d: Buffer) => (viewerLog += d.toString()));
    viewer.stderr?.on('data', (d: Buffer) => (viewerLog += d.toString()));
    // Wait for the viewer window, give it keyboard focus, put the pointer inside it.
    let win = '';
    for (let i = 0; i < 300 && !win && viewer.exitCode === null; i++) {
      win = (await xrun(x.display, 'xdotool', ['search', '--name', 'TigerVNC']).catch(() => '')).trim().split('\n')[0] ?? '';
      if (!win) await new Promise((r) => setTimeout(r, 100));
    }
    expect(win, `TigerVNC viewer window appeared (viewer log:\n${viewerLog})`).not.toBe('');
    await xrun(x.display, 'xdotool', ['windowfocus', '--sync', win]);
    await xrun(x.display, 'xdotool', ['mousemove', '--window', win, '200', '150']);

    const typed = 'Hello, VNC 42!';
    const needle = renderText(typed, DEMO_CONSOLE_FG, DEMO_CONSOLE_BG);
    const before = await capture(port);
    expect(findPicture(before, needle)).toEqual([]);

    await xrun(x.display, 'xdotool', ['type', '--delay', '40', typed]);
    const after = await captureUntil(port, (p) => findPicture(p, needle).length > 0);
    const hits = findPicture(after, needle);
    expect(hits.length).toBe(1);
    const c = demoLayout(1024, 768).console;
    expect(hits[0]!.x).toBeGreaterThanOrEqual(c.left);
    expect(hits[0]!.y).toBeGreaterThanOrEqual(c.top);
    expect(hits[0]!.x + needle.width).toBeLessThanOrEqual(c.right);
    expect(hits[0]!.y + needle.height).toBeLessThanOrEqual(c.bottom);
  });
});
