/**
 * The built-in web console in a real browser: headless Chromium opens http://127.0.0.1:PORT/
 * (served by the VNC port itself), noVNC (npm @novnc/novnc) connects back over WebSocket on the
 * same port, the test card arrives pixel for pixel on its canvas, typed keys reach the demo
 * guest and come back on the canvas, the back mouse button arrives (ExtendedMouseButtons), the
 * clipboard panel's Paste button types text into the guest (Extended Clipboard), and noVNC runs
 * on continuous updates paced by fences it answers.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { DEMO_CONSOLE_BG, DEMO_CONSOLE_FG, DEMO_STATUS_BG, DEMO_STATUS_FG } from '@openvmm-vnc-ts/video-core';
import { type Browser, canvasPicture, launchChromium } from './helpers/browser.js';
import { type CliProcess, freePort, inspectClients, startCli } from './helpers/cli-process.js';
import { diffCount, expectedTestCard, findPicture, renderText } from './helpers/images.js';

let cli: CliProcess | undefined;
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  await cli?.stop('SIGKILL');
  browser = cli = undefined;
});

/**
 * Opens the console and waits until noVNC reports it is connected. A cold browser's very first
 * page load can race the port's first-byte detection (docs/clients.md); like a person, the test
 * reloads, at most twice, and says how many loads it took.
 */
async function openConsole(port: number): Promise<Page> {
  browser = await launchChromium();
  const page = await browser.context.newPage();
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await page.goto(`http://127.0.0.1:${port}/`, { timeout: 10_000 });
      await page.waitForSelector('#status[data-state="connected"]', { timeout: 10_000 });
      if (attempt > 1) console.log(`web console connected on page load ${attempt}`);
      return page;
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}


/** Polls noVNC's own canvas (what came back from the guest) for any of `texts` in the guest's font. */
async function guestShows(page: Page, texts: string | string[], fg = DEMO_CONSOLE_FG, bg = DEMO_CONSOLE_BG): Promise<boolean> {
  const needles = (Array.isArray(texts) ? texts : [texts]).map((t) => renderText(t, fg, bg));
  for (let i = 0; i < 50; i++) {
    const shot = await canvasPicture(page);
    if (needles.some((n) => findPicture(shot, n).length > 0)) return true;
    await page.waitForTimeout(200);
  }
  return false;
}

/** The demo's status-line mouse text for guest pixel (x, y) and buttons, within +-1 px (CSS scaling rounds). */
function mouseTexts(x: number, y: number, buttons: string): string[] {
  const out: string[] = [];
  for (const dx of [-1, 0, 1]) for (const dy of [-1, 0, 1]) out.push(`mouse ${String(x + dx).padStart(4)},${String(y + dy).padStart(4)} ${buttons}`);
  return out;
}

