/**
 * VNC Authentication end to end: the CLI started with `--vnc-password-file`, and libvncclient
 * (through our vncgrab program) as the client. The right password gets the test card pixel for
 * pixel; a wrong one is refused. gvnccapture, which cannot be given a password, is refused too.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliProcess, freePort, startCli } from './helpers/cli-process.js';
import { gvnccapture, scratchDir } from './helpers/clients.js';
import { diffCount, expectedTestCard } from './helpers/images.js';
import { vncgrab } from './helpers/libvncclient.js';

let cli: CliProcess | undefined;
let port = 0;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vnc-pw-'));
  writeFileSync(join(dir, 'password'), 'opensesa\n');
  port = await freePort();
  cli = await startCli(['--gfx', '--guest', 'test-card', '--vnc-port', String(port), '--vnc-password-file', join(dir, 'password')]);
});
afterAll(async () => {
  await cli?.stop('SIGKILL');
});

describe('VNC Authentication with real clients', () => {
  it('libvncclient with the right password receives the test card', async () => {
    const expected = expectedTestCard(1024, 768);
    let diff = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 20 && diff !== 0; i++) {
      const { picture } = await vncgrab('127.0.0.1', port, join(scratchDir(), 'ok.ppm'), { password: 'opensesa' });
      diff = diffCount(picture, expected);
    }
    expect(diff).toBe(0);
  });

  it('libvncclient with a wrong password is refused', async () => {
    await expect(vncgrab('127.0.0.1', port, join(scratchDir(), 'bad.ppm'), { password: 'wrong', timeoutSecs: 5 })).rejects.toThrow(/exit 2/);
  });

  it('gvnccapture (no password) is refused', async () => {
    await expect(gvnccapture('127.0.0.1', port, join(scratchDir(), 'none.png'))).rejects.toThrow();
  });
});
