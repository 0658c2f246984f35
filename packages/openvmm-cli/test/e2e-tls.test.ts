/**
 * TLS end to end with real clients against the CLI started with `--vnc-tls-cert`/`--vnc-tls-key`:
 *
 * - libvncclient (GnuTLS; our vncgrab program with `-c CA.pem`) takes VeNCrypt X509Vnc, checks
 *   the certificate, answers VNC Authentication inside TLS, and gets the test card pixel for
 *   pixel; with a wrong password it is refused, and without the CA it cannot take the X509
 *   subtype at all.
 * - TigerVNC's viewer takes anonymous TLS (`-SecurityTypes TLSNone`) and X509None (with
 *   `-X509CA`); the test card is found pixel for pixel in a screenshot of its window (Xvfb).
 * - noVNC in Chromium loads the console over https:// and connects over wss:// on the same port.
 *
 * The server's debug log says which subtype and cipher each connection used.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, canvasPicture, launchChromium } from './helpers/browser.js';
import { testCert } from './helpers/cert.js';
import { type CliProcess, freePort, startCli } from './helpers/cli-process.js';
import { type TigerViewer, type XDisplay, scratchDir, startTigerViewer, startXvfb, xrun } from './helpers/clients.js';
import { type Picture, diffCount, expectedTestCard, findPicture, readPng } from './helpers/images.js';
import { vncgrab } from './helpers/libvncclient.js';

const tlsArgs = (): string[] => ['--vnc-tls-cert', testCert().certPath, '--vnc-tls-key', testCert().keyPath];

/** A 256x192 piece of the test card from its middle: a needle to find in a screenshot. */
function cardPiece(): Picture {
  const card = expectedTestCard(1024, 768);
  const [x0, y0, w, h] = [384, 288, 256, 192];
  const pixels = new Uint32Array(w * h);
  for (let y = 0; y < h; y++) pixels.set(card.pixels.subarray((y0 + y) * 1024 + x0, (y0 + y) * 1024 + x0 + w), y * w);
  return { width: w, height: h, pixels };
}

describe('libvncclient over VeNCrypt X509Vnc', () => {
  let cli: CliProcess | undefined;
  let port = 0;
  beforeAll(async () => {
    const pw = join(scratchDir(), 'password');
    writeFileSync(pw, 'opensesa\n');
    port = await freePort();
    cli = await startCli(['--gfx', '--guest', 'test-card', '--vnc-port', String(port), '--log-level', 'debug', '--vnc-password-file', pw, ...tlsArgs()]);
  });
  afterAll(async () => {
    await cli?.stop('SIGKILL');
  });

  it('with the CA and the right password receives the test card pixel for pixel, inside TLS', async () => {
    const expected = expectedTestCard(1024, 768);
    let diff = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 20 && diff !== 0; i++) {
      const { picture } = await vncgrab('127.0.0.1', port, join(scratchDir(), 'ok.ppm'), { password: 'opensesa', caFile: testCert().certPath });
      diff = diffCount(picture, expected);
    }
    expect(diff).toBe(0);
    expect(cli!.output()).toMatch(/TLS established .*subtype=X509Vnc/);
  });

  it('with a wrong password inside TLS is refused', async () => {
    await expect(vncgrab('127.0.0.1', port, join(scratchDir(), 'bad.ppm'), { password: 'wrong', caFile: testCert().certPath, timeoutSecs: 5 })).rejects.toThrow(/exit 2/);
  });
});

describe('TigerVNC viewer over VeNCrypt', () => {
  let cli: CliProcess | undefined;
  let x: XDisplay | undefined;
  let viewer: TigerViewer | undefined;
  afterEach(async () => {
    await viewer?.stop();
    await cli?.stop('SIGKILL');
    await x?.stop();
    cli = x = viewer = undefined;
  });

  for (const [security, cipher] of [
    ['TLSNone', /_anon_|AECDH|ADH/],
    ['X509None', /./],
  ] as const) {
    it(`${security}: the test card shows pixel for pixel in the viewer window`, async () => {
      const port = await freePort();
      cli = await startCli(['--gfx', '--guest', 'test-card', '--vnc-port', String(port), '--log-level', 'debug', ...tlsArgs()]);
      x = await startXvfb();
      viewer = startTigerViewer(x.display, port, ['-SecurityTypes', security, '-X509CA', testCert().certPath]);
      const needle = cardPiece();
      const shotPath = join(scratchDir(), 'screen.png');
      let hits: { x: number; y: number }[] = [];
      for (let i = 0; i < 60 && hits.length === 0 && viewer.proc.exitCode === null; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const xwd = execFileSync('xwd', ['-root', '-silent'], { env: { ...process.env, DISPLAY: x.display }, maxBuffer: 64 << 20 });
        execFileSync('convert', ['xwd:-', `png:${shotPath}`], { input: xwd, maxBuffer: 64 << 20 });
        hits = findPicture(readPng(shotPath), needle);
      }
      expect(hits, `test card in the viewer window (viewer log:\n${viewer.log()})`).toHaveLength(1);
      const log = cli.output();
      expect(log).toMatch(new RegExp(`TLS established .*subtype=${security}`));
      const established = log.split('\n').find((l) => l.includes('TLS established'))!;
      expect(established).toMatch(cipher);
      // The viewer lists Tight first: the card above came through our Tight encoder.
      expect(log).toMatch(/\bencodings\b[^\n]*\busing=TIGHT/);
      expect(await xrun(x.display, 'xdotool', ['search', '--name', 'TigerVNC'])).not.toBe('');
    });
  }
});

describe('web console over https:// and wss:// (noVNC in Chromium)', () => {
  let cli: CliProcess | undefined;
  let browser: Browser | undefined;
  afterEach(async () => {
    await browser?.close();
    await cli?.stop('SIGKILL');
    browser = cli = undefined;
  });

  it('loads the page over HTTPS, connects over wss:// and shows the test card pixel for pixel', async () => {
    const port = await freePort();
    cli = await startCli(['--gfx', '--guest', 'test-card', '--vnc-port', String(port), '--log-level', 'debug', ...tlsArgs()]);
    browser = await launchChromium({ ignoreHttpsErrors: true });
    const page = await browser.context.newPage();
    const wsUrls: string[] = [];
    page.on('websocket', (ws) => wsUrls.push(ws.url()));
    let connected = false;
    for (let attempt = 1; attempt <= 3 && !connected; attempt++) {
      await page.goto(`https://127.0.0.1:${port}/`, { timeout: 10_000 });
      connected = await page.waitForSelector('#status[data-state="connected"]', { timeout: 10_000 }).then(() => true, () => false);
    }
    expect(connected).toBe(true);
    expect(wsUrls.length).toBeGreaterThan(0);
    expect(wsUrls.every((u) => u.startsWith('wss://'))).toBe(true);
    const expected = expectedTestCard(1024, 768);
    let diff = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 20 && diff !== 0; i++) {
      const shown = await canvasPicture(page);
      diff = shown.width === 1024 && shown.height === 768 ? diffCount(shown, expected) : Number.POSITIVE_INFINITY;
      if (diff !== 0) await page.waitForTimeout(200);
    }
    expect(diff).toBe(0);
    expect(cli.output()).toMatch(/TLS established \(https\/wss or RFB over TLS\)/);
  });
});