describe('web console (noVNC in headless Chromium)', () => {
  it('shows the test card pixel for pixel on the canvas', async () => {
    const port = await freePort();
    cli = await startCli(['--gfx', '--guest', 'test-card', '--vnc-port', String(port), '--log-level', 'debug']);
    const page = await openConsole(port);
    const expected = expectedTestCard(1024, 768);
    let shot = await canvasPicture(page);
    for (let i = 0; i < 20 && diffCount(shot, expected) !== 0; i++) {
      await page.waitForTimeout(200);
      shot = await canvasPicture(page);
    }
    expect([shot.width, shot.height]).toEqual([1024, 768]);
    expect(diffCount(shot, expected)).toBe(0);
    // noVNC lists Tight first and sends its default JPEG quality level (6): the card still comes
    // out exact because its areas fit Tight palettes (JPEG is only for photo-like areas).
    expect(cli.output()).toMatch(/\bencodings\b[^\n]*\busing=TIGHT/);
    // noVNC decoded our Cursor pseudo-rect (the default arrow until the guest sends a shape) and
    // shows it as the canvas's CSS cursor image.
    const cursor = (await page.evaluate('getComputedStyle(document.querySelector("#screen canvas")).cursor')) as string;
    const b64 = /data:image\/png;base64,([A-Za-z0-9+/=]+)/.exec(cursor)?.[1];
    expect(b64, `canvas cursor ${cursor.slice(0, 60)}`).toBeDefined();
    const image = PNG.sync.read(Buffer.from(b64!, 'base64'));
    expect([image.width, image.height]).toEqual([18, 18]); // the server's default arrow (OpenVMM's 18x18)
  });

  it('types into the demo guest, moves and clicks its mouse, and pastes the clipboard panel with Ctrl+Alt+P', async () => {
    const port = await freePort();
    cli = await startCli(['--gfx', '--guest', 'demo', '--vnc-port', String(port)]);
    const page = await openConsole(port);
    await page.click('#screen canvas', { position: { x: 200, y: 200 } });
    // Like a person: Shift is pressed for capitals (Playwright's type() would send 'V' without
    // Shift, and noVNC forwards the physical key's scancode, so the guest would see 'v').
    for (const ch of 'Typed in noVNC') {
      if (ch >= 'A' && ch <= 'Z') await page.keyboard.press(`Shift+Key${ch}`);
      else await page.keyboard.type(ch);
    }
    expect(await guestShows(page, 'Typed in noVNC')).toBe(true);

    // The pointer: guest pixel (300, 200) through noVNC's scaled canvas, left button held.
    const box = (await page.locator('#screen canvas').boundingBox())!;
    const at = (gx: number, gy: number): [number, number] => [box.x + ((gx + 0.5) * box.width) / 1024, box.y + ((gy + 0.5) * box.height) / 768];
    await page.mouse.move(...at(300, 200));
    await page.mouse.down();
    expect(await guestShows(page, mouseTexts(300, 200, 'L----'), DEMO_STATUS_FG, DEMO_STATUS_BG)).toBe(true);
    await page.mouse.up();
    expect(await guestShows(page, mouseTexts(300, 200, '-----'), DEMO_STATUS_FG, DEMO_STATUS_BG)).toBe(true);

    // The back button (RFB ExtendedMouseButtons, -316) through Chromium's own input path.
    const cdp = await page.context().newCDPSession(page);
    const [bx, by] = at(300, 200);
    await cdp.send('Input.dispatchMouseEvent', { type: 'mousePressed', x: bx, y: by, button: 'back', buttons: 8, clickCount: 1 });
    expect(await guestShows(page, mouseTexts(300, 200, '---B-'), DEMO_STATUS_FG, DEMO_STATUS_BG)).toBe(true);
    await cdp.send('Input.dispatchMouseEvent', { type: 'mouseReleased', x: bx, y: by, button: 'back', buttons: 0, clickCount: 1 });
    expect(await guestShows(page, mouseTexts(300, 200, '-----'), DEMO_STATUS_FG, DEMO_STATUS_BG)).toBe(true);

    await page.keyboard.press('Enter');
    await page.click('#clipToggle');
    await page.fill('#clipText', 'pasted: 42!');
    await page.click('#paste');
    expect(await guestShows(page, 'pasted: 42!')).toBe(true);

    // noVNC took the extensions: continuous updates paced by fences it answered, and the paste
    // went through the Extended Clipboard (Notify, our Request, its Provide).
    const client = (await inspectClients(cli))[0]!;
    const ext = client['extensions'] as { negotiated: Record<string, boolean>; continuousUpdates: Record<string, unknown> };
    expect(ext.negotiated).toEqual({ extendedMouseButtons: true, extendedClipboard: true, continuousUpdates: true, fence: true });
    expect(ext.continuousUpdates['enabled']).toBe(true);
    expect(ext.continuousUpdates['lastAnsweredFence'] as number).toBeGreaterThan(1);
    expect(client['clipboards']).toBe(1);
  });

  it('asks for the password when the server requires one, and then shows the card', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vnc-pw-'));
    writeFileSync(join(dir, 'password'), 'webpass\n');
    const port = await freePort();
    cli = await startCli(['--gfx', '--guest', 'test-card', '--vnc-port', String(port), '--vnc-password-file', join(dir, 'password')]);
    browser = await launchChromium();
    const page = await browser.context.newPage();
    const asked: string[] = [];
    page.on('dialog', (d) => {
      asked.push(d.message());
      void d.accept('webpass');
    });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('#status[data-state="connected"]', { timeout: 15_000 });
    expect(asked).toEqual(['VNC password']);
    const expected = expectedTestCard(1024, 768);
    let shot = await canvasPicture(page);
    for (let i = 0; i < 20 && diffCount(shot, expected) !== 0; i++) {
      await page.waitForTimeout(200);
      shot = await canvasPicture(page);
    }
    expect(diffCount(shot, expected)).toBe(0);
  });
});
